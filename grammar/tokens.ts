/**
 * Tokens of the vmlayout language (docs/language.md, "Lexical structure").
 *
 * Invariants the parser and the AST builder rely on:
 *   - `allTokens` is in match priority order: Chevrotain takes the FIRST pattern that matches,
 *     not the longest, so number forms come in the documented order, multi-character
 *     punctuation before its prefixes, and keywords longest first (`include` before `in`).
 *   - Keywords and units use `longer_alt: Identifier`, so `regions` or `Kernel` stay names.
 *   - Hex number forms refuse to stop in the middle of a hex run (`(?![0-9A-Fa-f_])`), but may be
 *     followed directly by a letter, so `64TB` lexes as number + unit. A number glued to a word
 *     that is not a unit (`64XB`, `0xZZ`) is diagnosed after lexing (src/compiler/parse.ts).
 *   - Comments are in the "comments" group (kept for the formatter); unterminated strings and
 *     comments are in the "errors" group and reported as E0002 / E0003; runs of characters that
 *     start no token are in the "invalid" group and reported as E0004 (the lexer itself never
 *     reports an error).
 *   - Tokens carry offsets only (`startOffset`, `endOffset`), no lines or columns.
 *   - Newlines and `;` are statement ends (category `End`); other whitespace is skipped.
 */
import type { ILexingResult, IToken, TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

// ---------------------------------------------------------------- categories

/** Statement end: a newline, `;`, or an end inserted before `}` and at end of input. */
export const End = createToken({ name: "End", pattern: Lexer.NA, label: "end of line" });
export const Keyword = createToken({ name: "Keyword", pattern: Lexer.NA, label: "a keyword" });
export const RegionKind = createToken({
  name: "RegionKind",
  pattern: Lexer.NA,
  label: "a region kind",
});
/** Attribute keywords that stand alone: `user`, `global`, `per_process`, `shared`, `exhaustive`. */
export const Flag = createToken({ name: "Flag", pattern: Lexer.NA, label: "an attribute" });
export const Unit = createToken({ name: "Unit", pattern: Lexer.NA, label: "a size unit" });
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: Lexer.NA,
  label: "a number",
});
/** The hex forms that only ever spell addresses: GayBSD pair, Solaris dotted, 16-digit bare hex. */
export const AddressLiteral = createToken({
  name: "AddressLiteral",
  pattern: Lexer.NA,
  label: "an address",
});
export const AdditiveOperator = createToken({
  name: "AdditiveOperator",
  pattern: Lexer.NA,
  label: "`+` or `-`",
});
export const MultiplicativeOperator = createToken({
  name: "MultiplicativeOperator",
  pattern: Lexer.NA,
  label: "`*` or `/`",
});
/** `<<` or `>>`: C's shifts. */
export const ShiftOperator = createToken({
  name: "ShiftOperator",
  pattern: Lexer.NA,
  label: "`<<` or `>>`",
});
/** `<=`, `>=`, `==`, `<`, `>`: the relation of a `require` constraint. */
export const Comparison = createToken({
  name: "Comparison",
  // A shift (`<<`, `>>`) must come before this token in `allTokens`, or it lexes as two.
  pattern: /<=|>=|==|<|>/,
  start_chars_hint: ["<", ">", "="],
  label: "a comparison (`<=`, `>=`, `==`, `<` or `>`)",
});
/** `..` (inclusive end) or `..<` (exclusive end). */
export const RangeOperator = createToken({
  name: "RangeOperator",
  pattern: Lexer.NA,
  label: "`..` or `..<`",
});

// ---------------------------------------------------------------- scanners

/*
 * Hand-written matchers for the tokens that can be as long as the input. A regex that repeats a
 * group, such as `(?:_?[0-9])*`, keeps a backtracking entry per iteration, and V8 throws a
 * RangeError ("Maximum call stack size exceeded") past a few million: these scan in a loop.
 * Each returns the match as `exec` would (Chevrotain reads `[0]`), or null.
 */

const isDecimalDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Whether `c` (a UTF-16 code unit) is a hex digit. */
const isHexDigit = (c: number): boolean =>
  isDecimalDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/**
 * The end of a run of digits from `i`, `_` allowed only between two digits (`1_000`), or -1 if
 * no digit is at `i`.
 */
function digitRun(text: string, i: number, isDigit: (c: number) => boolean): number {
  if (!isDigit(text.charCodeAt(i))) return -1;
  for (i++; ; i++) {
    if (isDigit(text.charCodeAt(i))) continue;
    if (text.charCodeAt(i) === 95 /* _ */ && isDigit(text.charCodeAt(i + 1))) continue;
    return i;
  }
}

/** `128`, `0.5`, `1_000`: a `.` belongs to the number only if a digit follows it. */
function matchDecimal(text: string, offset: number): [string] | null {
  const end = digitRun(text, offset, isDecimalDigit);
  if (end < 0) return null;
  const fraction =
    text.charCodeAt(end) === 46 /* . */ ? digitRun(text, end + 1, isDecimalDigit) : -1;
  return [text.slice(offset, fraction < 0 ? end : fraction)];
}

/** `0x` and a run of hex digits, `_` between them. */
function matchHex(text: string, offset: number): [string] | null {
  if (text.charCodeAt(offset) !== 48 /* 0 */ || (text.charCodeAt(offset + 1) | 32) !== 120 /* x */)
    return null;
  const end = digitRun(text, offset + 2, isHexDigit);
  return end < 0 ? null : [text.slice(offset, end)];
}

/**
 * A string from the `"` at `offset`: the closed string (`closed`) or the string left open at the
 * end of its line or of the input (not `closed`; it keeps a final `\`). A `\` escapes the next
 * character, except a line end.
 */
function matchString(text: string, offset: number, closed: boolean): [string] | null {
  if (text.charCodeAt(offset) !== 34 /* " */) return null;
  let i = offset + 1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return closed ? [text.slice(offset, i + 1)] : null;
    if (c === 10 || c === 13) break;
    if (c === 92 /* \ */) {
      const next = text.charCodeAt(i + 1);
      if (next === 10 || next === 13 || i + 1 === text.length) {
        i++;
        break;
      }
      i++;
    }
  }
  return closed ? null : [text.slice(offset, i)];
}

/** `/* ... *\/`, not nested; an unclosed one is UnterminatedBlockComment. */
function matchBlockComment(text: string, offset: number): [string] | null {
  if (!text.startsWith("/*", offset)) return null;
  const end = text.indexOf("*/", offset + 2);
  return end < 0 ? null : [text.slice(offset, end + 2)];
}

// ---------------------------------------------------------------- trivia

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\f\v\ufeff]+/,
  group: Lexer.SKIPPED,
});
export const Newline = createToken({
  name: "Newline",
  pattern: /\r\n?|\n/,
  line_breaks: true,
  categories: End,
  label: "end of line",
});
/** Never produced by the lexer: inserted before `}` and at end of input (src/compiler/parse.ts). */
export const VirtualEnd = createToken({
  name: "VirtualEnd",
  pattern: Lexer.NA,
  categories: End,
  label: "end of statement",
});
export const LineComment = createToken({
  name: "LineComment",
  pattern: /\/\/[^\r\n]*/,
  group: "comments",
});
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: { exec: matchBlockComment },
  start_chars_hint: ["/"],
  line_breaks: true,
  group: "comments",
});
/** `/*` with no closing `*\/`: runs to the end of the input (E0003). */
export const UnterminatedBlockComment = createToken({
  name: "UnterminatedBlockComment",
  pattern: /\/\*[\s\S]*/,
  line_breaks: true,
  group: "errors",
});
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: { exec: (text, offset) => matchString(text, offset, true) },
  start_chars_hint: ['"'],
  line_breaks: false,
  label: "a string",
});
/** `"` with no closing quote on its line (E0002). */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: { exec: (text, offset) => matchString(text, offset, false) },
  start_chars_hint: ['"'],
  line_breaks: false,
  group: "errors",
});

// ---------------------------------------------------------------- numbers, in documented order

/** At most 20 characters: enough to reject a longer run, and never a scan of a huge run. */
const HEX_RUN = /[0-9A-Fa-f_]{0,20}/y;

/**
 * Bare hex: exactly 16 hex digits; `_` only between digits and every `_`-separated group at
 * least 4 digits long (`FFFF_FF80_0000_0000`), so `1_000_000_000_000_000` stays decimal as
 * docs/language.md promises. A custom matcher because that rule is awkward as a regex.
 *
 * It is tried at every name and number that starts with a hex digit, so the common case, a
 * run of 16 digits and no `_`, is decided by a plain scan; runs with `_` take the slow path.
 */
function matchBareHex(text: string, offset: number): [string] | null {
  let end = offset;
  while (end < text.length && end - offset < 17 && isHexDigit(text.charCodeAt(end))) end++;
  if (end - offset === 17 || text.charCodeAt(end) !== 95 /* _ */) {
    // Too many digits, or a run without `_`: a match iff exactly 16 digits.
    return end - offset === 16 ? [text.slice(offset, end)] : null;
  }
  HEX_RUN.lastIndex = offset;
  const run = HEX_RUN.exec(text)?.[0] ?? "";
  if (run.length < 16 || run.length > 19) return null;
  const groups = run.split("_");
  if (groups.some((g) => g.length < 4)) return null;
  return groups.join("").length === 16 ? [run] : null;
}

/** `ffff8000 00000000`: exactly 8 hex digits, ONE space, exactly 8 hex digits. */
export const GayBsdPair = createToken({
  name: "GayBsdPair",
  pattern: /[0-9A-Fa-f]{8} [0-9A-Fa-f]{8}(?![0-9A-Fa-f_])/,
  categories: [NumberLiteral, AddressLiteral],
  label: "a number",
});
/** `0xFFFFFFFF.FB800000` */
export const SolarisDotted = createToken({
  name: "SolarisDotted",
  pattern: /0[xX][0-9A-Fa-f]{8}\.[0-9A-Fa-f]{8}(?![0-9A-Fa-f_])/,
  categories: [NumberLiteral, AddressLiteral],
  label: "a number",
});
/** `0xFFFF_FF80_0000_0000` */
export const HexLiteral = createToken({
  name: "HexLiteral",
  pattern: { exec: matchHex },
  start_chars_hint: ["0"],
  line_breaks: false,
  categories: NumberLiteral,
  label: "a number",
});
/** `ffff888000000000`: always hex, even if every digit is decimal. */
export const BareHex = createToken({
  name: "BareHex",
  pattern: { exec: matchBareHex },
  start_chars_hint: [..."0123456789abcdefABCDEF"],
  line_breaks: false,
  categories: [NumberLiteral, AddressLiteral],
  label: "a number",
});
/** `128`, `0.5`, `1_000`: exact decimal. A `.` is a fraction only if a digit follows. */
export const DecimalLiteral = createToken({
  name: "DecimalLiteral",
  pattern: { exec: matchDecimal },
  start_chars_hint: [..."0123456789"],
  line_breaks: false,
  categories: NumberLiteral,
  label: "a number",
});

// ---------------------------------------------------------------- punctuation

const punct = (name: string, text: string, categories: TokenType[] = []): TokenType =>
  createToken({ name, pattern: text, label: text, categories });

export const DotDotLess = punct("DotDotLess", "..<", [RangeOperator]);
export const DotDot = punct("DotDot", "..", [RangeOperator]);
export const Dot = punct("Dot", ".");
export const Plus = punct("Plus", "+", [AdditiveOperator]);
export const Minus = punct("Minus", "-", [AdditiveOperator]);
export const Star = punct("Star", "*", [MultiplicativeOperator]);
export const Slash = punct("Slash", "/", [MultiplicativeOperator]);
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LCurly = punct("LCurly", "{");
export const RCurly = punct("RCurly", "}");
export const Comma = punct("Comma", ",");
export const Colon = punct("Colon", ":");
export const Equals = punct("Equals", "=");
export const Semicolon = punct("Semicolon", ";", [End]);
/** `~`: C's bitwise complement, and an approximate documented value (`size ~0.5MB`). */
export const Tilde = punct("Tilde", "~");
/** `<<` and `>>` after `..<` in the token order, so `..<` still lexes as one token. */
export const ShiftLeft = punct("ShiftLeft", "<<", [ShiftOperator]);
export const ShiftRight = punct("ShiftRight", ">>", [ShiftOperator]);
export const Ampersand = punct("Ampersand", "&");
export const Caret = punct("Caret", "^");
export const Pipe = punct("Pipe", "|");

// ---------------------------------------------------------------- names, keywords, units

/**
 * Anything that can name a region: identifiers, and the attribute flags (`user`, `global`,
 * ...), which read naturally as names and are told apart from attributes by what follows.
 */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, label: "a name" });

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  label: "a name",
  categories: [Name],
});

const keyword = (word: string, categories: TokenType[] = []): TokenType =>
  createToken({
    name: `Kw_${word}`,
    pattern: word,
    label: word,
    longer_alt: Identifier,
    categories: [Keyword, ...categories],
  });

export const Kw = {
  layout: keyword("layout"),
  include: keyword("include"),
  paging: keyword("paging"),
  const: keyword("const"),
  param: keyword("param"),
  require: keyword("require"),
  variant: keyword("variant"),
  axis: keyword("axis"),
  when: keyword("when"),
  exclude: keyword("exclude"),
  kaslr: keyword("kaslr"),
  repeat: keyword("repeat"),
  as: keyword("as"),
  in: keyword("in"),
  export: keyword("export"),
  align: keyword("align"),
  range: keyword("range"),
  members: keyword("members"),
  may_overlap: keyword("may_overlap"),
  map: keyword("map"),
  perm: keyword("perm"),
  cache: keyword("cache"),
  max_page: keyword("max_page"),
  allow: keyword("allow"),
  fn: keyword("fn"),
  region: keyword("region", [RegionKind]),
  hole: keyword("hole", [RegionKind]),
  guard: keyword("guard", [RegionKind]),
  noncanonical: keyword("noncanonical", [RegionKind]),
  user: keyword("user", [Flag, Name]),
  global: keyword("global", [Flag, Name]),
  per_process: keyword("per_process", [Flag, Name]),
  shared: keyword("shared", [Flag, Name]),
  exhaustive: keyword("exhaustive", [Flag, Name]),
} as const;

/** Longest first, so a keyword is never matched as a prefix of a longer keyword. */
export const keywordTokens: readonly TokenType[] = Object.values(Kw).sort(
  (a, b) => String(b.PATTERN).length - String(a.PATTERN).length,
);

const unit = (name: string, pattern: RegExp, label: string): TokenType =>
  createToken({ name, pattern, label, longer_alt: Identifier, categories: Unit });

/** One token per power of two; alternatives longest first (`KiB` before `K`). */
export const Units = {
  B: unit("Unit_B", /B/, "B"),
  K: unit("Unit_K", /KiB|KB|kB|K/, "K"),
  M: unit("Unit_M", /MiB|MB|M/, "M"),
  G: unit("Unit_G", /GiB|GB|G/, "G"),
  T: unit("Unit_T", /TiB|TB|T/, "T"),
  P: unit("Unit_P", /PiB|PB|P/, "P"),
  E: unit("Unit_E", /EiB|EB|E/, "E"),
} as const;

/** log2 of each unit's multiplier (1 KB = 2^10 B). */
export const unitShift: ReadonlyMap<TokenType, bigint> = new Map([
  [Units.B, 0n],
  [Units.K, 10n],
  [Units.M, 20n],
  [Units.G, 30n],
  [Units.T, 40n],
  [Units.P, 50n],
  [Units.E, 60n],
]);

/** Every unit spelling, for help texts. */
export const UNIT_SPELLINGS =
  "B; K, KB, kB, KiB; M, MB, MiB; G, GB, GiB; T, TB, TiB; P, PB, PiB; E, EB, EiB";

// ---------------------------------------------------------------- invalid characters

/**
 * The characters some token can start with: whitespace, line ends, `/` `"`, digits, letters,
 * `_`, and the punctuation. Each of them alone is a token or the start of one, so a position
 * starts a token exactly when its character is in this set (test/perf/binary-input.test.ts
 * checks this against the patterns above: keep it in step when adding a token).
 */
const TOKEN_START = ' \t\f\v\ufeff\r\n/"0-9A-Za-z_.+\\-*(){},:=;~&^|<>';

/**
 * The code units that start no token, for the lexer's first-character table. Chevrotain keeps
 * one entry per code unit below 256 and one per bucket of 255 above (`charCodeToOptimizedIndex`),
 * and every bucket above holds such code units, so one code per bucket says what all ~65,000
 * would, at a fraction of the start-up cost (test/perf/binary-input.test.ts checks every code
 * unit against a lexer without this token).
 */
function nonStartCodes(): number[] {
  const starts = new RegExp(`[${TOKEN_START}]`);
  const codes: number[] = [];
  for (let c = 0; c < 256; c++) if (!starts.test(String.fromCharCode(c))) codes.push(c);
  for (let c = 256; c <= 0xffff; c = (Math.floor(c / 255) + 1) * 255) codes.push(c);
  return codes;
}

/**
 * A run of characters that start no token: E0004 (src/compiler/parse.ts). Chevrotain's own error
 * recovery finds the same runs, but by trying every pattern at every character of a run, which
 * on 10 MB of binary input takes seconds; as a token (the last pattern, so it only matches where
 * no other does) the run is one match.
 */
const NON_START_RUN = new RegExp(`[^${TOKEN_START}]+`, "y");

function matchInvalid(text: string, offset: number): [string] | null {
  NON_START_RUN.lastIndex = offset;
  return NON_START_RUN.test(text) ? [text.slice(offset, NON_START_RUN.lastIndex)] : null;
}

export const InvalidCharacters = createToken({
  name: "InvalidCharacters",
  pattern: { exec: matchInvalid },
  start_chars_hint: nonStartCodes(),
  line_breaks: false,
  group: "invalid",
});

// ---------------------------------------------------------------- the lexer

/** Lexer token order (= match priority). */
export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  Newline,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  StringLiteral,
  UnterminatedString,
  GayBsdPair,
  SolarisDotted,
  HexLiteral,
  BareHex,
  DecimalLiteral,
  DotDotLess,
  DotDot,
  Dot,
  Plus,
  Minus,
  Star,
  Slash,
  LParen,
  RParen,
  LCurly,
  RCurly,
  Comma,
  Colon,
  ShiftLeft,
  ShiftRight,
  Comparison,
  Equals,
  Semicolon,
  Tilde,
  Ampersand,
  Caret,
  Pipe,
  ...keywordTokens,
  ...Object.values(Units),
  Identifier,
  InvalidCharacters,
];

/** Every token type the parser knows, categories and the virtual end included. */
export const parserTokens: readonly TokenType[] = [
  End,
  Keyword,
  RegionKind,
  Flag,
  Name,
  Unit,
  NumberLiteral,
  AddressLiteral,
  AdditiveOperator,
  MultiplicativeOperator,
  ShiftOperator,
  RangeOperator,
  VirtualEnd,
  ...allTokens,
];

/**
 * The lexer tracks offsets only: lines and columns are computed from offsets where a message
 * needs them (src/diagnostics/source.ts), and tracking them costs more than half of the lexing
 * time of a big input. Chevrotain's offset-only tokens have no `endOffset`, which the parser's
 * node locations and the AST's spans need; this subclass creates every token with it (in the
 * object literal itself, which is half the memory of adding the property afterwards). It
 * replaces the method Chevrotain's constructor installs for `positionTracking: "onlyOffset"`;
 * the check below fails loudly if a Chevrotain update stops calling it.
 */
class OffsetLexer extends Lexer {
  /** Tokens (comments included) `tokenizeWithin` still allows. */
  budget = Number.POSITIVE_INFINITY;

  createOffsetOnlyToken(
    image: string,
    startOffset: number,
    tokenTypeIdx: number,
    tokenType: TokenType,
  ): IToken {
    if (--this.budget < 0) throw new TooManyTokens(startOffset);
    return {
      image,
      startOffset,
      endOffset: startOffset + image.length - 1,
      tokenTypeIdx,
      tokenType,
    } as IToken;
  }
}

/** Chevrotain's checks of the token definitions run in a test (test/grammar/artifacts.test.ts), not at every start. */
export const LEXER_CONFIG = {
  positionTracking: "onlyOffset",
  ensureOptimizations: true,
  skipValidations: true,
} as const;

export const lexer = new OffsetLexer(allTokens as TokenType[], LEXER_CONFIG);

if (lexer.tokenize("ab").tokens[0]?.endOffset !== 1)
  throw new Error("internal error: the lexer's tokens have no end offset (Chevrotain changed?)");

/** Thrown out of Chevrotain's lexing loop, which cannot be stopped otherwise. */
class TooManyTokens {
  constructor(readonly offset: number) {}
}

/**
 * `lexer.tokenize(text)`, or, when the text holds more than `maxTokens` tokens (comments
 * included), where the first token past the limit starts: lexing stops there, so the time and
 * memory spent are bounded by the limit, not by the input.
 */
export function tokenizeWithin(
  text: string,
  maxTokens: number,
): ILexingResult | { readonly tooManyAt: number } {
  lexer.budget = maxTokens;
  try {
    return lexer.tokenize(text);
  } catch (e) {
    if (e instanceof TooManyTokens) return { tooManyAt: e.offset };
    throw e;
  } finally {
    lexer.budget = Number.POSITIVE_INFINITY;
  }
}
