/**
 * walk-4k: on the install-4k tables, 10,000,000 full page walks (`Mmu.probeWords`: no TLB, no
 * A/D updates) of `VA = 0xffff888000000000 + (x & (16 GiB - 1))`, `x` a 64-bit xorshift stepped
 * before each walk, computed on 32-bit word pairs: no bigint and no allocation in the loop.
 * `checksum` is the XOR of all the physical addresses.
 */
import { Access } from "../src/runtime/index.js";
import {
  type BenchOptions,
  type BenchResult,
  DIRECT_MAP_HI,
  DIRECT_MAP_LO,
  SEED_HI,
  SEED_LO,
  WALK_CHECKSUM,
  hex64,
  mappedBytes,
  nsPerOp,
  round,
  timed,
  walkCount,
} from "./common.js";
import { installDirectMap } from "./install-4k.js";
import type { CResults } from "./c.js";

export interface WalkSum {
  readonly hi: number;
  readonly lo: number;
  /** Walks that faulted (must be 0). */
  readonly faults: number;
}

/** Masks of `bytes - 1` (a power of two minus one) as a word pair. */
export function offsetMasks(bytes: number): { maskHi: number; maskLo: number } {
  const m = bytes - 1;
  if ((DIRECT_MAP_HI & Math.floor(m / 2 ** 32)) !== 0 || DIRECT_MAP_LO !== 0) {
    throw new Error("the direct map base must be aligned to the mapped size");
  }
  return { maskHi: Math.floor(m / 2 ** 32), maskLo: (m % 2 ** 32) | 0 };
}

/** An MMU's allocation-free walk on address words (x86 `Mmu`, RISC-V `SvMmu`). */
export interface WordProber<A> {
  probeWords(vaHi: number, vaLo: number, access: A): number;
}

/** The walks through `mmu.probeWords`, each a supervisor read `read`. */
export function probeWalks<A>(mmu: WordProber<A>, read: A, n: number, bytes: number): WalkSum {
  const { maskHi, maskLo } = offsetMasks(bytes);
  // The words are int32 bit patterns: an uint32 of 2^31 or more would be a heap number.
  let h = SEED_HI | 0;
  let l = SEED_LO | 0;
  let sumHi = 0;
  let sumLo = 0;
  let faults = 0;
  for (let i = 0; i < n; i++) {
    h ^= (h << 13) | (l >>> 19);
    l ^= l << 13;
    l ^= (l >>> 7) | (h << 25);
    h ^= h >>> 7;
    h ^= (h << 17) | (l >>> 15);
    l ^= l << 17;
    const pa = mmu.probeWords(DIRECT_MAP_HI | (h & maskHi), l & maskLo, read);
    if (pa < 0) faults++;
    sumLo ^= pa;
    sumHi ^= (pa / 4294967296) | 0;
  }
  return { hi: sumHi >>> 0, lo: sumLo >>> 0, faults };
}

export function runWalk4k(options: BenchOptions, c: CResults | undefined): BenchResult {
  const machine = installDirectMap(options.small);
  const bytes = mappedBytes(options.small);
  const n = walkCount(options.small);
  const result = timedWalks("walk-4k", options, c, () =>
    probeWalks(machine.mmu, Access.read, n, bytes),
  );
  const ratioC = result.ratioC as number | null;
  return { ...result, goalRatioC: 2, goalMet: ratioC === null ? null : ratioC <= 2 };
}

/**
 * Times `walks` (the walk-4k sequence through some MMU), checks its faults and checksum (and the
 * C baseline's), and reports it with the ratio to the C walk.
 */
export function timedWalks(
  name: string,
  options: BenchOptions,
  c: CResults | undefined,
  walks: () => WalkSum,
): BenchResult {
  const n = walkCount(options.small);
  const t = timed(options.reps, () => undefined, walks);
  if (t.last.faults !== 0) throw new Error(`${name}: ${t.last.faults} walks faulted`);
  const checksum = hex64(t.last.hi, t.last.lo);
  if (!options.small && checksum !== WALK_CHECKSUM) {
    throw new Error(`${name}: checksum ${checksum}, expected ${WALK_CHECKSUM}`);
  }
  const cWalk = c?.walk;
  if (cWalk && cWalk.checksum !== checksum) {
    throw new Error(`${name}: C checksum ${cWalk.checksum} differs from ${checksum}`);
  }
  return {
    name,
    ms: t.ms,
    ops: n,
    nsPerOp: nsPerOp(t.ms, n),
    medianMs: t.medianMs,
    firstMs: t.firstMs,
    runs: t.runs,
    checksum,
    cMs: cWalk?.ms ?? null,
    cMedianMs: cWalk?.medianMs ?? null,
    cChecksum: cWalk?.checksum ?? null,
    ratioC: cWalk ? round(t.ms / cWalk.ms, 2) : null,
  };
}
