/**
 * walk-tlb: the walk-4k addresses through `Mmu.accessWords`: the TLB first, on a miss a walk
 * with A/D updates whose translation is cached. The TLB holds 1,552 translations (docs/runtime.md),
 * so almost every access of 4 million random pages misses. Each run starts with a flushed TLB.
 */
import { Access, type Mmu } from "../src/runtime/index.js";
import {
  type BenchOptions,
  type BenchResult,
  DIRECT_MAP_HI,
  SEED_HI,
  SEED_LO,
  hex64,
  mappedBytes,
  nsPerOp,
  timed,
  walkCount,
} from "./common.js";
import { installDirectMap } from "./install-4k.js";
import { type WalkSum, offsetMasks } from "./walk-4k.js";

/** The walks through `mmu.accessWords` (same sequence and checksum as `probeWalks`). */
export function tlbWalks(mmu: Mmu, n: number, bytes: number): WalkSum {
  const { maskHi, maskLo } = offsetMasks(bytes);
  const read = Access.read;
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
    const pa = mmu.accessWords(DIRECT_MAP_HI | (h & maskHi), l & maskLo, read);
    if (pa < 0) faults++;
    sumLo ^= pa;
    sumHi ^= (pa / 4294967296) | 0;
  }
  return { hi: sumHi >>> 0, lo: sumLo >>> 0, faults };
}

export function runWalkTlb(options: BenchOptions): BenchResult {
  const { small, reps } = options;
  const machine = installDirectMap(small);
  const mmu = machine.mmu;
  const n = walkCount(small);
  const bytes = mappedBytes(small);
  const t = timed(
    reps,
    () => {
      mmu.flushTlb();
      mmu.tlb.hits = 0;
      mmu.tlb.misses = 0;
    },
    () => tlbWalks(mmu, n, bytes),
  );
  if (t.last.faults !== 0) throw new Error(`walk-tlb: ${t.last.faults} accesses faulted`);
  return {
    name: "walk-tlb",
    ms: t.ms,
    ops: n,
    nsPerOp: nsPerOp(t.ms, n),
    medianMs: t.medianMs,
    firstMs: t.firstMs,
    runs: t.runs,
    checksum: hex64(t.last.hi, t.last.lo),
    tlbHits: mmu.tlb.hits,
    tlbMisses: mmu.tlb.misses,
    tlbEntries: mmu.tlb.size,
  };
}
