/**
 * The vmlayout grammar: ONE reused Chevrotain `CstParser` (docs/language.md).
 *
 * Shape of the grammar, and why:
 *   - Every statement list is `MANY(statement)` with `statement := item? End`. The End token is
 *     mandatory, so after an error inside an item the parser re-synchronises at the end of the
 *     line; src/compiler/parse.ts inserts a `VirtualEnd` before every `}` and at the end of input, so
 *     `{ user }` and a last line without a newline need no special case.
 *   - The grammar is a superset of valid specs (any item anywhere, `paging EXPR`, any name
 *     after `perm`, `cache`, `allow`, `map`); the AST builder and resolver reject the extras.
 *   - A region's start is a single term (`unary`), so in `S +Z` the `+` is not an addition;
 *     the size after `+` is a `multiplicative` expression (`+32 * 4KB`).
 *   - `align A` is an attribute and `align A +Z` a relative placement: a statement that starts
 *     with `align` is a placement iff it has a `+` outside parentheses (`alignStartsRegion`).
 *   - `offset` and `size` are not reserved (`r.size`, `param p: size`): a statement that starts
 *     with one of them is a documented-value attribute unless a `.` or `..` follows it
 *     (`nameStartsAttribute`), so a child region starting at a constant of that name
 *     must parenthesise it: `(size) +4KB`. Another name followed by at most one word is read
 *     as an attribute too, so that a misspelt one (`gloabl`) is reported by the AST builder
 *     and does not derail recovery in a block.
 *   - No rule recurses except through `(` or `{`, whose depth src/compiler/parse.ts bounds before
 *     parsing, so the parser cannot overflow the stack. Unary minus is a loop, not recursion.
 */
import type {
  ILookaheadStrategy,
  IParserErrorMessageProvider,
  IRecognitionException,
  IToken,
  TokenType,
} from "chevrotain";
import { closest } from "../src/diagnostics/suggest.js";
import { CstParser, EOF, tokenMatcher } from "./chevrotain.js";
import type { ExpressionCstNode, StatementCstNode } from "./generated/cst.js";
import { LOOKAHEAD } from "./generated/lookahead.js";
import { PrecomputedLookahead } from "./lookahead.js";
import * as T from "./tokens.js";

// ---------------------------------------------------------------- error messages

/** Printable, short, no backticks: source text as it may appear in a message. */
export function showImage(image: string): string {
  const cleaned = [...image.slice(0, 24)]
    .map((ch) => {
      const code = ch.codePointAt(0)!;
      return code < 0x20 || code === 0x7f || code === 0x60 || (code >= 0xd800 && code <= 0xdfff)
        ? `\\u{${code.toString(16)}}`
        : ch;
    })
    .join("");
  return image.length > 24 ? `${cleaned}...` : cleaned;
}

/** How a token type is named in a message: `` `layout` ``, "a name", "end of line". */
export function describeTokenType(type: TokenType): string {
  if (type === EOF) return "end of file";
  if (typeof type.PATTERN === "string") return `\`${type.PATTERN}\``;
  if (tokenMatcher({ tokenType: type, tokenTypeIdx: type.tokenTypeIdx } as IToken, T.Unit))
    return "a size unit";
  return type.LABEL ?? type.name;
}

/** How a found token is named in a message. */
export function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return "end of file";
  // A virtual end stands in front of a `}` (image "}") or at the end of input (image "").
  if (token.tokenType === T.VirtualEnd) return token.image === "}" ? "`}`" : "end of file";
  if (token.tokenType === T.Newline) return "end of line";
  return `\`${showImage(token.image)}\``;
}

/** The words of the documented-value attributes (contextual: not reserved). */
export const DOCUMENTED_WORDS: ReadonlySet<string> = new Set(["offset", "size"]);

/** The words a statement can start with: keywords and the documented-value attributes. */
export const STATEMENT_WORDS: readonly string[] = [
  ...Object.values(T.Kw).map((type) => String(type.PATTERN)),
  ...DOCUMENTED_WORDS,
];

export const STATEMENT_START_HELP =
  "a statement starts with a declaration (`layout`, `const`, ...), an attribute or a region placement";

/** The keyword or attribute that `word` most likely misspells, if any (`gloabl`: `global`). */
export function suggestKeyword(word: string): string | undefined {
  return word.length < 3 ? undefined : closest(word, STATEMENT_WORDS, word.length >= 5 ? 2 : 1);
}

/** What a rule expects, where a list of first tokens would be noise. */
const EXPECTED_IN_RULE: Record<string, string> = {
  item: "a declaration, an attribute or a region",
  statement: "a declaration, an attribute or a region",
  placement: "a region placement (`START +SIZE`, `START .. END`, `START ..< END`, `+SIZE`)",
  primary: "a number, a name or `(`",
  unary: "a number, a name or `(`",
  kaslrItem: "`range`, `align`, `members` or `may_overlap`",
  attribute: "an attribute",
};

function listOf(types: TokenType[]): string {
  const names = [...new Set(types.map(describeTokenType))];
  if (names.length <= 1) return names[0] ?? "something else";
  const shown = names.slice(0, 6);
  const rest = names.length > 6 ? ", ..." : "";
  return `${shown.slice(0, -1).join(", ")}${rest} or ${shown[shown.length - 1]}`;
}

/**
 * Thrown (from the message provider, the one hook Chevrotain calls for every error) when a
 * parse exceeds its error budget. Chevrotain's recovery re-enters repetitions recursively,
 * so an input made of nothing but errors would otherwise cost stack depth and time per error.
 */
export class TooManySyntaxErrors extends Error {}

let errorBudget = Number.POSITIVE_INFINITY;

function spendError(): void {
  if (--errorBudget < 0) throw new TooManySyntaxErrors("too many syntax errors");
}

/** Keywords and units cannot be names; say so when one appears where a name could. */
const reservedNote = (token: IToken): string =>
  tokenMatcher(token, T.Keyword) || tokenMatcher(token, T.Unit) ? " (a reserved word)" : "";

const isCloser = (token: IToken) => token.tokenType === T.RCurly || token.tokenType === T.RParen;

export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    spendError();
    if (expected === EOF || (expected === T.End && isCloser(actual)))
      return `unexpected ${describeToken(actual)}`;
    // Nothing can start a statement here. A block's `}` is only ever expected where a
    // statement could start (statements end with an End token); a statement's End is, when
    // the previous token ended a statement or opened a block.
    const atStatementStart =
      expected === T.RCurly
        ? actual.tokenType !== EOF && !(actual.tokenType === T.VirtualEnd && actual.image === "")
        : expected === T.End &&
          (previous === undefined ||
            previous.tokenType === EOF ||
            previous.tokenType === T.LCurly ||
            tokenMatcher(previous, T.End));
    if (atStatementStart) {
      const kaslr = ruleName === "kaslrStatement" || ruleName === "kaslrDecl";
      return `expected ${EXPECTED_IN_RULE[kaslr ? "kaslrItem" : "item"]}, found ${describeToken(actual)}`;
    }
    const note = expected === T.Identifier ? reservedNote(actual) : "";
    return `expected ${describeTokenType(expected)}, found ${describeToken(actual)}${note}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    spendError();
    return `unexpected ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    spendError();
    const expected =
      EXPECTED_IN_RULE[ruleName] ?? listOf(expectedPathsPerAlt.flat().map((path) => path[0]!));
    return `expected ${expected}, found ${describeToken(actual[0]!)}${reservedNote(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual }) {
    spendError();
    const expected = listOf(expectedIterationPaths.map((path) => path[0]!));
    return `expected at least one ${expected.replace(/^an? /, "")}, found ${describeToken(actual[0]!)}`;
  },
};

// ---------------------------------------------------------------- the grammar

export interface ParserOptions {
  /** Check the grammar (ambiguities, left recursion...): scripts/gen-grammar.ts does, once. */
  readonly validate?: boolean;
  /** Default: the lookahead recorded in grammar/generated/lookahead.ts. */
  readonly lookahead?: ILookaheadStrategy;
}

export class VmLayoutParser extends CstParser {
  constructor(options: ParserOptions = {}) {
    super(T.parserTokens as TokenType[], {
      // Spans are offsets; lines and columns are computed from them when a message is shown.
      nodeLocationTracking: "onlyOffset",
      recoveryEnabled: true,
      errorMessageProvider,
      skipValidations: options.validate !== true,
      lookaheadStrategy: options.lookahead ?? new PrecomputedLookahead(LOOKAHEAD, T.parserTokens),
    });
    this.performSelfAnalysis();
  }

  /**
   * Never invent a statement end: with `a b` on one line, deleting `b` (or re-synchronising
   * at the line's end) is better recovery than splitting the line into two statements.
   */
  protected override canTokenTypeBeInsertedInRecovery(tokType: TokenType): boolean {
    return tokType !== T.End;
  }

  /**
   * A statement starting with a name is an attribute iff it is `offset`/`size` as above, or
   * another name followed by at most one name or size (`gloabl`, `mpa ram`, `aling 4KB`):
   * a misspelt attribute, which the AST builder reports, and which must not derail the rest
   * of a block. A region placed at a name goes on with `+`, `.`, `..` or `(`.
   */
  private nameStartsAttribute(): boolean {
    const next = this.LA(2);
    if (DOCUMENTED_WORDS.has(this.LA(1).image))
      return next.tokenType !== T.Dot && !tokenMatcher(next, T.RangeOperator);
    if (tokenMatcher(next, T.End)) return true;
    if (tokenMatcher(next, T.Name)) return tokenMatcher(this.LA(3), T.End);
    if (!tokenMatcher(next, T.NumberLiteral)) return false;
    let after = 3;
    while (tokenMatcher(this.LA(after), T.Unit)) after++;
    return tokenMatcher(this.LA(after), T.End);
  }

  /** A statement starting with `align` is a placement iff a `+` follows outside parentheses. */
  private alignStartsRegion(): boolean {
    let depth = 0;
    for (let i = 2; ; i++) {
      const token = this.LA(i);
      const type = token.tokenType;
      if (type === EOF || tokenMatcher(token, T.End) || type === T.LCurly || type === T.RCurly)
        return false;
      if (type === T.LParen) depth++;
      else if (type === T.RParen) depth = Math.max(0, depth - 1);
      else if (type === T.Plus && depth === 0) return true;
    }
  }

  public file = this.RULE("file", () => {
    this.MANY(() => this.SUBRULE(this.statement));
  });

  /** An optional item and its mandatory end (newline, `;`, or virtual end before `}` / EOF). */
  public statement = this.RULE("statement", () => {
    this.OPTION(() => this.SUBRULE(this.item));
    this.CONSUME(T.End);
  });

  public item = this.RULE("item", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.layoutDecl) },
      { ALT: () => this.SUBRULE(this.includeDecl) },
      { ALT: () => this.SUBRULE(this.pagingDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.paramDecl) },
      { ALT: () => this.SUBRULE(this.requireDecl) },
      { ALT: () => this.SUBRULE(this.variantDecl) },
      { ALT: () => this.SUBRULE(this.axisDecl) },
      { ALT: () => this.SUBRULE(this.whenDecl) },
      { ALT: () => this.SUBRULE(this.excludeDecl) },
      { ALT: () => this.SUBRULE(this.kaslrDecl) },
      { ALT: () => this.SUBRULE(this.repeatDecl) },
      { ALT: () => this.SUBRULE(this.fnDecl) },
      {
        // `align A +Z` is a placement; a flag word followed by more than the statement's end
        // (`user.limit +4KB x`) starts a region whose placement names a region `user`.
        GATE: () =>
          (this.LA(1).tokenType !== T.Kw.align || !this.alignStartsRegion()) &&
          (this.LA(1).tokenType !== T.Identifier || this.nameStartsAttribute()) &&
          !(tokenMatcher(this.LA(1), T.Flag) && !tokenMatcher(this.LA(2), T.End)),
        ALT: () => this.SUBRULE(this.attribute),
        IGNORE_AMBIGUITIES: true,
      },
      { ALT: () => this.SUBRULE(this.regionDecl), IGNORE_AMBIGUITIES: true },
    ]);
  });

  /** `{` statements `}`: the body of a region, variant or repeat. */
  public block = this.RULE("block", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RCurly);
  });

  // ---------------------------------------------------------------- declarations

  public layoutDecl = this.RULE("layoutDecl", () => {
    this.CONSUME(T.Kw.layout);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: "description" }));
  });

  public includeDecl = this.RULE("includeDecl", () => {
    this.CONSUME(T.Kw.include);
    this.CONSUME(T.StringLiteral, { LABEL: "path" });
  });

  public pagingDecl = this.RULE("pagingDecl", () => {
    this.CONSUME(T.Kw.paging);
    this.SUBRULE(this.expression, { LABEL: "levels" });
  });

  public constDecl = this.RULE("constDecl", () => {
    this.CONSUME(T.Kw.const);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
    this.OPTION(() => this.SUBRULE(this.exportClause));
    this.OPTION2(() => this.CONSUME(T.StringLiteral, { LABEL: "description" }));
  });

  public paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(T.Kw.param);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Identifier, { LABEL: "type" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: "default" });
    this.CONSUME(T.Kw.in);
    this.SUBRULE(this.rangeExpr);
    this.OPTION(() => {
      this.CONSUME(T.Kw.align);
      this.SUBRULE2(this.expression, { LABEL: "align" });
    });
    this.OPTION2(() => this.SUBRULE(this.exportClause));
    this.OPTION3(() => this.CONSUME(T.StringLiteral, { LABEL: "description" }));
  });

  /** `require LEFT <= RIGHT "why"`: a linear fact among parameters. */
  public requireDecl = this.RULE("requireDecl", () => {
    this.CONSUME(T.Kw.require);
    this.SUBRULE(this.expression, { LABEL: "left" });
    this.CONSUME(T.Comparison);
    this.SUBRULE2(this.expression, { LABEL: "right" });
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: "description" }));
  });

  /** `MIN .. MAX` (inclusive) or `START ..< END` (half-open). */
  public rangeExpr = this.RULE("rangeExpr", () => {
    this.SUBRULE(this.expression, { LABEL: "start" });
    this.CONSUME(T.RangeOperator);
    this.SUBRULE2(this.expression, { LABEL: "end" });
  });

  public variantDecl = this.RULE("variantDecl", () => {
    this.CONSUME(T.Kw.variant);
    this.CONSUME(T.StringLiteral, { LABEL: "name" });
    this.SUBRULE(this.block);
  });

  /**
   * `axis NAME { variant "A" { ... } ... }`: one dimension of the spec's variants. Its name is
   * only a label, so a reserved word reads as one (`axis paging`).
   */
  public axisDecl = this.RULE("axisDecl", () => {
    this.CONSUME(T.Kw.axis);
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) },
      { ALT: () => this.CONSUME(T.Keyword, { LABEL: "name" }) },
    ]);
    this.SUBRULE(this.block);
  });

  /** `when "A+B" { ... }`: items of every variant that combines the values named. */
  public whenDecl = this.RULE("whenDecl", () => {
    this.CONSUME(T.Kw.when);
    this.CONSUME(T.StringLiteral, { LABEL: "combination" });
    this.SUBRULE(this.block);
  });

  /** `exclude "A+B" ["reason"]`: no variant combines the values named. */
  public excludeDecl = this.RULE("excludeDecl", () => {
    this.CONSUME(T.Kw.exclude);
    this.CONSUME(T.StringLiteral, { LABEL: "combination" });
    this.OPTION(() => this.CONSUME2(T.StringLiteral, { LABEL: "reason" }));
  });

  public kaslrDecl = this.RULE("kaslrDecl", () => {
    this.CONSUME(T.Kw.kaslr);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.kaslrStatement));
    this.CONSUME(T.RCurly);
  });

  public kaslrStatement = this.RULE("kaslrStatement", () => {
    this.OPTION(() => this.SUBRULE(this.kaslrItem));
    this.CONSUME(T.End);
  });

  public kaslrItem = this.RULE("kaslrItem", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Kw.range);
          this.SUBRULE(this.rangeExpr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Kw.align);
          this.SUBRULE(this.expression);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Kw.members);
          this.AT_LEAST_ONE(() => this.CONSUME(T.Name, { LABEL: "names" }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Kw.may_overlap);
          this.AT_LEAST_ONE2(() => this.CONSUME2(T.Name, { LABEL: "names" }));
        },
      },
    ]);
  });

  public repeatDecl = this.RULE("repeatDecl", () => {
    this.CONSUME(T.Kw.repeat);
    this.SUBRULE(this.expression, { LABEL: "count" });
    this.OPTION(() => {
      this.CONSUME(T.Kw.as);
      this.CONSUME(T.Identifier, { LABEL: "index" });
    });
    this.SUBRULE(this.block);
  });

  /** `fn kv4addr(l4, l3, l2, l1) = (-1 << 47) | (l4 << 39) | ...` */
  public fnDecl = this.RULE("fnDecl", () => {
    this.CONSUME(T.Kw.fn);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: "params" }) });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: "body" });
  });

  // ---------------------------------------------------------------- regions

  /** `PLACEMENT [KIND] [NAME] ["description"] [{ ... }]` */
  public regionDecl = this.RULE("regionDecl", () => {
    this.SUBRULE(this.placement);
    this.OPTION(() => this.SUBRULE(this.regionKind));
    this.OPTION2(() => this.CONSUME(T.Name, { LABEL: "name" }));
    this.OPTION3(() => this.CONSUME(T.StringLiteral, { LABEL: "description" }));
    this.OPTION4(() => this.SUBRULE(this.block));
  });

  /** `S +Z`, `S .. E`, `S ..< E`, `S +Z .. E`, `+Z`, `.. E`, `..< E`, `align A +Z`. */
  public placement = this.RULE("placement", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Kw.align);
          this.SUBRULE(this.multiplicative, { LABEL: "align" });
          this.SUBRULE(this.sizeClause);
        },
      },
      { ALT: () => this.SUBRULE2(this.sizeClause) },
      { ALT: () => this.SUBRULE(this.endClause) },
      {
        ALT: () => {
          this.SUBRULE(this.unary, { LABEL: "start" });
          this.OR2([
            { ALT: () => this.SUBRULE3(this.sizeClause) },
            { ALT: () => this.SUBRULE2(this.endClause) },
          ]);
        },
      },
    ]);
  });

  /** `+Z [.. E]` */
  public sizeClause = this.RULE("sizeClause", () => {
    this.CONSUME(T.Plus);
    this.SUBRULE(this.multiplicative, { LABEL: "size" });
    this.OPTION(() => this.SUBRULE(this.endClause));
  });

  /** `.. E` (inclusive) or `..< E` (exclusive) */
  public endClause = this.RULE("endClause", () => {
    this.CONSUME(T.RangeOperator);
    this.SUBRULE(this.expression, { LABEL: "end" });
  });

  public regionKind = this.RULE("regionKind", () => {
    this.CONSUME(T.RegionKind);
  });

  // ---------------------------------------------------------------- attributes

  public attribute = this.RULE("attribute", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.mapAttr) },
      { ALT: () => this.SUBRULE(this.permAttr) },
      { ALT: () => this.SUBRULE(this.cacheAttr) },
      { ALT: () => this.SUBRULE(this.maxPageAttr) },
      { ALT: () => this.SUBRULE(this.alignAttr) },
      { ALT: () => this.SUBRULE(this.exportClause) },
      { ALT: () => this.SUBRULE(this.allowAttr) },
      { ALT: () => this.SUBRULE(this.flagAttr) },
      { ALT: () => this.SUBRULE(this.documentedAttr) },
    ]);
  });

  /** `map ram`, `map none`, `map recursive`, `map phys EXPR` */
  public mapAttr = this.RULE("mapAttr", () => {
    this.CONSUME(T.Kw.map);
    this.CONSUME(T.Identifier, { LABEL: "source" });
    this.OPTION(() => this.SUBRULE(this.expression, { LABEL: "base" }));
  });

  public permAttr = this.RULE("permAttr", () => {
    this.CONSUME(T.Kw.perm);
    this.CONSUME(T.Identifier, { LABEL: "value" });
  });

  public cacheAttr = this.RULE("cacheAttr", () => {
    this.CONSUME(T.Kw.cache);
    this.CONSUME(T.Identifier, { LABEL: "value" });
  });

  public maxPageAttr = this.RULE("maxPageAttr", () => {
    this.CONSUME(T.Kw.max_page);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  public alignAttr = this.RULE("alignAttr", () => {
    this.CONSUME(T.Kw.align);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  /** `export NAME`: an attribute, and the C name of a `const` or `param`. */
  public exportClause = this.RULE("exportClause", () => {
    this.CONSUME(T.Kw.export);
    this.CONSUME(T.Identifier, { LABEL: "name" });
  });

  /** `allow CHECK "reason"` */
  public allowAttr = this.RULE("allowAttr", () => {
    this.CONSUME(T.Kw.allow);
    this.CONSUME(T.Identifier, { LABEL: "check" });
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: "reason" }));
  });

  /** `user`, `global`, `per_process`, `shared`, `exhaustive` */
  public flagAttr = this.RULE("flagAttr", () => {
    this.CONSUME(T.Flag);
  });

  /**
   * `offset [~][+]EXPR`, `size [~][+]EXPR`: a number the document states (`~`: roughly). The
   * value is optional here so that a missing one gets its own message (the AST builder's).
   */
  public documentedAttr = this.RULE("documentedAttr", () => {
    this.CONSUME(T.Identifier, { LABEL: "what" });
    this.OPTION(() => this.CONSUME(T.Tilde, { LABEL: "approximate" }));
    this.OPTION2(() => this.CONSUME(T.Plus, { LABEL: "sign" }));
    this.OPTION3(() => this.SUBRULE(this.expression, { LABEL: "value" }));
  });

  // ---------------------------------------------------------------- expressions

  /** C's precedence, loosest first: `|`, `^`, `&`, shifts, `+ -`, `* /`, unary `- ~`. */
  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.bitOr);
  });

  public bitOr = this.RULE("bitOr", () => {
    this.SUBRULE(this.bitXor, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.Pipe, { LABEL: "operators" });
      this.SUBRULE2(this.bitXor, { LABEL: "operands" });
    });
  });

  public bitXor = this.RULE("bitXor", () => {
    this.SUBRULE(this.bitAnd, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.Caret, { LABEL: "operators" });
      this.SUBRULE2(this.bitAnd, { LABEL: "operands" });
    });
  });

  public bitAnd = this.RULE("bitAnd", () => {
    this.SUBRULE(this.shift, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.Ampersand, { LABEL: "operators" });
      this.SUBRULE2(this.shift, { LABEL: "operands" });
    });
  });

  public shift = this.RULE("shift", () => {
    this.SUBRULE(this.additive, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.ShiftOperator, { LABEL: "operators" });
      this.SUBRULE2(this.additive, { LABEL: "operands" });
    });
  });

  public additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.AdditiveOperator, { LABEL: "operators" });
      this.SUBRULE2(this.multiplicative, { LABEL: "operands" });
    });
  });

  public multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.MultiplicativeOperator, { LABEL: "operators" });
      this.SUBRULE2(this.unary, { LABEL: "operands" });
    });
  });

  /** (`-` | `~`)* primary: a loop, so 20,000 minus signs cannot overflow the stack. */
  public unary = this.RULE("unary", () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.CONSUME(T.Minus, { LABEL: "prefixes" }) },
        { ALT: () => this.CONSUME(T.Tilde, { LABEL: "prefixes" }) },
      ]),
    );
    this.SUBRULE(this.primary);
  });

  public primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.sizeLiteral) },
      { ALT: () => this.SUBRULE(this.reference) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
    ]);
  });

  /** A number and its units: `64TB`, `0.5 TB`, `16M TB` (stacked units multiply). */
  public sizeLiteral = this.RULE("sizeLiteral", () => {
    this.CONSUME(T.NumberLiteral, { LABEL: "number" });
    this.MANY(() => this.CONSUME(T.Unit, { LABEL: "units" }));
  });

  /** `name`, `region.start`, or a call `align_up(x, 2MB)`. */
  public reference = this.RULE("reference", () => {
    this.CONSUME(T.Name, { LABEL: "head" });
    this.OPTION(() => this.SUBRULE(this.arguments));
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Identifier, { LABEL: "properties" });
    });
  });

  public arguments = this.RULE("arguments", () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(T.RParen);
  });

  public parenExpr = this.RULE("parenExpr", () => {
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
  });
}

/** The one parser instance. Use `parseStatement`, or set `parser.input` and call a rule. */
export const parser = new VmLayoutParser();

export interface StatementParse {
  /** Undefined when the parse stopped because it ran out of error budget. */
  readonly cst: StatementCstNode | undefined;
  readonly errors: readonly IRecognitionException[];
}

/**
 * Parses one top-level statement (`tokens` ends with its End token) with at most `maxErrors`
 * syntax errors. Parsing a file statement by statement is `file := { statement }`, with the
 * memory of one statement's CST at a time instead of the whole file's.
 */
export function parseStatement(tokens: IToken[], maxErrors: number): StatementParse {
  parser.input = tokens;
  errorBudget = maxErrors;
  try {
    const cst = parser.statement() as StatementCstNode;
    return { cst, errors: parser.errors };
  } catch (error) {
    if (error instanceof TooManySyntaxErrors) return { cst: undefined, errors: parser.errors };
    throw error;
  } finally {
    errorBudget = Number.POSITIVE_INFINITY;
  }
}

/**
 * Parses `tokens` (no End token) as one expression: a number or an address on the command
 * line, read as a spec reads one. Input left over is a syntax error.
 */
export function parseExpression(tokens: IToken[]): {
  readonly cst: ExpressionCstNode;
  readonly errors: readonly IRecognitionException[];
} {
  parser.input = tokens;
  const cst = parser.expression() as ExpressionCstNode;
  return { cst, errors: parser.errors };
}
