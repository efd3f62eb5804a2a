/**
 * Public entry of the front end: text -> tokens -> CST -> AST, with coded diagnostics.
 *
 *   parseSpec(text, path): Result<ParsedSpec>   where ParsedSpec = { ast, comments }
 *
 * `ast` is the file's AST (best effort after errors), `comments` the comment tokens kept for
 * the formatter, and the Result's diagnostics are everything found while reading the file.
 *
 * Guarantees, for ANY input string (binary, huge, deeply nested): no exception, no stack
 * overflow, time and memory linear in the input, and every diagnostic has a code and a span
 * inside the text. The steps, each bounded:
 *   1. inputs over `maxChars` are refused (E0007) before lexing;
 *   2. lexing, which stops at the `maxTokens`th token (E0007, nothing else reported); invalid
 *      characters (E0004), unterminated strings (E0002) and comments (E0003);
 *   3. numbers glued to words (`64XB` E0006, `0xZZ` E0005) are reported and the word dropped;
 *   4. bracket depth is checked before parsing (E0008 over `maxNesting`, parser not run): the
 *      grammar only recurses through `(` and `{`, so this bounds the parser's stack. The
 *      default, 64, leaves a wide margin: cold (unoptimised) Chevrotain code overflows Node's
 *      default stack at about 200 nested calls `f(f(...))`;
 *   5. a `{` that no `}` closes is reported (E0001) and closed where its indentation ends
 *      (`closeUnclosedBlocks`); a virtual statement end is inserted before every `}` and at
 *      the end of input;
 *   6. the file is parsed one top-level statement at a time (`file := { statement }`), so only
 *      one statement's CST is alive at once; recovery reports several errors (E0001), and the
 *      parse stops after `maxDiagnostics` of them, since each recovery costs stack and time;
 *   7. diagnostics are sorted, clamped to the text, and capped at `maxDiagnostics`.
 */
import type { IRecognitionException, IToken } from "chevrotain";
import { createTokenInstance, tokenMatcher } from "../../grammar/chevrotain.js";
import { partitionPoint } from "../model/collections.js";
import type { Expr, Item, SpecFile } from "./ast.js";
import { buildExpression, buildStatement } from "./ast-builder.js";
import { DEFAULT_LIMITS as RESOURCE_LIMITS, type Limits, roughSize } from "../limits.js";
import {
  diagnostic,
  sortDiagnostics,
  type Diagnostic,
  type Result,
  type Span,
} from "../diagnostics/diagnostic.js";
import { TEXT } from "../diagnostics/catalogue.js";
import { capDiagnostics } from "../diagnostics/collector.js";
import {
  DOCUMENTED_WORDS,
  STATEMENT_START_HELP,
  parseExpression as parseExpressionTokens,
  parseStatement,
  showImage,
  suggestKeyword,
} from "../../grammar/parser.js";
import * as T from "../../grammar/tokens.js";

export {
  parser,
  parseStatement,
  VmLayoutParser,
  describeToken,
  describeTokenType,
} from "../../grammar/parser.js";
export { buildAst, buildStatement } from "./ast-builder.js";
export { lexer } from "../../grammar/tokens.js";
export * as tokens from "../../grammar/tokens.js";

export interface ParseLimits {
  /** Longest accepted input, in UTF-16 code units (E0007). */
  readonly maxChars: number;
  /** Most tokens accepted, comments and line ends included (E0007). */
  readonly maxTokens: number;
  /** Deepest accepted nesting of `(` and `{` (E0008). */
  readonly maxNesting: number;
  /**
   * Diagnostics reported per file (the last one notes how many were left out); also the
   * number of syntax errors after which parsing stops.
   */
  readonly maxDiagnostics: number;
}

/**
 * A parse's share of the resource limits (src/limits.ts). Syntax errors get half the
 * diagnostics budget: past that many the rest of a file is noise, and every recovery costs.
 */
export function parseLimits(limits: Limits): ParseLimits {
  return {
    maxChars: limits.input,
    maxTokens: limits.tokens,
    maxNesting: limits.nesting,
    maxDiagnostics: Math.ceil(limits.diagnostics / 2),
  };
}

export const DEFAULT_LIMITS: ParseLimits = parseLimits(RESOURCE_LIMITS);

/** What a parse yields besides diagnostics: the AST and, for the formatter, the comments. */
export interface ParsedSpec {
  readonly ast: SpecFile;
  /** `//` and `/* *\/` comment tokens (lexer group "comments"), in source order. */
  readonly comments: readonly IToken[];
}

/**
 * Parses one spec file. `path` is only recorded in spans. Never throws: every problem is a
 * diagnostic, and `value.ast` is always a file (best effort after errors).
 */
export function parseSpec(
  text: string,
  path: string,
  limits: Partial<ParseLimits> = {},
): Result<ParsedSpec> {
  const limit = { ...DEFAULT_LIMITS, ...limits };
  const diagnostics: Diagnostic[] = [];
  const notes: string[] = [];
  const hidden = { count: 0 };
  const { items, comments } = read(text, path, limit, diagnostics, notes, hidden);
  const ast: SpecFile = {
    kind: "file",
    path,
    items,
    span: { file: path, start: 0, end: text.length },
  };
  return {
    value: { ast, comments },
    diagnostics: finish(diagnostics, hidden.count, text.length, limit.maxDiagnostics, notes),
  };
}

/**
 * Parses `text` as one expression the way a spec's expressions are parsed (the same lexer,
 * grammar rule and AST builder, so the same syntax and diagnostics): a number or an address
 * given on the command line (`-2GB`, `ffff8000 00000000`, `kernel_text.start + 2MB`). Never
 * throws; the expression is undefined when there is any diagnostic.
 */
export function parseExpression(
  text: string,
  path: string,
  limits: Partial<ParseLimits> = {},
): Result<Expr | undefined> {
  const limit = { ...DEFAULT_LIMITS, ...limits };
  const diagnostics: Diagnostic[] = [];
  const hidden = { count: 0 };
  const lexed = lexBounded(text, path, limit, diagnostics, hidden);
  let expr: Expr | undefined;
  if (lexed.tokens !== undefined) {
    const tokens = lexed.tokens.filter((t) => t.tokenType !== T.VirtualEnd);
    const parsed = parseExpressionTokens(tokens);
    const built = buildExpression(parsed.cst, path);
    const builtSyntax = built.diagnostics.filter((d) => d.code === "E0001");
    diagnostics.push(...built.diagnostics.filter((d) => d.code !== "E0001"));
    diagnostics.push(
      ...syntaxErrors(parsed.errors, builtSyntax, tokens, lexed.lexical.starts(), text, path),
    );
    expr = built.expr;
  }
  return {
    value: diagnostics.length === 0 ? expr : undefined,
    diagnostics: finish(diagnostics, hidden.count, text.length, limit.maxDiagnostics, []),
  };
}

/**
 * Steps 1-4 of the module comment: the tokens ready for the parser, or no tokens when the
 * input is refused (too large, too many tokens, nested too deeply; the comments are kept when
 * it was lexed). Pushes diagnostics, and counts in `hidden` the diagnostics found but not
 * built (they can never be shown).
 */
function lexBounded(
  text: string,
  path: string,
  limit: ParseLimits,
  diagnostics: Diagnostic[],
  hidden: { count: number },
):
  | { tokens: IToken[]; comments: IToken[]; lexical: Lexical }
  | { tokens: undefined; comments: IToken[] } {
  const at = (start: number, end = start): Span => ({ file: path, start, end });
  const tooLarge = (message: string, span: Span, name: string) => {
    const help = TEXT.raiseLimit("split the spec into several files joined with `include`", name);
    diagnostics.push(diagnostic("E0007", message, span, { help }));
    return { tokens: undefined, comments: [] };
  };
  if (text.length > limit.maxChars) {
    return tooLarge(
      `input is too large (${roughSize(text.length)}, limit ${roughSize(limit.maxChars)})`,
      at(0),
      "input",
    );
  }

  // Binary input has a lexical problem every few characters: only the diagnostics that can be
  // shown are built (see `Lexical`), but where each one starts is kept for `syntaxErrors`.
  const lexed = lex(
    text,
    path,
    Math.max(1, limit.maxDiagnostics),
    limit.maxTokens,
    limit.maxNesting,
  );
  if ("tooManyAt" in lexed)
    return tooLarge(
      `input has more than ${limit.maxTokens} tokens`,
      at(lexed.tooManyAt, lexed.tooManyAt + 1),
      "tokens",
    );
  diagnostics.push(...lexed.lexical.built);
  hidden.count += lexed.lexical.omitted;

  const tooDeep = firstTooDeep(lexed.tokens, limit.maxNesting);
  if (tooDeep) {
    const message = `brackets are nested too deeply (more than ${limit.maxNesting} levels)`;
    const help =
      "flatten the nesting: name parts of an expression with `const`, or split regions (the limit: `--limit nesting=N`)";
    const span = at(tooDeep.startOffset, tooDeep.startOffset + 1);
    diagnostics.push(diagnostic("E0008", message, span, { help }));
    return { tokens: undefined, comments: lexed.comments };
  }
  return lexed;
}

/**
 * Steps 1-6 of the module comment; pushes diagnostics, and notes for the last of them, and
 * counts in `hidden` the diagnostics found but not built (they can never be shown).
 */
function read(
  text: string,
  path: string,
  limit: ParseLimits,
  diagnostics: Diagnostic[],
  notes: string[],
  hidden: { count: number },
): { items: Item[]; comments: IToken[] } {
  const lexed = lexBounded(text, path, limit, diagnostics, hidden);
  if (lexed.tokens === undefined) return { items: [], comments: lexed.comments };
  const { tokens, comments, lexical } = lexed;

  const items: Item[] = [];
  const errors: IRecognitionException[] = [];
  /** The AST builder's syntax errors, which go with the parser's (`syntaxErrors`). */
  const builtSyntax: Diagnostic[] = [];
  try {
    for (const statement of topLevelStatements(tokens)) {
      const parsed = parseStatement(statement, limit.maxDiagnostics - errors.length);
      errors.push(...parsed.errors);
      if (!parsed.cst) {
        notes.push(
          "parsing stopped after too many syntax errors; the rest of the file was not read",
        );
        break;
      }
      const built = buildStatement(parsed.cst, path);
      if (built.item) items.push(built.item);
      // One statement can hold thousands of diagnostics.
      for (const d of built.diagnostics) (d.code === "E0001" ? builtSyntax : diagnostics).push(d);
    }
  } catch (error) {
    // Unreachable while nesting is bounded; kept so that no input can crash the compiler.
    if (!(error instanceof RangeError)) throw error;
    const help = "reduce the nesting of brackets and regions";
    const start = { file: path, start: 0, end: 0 };
    diagnostics.push(diagnostic("E0008", "input is nested too deeply to parse", start, { help }));
  }
  diagnostics.push(...syntaxErrors(errors, builtSyntax, tokens, lexical.starts(), text, path));
  return { items, comments };
}

/** The parser's view of a text: tokens, comments, and lexical diagnostics. */
export interface LexedSpec {
  /** Ready for the parser: glued words dropped, virtual ends inserted before `}` and at the end. */
  readonly tokens: IToken[];
  /** `//` and `/* *\/` comments, in source order. */
  readonly comments: IToken[];
  /** E0002 - E0006, and E0001 for a `{` that is never closed. */
  readonly diagnostics: Diagnostic[];
}

/**
 * Lexes `text` for the parser (steps 2, 3 and 5 of the module comment). For tooling:
 * `parser.input = lexSpec(text, path).tokens; parser.file()` parses a whole file at once.
 */
export function lexSpec(text: string, path: string): LexedSpec {
  const lexed = lex(
    text,
    path,
    Number.POSITIVE_INFINITY,
    Number.POSITIVE_INFINITY,
    DEFAULT_LIMITS.maxNesting,
  );
  if ("tooManyAt" in lexed) throw new Error("unreachable: no token limit");
  return { tokens: lexed.tokens, comments: lexed.comments, diagnostics: lexed.lexical.built };
}

/** `tooManyAt`: where the first token past `maxTokens` starts (nothing else was lexed). */
function lex(
  text: string,
  path: string,
  maxPerKind: number,
  maxTokens: number,
  maxNesting: number,
): { tokens: IToken[]; comments: IToken[]; lexical: Lexical } | { tooManyAt: number } {
  const lexed = T.tokenizeWithin(text, maxTokens);
  if ("tooManyAt" in lexed) return lexed;
  const lexical = new Lexical(maxPerKind);
  const invalid = lexical.kind();
  for (const run of lexed.groups["invalid"] ?? [])
    if (invalid.wants(run.startOffset))
      invalid.add(invalidCharacter(text, run.startOffset, run.image.length, path));
  const unclosed = lexical.kind();
  for (const token of lexed.groups["errors"] ?? [])
    if (unclosed.wants(token.startOffset)) unclosed.add(unterminated(token, path));
  const words = dropGluedWords(lexed.tokens, text, path, lexical.kind());
  const tokens = withVirtualEnds(
    closeUnclosedBlocks(words, text, path, maxNesting, lexical.kind()),
    text.length,
  );
  return { tokens, comments: lexed.groups["comments"] ?? [], lexical };
}

interface LexicalKind {
  /** Records a diagnostic at `start`; true when it is to be built and `add`ed. */
  wants(start: number): boolean;
  add(d: Diagnostic): void;
}

/**
 * Lexical diagnostics (E0002 - E0006, and unclosed braces), which come in kinds, each in source order. Of each kind
 * only the first `maxPerKind` are built, as no later one can be among that many diagnostics
 * shown; the others are counted. Where every one starts is kept: a syntax error in the same
 * statement is not reported (`syntaxErrors`).
 */
class Lexical {
  /** The diagnostics built, kind after kind. */
  readonly built: Diagnostic[] = [];
  omitted = 0;
  private readonly offsets: number[] = [];

  constructor(private readonly maxPerKind: number) {}

  /** Starts a kind. */
  kind(): LexicalKind {
    let count = 0;
    return {
      wants: (start) => {
        this.offsets.push(start);
        if (count++ < this.maxPerKind) return true;
        this.omitted++;
        return false;
      },
      add: (d) => void this.built.push(d),
    };
  }

  /** Where each diagnostic starts, sorted. */
  starts(): Int32Array {
    return Int32Array.from(this.offsets).sort();
  }
}

/**
 * Splits the token stream into top-level statements: each ends with an End token outside any
 * `{ }`. A statement whose `{` is never closed runs to the end of the input. Blank statements
 * (a lone End) are skipped.
 */
function* topLevelStatements(tokens: readonly IToken[]): Generator<IToken[]> {
  let start = 0;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.tokenType === T.LCurly) depth++;
    else if (t.tokenType === T.RCurly) depth = Math.max(0, depth - 1);
    else if (depth === 0 && tokenMatcher(t, T.End)) {
      if (i > start) yield tokens.slice(start, i + 1);
      start = i + 1;
    }
  }
  if (start < tokens.length) yield tokens.slice(start);
}

// ---------------------------------------------------------------- lexical diagnostics

function describeChar(text: string, offset: number): string {
  const code = text.codePointAt(offset) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const printable = code > 0x20 && code < 0x7f && code !== 0x60;
  return printable ? `\`${String.fromCodePoint(code)}\`` : hex;
}

const CHAR_HELP: Record<string, string> = {
  "#": "comments start with `//` or `/*`",
  "'": 'strings use double quotes: `"..."`',
  "\u2013":
    "an en dash is not `..`: write a range as `START .. END` (inclusive end) or `START ..< END`",
  "\u2014":
    "an em dash is not `..`: write a range as `START .. END` (inclusive end) or `START ..< END`",
  "\u2212": "a minus sign is not `-`: write `-` (U+002D)",
};

function invalidCharacter(text: string, offset: number, length: number, path: string): Diagnostic {
  const ch = describeChar(text, offset);
  const more = length > 1 ? ` (and ${length - 1} more characters that start no token)` : "";
  return diagnostic(
    "E0004",
    `invalid character ${ch}${more}`,
    { file: path, start: offset, end: offset + length },
    {
      help:
        CHAR_HELP[text[offset] ?? ""] ??
        "a spec holds names, numbers, strings, comments and `+ - * / << >> & ^ | ~ ( ) { } , . .. ..< : = ;` (and `<= >= == < >` in a `require`)",
    },
  );
}

function unterminated(token: IToken, path: string): Diagnostic {
  if (token.tokenType === T.UnterminatedString)
    return diagnostic(
      "E0002",
      "string is not closed before the end of the line",
      { file: path, start: token.startOffset, end: token.startOffset + token.image.length },
      { help: 'add the closing `"`; a string cannot span lines (write `\\n` for a newline)' },
    );
  return diagnostic(
    "E0003",
    "block comment is not closed",
    { file: path, start: token.startOffset, end: token.startOffset + 2 },
    { help: "add `*/` where the comment ends; block comments do not nest" },
  );
}

const isWordToken = (t: IToken): boolean => /^[A-Za-z0-9_]/.test(t.image);

/**
 * A number must not run into a word: `64XB` (unknown unit, E0006), `0xZZ`, `12ab`, `0x1.5`
 * (bad literal, E0005). Units glued to a number (`64TB`) are fine. The glued words are
 * reported once and removed, so the parser sees just the number and does not cascade.
 */
function dropGluedWords(tokens: IToken[], text: string, path: string, out: LexicalKind): IToken[] {
  const kept: IToken[] = [];
  const endOf = (t: IToken) => t.startOffset + t.image.length;
  const glued = (i: number) =>
    i < tokens.length && tokens[i]!.startOffset === endOf(tokens[i - 1]!);
  for (let i = 0; i < tokens.length; i++) {
    const number = tokens[i]!;
    kept.push(number);
    if (!tokenMatcher(number, T.NumberLiteral) || !glued(i + 1)) continue;
    let j = i + 1;
    const words: IToken[] = [];
    while (glued(j)) {
      const t = tokens[j]!;
      if (words.length === 0 && tokenMatcher(t, T.Unit)) kept.push(t);
      else if (isWordToken(t)) words.push(t);
      else if (t.tokenType === T.Dot && glued(j + 1) && isWordToken(tokens[j + 1]!)) {
        words.push(t, tokens[j + 1]!);
        j++;
      } else break;
      j++;
    }
    i = j - 1;
    if (words.length === 0 || !out.wants(number.startOffset)) continue;
    const end = endOf(words[words.length - 1]!);
    const literal = text.slice(number.startOffset, end);
    const span = { file: path, start: number.startOffset, end };
    const word = words[0]!;
    const zeroX = number.image === "0" && /^[xX]/.test(word.image);
    if (!zeroX && words.length === 1 && /^[A-Za-z]+$/.test(word.image)) {
      const unit = UNITS_BY_LOWER_CASE.get(word.image.toLowerCase());
      out.add(
        diagnostic(
          "E0006",
          `unknown unit \`${showImage(word.image)}\` in \`${showImage(literal)}\``,
          span,
          {
            help: unit
              ? `units are case-sensitive: write \`${number.image}${unit}\``
              : `units are ${T.UNIT_SPELLINGS} (all powers of two); stack them with a space, as in \`16M TB\``,
          },
        ),
      );
    } else {
      const hex = zeroX || /^0[xX]/.test(number.image);
      out.add(
        diagnostic("E0005", `malformed number \`${showImage(literal)}\``, span, {
          help: hex
            ? "a `0x` number has hex digits (0-9, a-f) after `0x`, optionally grouped with `_`"
            : "numbers are decimal (`128`, `0.5`), `0x` hex, 16-digit bare hex or `ffff8000 00000000`; " +
              "put a space between a number and a name",
        }),
      );
    }
  }
  return kept;
}

/**
 * Closes every `{` that no `}` closes (E0001 at the `{`), so that the regions after a
 * forgotten `}` are not silently read as the block's children. The block is taken to end
 * before the first line directly inside it that is indented no deeper than the line of its
 * `{` (as the formatter indents), or at the end of the input; a virtual `}` is inserted after
 * the block's last token. More unclosed braces than the nesting limit allows are left to
 * E0008, which bounds the work to that many scans of the tokens.
 */
function closeUnclosedBlocks(
  tokens: IToken[],
  text: string,
  path: string,
  maxNesting: number,
  out: LexicalKind,
): IToken[] {
  const open: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.tokenType === T.LCurly) open.push(i);
    else if (tokens[i]!.tokenType === T.RCurly) open.pop();
  }
  if (open.length === 0 || open.length > maxNesting) return tokens;
  /** How many virtual `}` go before the token at each index (the end: after the last). */
  const closers = new Map<number, number>();
  for (const brace of open.reverse()) {
    const indent = indentation(text, tokens[brace]!.startOffset);
    let depth = 1;
    let next = tokens.length; // the first line after the block
    for (let i = brace + 1; i < tokens.length && next === tokens.length; i++) {
      const t = tokens[i]!;
      depth -= closers.get(i) ?? 0;
      const lineStart = t.tokenType !== T.Newline && tokens[i - 1]!.tokenType === T.Newline;
      if (depth === 1 && lineStart && indentation(text, t.startOffset) <= indent) next = i;
      else if (t.tokenType === T.LCurly) depth++;
      else if (t.tokenType === T.RCurly) depth--;
    }
    let at = next; // after the block's last token
    while (at > brace + 1 && tokenMatcher(tokens[at - 1]!, T.End)) at--;
    closers.set(at, (closers.get(at) ?? 0) + 1);
    const brace0 = tokens[brace]!.startOffset;
    if (!out.wants(brace0)) continue;
    const last = tokens[at - 1]!;
    const end = last.startOffset + last.image.length;
    const span = (start: number, stop = start): Span => ({ file: path, start, end: stop });
    const why =
      next === tokens.length
        ? "so it runs to the end of the file"
        : "taken to end here, as the next line is indented no deeper than the `{`";
    out.add(
      diagnostic("E0001", "`{` is never closed", span(brace0, brace0 + 1), {
        labels: [
          { span: span(brace0, brace0 + 1), message: "this block is never closed" },
          { span: span(end), message: why },
        ],
        help: "add the missing `}` where the block ends",
      }),
    );
  }
  const closed: IToken[] = [];
  const closeBefore = (i: number, offset: number) => {
    for (let n = closers.get(i) ?? 0; n > 0; n--)
      closed.push(createTokenInstance(T.RCurly, "}", offset, offset - 1, NaN, NaN, NaN, NaN));
  };
  tokens.forEach((t, i) => {
    const previous = tokens[i - 1];
    closeBefore(i, previous ? previous.startOffset + previous.image.length : 0);
    closed.push(t);
  });
  closeBefore(tokens.length, text.length);
  return closed;
}

/** How many whitespace characters precede the first token on the line of `offset`. */
function indentation(text: string, offset: number): number {
  let start = offset;
  while (start > 0 && text[start - 1] !== "\n" && text[start - 1] !== "\r") start--;
  let end = start;
  while (end < offset && /[ \t\f\v\ufeff]/.test(text[end]!)) end++;
  return end - start;
}

/** Each unit spelling by its lower case (`tb` -> `TB`; for `kb`, the first: `KB`). */
const UNITS_BY_LOWER_CASE: ReadonlyMap<string, string> = new Map(
  T.UNIT_SPELLINGS.split(/[;,] /)
    .reverse()
    .map((spelling) => [spelling.toLowerCase(), spelling]),
);

/** The first bracket that opens deeper than `max` levels, if any. */
function firstTooDeep(tokens: readonly IToken[], max: number): IToken | undefined {
  let depth = 0;
  for (const t of tokens) {
    if (t.tokenType === T.LParen || t.tokenType === T.LCurly) {
      if (++depth > max) return t;
    } else if (t.tokenType === T.RParen || t.tokenType === T.RCurly) depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/**
 * A zero-length statement end at `offset`; image "}" before a brace, "" at end of input. Like
 * every token here it has offsets only (no lines or columns).
 */
function virtualEnd(offset: number, image: string): IToken {
  return createTokenInstance(T.VirtualEnd, image, offset, offset - 1, NaN, NaN, NaN, NaN);
}

/** Inserts a statement end before every `}` and at the end, unless one is already there. */
function withVirtualEnds(tokens: readonly IToken[], textLength: number): IToken[] {
  const out: IToken[] = [];
  const endsStatement = () => out.length === 0 || tokenMatcher(out[out.length - 1]!, T.End);
  for (const t of tokens) {
    if (t.tokenType === T.RCurly && !endsStatement()) out.push(virtualEnd(t.startOffset, "}"));
    out.push(t);
  }
  if (!endsStatement()) out.push(virtualEnd(textLength, ""));
  return out;
}

// ---------------------------------------------------------------- syntax diagnostics

/** Help for an error inside a rule; the innermost rule on the stack with an entry wins. */
const RULE_HELP: Record<string, string> = {
  statement: "put one statement per line, or separate statements with `;`",
  kaslrStatement: "put one statement per line, or separate statements with `;`",
  block: "a body `{ ... }` holds attributes and child regions and ends with `}`",
  layoutDecl: 'write `layout NAME "description"`',
  includeDecl: 'write `include "file.layout"`',
  pagingDecl: "write `paging 4` or `paging 5`",
  constDecl: "write `const NAME = EXPR`, optionally followed by `export C_NAME` and a description",
  paramDecl:
    "write `param NAME: address|size|count = DEFAULT in MIN .. MAX`, optionally followed by " +
    "`align A`, `export C_NAME` and a description",
  requireDecl:
    'write `require EXPR <= EXPR "why"` (or `>=`, `==`, `<`, `>`) between linear expressions of parameters',
  variantDecl: 'write `variant "NAME" { ... }`',
  repeatDecl: "write `repeat N { ... }` or `repeat N as i { ... }`",
  kaslrDecl:
    "a `kaslr NAME { ... }` block holds `range S ..< E`, `align A`, `members R ...` and `may_overlap R ...`",
  kaslrItem:
    "a `kaslr NAME { ... }` block holds `range S ..< E`, `align A`, `members R ...` and `may_overlap R ...`",
  regionDecl:
    'a region is `PLACEMENT [KIND] [NAME] ["description"] [{ ... }]`, e.g. `ffff888000000000 +64TB direct_map`',
  placement:
    "a placement is `START +SIZE`, `START .. END`, `START ..< END`, `+SIZE`, `.. END` or `align A +SIZE`",
  mapAttr: "write `map ram`, `map none`, `map recursive` or `map phys ADDRESS`",
  allowAttr: 'write `allow CHECK "reason"`',
  expression:
    "an expression combines numbers, names, `+ - * /`, parentheses and calls like `align_up(x, 2MB)`",
};

/**
 * The AST builder's E0001s (`built`), then the parser's errors as E0001, at most one per
 * statement: after the first error in a statement (or a lexical error there), recovery often
 * trips over the rest of the same line, and those follow-on errors would only be noise. A
 * statement is the text between two end tokens.
 */
function syntaxErrors(
  errors: readonly IRecognitionException[],
  built: readonly Diagnostic[],
  tokens: readonly IToken[],
  lexicalStarts: Int32Array,
  text: string,
  path: string,
): Diagnostic[] {
  if (errors.length === 0 && built.length === 0) return [];
  const textLength = text.length;
  const starts = tokens.map((t) => t.startOffset);
  const ends = tokens.filter((t) => tokenMatcher(t, T.End)).map((t) => t.startOffset);
  // Statement k holds the offsets with k ends before them: `ends[k - 1] < offset <= ends[k]`.
  const statementOf = (offset: number): number => countBelow(ends, offset);
  const hasLexical = (k: number): boolean => {
    const i = countBelow(lexicalStarts, k > 0 ? ends[k - 1]! + 1 : Number.NEGATIVE_INFINITY);
    return i < lexicalStarts.length && (k >= ends.length || lexicalStarts[i]! <= ends[k]!);
  };
  const reported = new Set<number>();
  const out: Diagnostic[] = [];
  for (const d of built) {
    const statement = statementOf(d.span!.start);
    if (reported.has(statement) || hasLexical(statement)) continue;
    reported.add(statement);
    out.push(d);
  }
  for (const error of errors) {
    const token = error.token;
    const valid = Number.isFinite(token.startOffset) && !token.isInsertedInRecovery;
    const start = valid ? token.startOffset : textLength;
    const end = valid ? start + token.image.length : textLength;
    const statement = statementOf(start);
    if (reported.has(statement) || hasLexical(statement)) continue;
    reported.add(statement);
    const rules = error.context?.ruleStack ?? [];
    const rule = [...rules].reverse().find((r) => RULE_HELP[r] !== undefined);
    let help = rule === undefined ? undefined : RULE_HELP[rule];
    if (error.message.startsWith("expected a declaration")) help = STATEMENT_START_HELP;
    const stray = token.tokenType === T.RCurly || token.tokenType === T.RParen;
    if (stray && error.message.startsWith("unexpected"))
      help = `this \`${token.image}\` closes nothing`;
    if (valid) {
      let index = countBelow(starts, start);
      while (tokens[index] !== token && index < tokens.length) index++;
      help = lineHelp(tokens, index, text) ?? help;
    }
    out.push(diagnostic("E0001", error.message, { file: path, start, end }, help ? { help } : {}));
  }
  return out;
}

const OPERATORS = [T.AdditiveOperator, T.MultiplicativeOperator];
const isOperator = (t: IToken | undefined): boolean =>
  t !== undefined && OPERATORS.some((type) => tokenMatcher(t, type));
const endOf = (t: IToken): number => t.startOffset + t.image.length;

/** How many tokens of a line, and characters of its text, a help looks at. */
const MAX_SHOWN_TOKENS = 200;
const MAX_SHOWN_CHARS = 120;

/**
 * Help for a syntax error at `tokens[at]` that a common slip explains: a line starting with
 * a misspelt keyword (`gloabl`), or, on a region's line, with the line as it should be written:
 *   - the start is an expression (`a.end + 1 +16MB m`), but a start is a single term;
 *   - words follow the name (`+1TB m kernel text`), but a description is a quoted string.
 */
function lineHelp(tokens: readonly IToken[], at: number, text: string): string | undefined {
  const error = tokens[at];
  const isLineStart = (i: number) =>
    i === 0 || tokenMatcher(tokens[i - 1]!, T.End) || tokens[i - 1]!.tokenType === T.LCurly;
  let first = at;
  while (!isLineStart(first) && at - first < MAX_SHOWN_TOKENS) first--;
  const head = tokens[first];
  if (error === undefined || head === undefined || !isLineStart(first)) return undefined;
  if (head.tokenType === T.Identifier && at <= first + 1) {
    const keyword = suggestKeyword(head.image);
    if (keyword !== undefined) return TEXT.didYouMean(keyword);
  }
  const startsRegion =
    tokenMatcher(head, T.NumberLiteral) ||
    head.tokenType === T.Minus ||
    head.tokenType === T.LParen ||
    (head.tokenType === T.Identifier && !DOCUMENTED_WORDS.has(head.image));
  if (!startsRegion) return undefined;
  const endsLine = (t: IToken) => t.tokenType === T.Newline || t.tokenType === T.Semicolon;
  /** The text from `tokens[from]` to the line's end or `;` (comments dropped), cut short. */
  const restOfLine = (from: number): string => {
    let last = from;
    while (last + 1 < tokens.length && last - from < MAX_SHOWN_TOKENS)
      if (endsLine(tokens[last + 1]!)) break;
      else last++;
    while (last > from && tokenMatcher(tokens[last]!, T.End)) last--;
    const rest = text.slice(tokens[from]!.startOffset, endOf(tokens[last]!));
    return rest.length > MAX_SHOWN_CHARS ? `${rest.slice(0, MAX_SHOWN_CHARS)}...` : rest;
  };

  // The line's leading expression, [first, run): operands, operators, and brackets.
  let run = first;
  for (let depth = 0; run < tokens.length && run - first < MAX_SHOWN_TOKENS; run++) {
    const t = tokens[run]!;
    const previous = tokens[run - 1];
    if (tokenMatcher(t, T.End)) break;
    if (t.tokenType === T.LParen) depth++;
    else if (t.tokenType === T.RParen) depth--;
    else if (depth > 0 || isOperator(t) || t.tokenType === T.Dot) continue;
    else if (tokenMatcher(t, T.NumberLiteral) || tokenMatcher(t, T.Unit)) continue;
    else if (!tokenMatcher(t, T.Name)) break;
    // A name is an operand at the start, after an operator or after a `.`.
    else if (!(run === first || isOperator(previous) || previous?.tokenType === T.Dot)) break;
  }
  /** The indices in [from, to) outside parentheses whose token passes `test`. */
  const topLevel = (from: number, to: number, test: (i: number) => boolean): number[] => {
    const found: number[] = [];
    for (let i = from, depth = 0; i < to; i++) {
      const type = tokens[i]!.tokenType;
      if (type === T.LParen) depth++;
      else if (type === T.RParen) depth--;
      else if (depth === 0 && test(i)) found.push(i);
    }
    return found;
  };
  if (at <= run) {
    // The size's `+` is the last one; without one, a range operator ends the start.
    const split =
      topLevel(first, run, (i) => tokens[i]!.tokenType === T.Plus).at(-1) ??
      (run < tokens.length && tokenMatcher(tokens[run]!, T.RangeOperator) ? run : undefined);
    const binary = (i: number) => i > first && isOperator(tokens[i]) && !isOperator(tokens[i - 1]);
    if (split !== undefined && topLevel(first, split, binary).length > 0) {
      const start = text.slice(head.startOffset, endOf(tokens[split - 1]!));
      const fixed = `(${start}) ${restOfLine(split)}`;
      return `a region's start is a single term: put the start expression in parentheses, \`${fixed}\``;
    }
  }

  // Words after the name: up to a body, a string or the end of the statement.
  if (at - 1 > first && isWordToken(error) && tokenMatcher(tokens[at - 1]!, T.Name)) {
    let last = at;
    const inWords = (t: IToken) =>
      !tokenMatcher(t, T.End) && t.tokenType !== T.LCurly && t.tokenType !== T.StringLiteral;
    while (last + 1 < tokens.length && last - at < MAX_SHOWN_TOKENS && inWords(tokens[last + 1]!))
      last++;
    const before = text.slice(head.startOffset, error.startOffset);
    const words = text.slice(error.startOffset, endOf(tokens[last]!));
    const after = last + 1 < tokens.length && !tokenMatcher(tokens[last + 1]!, T.End);
    const fixed = `${before}"${words}"${after ? ` ${restOfLine(last + 1)}` : ""}`;
    return `a description is a quoted string: \`${fixed}\``;
  }
  return undefined;
}

/** How many of the sorted `values` are below `x`. */
const countBelow = (values: ArrayLike<number>, x: number): number =>
  partitionPoint(values.length, (i) => values[i]! >= x);

// ---------------------------------------------------------------- final pass

const clamp = (span: Span, length: number): Span => {
  const start = Math.min(Math.max(0, span.start), length);
  return { file: span.file, start, end: Math.min(Math.max(start, span.end), length) };
};

/**
 * Sorts, caps the count and clamps spans into the text; the last diagnostic shown notes how
 * many were left out (with the `omitted` ones that were never built), and carries `notes`
 * (such as "parsing stopped").
 */
function finish(
  diagnostics: readonly Diagnostic[],
  omitted: number,
  textLength: number,
  max: number,
  notes: readonly string[],
): Diagnostic[] {
  return capDiagnostics(sortDiagnostics(diagnostics), Math.max(1, max), {
    total: diagnostics.length + omitted,
    omitted: "this-file",
    notes,
  }).map((d) => ({
    ...d,
    span: d.span && clamp(d.span, textLength),
    labels: d.labels.map((l) => ({ ...l, span: clamp(l.span, textLength) })),
  }));
}
