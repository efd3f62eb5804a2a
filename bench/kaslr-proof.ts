/**
 * kaslr-proof: `proveKaslr` on the Linux spec's KASLR group (4-level variant: members direct
 * map, vmalloc, vmemmap in 0xffff888000000000 ..< 0xfffffe0000000000, 1 GiB aligned), and the
 * same with a range and members 1,000 times larger (118 PiB). The proof is O(members)
 * arithmetic, so the time per proof must not grow with the range.
 */
import * as path from "node:path";
import { checkSpec } from "../src/pipeline.js";
import { type KaslrRange, kaslrMemberSizes, proveKaslr } from "../src/verifier/index.js";
import {
  type BenchOptions,
  type BenchResult,
  ROOT,
  SMALL_DIVISOR,
  nsPerOp,
  round,
  timed,
} from "./common.js";

const GiB = 1n << 30n;

export function linuxKaslr(): { group: KaslrRange; sizes: bigint[] } {
  const checked = checkSpec(path.join(ROOT, "specs", "linux-x86_64.layout"), {
    variant: "4-level",
  });
  const layout = checked.layouts[0];
  const group = layout?.kaslr[0];
  if (!layout || !group) throw new Error("kaslr-proof: the Linux spec has no KASLR group");
  return { group, sizes: kaslrMemberSizes(layout, group) };
}

function proveMany(group: KaslrRange, sizes: readonly bigint[], n: number): bigint {
  let last = 0n;
  for (let i = 0; i < n; i++) {
    const proof = proveKaslr(group, sizes);
    if (!proof.fits) throw new Error("kaslr-proof: the members do not fit");
    last = proof.members[proof.members.length - 1]!.maxEnd;
  }
  return last;
}

export function runKaslrProof(options: BenchOptions): BenchResult {
  const { small, reps } = options;
  const n = small ? Math.round(200_000 / SMALL_DIVISOR) : 200_000;
  const { group, sizes } = linuxKaslr();
  const k = 1000n;
  const start = 0x8000_0000_0000_0000n;
  const bigGroup: KaslrRange = {
    rangeStart: start,
    rangeEnd: start + k * (group.rangeEnd + 1n - group.rangeStart) - 1n,
    align: group.align,
  };
  const bigSizes = sizes.map((s) => s * k);
  // Interleaved, so that both see the same machine load.
  const linuxRuns: number[] = [];
  const bigRuns: number[] = [];
  let linuxEnd = 0n;
  let bigEnd = 0n;
  for (let r = 0; r < reps; r++) {
    const a = timed(
      1,
      () => undefined,
      () => proveMany(group, sizes, n),
    );
    const b = timed(
      1,
      () => undefined,
      () => proveMany(bigGroup, bigSizes, n),
    );
    linuxRuns.push(a.ms);
    bigRuns.push(b.ms);
    linuxEnd = a.last;
    bigEnd = b.last;
  }
  const best = (xs: number[]): number => Math.min(...xs);
  const overshoot = (linuxEnd - group.rangeEnd) / GiB;
  const bigOvershoot = (bigEnd - bigGroup.rangeEnd) / GiB;
  const ms = round(best(linuxRuns));
  const bigMs = round(best(bigRuns));
  return {
    name: "kaslr-proof",
    ms,
    ops: n,
    nsPerOp: nsPerOp(ms, n),
    runs: linuxRuns.map((x) => round(x)),
    rangeTiB: round(Number(group.rangeEnd + 1n - group.rangeStart) / 2 ** 40, 1),
    overshootGiB: Number(overshoot),
    bigMs,
    bigNsPerOp: nsPerOp(bigMs, n),
    bigRuns: bigRuns.map((x) => round(x)),
    bigRangePiB: round(Number(bigGroup.rangeEnd + 1n - bigGroup.rangeStart) / 2 ** 50, 1),
    bigOvershootGiB: Number(bigOvershoot),
    ratioBig: round(bigMs / ms, 2),
    // "Must not grow": within measurement noise of the small range.
    goalMet: bigMs <= ms * 1.5,
  };
}
