/**
 * C's operators `<< >> & ^ | ~` and functions declared with `fn`: C's precedence, C's 64-bit
 * answers or a coded refusal, linear forms over parameters, and a differential test against
 * gcc (random expressions and the kernels' own slot macros, in one compiled C program).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSpec } from "../../src/compiler/parse.js";
import { resolve } from "../../src/compiler/resolve/index.js";
import { emit } from "../../src/pipeline.js";
import { bounds } from "../../src/model/affine.js";
import type { Layout } from "../../src/model/layout.js";
import { rat } from "../../src/model/rational.js";

/** Each constant's value (or the codes reported) in a spec of `lines` after a header. */
function compile(lines: readonly string[]): { layout: Layout | undefined; codes: string[] } {
  const parsed = parseSpec(["layout t", "paging 4", ...lines].join("\n"), "t.layout");
  expect(parsed.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  const r = resolve(parsed.value.ast, {});
  return { layout: r.value[0], codes: r.diagnostics.map((d) => d.code) };
}

/** The value of `expr`, or throws with the codes reported. */
function value(expr: string, ...decls: string[]): bigint {
  const { layout, codes } = compile([...decls, `const x = ${expr}`]);
  if (!layout) throw new Error(`refused: ${codes.join(" ")}`);
  return layout.constants.find((c) => c.name === "x")!.value.value;
}

/** The codes `expr` is refused with. */
function refusal(expr: string, ...decls: string[]): string[] {
  const { layout, codes } = compile([...decls, `const x = ${expr}`]);
  expect(layout).toBeUndefined();
  return codes;
}

const word = (n: bigint): string => BigInt.asUintN(64, n).toString(16);

describe("C's precedence", () => {
  it("binds unary, then * /, + -, shifts, &, ^, | (each left to right)", () => {
    expect(value("1 + 2 << 3")).toBe(24n);
    expect(value("1 << 2 + 3")).toBe(32n);
    expect(value("6 & 3 | 8")).toBe(10n);
    expect(value("1 | 6 & 3")).toBe(3n);
    expect(value("5 ^ 3 & 1")).toBe(4n);
    expect(value("1 | 2 ^ 3")).toBe(1n);
    expect(value("256 >> 2 >> 1")).toBe(32n);
    expect(value("-~5")).toBe(6n);
    expect(value("~-5")).toBe(4n);
    expect(value("2 * ~1")).toBe(-4n);
  });

  it("keeps `..<` one token next to a shift", () => {
    const { layout } = compile(["0 ..< 1 << 47 user"]);
    expect(layout!.regions[0]!.end.value).toBe((1n << 47n) - 1n);
  });
});

describe("C's 64-bit answers", () => {
  it("two's complement: -1 << 47, ~0, and complements of unsigned words", () => {
    expect(word(value("-1 << 47"))).toBe("ffff800000000000");
    expect(word(value("~0"))).toBe("ffffffffffffffff");
    expect(value("~0xffff800000000000")).toBe(0x7fffffffffffn);
    expect(value("~(1 << 63)")).toBe((1n << 63n) - 1n);
    expect(value("-1 & 0xffff_ffff_ffff_ffff")).toBe((1n << 64n) - 1n);
    expect(value("(-1 << 63) ^ 0x8000000000000000")).toBe(0n);
  });

  it("as an address, a negative result counts down from 2^64", () => {
    const { layout } = compile(["(-240 << 39) +512GB ldt"]);
    expect(word(layout!.regions[0]!.start.value)).toBe("ffff880000000000");
  });

  it("refuses what C would truncate or leaves undefined, with a code", () => {
    expect(refusal("1 << 64")).toEqual(["E0130"]);
    expect(refusal("1 << -1")).toEqual(["E0130"]);
    expect(refusal("1 << 1.5")).toEqual(["E0130"]);
    expect(refusal("0xffff800000000000 << 1")).toEqual(["E0131"]);
    expect(refusal("-1 >> 1")).toEqual(["E0131"]);
    expect(refusal("(1 << 63) * 4 & 1")).toEqual(["E0131"]);
    expect(refusal("0.5 << 1")).toEqual(["E0208"]);
    expect(refusal("~0.5")).toEqual(["E0208"]);
    // C's answer is still one mask away.
    expect(value("(0xffff800000000000 & 0x7fff_ffff_ffff_ffff) << 1")).toBe(0xffff000000000000n);
    expect(value("((-1 << 47) & 0xffff_ffff_ffff_ffff) >> 3")).toBe(0xffff800000000000n >> 3n);
  });
});

describe("negative constants in the generated files", () => {
  it("are the 64-bit word C's `unsigned long` holds, in C and in Rust", () => {
    const { layout } = compile(["const k4 = -1 << 47 export KV4_BASE"]);
    expect(emit([layout!], "c").value).toMatch(
      /#define KV4_BASE\s+VMLAYOUT_AC\(-0x800000000000, UL\)/,
    );
    expect(emit([layout!], "rust").value).toContain(
      "pub const KV4_BASE: u64 = 0xffff_8000_0000_0000;",
    );
  });
});

describe("parameters", () => {
  const slot = "param slot: count = 3 in 0 .. 255";
  const sym = (expr: string, ...decls: string[]) => {
    const { layout, codes } = compile([...decls, `const x = ${expr}`]);
    expect(codes).toEqual([]);
    const c = layout!.constants.find((k) => k.name === "x")!;
    return {
      value: c.value.value,
      range: bounds(c.value.sym, new Map(layout!.params.map((p) => [p.name, p]))),
    };
  };

  it("`p << k` and `~p` are linear", () => {
    expect(sym("slot << 39", slot).range).toEqual({ min: rat(0n), max: rat(255n << 39n) });
    expect(sym("~slot", slot).range).toEqual({ min: rat(-256n), max: rat(-1n) });
  });

  it("`|`, `^` and `&` with disjoint or covered bits are linear", () => {
    const or = sym("(-1 << 47) | (slot << 39)", slot);
    expect(word(or.value)).toBe("ffff818000000000");
    expect(or.range).toEqual({ min: rat(-(1n << 47n)), max: rat(-(1n << 47n) + (255n << 39n)) });
    expect(sym("0xff << 39 & (slot << 39)", slot).range.max).toEqual(rat(255n << 39n));
    expect(sym("(slot << 39) ^ (0xff << 39)", slot).range).toEqual({
      min: rat(0n),
      max: rat(255n << 39n),
    });
  });

  it("a parameter's least value moves into the constant: kernel slots 256..511", () => {
    const kernel = "param slot: count = 496 in 256 .. 511";
    const or = sym("(-1 << 47) | (slot << 39)", kernel);
    expect(word(or.value)).toBe("fffff80000000000");
    expect(or.range).toEqual({ min: rat(-(1n << 47n)), max: rat(-(1n << 39n)) });
  });

  it("`>>` of a parameter divides exactly, given its alignment", () => {
    expect(sym("(slot << 39) >> 30", slot).range.max).toEqual(rat(255n << 9n));
    expect(refusal("slot >> 1", slot)).toEqual(["E0132"]);
  });

  it("refuses what the proof cannot follow", () => {
    const wide = "param slot: count = 3 in 0 .. 511";
    expect(refusal("(-1 << 47) | (slot << 39)", wide)).toEqual(["E0132"]);
    expect(refusal("slot & 1", slot)).toEqual(["E0132"]);
    expect(refusal("slot | slot", slot)).toEqual(["E0132"]);
    expect(refusal("1 << slot", slot)).toEqual(["E0130"]);
    expect(refusal("~a", "param a: address = 0 in 0 .. 0xffff800000000000")).toEqual(["E0132"]);
  });
});

describe("fn", () => {
  const kv4addr =
    "fn kv4addr(l4, l3, l2, l1) = (-1 << 47) | (l4 << 39) | (l3 << 30) | (l2 << 21) | (l1 << 12)";

  it("is called like a built-in, with any expression as an argument", () => {
    expect(word(value("kv4addr(511, 510, 0, 0)", kv4addr))).toBe("ffffffff80000000");
    expect(word(value("kv4addr(256 + 1, 0, 0, 0)", kv4addr))).toBe("ffff808000000000");
    expect(value("twice(twice(3))", "fn twice(v) = v << 1")).toBe(12n);
    expect(value("f()", "fn f() = 42")).toBe(42n);
  });

  it("sees constants, parameters and other functions; its parameters shadow them", () => {
    expect(value("g(1)", "const k = 10", "fn f(v) = v + k", "fn g(k) = f(k) * k")).toBe(11n);
    const { layout } = compile([
      "param slot: count = 3 in 0 .. 255",
      kv4addr,
      "kv4addr(slot, 0, 0, 0) +512GB dmap",
    ]);
    expect(word(layout!.regions[0]!.start.value)).toBe("ffff818000000000");
  });

  it("is declared in a variant, for that variant only", () => {
    const parsed = parseSpec(
      [
        "layout t",
        "paging 4",
        'variant "a" { fn base() = 1 << 40 }',
        'variant "b" { fn base() = 2 << 40 }',
        "base() +1TB r",
      ].join("\n"),
      "t.layout",
    );
    const r = resolve(parsed.value.ast, {});
    expect(r.diagnostics).toEqual([]);
    expect(r.value.map((l) => l.regions[0]!.start.value)).toEqual([1n << 40n, 2n << 40n]);
  });

  it("refuses with codes, pointing at the body and the call", () => {
    expect(compile([kv4addr, "const x = kv4addr(1)"]).codes).toEqual(["E0109"]);
    expect(compile(["fn max(a, b) = a"]).codes).toEqual(["E0133"]);
    expect(compile(["fn f(a, a) = a"]).codes).toEqual(["E0102"]);
    expect(compile(["fn f(a) = f(a)"]).codes).toEqual(["E0112"]);
    expect(compile(["fn f(a) = nothing + a"]).codes).toEqual(["E0101"]);
    const { layout, codes } = compile(["fn shl(v, k) = v << k", "const x = shl(1, 64)"]);
    expect(layout).toBeUndefined();
    expect(codes).toEqual(["E0130"]);
    const parsed = parseSpec(
      ["layout t", "paging 4", "fn shl(v, k) = v << k", "const x = shl(1, 64)"].join("\n"),
      "t.layout",
    );
    const [d] = resolve(parsed.value.ast, {}).diagnostics;
    expect(d!.span!.start).toBe(
      parsed.value.ast.items[2]!.span.start + "fn shl(v, k) = v << ".length,
    );
    expect(d!.labels.map((l) => l.message)).toEqual(["in this call of `shl`"]);
  });
});

// ---------------------------------------------------------------- differential test against gcc

const GCC = spawnSync("gcc", ["--version"]).status === 0;
if (!GCC)
  console.warn(
    "test/compiler/operators.test.ts: gcc is not on PATH; the differential test is skipped",
  );

/** An expression as a spec writes it and as C writes it (every operand an `unsigned long`). */
interface Pair {
  readonly spec: string;
  readonly c: string;
}

const literal: fc.Arbitrary<Pair> = fc
  .oneof(
    fc.bigInt({ min: 0n, max: 4096n }),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.constantFrom(0xffff800000000000n, 0xff00000000000000n, 0xffffffff80000000n, 1n << 63n),
  )
  .map((n) => ({ spec: `0x${n.toString(16)}`, c: `0x${n.toString(16)}UL` }));

const shiftCount = fc.integer({ min: 0, max: 63 }).map((k) => ({ spec: `${k}`, c: `${k}` }));

const expression: fc.Arbitrary<Pair> = fc.letrec<{ e: Pair }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    fc
      .tuple(fc.constantFrom("-", "~"), tie("e"))
      .map(([op, x]) => ({ spec: `${op}(${x.spec})`, c: `${op}(${x.c})` })),
    fc
      .tuple(tie("e"), fc.constantFrom("+", "-", "*", "&", "|", "^"), tie("e"))
      .map(([a, op, b]) => ({ spec: `(${a.spec} ${op} ${b.spec})`, c: `(${a.c} ${op} ${b.c})` })),
    fc
      .tuple(tie("e"), fc.constantFrom("<<", ">>"), shiftCount)
      .map(([a, op, k]) => ({ spec: `(${a.spec} ${op} ${k.spec})`, c: `(${a.c} ${op} ${k.c})` })),
  ),
})).e;

/** The kernels' own formulas, written as their headers write them. */
const MACROS: readonly { spec: string; c: string; decls?: string[] }[] = [
  // Linux torvalds/linux arch/x86/include/asm/pgtable_64_types.h at 9c66f504 (PGDIR_SHIFT
  // and P4D_SHIFT 39, PMD_SHIFT 21), page_64_types.h and kasan.h.
  { spec: "-1 << 47", c: "-1UL << 47" },
  { spec: "-256 << 39", c: "-256UL << 39" }, // GUARD_HOLE_BASE_ADDR
  { spec: "-240 << 39", c: "-240UL << 39" }, // LDT_BASE_ADDR
  { spec: "-4 << 39", c: "-4UL << 39" }, // CPU_ENTRY_AREA_BASE
  { spec: "-2 << 39", c: "-2UL << 39" }, // ESPFIX_BASE_ADDR
  { spec: "-4 * (1 << 30)", c: "-4 * (1UL << 30)" }, // EFI_VA_START
  { spec: "~((1 << 21) - 1)", c: "~((1UL << 21) - 1)" }, // PMD_MASK
  { spec: "0xffff888000000000", c: "0xffff888000000000UL" }, // __PAGE_OFFSET_BASE_L4
  { spec: "(1 << 47) - 4KB", c: "(1UL << 47) - 4096UL" }, // TASK_SIZE_MAX
  {
    // KASAN_SHADOW_START: KASAN_SHADOW_OFFSET + ((-1UL << __VIRTUAL_MASK_SHIFT) >> 3); the
    // spec writes the unsigned word C's -1UL is, since `>>` of a negative value is E0131.
    spec: "0xdffffc0000000000 + (((-1 << 47) & 0xffff_ffff_ffff_ffff) >> 3)",
    c: "0xdffffc0000000000UL + ((-1UL << 47) >> 3)",
  },
  // FreeBSD freebsd/freebsd-src sys/amd64/include/pmap.h at 82213c4e: KV4ADDR/KV5ADDR and
  // the PML4 slots.
  ...[
    [511, 510, 0, 0], // KERNBASE: KV4ADDR(KPML4I, KPDPI, 0, 0)
    [256, 0, 0, 0], // addr_P4Tmap: KV4ADDR(PML4PML4I, 0, 0, 0)
    [256, 256, 256, 256], // addr_P4ML4map
    [496, 0, 0, 0], // DMPML4I = rounddown(KPML4BASE - NDMPML4E, NDMPML4E)
    [495, 0, 0, 0], // KASANPML4I = DMPML4I - NKASANPML4E
    [257, 0, 0, 0], // LMSPML4I = PML4PML4I + 1
  ].map(([l4, l3, l2, l1]) => ({
    spec: `kv4addr(${l4}, ${l3}, ${l2}, ${l1})`,
    c: `KV4ADDR(${l4}, ${l3}, ${l2}, ${l1})`,
  })),
  ...[
    [511, 511, 510, 0, 0],
    [256, 0, 0, 0, 0],
    [510, 256, 256, 256, 256],
  ].map(([l5, l4, l3, l2, l1]) => ({
    spec: `kv5addr(${l5}, ${l4}, ${l3}, ${l2}, ${l1})`,
    c: `KV5ADDR(${l5}, ${l4}, ${l3}, ${l2}, ${l1})`,
  })),
];

const MACRO_DECLS = [
  "fn kv4addr(l4, l3, l2, l1) = (-1 << 47) | (l4 << 39) | (l3 << 30) | (l2 << 21) | (l1 << 12)",
  "fn kv5addr(l5, l4, l3, l2, l1) = (-1 << 56) | (l5 << 48) | (l4 << 39) | (l3 << 30) | (l2 << 21) | (l1 << 12)",
];

const C_MACROS = `
#define PAGE_SHIFT 12
#define PDRSHIFT 21
#define PDPSHIFT 30
#define PML4SHIFT 39
#define PML5SHIFT 48
#define KV4ADDR(l4, l3, l2, l1) ( \\
	((unsigned long)-1 << 47) | \\
	((unsigned long)(l4) << PML4SHIFT) | \\
	((unsigned long)(l3) << PDPSHIFT) | \\
	((unsigned long)(l2) << PDRSHIFT) | \\
	((unsigned long)(l1) << PAGE_SHIFT))
#define KV5ADDR(l5, l4, l3, l2, l1) ( \\
	((unsigned long)-1 << 56) | \\
	((unsigned long)(l5) << PML5SHIFT) | \\
	((unsigned long)(l4) << PML4SHIFT) | \\
	((unsigned long)(l3) << PDPSHIFT) | \\
	((unsigned long)(l2) << PDRSHIFT) | \\
	((unsigned long)(l1) << PAGE_SHIFT))
`;

describe.skipIf(!GCC)("differential: vmlayout against gcc", () => {
  it("gives C's unsigned long answer for every expression it accepts, and a code for the rest", () => {
    const random = fc.sample(expression, { numRuns: 400, seed: 15 });
    const cases = [...random, ...MACROS];
    const { layout, codes } = compile([
      ...MACRO_DECLS,
      ...cases.map((e, i) => `const e${i} = ${e.spec}`),
    ]);
    // Every refusal is one of the coded ones; a refused constant fails its variant, so each
    // accepted expression is compiled once more on its own for its value.
    expect(codes.every((c) => ["E0130", "E0131", "E0207", "E0208"].includes(c))).toBe(true);
    const ours = cases.map((e, i) => {
      if (layout) return layout.constants.find((c) => c.name === `e${i}`)!.value.value;
      const one = compile([...MACRO_DECLS, `const x = ${e.spec}`]);
      return one.layout?.constants.find((c) => c.name === "x")!.value.value;
    });
    const inWord = (v: bigint | undefined): v is bigint =>
      v !== undefined && v >= -(1n << 63n) && v < 1n << 64n;
    const checked = cases.flatMap((e, i) => (inWord(ours[i]) ? [{ e, ours: ours[i] }] : []));
    expect(checked.length).toBeGreaterThan(cases.length / 3);
    for (const m of MACROS) expect(checked.some((c) => c.e === m)).toBe(true);

    const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-ops-"));
    const program = [
      "#include <stdio.h>",
      C_MACROS,
      "int main(void) {",
      ...checked.map(({ e }) => `  printf("%016lx\\n", (unsigned long)(${e.c}));`),
      "  return 0;",
      "}",
    ].join("\n");
    writeFileSync(path.join(dir, "ops.c"), program);
    const cc = spawnSync("gcc", ["-std=c11", "-O0", "-w", "ops.c", "-o", "ops"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(cc.stderr).toBe("");
    const run = spawnSync(path.join(dir, "ops"), { encoding: "utf8" });
    const theirs = run.stdout.trim().split("\n");
    expect(theirs.length).toBe(checked.length);
    checked.forEach(({ e, ours: v }, i) =>
      expect(`${e.spec} = ${word(v).padStart(16, "0")}`).toBe(`${e.spec} = ${theirs[i]}`),
    );
  });
});
