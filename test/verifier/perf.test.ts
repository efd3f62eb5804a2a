/** The verifier scales: 100,000 regions in well under a second (the benchmarks come later). */
import { describe, expect, test } from "vitest";
import type { RegionDesc } from "./build.js";
import { KiB, add2, build, p } from "./build.js";
import { verify } from "../../src/verifier/index.js";

const HIGH = 0xffff800000000000n;

/**
 * `parents` exhaustive parents, each with `kids` 4 KiB regions and 4 KiB holes alternating;
 * every `every`-th pair floats with the parameters `n` and `m` (proved, not sampled).
 */
function big(parents: number, kids: number, every: number) {
  const regions: RegionDesc[] = [];
  for (let i = 0; i < parents; i++) {
    const base = HIGH + BigInt(i) * BigInt(kids) * 8n * KiB;
    const children: RegionDesc[] = [];
    for (let j = 0; j < kids; j++) {
      const start = base + BigInt(j) * 8n * KiB;
      const floating = j % every === 0;
      children.push({
        name: `r${i}_${j}`,
        start: floating ? add2(start, p("n")) : start,
        size: 4n * KiB,
      });
      children.push({
        name: `h${i}_${j}`,
        kind: "hole",
        start: floating ? add2(start + 4n * KiB, p("n")) : start + 4n * KiB,
        size: floating ? add2(4n * KiB, p("m")) : 4n * KiB,
      });
    }
    regions.push({
      name: `p${i}`,
      start: base,
      size: BigInt(kids) * 8n * KiB,
      exhaustive: true,
      children,
    });
  }
  return build({
    params: [
      { name: "n", default: 0n, min: 0n, max: 0n, align: 4n * KiB, type: "size" },
      { name: "m", default: 0n, min: 0n, max: 0n, align: 4n * KiB, type: "size" },
    ],
    regions,
  });
}

describe("performance", () => {
  test("100,000 regions, a tenth of them parametric, verify clean in well under a second", () => {
    const layout = big(500, 100, 10); // 500 parents + 50,000 regions + 50,000 holes
    expect(layout.regions.length).toBeGreaterThan(100_000);
    verify(layout); // warm up the JIT
    const t0 = performance.now();
    const result = verify(layout);
    const ms = performance.now() - t0;
    expect(result.diagnostics).toEqual([]);
    console.log(`verify: ${layout.regions.length} regions in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000);
  });
  test("100,000 siblings with one overlap find it", () => {
    const regions: RegionDesc[] = [];
    for (let j = 0; j < 100_000; j++) {
      regions.push({
        name: `r${j}`,
        start: HIGH + BigInt(j) * 8n * KiB,
        size: (j === 77_777 ? 12n : 4n) * KiB,
      });
    }
    const layout = build({ regions });
    verify(layout); // warm up the JIT
    const t0 = performance.now();
    const result = verify(layout);
    const ms = performance.now() - t0;
    expect(result.diagnostics.map((d) => d.message)).toEqual(["`r77778` overlaps `r77777`"]);
    console.log(`verify: 100000 siblings in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000);
  });
});
