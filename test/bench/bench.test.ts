/**
 * The benchmark runner in its --small mode (sizes / 64): every workload prints one JSON line
 * that parses, and the walks' checksum equals one computed here independently (bigint xorshift,
 * and the direct map's physical address is the offset). No timing is asserted: benchmarks are
 * not timed tests. Needs the build (`npx tsc -p .`).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUNNER = fileURLToPath(new URL("../../dist/bench/run.js", import.meta.url));
const WORKLOADS = [
  "install-4k",
  "walk-4k",
  "walk-tlb",
  "walk-sv48",
  "verify-100k",
  "kaslr-proof",
  "check-cold",
  "audit-1g",
];

/** XOR of `x & (bytes - 1)` over `n` steps of the 64-bit xorshift, stepped before each use. */
function expectedChecksum(n: number, bytes: bigint): string {
  const M = (1n << 64n) - 1n;
  let x = 0x9e3779b97f4a7c15n;
  let sum = 0n;
  for (let i = 0; i < n; i++) {
    x ^= (x << 13n) & M;
    x ^= x >> 7n;
    x ^= (x << 17n) & M;
    sum ^= x & (bytes - 1n); // VA 0xffff888000000000 + off maps to PA off
  }
  return "0x" + sum.toString(16).padStart(16, "0");
}

describe("npm run bench -- --small --json", () => {
  test("every workload line parses; the walk checksums are right", { timeout: 300_000 }, () => {
    expect(existsSync(RUNNER), "run `npx tsc -p .` first").toBe(true);
    const out = execFileSync(process.execPath, [RUNNER, "--small", "--json"], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    const lines = out.trim().split("\n");
    const results = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results.map((r) => r.name)).toEqual(WORKLOADS);
    for (const r of results) {
      expect(r.error, `${r.name}: ${r.error}`).toBeUndefined();
      expect(typeof r.ms === "number" && Number.isFinite(r.ms) && r.ms >= 0, `${r.name} ms`).toBe(
        true,
      );
      expect(Number.isInteger(r.ops) && (r.ops as number) > 0, `${r.name} ops`).toBe(true);
    }
    const byName = new Map(results.map((r) => [r.name, r]));
    // 256 MiB at 4 KiB pages: 128 page tables, a PD, a PDPT, the PML4.
    expect(byName.get("install-4k")!.frames).toBe(131);
    expect(byName.get("install-4k")!.ops).toBe(65_536);
    const checksum = expectedChecksum(156_250, 256n << 20n);
    expect(checksum).toBe("0x000000000ce342a1");
    expect(byName.get("walk-4k")!.checksum).toBe(checksum);
    expect(byName.get("walk-tlb")!.checksum).toBe(checksum);
    expect(byName.get("walk-sv48")!.checksum).toBe(checksum);
    // The C baseline ran (and agreed) unless gcc is missing, which the line then says.
    const walk = byName.get("walk-4k")!;
    if (walk.cError === undefined) {
      expect(walk.cChecksum).toBe(checksum);
      expect(typeof walk.ratioC).toBe("number");
      expect(typeof byName.get("install-4k")!.ratioC).toBe("number");
    }
    expect(byName.get("verify-100k")!.diagnostics).toBe(0);
    expect(byName.get("kaslr-proof")!.overshootGiB).toBe(2);
    expect(byName.get("check-cold")!.exitCode).toBe(0);
  });

  test("the full-size checksum constant is the definition's", () => {
    // 10,000,000 bigint steps take a few seconds: check the known value once.
    expect(expectedChecksum(10_000_000, 16n << 30n)).toBe("0x00000001722903b2");
  });
});
