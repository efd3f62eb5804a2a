/**
 * Bad input: recovery, limits, and inputs that must never break the parser. Each syntax code
 * with its messages, spans and help is a UI case in test/ui/E00 (test/ui.test.ts).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, parseSpec } from "../../src/compiler/parse.js";
import type { Item } from "../../src/compiler/ast.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";

const parse = (text: string) => parseSpec(text, "bad.layout");
const codes = (text: string) => parse(text).diagnostics.map((d) => d.code);

/** The one diagnostic of `text`, checked for the shared rules of message style. */
function only(text: string): Diagnostic {
  const { diagnostics } = parse(text);
  expect(diagnostics).toHaveLength(1);
  const d = diagnostics[0]!;
  expect(d.message).toMatch(/^[a-z`]/);
  expect(d.message).not.toMatch(/\.$/);
  expect(d.span?.file).toBe("bad.layout");
  expect(d.help).toBeTruthy();
  return d;
}

const CLEAN = `layout clean "no errors here"
paging 4
const size = 64TB
0000000000000000 +128TB user_space { user }
ffff888000000000 +size direct_map "direct map" { map ram; perm rw }
`;

describe("syntax codes through the parser API", () => {
  it("a clean file has no diagnostics", () => {
    expect(parse(CLEAN).diagnostics).toEqual([]);
  });

  it("E0004 control characters: one diagnostic for the run", () => {
    expect(only("paging 4 \u0000\u0001").message).toBe(
      "invalid character U+0000 (and 1 more characters that start no token)",
    );
    expect(codes('layout l "# and \u0000 are fine in strings" // and in comments: #')).toEqual([]);
  });

  it("E0007 input too large", () => {
    const d = only("x".repeat(DEFAULT_LIMITS.maxChars + 1));
    expect(d.code).toBe("E0007");
    expect(d.span).toEqual({ file: "bad.layout", start: 0, end: 0 });
    expect(parseSpec("paging 4", "t", { maxChars: 3 }).diagnostics[0]?.code).toBe("E0007");
    expect(parseSpec("paging 4", "t", { maxChars: 8 }).diagnostics).toEqual([]);
  });

  it("E0008 nesting too deep", () => {
    const depth = DEFAULT_LIMITS.maxNesting;
    const parens = (n: number) => `const a = ${"(".repeat(n)}1${")".repeat(n)}`;
    const braces = (n: number) => `0 +1 r ${"{\n+1 r ".repeat(n)}${"\n}".repeat(n)}`;
    expect(codes(parens(depth))).toEqual([]);
    expect(codes(braces(depth))).toEqual([]);
    expect(only(parens(depth + 1)).code).toBe("E0008");
    expect(only(braces(depth + 1)).code).toBe("E0008");
    expect(only(`const a = ${"-".repeat(1000)}1`).code).toBe("E0008");
    expect(only(`const a = ${"1 + ".repeat(1000)}1`).code).toBe("E0008");
  });
});

describe("recovery", () => {
  const text = [
    "layout broken",
    "const = 5", // E0001
    "paging 4",
    "0x1000 +4KB foo bar baz", // E0001, once for the line
    "param x = 3", // E0001
    "const ok = 1",
    "ffff888000000000 +64XB direct_map { map ram; perm }", // E0006, E0001
    "const z = 0xZZ", // E0005
    "0 +4KB last",
  ].join("\n");

  it("reports several errors in one file, one per statement", () => {
    expect(codes(text)).toEqual(["E0001", "E0001", "E0001", "E0006", "E0001", "E0005"]);
  });

  it("keeps the statements around the errors", () => {
    const names = parse(text).value.ast.items.map((item) =>
      "name" in item && item.name && "name" in item.name ? item.name.name : item.kind,
    );
    expect(names).toEqual(["broken", "paging", "foo", "ok", "direct_map", "z", "last"]);
  });

  it("recovers inside bodies and continues after them", () => {
    const { value, diagnostics } = parse(
      "0 +1 r {\n  map\n  user\n  + 2 3 4\n  global\n}\nconst a = 1",
    );
    expect(diagnostics.map((d) => d.code)).toEqual(["E0001", "E0001"]);
    const r = value.ast.items[0]!;
    // `+ 2` is a complete child region; only the rest of its line is dropped.
    expect(r.kind === "region" && r.body.map((a) => a.kind)).toEqual([
      "attr-flag",
      "region",
      "attr-flag",
    ]);
    expect(value.ast.items[1]?.kind).toBe("const");
  });

  it("closes a block whose `}` is missing before the first line indented no deeper", () => {
    const text = [
      "0 +1 a {",
      "  0 +1 r {",
      "    user",
      "",
      "  +1 s",
      "+1 b",
      'variant "v" {',
      "  +1 c",
      "",
    ].join("\n");
    const { value, diagnostics } = parse(text);
    expect(diagnostics.map((d) => [d.code, d.message, d.span!.start])).toEqual([
      ["E0001", "`{` is never closed", text.indexOf("{")],
      ["E0001", "`{` is never closed", text.indexOf("r {") + 2],
      ["E0001", "`{` is never closed", text.indexOf('" {') + 2],
    ]);
    const shape = (items: readonly Item[]): unknown[] =>
      items.map((i) =>
        i.kind === "region"
          ? [i.name?.name, shape(i.body)]
          : i.kind === "variant"
            ? [i.kind, shape(i.items)]
            : i.kind,
      );
    expect(shape(value.ast.items)).toEqual([
      [
        "a",
        [
          ["r", ["attr-flag"]],
          ["s", []],
        ],
      ],
      ["b", []],
      ["variant", [["c", []]]],
    ]);
  });

  it("a misspelt attribute in a body is reported once and the body goes on", () => {
    const { value, diagnostics } = parse("0 +1 r {\n  gloabl\n  aling 2MB\n  user\n}\n0 +1 s");
    expect(diagnostics.map((d) => [d.message, d.help])).toEqual([
      ["unknown attribute `gloabl`", "did you mean `global`?"],
      ["unknown attribute `aling`", "did you mean `align`?"],
    ]);
    const r = value.ast.items[0]!;
    expect(r.kind === "region" && r.body.map((a) => a.kind)).toEqual(["attr-flag"]);
    expect(value.ast.items).toHaveLength(2);
  });

  it("caps the diagnostics and says how many were left out", () => {
    const { diagnostics } = parse("# not a comment\n".repeat(150));
    expect(diagnostics).toHaveLength(DEFAULT_LIMITS.maxDiagnostics);
    expect(diagnostics.at(-1)!.notes.join(" ")).toMatch(
      /more diagnostics in this file are not shown/,
    );
  });

  it("stops parsing after too many syntax errors, with a note", () => {
    const { diagnostics } = parse(") ".repeat(50) + "\nconst = 1\n".repeat(200));
    expect(diagnostics.length).toBeLessThanOrEqual(DEFAULT_LIMITS.maxDiagnostics);
    expect(diagnostics.at(-1)!.notes.join(" ")).toMatch(/parsing stopped after/);
  });
});

describe("hostile input", () => {
  const withinBudget = (text: string, ms = 2000) => {
    const start = performance.now();
    const { value, diagnostics } = parse(text);
    expect(performance.now() - start).toBeLessThan(ms);
    for (const d of diagnostics) {
      expect(d.code).toMatch(/^E000[1-8]$/);
      expect(d.span!.start).toBeGreaterThanOrEqual(0);
      expect(d.span!.end).toBeLessThanOrEqual(text.length);
      expect(d.span!.start).toBeLessThanOrEqual(d.span!.end);
    }
    return { value, diagnostics };
  };

  it("random binary bytes, NUL and lone surrogates", () => {
    let seed = 1;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const bytes = Array.from({ length: 200_000 }, () => String.fromCharCode(next() % 256)).join("");
    expect(withinBudget(bytes).diagnostics.length).toBeGreaterThan(0);
    const utf16 = Array.from({ length: 200_000 }, () => String.fromCharCode(next() % 65536)).join(
      "",
    );
    expect(withinBudget(utf16).diagnostics.length).toBeGreaterThan(0);
    expect(withinBudget("\u0000\ud800\udfff\ud800 paging 4").diagnostics.length).toBeGreaterThan(0);
  });

  it("20,000 nested parentheses, braces and minus signs", () => {
    for (const text of [
      `const a = ${"(".repeat(20_000)}1${")".repeat(20_000)}`,
      `0 +1 r ${"{ +1 r ".repeat(20_000)}${"}".repeat(20_000)}`,
      "{".repeat(20_000),
      `const a = ${"f(".repeat(20_000)}`,
      `const a = ${"-".repeat(20_000)}1`,
    ])
      expect(withinBudget(text).diagnostics.map((d) => d.code)).toEqual(["E0008"]);
  });

  it("pathological runs: garbage tokens, unclosed strings and comments, huge literals", () => {
    withinBudget(") } , : = .. + ".repeat(100_000));
    withinBudget('"abc\n'.repeat(100_000));
    withinBudget("/*".repeat(100_000));
    withinBudget("1".repeat(1_000_000));
    withinBudget("f".repeat(1_000_000));
    withinBudget("align ".repeat(100_000));
    withinBudget("0 +1 r {\n" + "} ) ( {\n".repeat(20_000));
  });

  it("a 10 MB spec parses completely (with the input and token limits raised)", () => {
    const line =
      'ffff888000000000 +64TB direct_map "direct mapping" { map ram; perm rw; max_page 1GB }\n';
    const text = line.repeat(Math.ceil(10_000_000 / line.length));
    const { value, diagnostics } = parseSpec(text, "big.layout", {
      maxChars: text.length,
      maxTokens: text.length,
    });
    expect(diagnostics).toEqual([]);
    expect(value.ast.items).toHaveLength(Math.ceil(10_000_000 / line.length));
  });
});
