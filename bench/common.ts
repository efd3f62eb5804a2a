/**
 * Shared pieces of the benchmarks: options, the workloads' constants, timing.
 */
import { fileURLToPath } from "node:url";
import * as path from "node:path";

/** One output line: `ms` is the best of `reps` runs (see `timed`); extra fields per workload. */
export interface BenchResult {
  readonly name: string;
  readonly ms: number;
  readonly ops: number;
  readonly [extra: string]: unknown;
}

export interface BenchOptions {
  /** Sizes divided by `SMALL_DIVISOR` (a CI smoke run). */
  readonly small: boolean;
  /** Timed repetitions per workload (the first one is also reported as `firstMs`, cold). */
  readonly reps: number;
}

/** `--small` divides every size and count by this. */
export const SMALL_DIVISOR = 64;

/** Repository root (the benchmarks run from `dist/bench/`). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// --- install-4k / walk-4k ------------------------------------------------------------------

/** First virtual address of the direct map: Linux's `page_offset_base` without KASLR. */
export const DIRECT_MAP_VA = 0xffff_8880_0000_0000n;
/** Its high and low 32-bit words. */
export const DIRECT_MAP_HI = 0xffff8880;
export const DIRECT_MAP_LO = 0;
/** Bytes mapped by install-4k: 16 GiB (1/64 of it with --small). */
export function mappedBytes(small: boolean): number {
  return (16 * 2 ** 30) / (small ? SMALL_DIVISOR : 1);
}
/** The leaf entries: P | R/W | G | XD, physical address added. */
export const LEAF_FLAGS = 0x8000_0000_0000_0103n;
/** install-4k takes a few milliseconds: it runs this many times `--reps` (so does its C twin). */
export const INSTALL_REPS_FACTOR = 4;
/** Table frames come from a pool at 16 MiB. */
export const POOL_BASE = 0x100_0000;
/** Walks of walk-4k and walk-tlb. */
export function walkCount(small: boolean): number {
  return small ? Math.floor(10_000_000 / SMALL_DIVISOR) : 10_000_000;
}
/** The xorshift seed. */
export const SEED_HI = 0x9e3779b9;
export const SEED_LO = 0x7f4a7c15;

/**
 * Table frames of a 4-level map of `bytes` at 4 KiB pages from `DIRECT_MAP_VA` (which is 1 GiB
 * aligned and whose PDPT index is 0): one PT per 2 MiB, one PD per 1 GiB, one PDPT, one PML4.
 */
export function expectedFrames(bytes: number): number {
  return Math.ceil(bytes / 2 ** 21) + Math.ceil(bytes / 2 ** 30) + 1 + 1;
}

/** The checksum walk-4k must produce (the full run; `--small` is checked by the CI test). */
export const WALK_CHECKSUM = "0x00000001722903b2";

/** `0x` + 16 hex digits of the 64-bit value `hi:lo`. */
export function hex64(hi: number, lo: number): string {
  return "0x" + (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");
}

// --- timing --------------------------------------------------------------------------------

export interface Timing {
  /** Best of the runs: the least disturbed by other processes and the GC. */
  readonly ms: number;
  readonly medianMs: number;
  /** The first run: cold (JIT warm-up, first-touch page faults). */
  readonly firstMs: number;
  readonly runs: readonly number[];
}

export function summarize(runs: readonly number[]): Timing {
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    ms: round(sorted[0]!),
    medianMs: round(median(sorted)),
    firstMs: round(runs[0]!),
    runs: runs.map((x) => round(x)),
  };
}

export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** Runs `fn` `reps` times (each after `setup`, untimed) and summarizes the wall-clock times. */
export function timed<S, R>(
  reps: number,
  setup: () => S,
  fn: (state: S) => R,
): Timing & { readonly last: R } {
  const runs: number[] = [];
  let last: R | undefined;
  for (let i = 0; i < reps; i++) {
    const state = setup();
    const t0 = performance.now();
    last = fn(state);
    runs.push(performance.now() - t0);
  }
  return { ...summarize(runs), last: last as R };
}

/** Three significant decimals for milliseconds and ratios. */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Nanoseconds per operation. */
export function nsPerOp(ms: number, ops: number): number {
  return round((ms * 1e6) / ops, 1);
}

export const MiB = 1024 * 1024;
