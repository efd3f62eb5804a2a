/**
 * The C baseline (bench/c/pagetable.c): compiled with `gcc -O2` into a temporary directory and
 * run with the same sizes and repetitions as the TypeScript workloads, in the same bench run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type BenchOptions, INSTALL_REPS_FACTOR, ROOT, mappedBytes, walkCount } from "./common.js";

export interface CTiming {
  readonly ms: number;
  readonly medianMs: number;
  readonly firstMs: number;
}

export interface CResults {
  readonly install: CTiming & { readonly frames: number };
  readonly walk: CTiming & { readonly checksum: string; readonly faults: number };
  readonly compiler: string;
}

/** The C source (in the source tree: `tsc` does not copy it to dist/). */
export const C_SOURCE = path.join(ROOT, "bench", "c", "pagetable.c");

/** Compiles and runs the C baseline; `{ error }` when gcc is missing or the program fails. */
export function runC(options: BenchOptions): CResults | { readonly error: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-bench-"));
  try {
    const exe = path.join(dir, "pagetable");
    const cc = spawnSync("gcc", ["-O2", "-std=c11", "-o", exe, C_SOURCE], { encoding: "utf8" });
    if (cc.error) return { error: `gcc: ${cc.error.message}` };
    if (cc.status !== 0) return { error: `gcc failed: ${cc.stderr.trim()}` };
    const version = spawnSync("gcc", ["-dumpfullversion"], { encoding: "utf8" }).stdout.trim();
    const run = spawnSync(
      exe,
      [
        String(mappedBytes(options.small)),
        String(walkCount(options.small)),
        String(options.reps * INSTALL_REPS_FACTOR),
        String(options.reps),
      ],
      { encoding: "utf8" },
    );
    if (run.status !== 0) return { error: `C baseline failed: ${run.stderr || run.error}` };
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { name: string } & Record<string, unknown>);
    const byName = new Map(lines.map((l) => [l.name, l]));
    return {
      install: byName.get("install-4k") as unknown as CResults["install"],
      walk: byName.get("walk-4k") as unknown as CResults["walk"],
      compiler: `gcc ${version} -O2`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
