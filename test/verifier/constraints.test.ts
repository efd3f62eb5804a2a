/**
 * Proofs under `require` constraints: the optimiser over the parameter polytope against brute
 * force on small integer boxes, and the verifier on specs whose floating regions share a space.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Affine,
  type LinearFact,
  type ParamDomain,
  constrained,
} from "../../src/model/affine.js";
import { feasible, optimise, rangesOf, satisfies } from "../../src/model/polytope.js";
import { type Rational, compare, rat } from "../../src/model/rational.js";
import { checkSpec } from "../../src/pipeline.js";
import { refuteAtLeast, refuteAtMost } from "../../src/verifier/proof.js";
import { ROOT } from "../cli-helpers.js";
import { text } from "./helpers.js";

const NAMES = ["x", "y", "z"];

const form = (constant: bigint, coeffs: readonly bigint[]): Affine => ({
  constant: rat(constant),
  terms: new Map(
    coeffs.flatMap((c, i) => (c === 0n ? [] : [[NAMES[i]!, rat(c)] as [string, Rational]])),
  ),
  slackLo: rat(0n),
  slackHi: rat(0n),
});

/** Every aligned point of the box, as maps. */
function points(domains: ReadonlyMap<string, ParamDomain>): Map<string, bigint>[] {
  let out: Map<string, bigint>[] = [new Map()];
  for (const [name, d] of domains) {
    const next: Map<string, bigint>[] = [];
    for (const p of out)
      for (let v = d.min; v <= d.max; v += d.align) next.push(new Map(p).set(name, v));
    out = next;
  }
  return out;
}

const valueAt = (f: Affine, at: ReadonlyMap<string, bigint>): bigint => {
  let v = f.constant.num;
  for (const [n, c] of f.terms) v += c.num * at.get(n)!;
  return v;
};

const coefficient = fc.bigInt({ min: -3n, max: 3n });
const domain = fc
  .record({ min: fc.bigInt({ min: -4n, max: 4n }), steps: fc.bigInt({ min: 0n, max: 4n }) })
  .chain(({ min, steps }) =>
    fc
      .constantFrom(1n, 2n)
      .map((align) => ({ min: min * align, max: (min + steps) * align, align })),
  );
const domains = fc
  .tuple(domain, domain, domain)
  .map((ds) => new Map(ds.map((d, i) => [NAMES[i]!, d] as [string, ParamDomain])));
const fact = fc.record({
  constant: fc.bigInt({ min: -10n, max: 10n }),
  coeffs: fc.tuple(coefficient, coefficient, coefficient),
  equal: fc.boolean(),
});

describe("the optimiser over the parameter polytope", () => {
  it("never claims a bound the aligned points break, and its witness is an allowed point", () => {
    fc.assert(
      fc.property(
        domains,
        fc.array(fact, { maxLength: 3 }),
        fc.tuple(coefficient, coefficient, coefficient),
        fc.constantFrom("min" as const, "max" as const),
        (ds, raw, objective, want) => {
          const facts: LinearFact[] = raw.map((f) => ({
            form: form(f.constant, f.coeffs),
            equal: f.equal,
          }));
          const goal = form(0n, objective);
          const allowed = points(ds).filter((p) => satisfies(p, facts));
          const found = optimise(goal, rangesOf(ds), facts, want);
          expect(found).toBeDefined();
          if (found === "empty") {
            expect(allowed).toEqual([]);
            return;
          }
          for (const p of allowed) {
            const v = rat(valueAt(goal, p));
            // Sound: the relaxation's extreme is at least as extreme as every allowed value.
            expect(compare(v, found!.value) * (want === "min" ? 1 : -1)).toBeGreaterThanOrEqual(0);
          }
          const witness = found!.witness;
          if (witness) {
            for (const [n, v] of witness) {
              const d = ds.get(n)!;
              expect(v >= d.min && v <= d.max && (v - d.min) % d.align === 0n).toBe(true);
            }
            // The facts on the witness's parameters all hold there (the others do not involve them).
            const on = facts.filter((f) => [...f.form.terms.keys()].some((n) => witness.has(n)));
            expect(satisfies(witness, on)).toBe(true);
          }
          if (feasible(rangesOf(ds), facts) === false) expect(allowed).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("is exact on difference constraints over whole steps (their vertices are whole)", () => {
    const difference = fc
      .record({
        i: fc.nat({ max: 2 }),
        j: fc.nat({ max: 2 }),
        k: fc.bigInt({ min: -4n, max: 4n }),
      })
      .filter(({ i, j }) => i !== j);
    fc.assert(
      fc.property(
        domains.map((ds) => new Map([...ds].map(([n, d]) => [n, { ...d, align: 1n }]))),
        fc.array(difference, { maxLength: 3 }),
        fc.tuple(coefficient, coefficient, coefficient),
        (ds, diffs, objective) => {
          // x_j - x_i + k >= 0
          const facts: LinearFact[] = diffs.map(({ i, j, k }) => {
            const c = [0n, 0n, 0n];
            c[j] = 1n;
            c[i] = -1n;
            return { form: form(k, c), equal: false };
          });
          const goal = form(0n, objective);
          const allowed = points(ds).filter((p) => satisfies(p, facts));
          const found = optimise(goal, rangesOf(ds), facts, "min");
          // Difference constraints are totally unimodular: real and whole feasibility agree.
          if (allowed.length === 0) return void expect(feasible(rangesOf(ds), facts)).toBe(false);
          const best = allowed.reduce(
            (m, p) => (valueAt(goal, p) < m ? valueAt(goal, p) : m),
            1n << 60n,
          );
          expect(found).not.toBe("empty");
          expect((found as { value: Rational }).value).toEqual(rat(best));
          expect((found as { witness?: Map<string, bigint> }).witness).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds the minimum of a sum under a shared budget", () => {
    const ds = new Map<string, ParamDomain>([
      ["x", { min: 0n, max: 10n, align: 1n }],
      ["y", { min: 0n, max: 10n, align: 1n }],
    ]);
    // x + y <= 12: the largest x + 2y is 2 + 20 = 22, not the box's 30.
    const budget: LinearFact = { form: form(12n, [-1n, -1n, 0n]), equal: false };
    const found = optimise(form(0n, [1n, 2n, 0n]), rangesOf(ds), [budget], "max");
    expect(found).not.toBe("empty");
    expect((found as { value: Rational }).value).toEqual(rat(22n));
    expect((found as { witness: Map<string, bigint> }).witness).toEqual(
      new Map([
        ["x", 2n],
        ["y", 10n],
      ]),
    );
  });
});

describe("proofs under constraints", () => {
  const ds = new Map<string, ParamDomain>([
    ["x", { min: 0n, max: 10n, align: 1n }],
    ["y", { min: 0n, max: 10n, align: 1n }],
  ]);
  const budget: LinearFact = { form: form(12n, [-1n, -1n, 0n]), equal: false };
  const space = constrained(ds, [budget]);

  it("proves over the polytope what fails over the box", () => {
    expect(refuteAtMost(form(0n, [1n, 1n, 0n]), 12n, ds)).toBeDefined();
    expect(refuteAtMost(form(0n, [1n, 1n, 0n]), 12n, space)).toBeUndefined();
  });

  it("gives a counterexample that satisfies the constraints", () => {
    const cex = refuteAtLeast(form(-15n, [2n, 1n, 0n]), 0n, space);
    // 2x + y >= 15 fails at (0, 0) already; the witness must be an allowed point.
    expect(cex?.definite).toBe(true);
    expect(satisfies(cex!.values as Map<string, bigint>, [budget])).toBe(true);
    const high = refuteAtMost(form(0n, [2n, 1n, 0n]), 21n, space);
    expect(high?.definite).toBe(true);
    expect(high!.values).toEqual(
      new Map([
        ["x", 10n],
        ["y", 2n],
      ]),
    );
  });
});

/**
 * Three floating segments that share 2 TiB, each 1 GiB .. 2 TiB on its own, then the fixed
 * regions after the shared window: with independent ranges every later bound can overflow it.
 */
const SHARED = (constraint: string, after: string) => `layout floating "floating segments"
paging 4
param segkp_size: size = 512GB in 1GB .. 2TB align 1GB
param segzio_size: size = 512GB in 1GB .. 2TB align 1GB
param segkvmm_size: size = 512GB in 1GB .. 2TB align 1GB
${constraint}

ffff800000000000 +2TB window {
  ffff800000000000 +segkp_size segkp
  +segkvmm_size segkvmm
  +segzio_size segzio
  .. ffff81ffffffffff hole free "what the segments leave: may be empty"
}
${after}
`;

function checkFile(spec: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-constraints-"));
  const file = path.join(dir, "floating.layout");
  writeFileSync(file, spec);
  return checkSpec(file);
}
const check = (spec: string) => checkFile(spec).diagnostics;

describe("floating regions that share a space", () => {
  const REQUIRE =
    'require segkp_size + segzio_size + segkvmm_size <= 2TB "the segments share the window"';
  const FIXED = "ffff820000000000 +1TB fixed\nffff830000000000 +1TB fixed2";

  it("reports E0210 for overlaps that cannot happen when the ranges are independent", () => {
    const found = check(SHARED("", FIXED)).filter((d) => d.code === "E0210");
    expect(found.length).toBeGreaterThan(0);
  });

  it("proves them under the constraint, the empty hole included", () => {
    expect(check(SHARED(REQUIRE, FIXED))).toEqual([]);
  });

  it("still finds a real violation, with a counterexample that satisfies the constraint", () => {
    // A fixed region at the window's top: the segments may now reach it.
    const top = SHARED(REQUIRE, FIXED)
      .replace(".. ffff81ffffffffff hole free", ".. ffff81feffffffff hole free")
      .replace(
        "  ffff800000000000 +segkp_size",
        "  ffff81ff00000000 +4GB top\n  ffff800000000000 +segkp_size",
      );
    const ds = check(top);
    expect(ds.map((d) => d.code)).toEqual(["E0210"]);
    // The hole before `top` can end before it starts: the segments then cover `top`.
    const e = ds.find((d) => d.code === "E0210" && d.message.includes("`free` can end before"));
    expect(e, JSON.stringify(ds, null, 1)).toBeDefined();
    const note = e!.notes.find((n) => n.includes("not when"))!;
    const values = [...note.matchAll(/`(\w+)` = 0x([0-9a-f]+)/g)].map(
      ([, n, v]) => [n!, BigInt(`0x${v}`)] as const,
    );
    expect(values.length).toBeGreaterThan(0);
    const at = new Map<string, bigint>([
      ["segkp_size", 512n << 30n],
      ["segzio_size", 512n << 30n],
      ["segkvmm_size", 512n << 30n],
      ...values,
    ]);
    expect(
      at.get("segkp_size")! + at.get("segzio_size")! + at.get("segkvmm_size")!,
    ).toBeLessThanOrEqual(2n << 40n);
  });
});

describe("specs/illumos-amd64.layout", () => {
  const spec = readFileSync(path.join(ROOT, "specs", "illumos-amd64.layout"), "utf8");
  const requires = spec.split("\n").filter((l) => l.startsWith("require "));

  it("states its boot-time rules as constraints, and verifies clean under them", () => {
    expect(requires).toHaveLength(4);
    expect(check(spec)).toEqual([]);
  });

  it("without them, every floating boundary is an E0210 that cannot happen", () => {
    const loose = spec
      .split("\n")
      .filter((l) => !l.startsWith("require "))
      .join("\n");
    const found = check(loose);
    expect(found.map((d) => d.code)).toEqual(Array(9).fill("E0210"));
  });

  it("a real violation is still found, at values that satisfy every constraint", () => {
    // Without the heap's 1.5 x physmem the floating segments may fill the space to core_base.
    const tight = spec.replace(" + 1.5 * physmem <= core_base", " <= core_base");
    const checked = checkFile(tight);
    const e = checked.diagnostics.find((d) => d.code === "E0210");
    expect(e, JSON.stringify(checked.diagnostics, null, 1)).toBeDefined();
    expect(text(e!)).toContain("`kernel_heap` can be empty");
    const note = e!.notes.find((n) => n.startsWith("it holds at the defaults, but not when"))!;
    const layout = checked.layouts[0]!;
    const at = new Map(layout.params.map((p) => [p.name, p.default]));
    for (const [, name, value] of note.matchAll(/`(\w+)` = (0x[0-9a-f]+)/g))
      at.set(name!, BigInt(value!));
    expect(
      satisfies(
        at,
        layout.constraints.map((c) => c.fact),
      ),
    ).toBe(true);
  });
});

describe("a require in a variant", () => {
  it("holds in that variant only", () => {
    const spec = `layout v
paging 4
param a: size = 1TB in 1GB .. 2TB align 1GB
param b: size = 1TB in 1GB .. 2TB align 1GB
ffff800000000000 +a first
+b second
ffff820000000000 +1GB after
variant "shared" {
  require a + b <= 2TB
}
variant "independent" {
}
`;
    const found = check(spec);
    expect(found.map((d) => d.code)).toEqual(["E0210"]);
    expect(text(found[0]!)).toContain("`after` can overlap `second`");
    const checked = checkFile(spec);
    expect(checked.layouts.map((l) => [l.variant, l.constraints.length])).toEqual([
      ["shared", 1],
      ["independent", 0],
    ]);
  });
});
