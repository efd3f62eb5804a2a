/** Every construct of docs/language.md, parsed to the expected AST shape, with spans. */
import { describe, expect, it } from "vitest";
import type { FileCstNode } from "../../grammar/generated/cst.js";
import { buildAst, lexSpec, parser, parseSpec } from "../../src/compiler/parse.js";
import type { BinaryExpr, Item, NameExpr, NegExpr } from "../../src/compiler/ast.js";
import type { Span } from "../../src/diagnostics/diagnostic.js";
import { rat } from "../../src/model/rational.js";

/** Recursively drops `span` fields, so shapes can be compared. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== "span")
        .map(([k, v]) => [k, strip(v)]),
    );
  return value;
}

/** Items of a file that must parse without diagnostics. */
function items(text: string): Item[] {
  const { value, diagnostics } = parseSpec(text, "spec.layout");
  expect(diagnostics).toEqual([]);
  return value.ast.items as Item[];
}

const shape = (text: string) => strip(items(text));
const id = (name: string) => ({ kind: "identifier", name });
const str = (value: string) => ({ kind: "string", value });
const lit = (n: bigint, d = 1n) => ({ kind: "literal", value: rat(n, d) });
const ref = (...path: string[]) => ({ kind: "name", path: path.map(id) });
const neg = (operand: object) => ({ kind: "neg", operand });
const bin = (op: string, left: object, right: object) => ({ kind: "binary", op, left, right });
const G = 1n << 30n;
const T = 1n << 40n;

/** A region with every optional field defaulted. */
function region(placement: object, extra: object = {}) {
  const p = {
    start: undefined,
    size: undefined,
    end: undefined,
    endInclusive: true,
    align: undefined,
    ...placement,
  };
  return {
    kind: "region",
    regionKind: "region",
    name: undefined,
    description: undefined,
    placement: p,
    body: [],
    ...extra,
  };
}

describe("declarations", () => {
  it("layout, include, paging, exhaustive", () => {
    expect(
      shape('layout linux_x86_64 "Linux x86-64"\ninclude "common.layout"\npaging 4\nexhaustive'),
    ).toEqual([
      { kind: "layout", name: id("linux_x86_64"), description: str("Linux x86-64") },
      { kind: "include", path: str("common.layout") },
      { kind: "paging", mode: lit(4n) },
      { kind: "attr-flag", flag: id("exhaustive") },
    ]);
    expect(shape("layout l")).toEqual([{ kind: "layout", name: id("l"), description: undefined }]);
  });

  it("const with export and description", () => {
    expect(shape('const kernel_image_size = 512MB export KERNEL_IMAGE_SIZE "doc"')).toEqual([
      {
        kind: "const",
        name: id("kernel_image_size"),
        value: lit(512n << 20n),
        exportName: id("KERNEL_IMAGE_SIZE"),
        description: str("doc"),
      },
    ]);
    expect(shape("const a = b")).toEqual([
      {
        kind: "const",
        name: id("a"),
        value: ref("b"),
        exportName: undefined,
        description: undefined,
      },
    ]);
  });

  it("param with range, align, export and description", () => {
    const text =
      'param kernel_end: address = -2GB in -2GB .. -1GB align 4KB export KERNEL_END "doc"\n' +
      "param n: count = 4 in 1 ..< 8";
    expect(shape(text)).toEqual([
      {
        kind: "param",
        name: id("kernel_end"),
        type: id("address"),
        default: neg(lit(2n * G)),
        range: { start: neg(lit(2n * G)), end: neg(lit(G)), endInclusive: true },
        align: lit(4096n),
        exportName: id("KERNEL_END"),
        description: str("doc"),
      },
      {
        kind: "param",
        name: id("n"),
        type: id("count"),
        default: lit(4n),
        range: { start: lit(1n), end: lit(8n), endInclusive: false },
        align: undefined,
        exportName: undefined,
        description: undefined,
      },
    ]);
  });

  it("require with each relation, and a description", () => {
    const text =
      'require a + b <= 2TB "shared"\nrequire a >= b\nrequire a == 1GB\nrequire a < b\nrequire a > 0';
    const req = (left: object, relation: string, right: object, description?: object) => ({
      kind: "require",
      left,
      relation,
      right,
      description,
    });
    expect(shape(text)).toEqual([
      req(bin("+", ref("a"), ref("b")), "<=", lit(2n * T), str("shared")),
      req(ref("a"), ">=", ref("b")),
      req(ref("a"), "==", lit(G)),
      req(ref("a"), "<", ref("b")),
      req(ref("a"), ">", lit(0n)),
    ]);
  });

  it("a comparison is one relation: `<<` is not one", () => {
    const { diagnostics } = parseSpec("require a << b", "spec.layout");
    expect(diagnostics.map((d) => d.code)).toEqual(["E0001"]);
  });

  it("variant and repeat hold items", () => {
    expect(
      shape('variant "5-level" {\n  paging 5\n}\nrepeat 7 as i { +4KB guard }\nrepeat 2 {}'),
    ).toEqual([
      { kind: "variant", name: str("5-level"), items: [{ kind: "paging", mode: lit(5n) }] },
      {
        kind: "repeat",
        count: lit(7n),
        index: id("i"),
        items: [region({ size: lit(4096n) }, { regionKind: "guard" })],
      },
      { kind: "repeat", count: lit(2n), index: undefined, items: [] },
    ]);
  });

  it("axis holds variants; when holds items; exclude names a combination and a reason", () => {
    expect(
      shape(
        'axis paging {\n  variant "la57" { paging 5 }\n}\n' +
          'when "la57+kasan" { paging 5 }\nexclude "la48+kmsan" "why"\nexclude "a"',
      ),
    ).toEqual([
      {
        kind: "axis",
        name: id("paging"),
        items: [{ kind: "variant", name: str("la57"), items: [{ kind: "paging", mode: lit(5n) }] }],
      },
      {
        kind: "when",
        combination: str("la57+kasan"),
        items: [{ kind: "paging", mode: lit(5n) }],
      },
      { kind: "exclude", combination: str("la48+kmsan"), reason: str("why") },
      { kind: "exclude", combination: str("a"), reason: undefined },
    ]);
  });

  it("kaslr groups", () => {
    const text =
      "kaslr memory { range lo ..< hi; align 1GB; members a b c; may_overlap kasan_shadow }\n" +
      "kaslr k {\n  range 0 .. 1TB\n}";
    expect(shape(text)).toEqual([
      {
        kind: "kaslr",
        name: id("memory"),
        items: [
          { kind: "kaslr-range", range: { start: ref("lo"), end: ref("hi"), endInclusive: false } },
          { kind: "kaslr-align", value: lit(G) },
          { kind: "kaslr-members", names: [id("a"), id("b"), id("c")] },
          { kind: "kaslr-may-overlap", names: [id("kasan_shadow")] },
        ],
      },
      {
        kind: "kaslr",
        name: id("k"),
        items: [
          { kind: "kaslr-range", range: { start: lit(0n), end: lit(T), endInclusive: true } },
        ],
      },
    ]);
  });
});

describe("expressions", () => {
  const expr = (text: string): unknown =>
    ((shape(`const x = ${text}`) as unknown[])[0] as { value: unknown }).value;

  it("precedence: unary minus, then * /, then + -, left associative", () => {
    expect(expr("1 + 2 * 3")).toEqual(bin("+", lit(1n), bin("*", lit(2n), lit(3n))));
    expect(expr("1 - 2 - 3")).toEqual(bin("-", bin("-", lit(1n), lit(2n)), lit(3n)));
    expect(expr("8 / 2 / 2")).toEqual(bin("/", bin("/", lit(8n), lit(2n)), lit(2n)));
    expect(expr("(1 + 2) * 3")).toEqual(bin("*", bin("+", lit(1n), lit(2n)), lit(3n)));
    expect(expr("-a * - -b")).toEqual(bin("*", neg(ref("a")), neg(neg(ref("b")))));
    expect(expr("-119.5TB")).toEqual(neg(lit(239n * T, 2n)));
  });

  it("C's operators: shifts below + -, then &, ^, |; unary ~ beside unary -", () => {
    const not = (operand: object) => ({ kind: "not", operand });
    expect(expr("1 + 2 << 3")).toEqual(bin("<<", bin("+", lit(1n), lit(2n)), lit(3n)));
    expect(expr("a | b ^ c & d >> 1")).toEqual(
      bin("|", ref("a"), bin("^", ref("b"), bin("&", ref("c"), bin(">>", ref("d"), lit(1n))))),
    );
    expect(expr("a & b & c")).toEqual(bin("&", bin("&", ref("a"), ref("b")), ref("c")));
    expect(expr("-~a * ~-b")).toEqual(bin("*", neg(not(ref("a"))), not(neg(ref("b")))));
  });

  it("fn declarations", () => {
    expect(shape("fn slot(n, shift) = n << shift\nfn zero() = 0")).toEqual([
      {
        kind: "fn",
        name: id("slot"),
        params: [id("n"), id("shift")],
        body: bin("<<", ref("n"), ref("shift")),
      },
      { kind: "fn", name: id("zero"), params: [], body: lit(0n) },
    ]);
  });

  it("names, properties and calls", () => {
    expect(expr("direct_map.start")).toEqual(ref("direct_map", "start"));
    expect(expr("r.end + r.size - r.limit")).toEqual(
      bin("-", bin("+", ref("r", "end"), ref("r", "size")), ref("r", "limit")),
    );
    expect(expr("align_up(x, 2MB)")).toEqual({
      kind: "call",
      callee: id("align_up"),
      args: [ref("x"), lit(2n << 20n)],
    });
    expect(expr("max(a, b, min(c))")).toEqual({
      kind: "call",
      callee: id("max"),
      args: [ref("a"), ref("b"), { kind: "call", callee: id("min"), args: [ref("c")] }],
    });
    expect(expr("f()")).toEqual({ kind: "call", callee: id("f"), args: [] });
  });
});

describe("regions", () => {
  it("every placement form", () => {
    expect(
      shape(
        [
          "ffff888000000000 +64TB direct_map",
          "0000800000000000 .. ffff7fffffffffff noncanonical",
          "a ..< b r1",
          "s +4KB .. e r2",
          "+32 * 4KB r3",
          ".. e r4",
          "..< e r5",
          "align 2MB +8KB r6",
          "-2GB +512MB kernel",
          "(a.end + 1) +4KB r7",
          "max(a, b) +1 r8",
        ].join("\n"),
      ),
    ).toEqual([
      region({ start: lit(0xffff888000000000n), size: lit(64n * T) }, { name: id("direct_map") }),
      region(
        { start: lit(0x800000000000n), end: lit(0xffff7fffffffffffn) },
        { regionKind: "noncanonical" },
      ),
      region({ start: ref("a"), end: ref("b"), endInclusive: false }, { name: id("r1") }),
      region({ start: ref("s"), size: lit(4096n), end: ref("e") }, { name: id("r2") }),
      region({ size: bin("*", lit(32n), lit(4096n)) }, { name: id("r3") }),
      region({ end: ref("e") }, { name: id("r4") }),
      region({ end: ref("e"), endInclusive: false }, { name: id("r5") }),
      region({ align: lit(2n << 20n), size: lit(8192n) }, { name: id("r6") }),
      region({ start: neg(lit(2n * G)), size: lit(512n << 20n) }, { name: id("kernel") }),
      region({ start: bin("+", ref("a", "end"), lit(1n)), size: lit(4096n) }, { name: id("r7") }),
      region(
        { start: { kind: "call", callee: id("max"), args: [ref("a"), ref("b")] }, size: lit(1n) },
        { name: id("r8") },
      ),
    ]);
  });

  it("kinds, optional names and descriptions", () => {
    expect(
      shape('0 +4KB hole\n0 +4KB guard g\n0 +4KB region r "d"\n0 +1 "only a description"'),
    ).toEqual([
      region({ start: lit(0n), size: lit(4096n) }, { regionKind: "hole" }),
      region({ start: lit(0n), size: lit(4096n) }, { regionKind: "guard", name: id("g") }),
      region({ start: lit(0n), size: lit(4096n) }, { name: id("r"), description: str("d") }),
      region({ start: lit(0n), size: lit(1n) }, { description: str("only a description") }),
    ]);
  });

  it("every attribute, newline- or `;`-separated, and child regions", () => {
    const text = [
      "0 +1GB r {",
      "  map ram; map none; map recursive",
      "  map phys 0x1000000",
      "  perm rwx; user; global; per_process; shared",
      "  cache uc_minus",
      "  max_page 2MB",
      "  align 4KB",
      "  export KERNEL_TEXT",
      '  allow overlap "shared with the fixmap"; allow E0201',
      "  exhaustive",
      "",
      "  +4KB child { user }",
      "  repeat 2 as i { +4KB c }",
      "}",
    ].join("\n");
    const [r] = shape(text) as { body: unknown[] }[];
    expect(r!.body).toEqual([
      { kind: "attr-map", source: { kind: "ram" } },
      { kind: "attr-map", source: { kind: "none" } },
      { kind: "attr-map", source: { kind: "recursive" } },
      { kind: "attr-map", source: { kind: "phys", base: lit(0x1000000n), decimal: false } },
      { kind: "attr-perm", value: id("rwx") },
      { kind: "attr-flag", flag: id("user") },
      { kind: "attr-flag", flag: id("global") },
      { kind: "attr-flag", flag: id("per_process") },
      { kind: "attr-flag", flag: id("shared") },
      { kind: "attr-cache", value: id("uc_minus") },
      { kind: "attr-max-page", value: lit(2n << 20n) },
      { kind: "attr-align", value: lit(4096n) },
      { kind: "attr-export", name: id("KERNEL_TEXT") },
      { kind: "attr-allow", check: id("overlap"), reason: str("shared with the fixmap") },
      { kind: "attr-allow", check: id("E0201"), reason: undefined },
      { kind: "attr-flag", flag: id("exhaustive") },
      region(
        { size: lit(4096n) },
        { name: id("child"), body: [{ kind: "attr-flag", flag: id("user") }] },
      ),
      {
        kind: "repeat",
        count: lit(2n),
        index: id("i"),
        items: [region({ size: lit(4096n) }, { name: id("c") })],
      },
    ]);
  });

  it("`align A` is an attribute, `align A +Z` a placement", () => {
    expect(shape("0 +1 r {\n  align (a + b)\n  align a * 2 +4KB c\n}")).toEqual([
      region(
        { start: lit(0n), size: lit(1n) },
        {
          name: id("r"),
          body: [
            { kind: "attr-align", value: bin("+", ref("a"), ref("b")) },
            region({ align: bin("*", ref("a"), lit(2n)), size: lit(4096n) }, { name: id("c") }),
          ],
        },
      ),
    ]);
  });

  it("`offset` and `size` are documented values unless `.` or `..` follows them", () => {
    const body = (text: string) =>
      (shape(`0 +1 r {\n${text}\n}`) as { body: unknown[] }[])[0]!.body;
    const documented = (what: string, approximate: boolean, value: object) => ({
      kind: "attr-documented",
      what,
      approximate,
      value,
    });
    expect(body("offset ~-11MB; size ~0.5MB; offset +128TB; size (2 * 4KB)")).toEqual([
      documented("offset", true, neg(lit(11n << 20n))),
      documented("size", true, lit(1n << 19n)),
      documented("offset", false, lit(128n * T)),
      documented("size", false, bin("*", lit(2n), lit(4096n))),
    ]);
    expect(body("size.limit +4KB a; offset .. 0x1fff b; (size) +4KB c")).toEqual([
      region({ start: ref("size", "limit"), size: lit(4096n) }, { name: id("a") }),
      region({ start: ref("offset"), end: lit(0x1fffn) }, { name: id("b") }),
      region({ start: ref("size"), size: lit(4096n) }, { name: id("c") }),
    ]);
    // Not reserved: still a parameter type, a property and a region name.
    expect(() => items("param p: size = 4KB in 4KB .. 8KB\n0 +p.size size")).not.toThrow();
  });

  it("parses the example of docs/language.md", () => {
    const text = `layout linux_x86_64 "Linux x86-64 virtual memory map"
paging 4

0000000000000000 +128TB        user_space   "user-space virtual memory, different per mm" { user }
0000800000000000 .. ffff7fffffffffff  noncanonical
ffff888000000000 +64TB         direct_map   "direct mapping of all physical memory" {
  map ram
  perm rw
  global
  max_page 1GB
}
ffffc88000000000 +0.5TB        hole         "unused hole"
`;
    const parsed = items(text);
    expect(parsed.map((i) => i.kind)).toEqual([
      "layout",
      "paging",
      "region",
      "region",
      "region",
      "region",
    ]);
    const direct = parsed[4] as Extract<Item, { kind: "region" }>;
    expect(direct.name?.name).toBe("direct_map");
    expect(direct.body.map((a) => a.kind)).toEqual([
      "attr-map",
      "attr-perm",
      "attr-flag",
      "attr-max-page",
    ]);
    expect(strip(parsed[5])).toEqual(
      region(
        { start: lit(0xffffc88000000000n), size: lit(T / 2n) },
        { regionKind: "hole", description: str("unused hole") },
      ),
    );
  });
});

describe("spans", () => {
  const text = 'const a = -2GB + x.end\nffff888000000000 +64TB dm "d" { user }';
  const { value } = parseSpec(text, "dir/spec.layout");
  const at = (span: Span) => text.slice(span.start, span.end);

  it("are half-open, in the given file", () => {
    const c = value.ast.items[0] as Extract<Item, { kind: "const" }>;
    expect(c.span.file).toBe("dir/spec.layout");
    expect(at(c.span)).toBe("const a = -2GB + x.end");
    expect(at(c.name.span)).toBe("a");
    expect(at(c.value.span)).toBe("-2GB + x.end");
    const sum = c.value as BinaryExpr;
    const left = sum.left as NegExpr;
    const right = sum.right as NameExpr;
    expect(at(left.span)).toBe("-2GB");
    expect(at(left.operand.span)).toBe("2GB");
    expect(at(right.span)).toBe("x.end");
    expect(right.path.map((p) => at(p.span))).toEqual(["x", "end"]);
  });

  it("cover regions, placements, descriptions and attributes", () => {
    const r = value.ast.items[1] as Extract<Item, { kind: "region" }>;
    expect(at(r.span)).toBe('ffff888000000000 +64TB dm "d" { user }');
    expect(at(r.placement.span)).toBe("ffff888000000000 +64TB");
    expect(at(r.placement.size!.span)).toBe("64TB");
    expect(at(r.description!.span)).toBe('"d"');
    expect(at(r.body[0]!.span)).toBe("user");
    expect(value.ast.span).toEqual({ file: "dir/spec.layout", start: 0, end: text.length });
  });

  it("of a parenthesised expression include the parentheses", () => {
    const t = "const b = 2 * (3 + 4)";
    const c = parseSpec(t, "t").value.ast.items[0] as Extract<Item, { kind: "const" }>;
    const right = (c.value as BinaryExpr).right;
    expect(t.slice(right.span.start, right.span.end)).toBe("(3 + 4)");
    expect(t.slice(c.value.span.start, c.value.span.end)).toBe("2 * (3 + 4)");
  });
});

describe("tooling entry points", () => {
  it("the whole-file rule builds the same AST as parseSpec", () => {
    const text = 'layout l "d"\nconst a = 1 // c\n0 +4KB r { user; +1 c }\nrepeat 2 { +1 hole }';
    parser.input = lexSpec(text, "t").tokens;
    const cst = parser.file() as FileCstNode;
    expect(parser.errors).toEqual([]);
    expect(buildAst(cst, "t", text.length).file).toEqual(parseSpec(text, "t").value.ast);
  });
});
