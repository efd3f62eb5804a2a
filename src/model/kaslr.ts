/**
 * KASLR: memory-region randomisation as Linux does it (`arch/x86/mm/kaslr.c`,
 * `kernel_randomize_memory()`), proved for every sequence of random values, and run for real.
 *
 *     vaddr = vaddr_start; remain = vaddr_end - vaddr_start - Σ pad_i    (vaddr_end exclusive)
 *     for i in 0..n-1:
 *         entropy = remain / (n - i)
 *         entropy = (rand_i % (entropy + 1)) & ~(align - 1)
 *         vaddr += entropy; base_i = vaddr
 *         vaddr += pad_i; vaddr = round_up(vaddr + 1, align)
 *         remain -= entropy
 *
 * The proof (`proveKaslr`). Entropies are multiples of `align`, so with S_i = Σ_{j<=i} e_j,
 *
 *     base_i = D_i + S_i,   D_0 = vaddr_start,   D_{i+1} = round_up(D_i + pad_i + 1, align)
 *
 * because `round_up(x + S, align) = round_up(x, align) + S` for S a multiple of `align`. The
 * D_i do not depend on the random values; only S_i does. Step i can add any multiple of
 * `align` up to f_i(S) - S, where
 *
 *     f_i(S) = S + align_down((R - S) / (n - i), align),   R = remain at the start,
 *
 * (every value in `[0, q]` is some `rand % (q + 1)`), and f_i is non-decreasing in S (one more
 * `align` of S costs at most one `align` of the next entropy). So the largest reachable S_i is
 * f_i(... f_0(0)), reached by taking the largest entropy at every step (rand_i = that entropy),
 * and the smallest is 0 (every rand 0). That gives for each member the exact interval of its
 * start and end over all random sequences in O(n) arithmetic, whatever the size of the range:
 * the upper bound is sound, and the greedy sequence is a concrete run that reaches it.
 *
 * The finding this reproduces: the `round_up(vaddr + 1, align)` after each member skips up to
 * `align` bytes that `remain` never deducts, so with Linux's 4-level numbers (members 64 TiB,
 * 32 TiB, 1 TiB in 0xffff888000000000 ..< 0xfffffe0000000000, align 1 GiB) the last member can
 * end (n - 1) * align = 2 GiB past `vaddr_end`.
 */
import { type Domains, bounds } from "./affine.js";
import type { KaslrGroup, Layout, Region } from "./layout.js";
import { shortHex, size } from "./format.js";

/** The part of a KASLR group the placement algorithm needs. */
export interface KaslrRange {
  /** Inclusive. */
  readonly rangeStart: bigint;
  /** Inclusive (`vaddr_end` is `rangeEnd + 1`). */
  readonly rangeEnd: bigint;
  /** A power of two. */
  readonly align: bigint;
}

export interface KaslrPlacement {
  readonly fits: true;
  /** Start of each member. */
  readonly bases: readonly bigint[];
  /** Inclusive end of each member (`base + size - 1`). */
  readonly ends: readonly bigint[];
  /** The entropy added before each member. */
  readonly entropies: readonly bigint[];
}

export const isPowerOfTwo = (x: bigint): boolean => x > 0n && (x & (x - 1n)) === 0n;

const roundUp = (x: bigint, a: bigint): bigint => ((x + a - 1n) / a) * a;
const alignDown = (x: bigint, a: bigint): bigint => x & ~(a - 1n);
const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** Why a group cannot be placed (the verifier reports both as E0213). */
export type KaslrMisfit =
  | { readonly fits: false; readonly reason: "align" }
  | {
      readonly fits: false;
      readonly reason: "size";
      readonly need: bigint;
      readonly available: bigint;
    };

/** Describes a misfit in a phrase: "align 0x3 is not a power of two". */
export function describeMisfit(group: KaslrRange, misfit: KaslrMisfit): string {
  return misfit.reason === "align"
    ? `align ${shortHex(group.align)} is not a power of two`
    : `the members need ${size(misfit.need)} but the range is only ${size(misfit.available)}`;
}

function misfitOf(group: KaslrRange, sizes: readonly bigint[]): KaslrMisfit | undefined {
  if (!isPowerOfTwo(group.align)) return { fits: false, reason: "align" };
  const available = group.rangeEnd + 1n - group.rangeStart;
  const need = sum(sizes);
  return need > available ? { fits: false, reason: "size", need, available } : undefined;
}

/**
 * Runs the randomisation for real: `rand` yields one 64-bit random value per member (taken
 * modulo 2^64, as the kernel's `unsigned long`).
 */
export function placeKaslr(
  group: KaslrRange,
  memberSizes: readonly bigint[],
  rand: () => bigint,
): KaslrPlacement | KaslrMisfit {
  const misfit = misfitOf(group, memberSizes);
  if (misfit) return misfit;
  const { rangeStart, rangeEnd, align } = group;
  const n = memberSizes.length;
  const vaddrEnd = rangeEnd + 1n;
  let vaddr = rangeStart;
  let remain = vaddrEnd - rangeStart - sum(memberSizes);
  const bases: bigint[] = [];
  const ends: bigint[] = [];
  const entropies: bigint[] = [];
  for (let i = 0; i < n; i++) {
    let entropy = remain / BigInt(n - i);
    entropy = alignDown(BigInt.asUintN(64, rand()) % (entropy + 1n), align);
    vaddr += entropy;
    bases.push(vaddr);
    ends.push(vaddr + memberSizes[i]! - 1n);
    entropies.push(entropy);
    vaddr += memberSizes[i]!;
    vaddr = roundUp(vaddr + 1n, align);
    remain -= entropy;
  }
  return { fits: true, bases, ends, entropies };
}

/** A deterministic 64-bit PRNG (SplitMix64) for reproducible placements: `placeKaslr(g, s, seededRandom(42n))`. */
export function seededRandom(seed: bigint): () => bigint {
  let state = BigInt.asUintN(64, seed);
  return () => {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  };
}

/** Exact extent of one member over every sequence of random values (all inclusive). */
export interface KaslrMemberBounds {
  readonly minStart: bigint;
  readonly maxStart: bigint;
  readonly minEnd: bigint;
  readonly maxEnd: bigint;
}

export type KaslrProof =
  | {
      readonly fits: true;
      /** `remain` before the first member: the entropy the algorithm thinks it distributes. */
      readonly remain: bigint;
      readonly members: readonly KaslrMemberBounds[];
      /** Bytes `round_up(vaddr + 1, align)` skips after each member (not deducted from `remain`). */
      readonly gaps: readonly bigint[];
      /**
       * One run that reaches every member's `maxStart`/`maxEnd` at once: the entropies, and
       * random values that produce them (the entropy itself is such a value).
       */
      readonly witness: {
        readonly entropies: readonly bigint[];
        readonly rands: readonly bigint[];
      };
    }
  | KaslrMisfit;

/**
 * Proves where every member can go, for every random sequence, in O(n) (see the file comment).
 * `pads` are the members' sizes.
 */
export function proveKaslr(group: KaslrRange, pads: readonly bigint[]): KaslrProof {
  const misfit = misfitOf(group, pads);
  if (misfit) return misfit;
  const { rangeStart, rangeEnd, align } = group;
  const n = pads.length;
  const remain = rangeEnd + 1n - rangeStart - sum(pads);
  const members: KaslrMemberBounds[] = [];
  const gaps: bigint[] = [];
  const entropies: bigint[] = [];
  let d = rangeStart; // D_i: the start with no entropy at all
  let s = 0n; // the largest reachable S_i (cumulative entropy)
  for (let i = 0; i < n; i++) {
    const pad = pads[i]!;
    const e = alignDown((remain - s) / BigInt(n - i), align);
    entropies.push(e);
    s += e;
    members.push({ minStart: d, maxStart: d + s, minEnd: d + pad - 1n, maxEnd: d + s + pad - 1n });
    const next = roundUp(d + pad + 1n, align);
    gaps.push(next - (d + pad));
    d = next;
  }
  return { fits: true, remain, members, gaps, witness: { entropies, rands: entropies } };
}

/** A member's size for the placement: its largest over all parameter values, whole bytes up. */
export function padOf(r: Region, domains: Domains): bigint {
  const max = bounds(r.size.sym, domains).max;
  const q = max.num / max.den;
  return q * max.den === max.num || max.num < 0n ? q : q + 1n;
}

/**
 * The sizes `placeKaslr` takes for a group of `layout`: each member's largest size over all
 * parameter values (what the verifier proves for), or, given the parameters of one boot, its
 * size on that boot (Linux sizes the direct map from the RAM it finds: `memory_tb` in
 * `kernel_randomize_memory()`). Throws on a member the layout does not have (the compiler
 * reports that as E0118).
 */
export function kaslrMemberSizes(
  layout: Layout,
  group: KaslrGroup,
  values?: ReadonlyMap<string, bigint>,
): bigint[] {
  const domains = new Map(
    layout.params.map((p) => {
      const v = values?.get(p.name);
      return [p.name, v === undefined ? p : { min: v, max: v, align: 1n }];
    }),
  );
  return group.members.map((m) => {
    const r = layout.regions.find((x) => x.name === m.name);
    if (!r) throw new Error(`internal error: KASLR member ${m.name} is not a region`);
    return padOf(r, domains);
  });
}
