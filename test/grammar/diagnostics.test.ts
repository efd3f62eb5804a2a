/** Bad input: every syntax code, recovery, limits, and inputs that must never break the parser. */
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

const at = (text: string, d: Diagnostic) => text.slice(d.span!.start, d.span!.end);

const CLEAN = `layout clean "no errors here"
paging 4
const size = 64TB
0000000000000000 +128TB user_space { user }
ffff888000000000 +size direct_map "direct map" { map ram; perm rw }
`;

describe("each syntax code", () => {
  it("a clean file has no diagnostics", () => {
    expect(parse(CLEAN).diagnostics).toEqual([]);
  });

  it("E0001 unexpected token", () => {
    const text = "const = 5";
    const d = only(text);
    expect(d.code).toBe("E0001");
    expect(d.message).toBe("expected a name, found `=`");
    expect(at(text, d)).toBe("=");
    expect(only("const K = 5").message).toBe("expected a name, found `K` (a reserved word)");
    expect(only("0x1000 +4KB foo bar baz").message).toBe("expected end of line, found `bar`");
    expect(only("map foo").message).toBe("unknown mapping `foo` after `map`");
    expect(only("map foo").help).toBe(
      "write `map ram`, `map none`, `map alloc`, `map recursive` or `map phys ADDRESS`",
    );
    expect(only("map alloc 0x1000").message).toBe("`map alloc` takes no address");
    expect(only("offset").message).toBe("`offset` needs a value");
    expect(only("size ~").help).toContain("`size ~0.5MB`");
    expect(only("}").message).toBe("unexpected `}`");
    expect(only('"x"').message).toBe(
      'expected a declaration, an attribute or a region, found `"x"`',
    );
    expect(only('layout l "a\\qb"').message).toBe("unknown escape `\\q` in a string");
  });

  it("E0001 on a region's line shows the line as it should be written", () => {
    expect(only("a.end + 1 +16MB m {\n}").help).toBe(
      "a region's start is a single term: put the start expression in parentheses, `(a.end + 1) +16MB m {`",
    );
    expect(only("(a) - 1 ..< b.start m").help).toContain("`((a) - 1) ..< b.start m`");
    expect(only("align_up(a.end, 2MB) + 4KB +4KB m // c").help).toContain(
      "`(align_up(a.end, 2MB) + 4KB) +4KB m`",
    );
    expect(only('0 +4KB m kernel text; 0 +1 n "x"').help).toBe(
      'a description is a quoted string: `0 +4KB m "kernel text"`',
    );
    expect(only("0 +4KB hole unused 1 hole { user }").help).toContain(
      '`0 +4KB hole unused "1 hole" { user }`',
    );
    // Not a region's line: the rule's own help.
    expect(only("const a = 1 +2 b").help).toBe(
      "put one statement per line, or separate statements with `;`",
    );
  });

  it("E0001, E0004 and E0006 suggest the spelling meant", () => {
    expect(only("gloabl").help).toBe("did you mean `global`?");
    expect(only("max_pgae 2MB").help).toBe("did you mean `max_page`?");
    expect(only("0 +4KB a b c").help).not.toMatch(/did you mean/);
    expect(only("0 +1tb r").help).toBe("units are case-sensitive: write `1TB`");
    expect(only("0 +4kb r").help).toBe("units are case-sensitive: write `4KB`");
    expect(only("0 \u2013 0xfff r").help).toMatch(/^an en dash is not `\.\.`/);
  });

  it("E0002 unterminated string", () => {
    const text = 'layout l "Linux x86-64\npaging 4';
    const d = only(text);
    expect(d.code).toBe("E0002");
    expect(at(text, d)).toBe('"Linux x86-64');
    expect(codes('layout l "a \\" b"')).toEqual([]);
  });

  it("E0003 unterminated block comment", () => {
    const text = "paging 4\n/* open\nconst a = 1";
    const d = only(text);
    expect(d.code).toBe("E0003");
    expect(at(text, d)).toBe("/*");
    expect(codes("/* closed */ paging 4")).toEqual([]);
  });

  it("E0004 invalid character", () => {
    const text = "# comment\npaging 4";
    const d = only(text);
    expect(d.code).toBe("E0004");
    expect(d.message).toBe("invalid character `#`");
    expect(at(text, d)).toBe("#");
    expect(only("paging 4 \u0000\u0001").message).toBe(
      "invalid character U+0000 (and 1 more characters that start no token)",
    );
    expect(codes('layout l "# and \u0000 are fine in strings" // and in comments: #')).toEqual([]);
  });

  it("E0005 bad literal", () => {
    for (const [text, message] of [
      ["const a = 0xZZ", "malformed number `0xZZ`"],
      ["const a = 0x", "malformed number `0x`"],
      ["const a = 1e6", "malformed number `1e6`"],
      ["const a = 0x1.5", "malformed number `0x1.5`"],
      ["const a = 0xFFFFFFFF.FB80000", "malformed number `0xFFFFFFFF.FB80000`"],
      ["const a = 12ffff888000000000", "malformed number `12ffff888000000000`"],
      ["const a = 1_", "malformed number `1_`"],
      ["const a = ffff88800000000", "`ffff88800000000` looks like a hex address but has 15 digits"],
      [
        "const a = ffff8880000000000",
        "`ffff8880000000000` looks like a hex address but has 17 digits",
      ],
      ["const a = 000080000000000", "decimal number `000080000000000` has a leading zero"],
      ["const a = 00008000000000000", "decimal number `00008000000000000` has a leading zero"],
      ["const a = " + "1".repeat(70), "number is too long (70 digits)"],
    ] as const) {
      const d = only(text);
      expect(d.code, text).toBe("E0005");
      expect(d.message, text).toBe(message);
    }
    expect(codes("const a = 0x10KB + 0.5 + deadbeef + ffff888000000000")).toEqual([]);
  });

  it("E0006 unknown unit, with the units in the help", () => {
    const text = "fffffe0000000000 +64XB cpu_entry_area";
    const d = only(text);
    expect(d.code).toBe("E0006");
    expect(d.message).toBe("unknown unit `XB` in `64XB`");
    expect(at(text, d)).toBe("64XB");
    expect(d.help).toContain("K, KB, kB, KiB");
    expect(only("const s = 16MTB").message).toBe("unknown unit `MTB` in `16MTB`");
    expect(codes("const s = 16M TB")).toEqual([]);
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
