/** The resolver's semantics: placement forms, names, repeat, variants, values and symbols. */
import { describe, expect, it } from "vitest";
import { parseSpec } from "../../src/compiler/parse.js";
import { bounds } from "../../src/model/affine.js";
import type { Layout } from "../../src/model/layout.js";
import { rat } from "../../src/model/rational.js";
import { resolve } from "../../src/compiler/resolve/index.js";

function layouts(text: string, variant?: string): Layout[] {
  const parsed = parseSpec(text, "t.layout");
  expect(parsed.diagnostics).toEqual([]);
  const r = resolve(parsed.value.ast, { variant });
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return r.value;
}

const one = (text: string): Layout => layouts(`layout t\npaging 4\n${text}`)[0]!;
const extent = (l: Layout, name: string): [string, string] => {
  const r = l.regions.find((x) => x.name === name);
  if (!r) throw new Error(`no region ${name}`);
  return [r.start.value.toString(16), r.end.value.toString(16)];
};

describe("placement", () => {
  it("start +size, start .. end (inclusive), start ..< end (half-open)", () => {
    const l = one(
      [
        "ffff800000000000 +1TB a",
        "ffff810000000000 .. ffff81ffffffffff b",
        "ffff820000000000 ..< ffff830000000000 c",
      ].join("\n"),
    );
    expect(extent(l, "a")).toEqual(["ffff800000000000", "ffff80ffffffffff"]);
    expect(extent(l, "b")).toEqual(["ffff810000000000", "ffff81ffffffffff"]);
    expect(extent(l, "c")).toEqual(["ffff820000000000", "ffff82ffffffffff"]);
  });

  it("relative: after the previous sibling, at the parent's start, aligned up, up to an end", () => {
    const l = one(
      [
        "ffff800000000000 +1GB p {",
        "  +4KB guard g",
        "  +8KB a",
        "  align 2MB +2MB b",
        "  ..< ffff800040000000 c",
        "}",
      ].join("\n"),
    );
    expect(extent(l, "g")).toEqual(["ffff800000000000", "ffff800000000fff"]);
    expect(extent(l, "a")).toEqual(["ffff800000001000", "ffff800000002fff"]);
    expect(extent(l, "b")).toEqual(["ffff800000200000", "ffff8000003fffff"]);
    expect(extent(l, "c")).toEqual(["ffff800000400000", "ffff80003fffffff"]);
    expect(l.regions.find((r) => r.name === "b")!.parent).toBe("p");
  });

  it("negative addresses count down from 2^64", () => {
    const l = one("-2GB +512MB text\n-119.5TB +64TB direct_map");
    expect(extent(l, "text")).toEqual(["ffffffff80000000", "ffffffff9fffffff"]);
    expect(extent(l, "direct_map")[0]).toBe("ffff888000000000");
  });

  it("records a written end when start, size and end are all given", () => {
    const l = one("ffff800000000000 +4KB .. ffff800000001fff a");
    const a = l.regions[0]!;
    expect(a.end.value).toBe(0xffff800000000fffn);
    expect(a.declaredEnd!.bound.value).toBe(0xffff800000001fffn);
  });
});

describe("names and values", () => {
  it("region properties start, end, size and limit; constants; forward references", () => {
    const l = one(
      [
        "kernel.limit +x b",
        "ffffffff80000000 +16MB kernel",
        "const x = kernel.size / 4 + kernel.end - kernel.start + 1",
      ].join("\n"),
    );
    expect(extent(l, "b")).toEqual(["ffffffff81000000", "ffffffff823fffff"]);
    expect(l.constants[0]!.value.value).toBe(0x1400000n);
    expect(l.constants[0]!.exportName).toBe("X");
  });

  it("unnamed holes get a name from their start", () => {
    const l = one("ffffc88000000000 +0.5TB hole");
    expect(l.regions[0]!.name).toBe("hole_ffffc88000000000");
  });

  it("repeat suffixes names with the index and exposes it", () => {
    const l = one(
      [
        "ffffffff89000000 +7 * 132KB stacks {",
        "  repeat 7 as i {",
        "    +4KB guard istack_guard",
        "    +128KB istack",
        "  }",
        "}",
        "ffffffffa0000000 +4KB * 3 c",
      ].join("\n"),
    );
    expect(extent(l, "istack_guard_0")).toEqual(["ffffffff89000000", "ffffffff89000fff"]);
    expect(extent(l, "istack_6")).toEqual(["ffffffff890c7000", "ffffffff890e6fff"]);
    expect(l.regions.filter((r) => r.parent === "stacks")).toHaveLength(14);
  });

  it("functions align_up, align_down, min and max", () => {
    const l = one(
      "const a = align_up(5000, 4KB) + align_down(5000, 4KB) + min(1, 2, 3) + max(4, 5)",
    );
    expect(l.constants[0]!.value.value).toBe(8192n + 4096n + 1n + 5n);
  });

  it("a chain of definitions that use each other is bounded: E0008, never a stack overflow", () => {
    const codes = (text: string): string[] => {
      const parsed = parseSpec(`layout t\npaging 4\n${text}`, "t.layout");
      expect(parsed.diagnostics).toEqual([]);
      return resolve(parsed.value.ast).diagnostics.map((d) => d.code);
    };
    // Each constant uses the next, declared after it, so all are resolved from the first.
    const constants = (n: number, operand = ""): string =>
      Array.from({ length: n }, (_, i) => `const c${i} = ${operand}c${i + 1}`).join("\n") +
      `\nconst c${n} = 4KB\nffff800000000000 +c0 a`;
    expect(codes(constants(200))).toEqual([]);
    expect(codes(constants(20_000))).toEqual(["E0008"]);
    expect(codes(constants(50, "-".repeat(400)))).toEqual(["E0008"]);
    // The first region ends where the last of a relative chain after it ends.
    const placements = (n: number): string =>
      `ffff800000000000 .. r${n}.end first\nffff900000000000 +4KB r0\n` +
      Array.from({ length: n }, (_, i) => `+4KB r${i + 1}`).join("\n");
    expect(codes(placements(200))).toEqual([]);
    expect(codes(placements(5_000))).toEqual(["E0008"]);
  });

  it("regions are sorted by start, parents before children", () => {
    const l = one("ffff900000000000 +1TB b\nffff800000000000 +1TB a { +4KB c }");
    expect(l.regions.map((r) => r.name)).toEqual(["a", "c", "b"]);
  });
});

describe("parameters", () => {
  it("bounds are exact at the defaults and symbolic over the range", () => {
    const l = one(
      [
        "param kernel_end: address = 0xffffffff80400000 in 0xffffffff80101000 .. 0xffffffff87fff000 align 4KB",
        "ffffffff80000000 +128MB boot {",
        "  ..< kernel_end elf",
        "  ..< 0xffffffff88000000 alloc",
        "}",
      ].join("\n"),
    );
    const elf = l.regions.find((r) => r.name === "elf")!;
    expect(elf.end.value).toBe(0xffffffff803fffffn);
    expect(elf.dependsOn).toEqual(["kernel_end"]);
    const domains = new Map(l.params.map((p) => [p.name, p]));
    const size = bounds(elf.size.sym, domains);
    expect(size.min).toEqual(rat(0x101000n));
    expect(size.max).toEqual(rat(0x7fff000n));
  });
});

describe("variants", () => {
  const spec = [
    "layout t",
    'variant "4-level" {',
    "  paging 4",
    "  ffff800000000000 +1TB a",
    "}",
    'variant "5-level" {',
    "  paging 5",
    "  ff00000000000000 +1PB a",
    "}",
    "ffffffff80000000 +512MB kernel",
  ].join("\n");

  it("each variant sees the shared items, once, and its own", () => {
    const all = layouts(spec);
    expect(all.map((l) => [l.variant, l.paging.vaBits, l.regions.map((r) => r.name)])).toEqual([
      ["4-level", 48, ["a", "kernel"]],
      ["5-level", 57, ["a", "kernel"]],
    ]);
  });

  it("--variant selects one", () => {
    expect(layouts(spec, "5-level").map((l) => l.variant)).toEqual(["5-level"]);
  });

  it("RISC-V modes per variant: `paging sv39|sv48|sv57` share the common items", () => {
    const rv = [
      "layout rv",
      ...["sv39", "sv48", "sv57"].map((m) => `variant "${m}" {\n  paging ${m}\n}`),
      "ffffffff80000000 +2GB kernel { max_page 1GB }",
    ].join("\n");
    expect(layouts(rv).map((l) => [l.variant, l.paging])).toEqual([
      ["sv39", { arch: "riscv64", mode: "sv39", levels: 3, vaBits: 39 }],
      ["sv48", { arch: "riscv64", mode: "sv48", levels: 4, vaBits: 48 }],
      ["sv57", { arch: "riscv64", mode: "sv57", levels: 5, vaBits: 57 }],
    ]);
    expect(layouts(spec)[0]!.paging).toEqual({ arch: "x86_64", levels: 4, vaBits: 48 });
  });

  it("`max_page` takes the mode's page sizes: 512 GiB from Sv48, not in Sv39 or on x86-64", () => {
    const big = (mode: string) =>
      resolve(
        parseSpec(
          `layout t\npaging ${mode}\nffff800000000000 +512GB a { max_page 512GB }`,
          "t.layout",
        ).value.ast,
        {},
      ).diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(big("sv48")).toEqual([]);
    expect(big("sv39")).toEqual(["E0119 512 GiB is not a page size of riscv64 Sv39"]);
    expect(big("4")).toEqual(["E0119 512 GiB is not a page size of x86_64 4-level paging"]);
  });

  it("a variant the spec does not declare is E0106, with the closest one and the list", () => {
    const r = resolve(parseSpec(spec, "t.layout").value.ast, { variant: "4level" });
    expect(r.value).toEqual([]);
    expect(r.diagnostics.map((d) => [d.code, d.message, d.help])).toEqual([
      [
        "E0106",
        'spec has no variant "4level"',
        'did you mean "4-level"? the variants are "4-level", "5-level"',
      ],
    ]);
  });
});

describe("attribute words as names", () => {
  it("a region may be called `user`, `global` or `shared` and be referred to", () => {
    const l = one(
      [
        "0000000000000000 +128TB user { user }",
        "ffff800000000000 +1TB shared",
        "shared.limit +1TB global",
        "kaslr k { range ffff800000000000 ..< ffff900000000000; members shared global }",
      ].join("\n"),
    );
    expect(l.regions.map((r) => [r.name, r.user])).toEqual([
      ["user", true],
      ["shared", false],
      ["global", false],
    ]);
  });
});

describe("division", () => {
  const errors = (text: string): string[] => {
    const parsed = parseSpec(`layout t\npaging 4\n${text}`, "t.layout");
    return resolve(parsed.value.ast, {}).diagnostics.map((d) => `${d.code} ${d.message}`);
  };
  // FreeBSD amd64: NKASANPML4E = ((NKPML4E + 7) / 8) with NKPML4E = 4, and the shadow map
  // starts NKASANPML4E slots below slot 496 (KASAN_MIN_ADDRESS = 0xfffff78000000000).
  const kasan = (n: string): string =>
    `const n = ${n}\n(0xffff000000000000 + (496 - n) * 512GB) +512GB kasan`;

  it("`div` is C's integer division: FreeBSD's KASAN base", () => {
    expect(extent(one(kasan("div(4 + 7, 8)")), "kasan")[0]).toBe("fffff78000000000");
  });

  it("`/` of whole numbers that does not divide exactly is refused with both answers", () => {
    expect(errors(kasan("(4 + 7) / 8"))).toEqual([
      "E0116 `/` does not divide exactly: 11 / 8 is 1 3/8, which C's integer division truncates to 1",
    ]);
  });

  it("`/` is exact where it divides exactly or an operand is a fraction", () => {
    const l = one("const half = 1TB / 2\nffff800000000000 +half a\nffff900000000000 +1.5TB / 3 b");
    expect(extent(l, "a")).toEqual(["ffff800000000000", "ffff807fffffffff"]);
    expect(extent(l, "b")).toEqual(["ffff900000000000", "ffff907fffffffff"]);
  });

  it("`div` truncates toward zero, as C does", () => {
    const l = one("const n = 0 - div(0 - 7, 2)\nffff800000000000 +n * 4KB a");
    expect(extent(l, "a")).toEqual(["ffff800000000000", "ffff800000002fff"]);
  });

  it("a parameter-dependent dividend must be a multiple of the divisor for every value", () => {
    const l = one("param p: size = 64KB in 8KB .. 1MB align 8KB\nffff800000000000 +p / 2 a");
    const a = l.regions[0]!;
    expect(a.size.value).toBe(32n * 1024n);
    expect(bounds(a.size.sym, new Map([["p", l.params[0]!]]))).toEqual({
      min: rat(4096n),
      max: rat(512n * 1024n),
    });
    const p = "param p: count = 16 in 4 .. 64 align 4\n";
    expect(errors(`${p}ffff800000000000 +(p / 8) * 4KB a`)).toEqual([
      "E0116 `/` may not divide exactly: the dividend depends on a parameter and is not a multiple of 8 for every allowed value",
    ]);
    expect(errors(`${p}ffff800000000000 +div(p, 8) * 4KB a`)).toEqual([
      "E0114 `div` of a parameter-dependent value that is not a multiple of 8 for every allowed value",
    ]);
    expect(errors(`${p}ffff800000000000 +div(p, 4) * 4KB a`)).toEqual([]);
  });

  it("a constant that is not a whole number is refused, never rounded", () => {
    expect(errors("const f = 1.5 / 2")).toEqual(["E0208 constant `f` is 3/4, not a whole number"]);
  });
});
