/** Lexical structure: number forms, units, names, keywords, comments, statement ends. */
import { describe, expect, it } from "vitest";
import { parseSpec } from "../../src/compiler/parse.js";
import { lexer } from "../../grammar/tokens.js";
import type { ConstDecl, Expr } from "../../src/compiler/ast.js";
import { rat, type Rational } from "../../src/model/rational.js";

/** Token type names of `text` (comments and whitespace excluded). */
const kinds = (text: string): string[] => lexer.tokenize(text).tokens.map((t) => t.tokenType.name);

/** The value of `text` as the whole right-hand side of a `const`; fails on any diagnostic. */
function valueOf(text: string): Rational {
  const { value, diagnostics } = parseSpec(`const x = ${text}`, "t.layout");
  expect(diagnostics).toEqual([]);
  const expr: Expr = (value.ast.items[0] as ConstDecl).value;
  expect(expr.kind).toBe("literal");
  return (expr as Extract<Expr, { kind: "literal" }>).value;
}

const KiB = 1n << 10n;
const TiB = 1n << 40n;

describe("number forms", () => {
  it.each([
    // GayBSD pair: 8 hex, one space, 8 hex
    ["ffff8000 00000000", 0xffff800000000000n, "GayBsdPair"],
    ["FFFFFFFF 80000000", 0xffffffff80000000n, "GayBsdPair"],
    // Solaris dotted
    ["0xFFFFFFFF.FB800000", 0xfffffffffb800000n, "SolarisDotted"],
    ["0x00000000.00001000", 0x1000n, "SolarisDotted"],
    // 0x hex with separators
    ["0x1000", 0x1000n, "HexLiteral"],
    ["0XABCdef", 0xabcdefn, "HexLiteral"],
    ["0xFFFF_FF80_0000_0000", 0xffffff8000000000n, "HexLiteral"],
    // bare hex: exactly 16 digits, groups of at least 4
    ["ffff888000000000", 0xffff888000000000n, "BareHex"],
    ["FFFF_FF80_0000_0000", 0xffffff8000000000n, "BareHex"],
    ["0000000000000000", 0n, "BareHex"],
    ["0000800000000000", 0x800000000000n, "BareHex"],
    ["1000000000000000", 0x1000000000000000n, "BareHex"], // hex even if all digits are decimal
    ["ffff8000_00000000", 0xffff800000000000n, "BareHex"],
    // decimal
    ["0", 0n, "DecimalLiteral"],
    ["128", 128n, "DecimalLiteral"],
    ["1_000", 1000n, "DecimalLiteral"],
    ["1_000_000_000_000_000", 10n ** 15n, "DecimalLiteral"], // 16 digits in groups of 3: decimal
  ])("%s", (text, expected, kind) => {
    expect(kinds(text)).toEqual([kind]);
    expect(valueOf(text)).toEqual(rat(expected));
  });

  it("decimals are exact rationals", () => {
    expect(valueOf("0.5")).toEqual(rat(1n, 2n));
    expect(valueOf("119.5")).toEqual(rat(239n, 2n));
    expect(valueOf("0.1")).toEqual(rat(1n, 10n));
    expect(valueOf("0.5TB")).toEqual(rat(TiB / 2n));
    expect(valueOf("119.5TB")).toEqual(rat(0x778000000000n));
  });

  it("names made of hex digits stay names unless they are exactly 16 digits", () => {
    expect(kinds("ffffabcd")).toEqual(["Identifier"]);
    expect(kinds("deadbeef")).toEqual(["Identifier"]);
    expect(kinds("ffff88800000000")).toEqual(["Identifier"]); // 15 digits
    expect(kinds("ffff8880000000000")).toEqual(["Identifier"]); // 17 digits
    expect(kinds("add_1234567890abcdef")).toEqual(["Identifier"]);
    expect(kinds("ffff888000000000_x")).toEqual(["Identifier"]);
  });
});

describe("units", () => {
  const units: [string, bigint][] = [
    ["B", 0n],
    ["K", 10n],
    ["KB", 10n],
    ["kB", 10n],
    ["KiB", 10n],
    ["M", 20n],
    ["MB", 20n],
    ["MiB", 20n],
    ["G", 30n],
    ["GB", 30n],
    ["GiB", 30n],
    ["T", 40n],
    ["TB", 40n],
    ["TiB", 40n],
    ["P", 50n],
    ["PB", 50n],
    ["PiB", 50n],
    ["E", 60n],
    ["EB", 60n],
    ["EiB", 60n],
  ];
  it.each(units)("unit %s", (unit, shift) => {
    expect(valueOf(`3${unit}`)).toEqual(rat(3n << shift));
    expect(valueOf(`3 ${unit}`)).toEqual(rat(3n << shift));
  });

  it("lexes number + unit with or without a space, and stacks units", () => {
    expect(kinds("64TB")).toEqual(["DecimalLiteral", "Unit_T"]);
    expect(kinds("0.5 TB")).toEqual(["DecimalLiteral", "Unit_T"]);
    expect(kinds("16M TB")).toEqual(["DecimalLiteral", "Unit_M", "Unit_T"]);
    expect(kinds("1520 MB")).toEqual(["DecimalLiteral", "Unit_M"]);
    expect(kinds("4 kB")).toEqual(["DecimalLiteral", "Unit_K"]);
    expect(kinds("4KB")).toEqual(["DecimalLiteral", "Unit_K"]);
    expect(valueOf("16M TB")).toEqual(rat(1n << 64n));
    expect(valueOf("64TB")).toEqual(rat(64n * TiB));
    expect(valueOf("1520 MB")).toEqual(rat(1520n << 20n));
    expect(valueOf("4 kB")).toEqual(rat(4n * KiB));
    expect(valueOf("0x10 KB")).toEqual(rat(16n * KiB));
    expect(valueOf("ffff888000000000 B")).toEqual(rat(0xffff888000000000n));
  });

  it("a unit is a prefix of a name only as a whole word", () => {
    expect(kinds("Kernel KBx Bar EiBs")).toEqual(Array(4).fill("Identifier"));
    expect(kinds("E0201")).toEqual(["Identifier"]);
  });
});

describe("punctuation, keywords and names", () => {
  it("tells `.`, `..`, `..<` and decimal fractions apart", () => {
    expect(kinds("0.5")).toEqual(["DecimalLiteral"]);
    expect(kinds("a.start")).toEqual(["Identifier", "Dot", "Identifier"]);
    expect(kinds("0..5")).toEqual(["DecimalLiteral", "DotDot", "DecimalLiteral"]);
    expect(kinds("a .. b ..< c")).toEqual([
      "Identifier",
      "DotDot",
      "Identifier",
      "DotDotLess",
      "Identifier",
    ]);
    expect(kinds("+ - * / ( ) { } , : = ;")).toEqual([
      "Plus",
      "Minus",
      "Star",
      "Slash",
      "LParen",
      "RParen",
      "LCurly",
      "RCurly",
      "Comma",
      "Colon",
      "Equals",
      "Semicolon",
    ]);
  });

  it("keywords are whole words, longest first", () => {
    expect(kinds("include in index regions region")).toEqual([
      "Kw_include",
      "Kw_in",
      "Identifier",
      "Identifier",
      "Kw_region",
    ]);
    expect(kinds("max_page may_overlap user_space")).toEqual([
      "Kw_max_page",
      "Kw_may_overlap",
      "Identifier",
    ]);
  });

  it("strings decode their escapes", () => {
    const { value, diagnostics } = parseSpec('layout l "a \\"b\\" \\\\ \\n \\t"', "t");
    expect(diagnostics).toEqual([]);
    const item = value.ast.items[0];
    expect(item?.kind === "layout" && item.description?.value).toBe('a "b" \\ \n \t');
  });
});

describe("trivia", () => {
  it("keeps comments in the comments group, not in the token stream", () => {
    const text = "// head\nconst a = 1 /* mid */ // tail\n/* multi\nline */";
    const lexed = lexer.tokenize(text);
    expect(lexed.groups["comments"]!.map((t) => t.image)).toEqual([
      "// head",
      "/* mid */",
      "// tail",
      "/* multi\nline */",
    ]);
    expect(lexed.tokens.some((t) => t.image.includes("/"))).toBe(false);
    const { value } = parseSpec(text, "t");
    expect(value.comments.map((t) => t.startOffset)).toEqual([0, 20, 30, 38]);
  });

  it("makes newlines significant and skips other whitespace", () => {
    expect(kinds("a \t b\r\nc\rd\n")).toEqual([
      "Identifier",
      "Identifier",
      "Newline",
      "Identifier",
      "Newline",
      "Identifier",
      "Newline",
    ]);
  });
});
