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
import { bounds, constant, minus } from "../compiler/affine.js";
import { rat } from "../compiler/rational.js";
import type { KaslrGroup, Layout, Region } from "../compiler/layout.js";
import type { Label } from "../diagnostics/diagnostic.js";
import { type Context, nameLabel } from "./context.js";
import { allow, hex, list, range, shortHex, size, tick } from "./format.js";
import { type Domains, refuteAtLeast, refuteAtMost } from "./proof.js";

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

/**
 * Runs the randomisation for real: `rand` yields one 64-bit random value per member (taken
 * modulo 2^64, as the kernel's `unsigned long`). Throws when the members do not fit the range
 * or `align` is not a power of two (the verifier reports both as E0213).
 */
export function placeKaslr(
  group: KaslrRange,
  memberSizes: readonly bigint[],
  rand: () => bigint,
): KaslrPlacement {
  const { rangeStart, rangeEnd, align } = group;
  if (!isPowerOfTwo(align)) throw new RangeError(`KASLR align ${align} is not a power of two`);
  const n = memberSizes.length;
  const vaddrEnd = rangeEnd + 1n;
  let vaddr = rangeStart;
  let remain = vaddrEnd - rangeStart - sum(memberSizes);
  if (remain < 0n) throw new RangeError("KASLR members do not fit their range");
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
  return { bases, ends, entropies };
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
  | { readonly fits: false; readonly need: bigint; readonly available: bigint };

/**
 * Proves where every member can go, for every random sequence, in O(n) (see the file comment).
 * `pads` are the members' sizes. `align` must be a power of two.
 */
export function proveKaslr(group: KaslrRange, pads: readonly bigint[]): KaslrProof {
  const { rangeStart, rangeEnd, align } = group;
  if (!isPowerOfTwo(align)) throw new RangeError(`KASLR align ${align} is not a power of two`);
  const available = rangeEnd + 1n - rangeStart;
  const need = sum(pads);
  if (need > available) return { fits: false, need, available };
  const n = pads.length;
  const remain = available - need;
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
function padOf(r: Region, domains: Domains): bigint {
  const max = bounds(r.size.sym, domains).max;
  const q = max.num / max.den;
  return q * max.den === max.num || max.num < 0n ? q : q + 1n;
}

/**
 * The sizes `placeKaslr` takes for a group of `layout`: each member's largest size over all
 * parameter values (the runtime reserves that much, as Linux reserves `size_tb` TiB).
 * Throws on a member the layout does not have (the compiler reports that as E0118).
 */
export function kaslrMemberSizes(layout: Layout, group: KaslrGroup): bigint[] {
  const domains = new Map(layout.params.map((p) => [p.name, p]));
  return group.members.map((m) => {
    const r = layout.regions.find((x) => x.name === m.name);
    if (!r) throw new Error(`internal error: KASLR member ${m.name} is not a region`);
    return padOf(r, domains);
  });
}

export function checkKaslr(ctx: Context): void {
  for (const group of ctx.layout.kaslr) checkGroup(ctx, group);
}

function checkGroup(ctx: Context, g: KaslrGroup): void {
  const members: Region[] = [];
  for (const m of g.members) {
    const r = ctx.byName.get(m.name);
    // Unknown members are the compiler's E0118; broken ones are already reported.
    if (!r || !ctx.usable(r)) return;
    members.push(r);
  }
  const rangeLabel: Label = {
    span: g.rangeSpan,
    message: `KASLR range ${range(g.rangeStart, g.rangeEnd)}`,
  };
  checkOverlapWithFixed(ctx, g, members, rangeLabel);
  if (members.length === 0) return;
  if (!isPowerOfTwo(g.align)) {
    ctx.report("E0213", members, g.span, () => ({
      message: `KASLR group ${tick(g.name)} aligns to ${shortHex(g.align)}, which is not a power of two`,
      help: "use a power of two for the group's `align` (Linux uses 1 GiB, `PUD_SIZE`)",
    }));
    return;
  }
  const pads = members.map((r) => padOf(r, ctx.domains));
  const orderOk = checkOrder(ctx, g, members, rangeLabel);
  const proof = proveKaslr(g, pads);
  if (!proof.fits) {
    ctx.report("E0213", members, g.rangeSpan, () => ({
      message: `the members of KASLR group ${tick(g.name)} need ${size(proof.need)} but its range is only ${size(proof.available)}`,
      labels: [
        rangeLabel,
        ...members.map((r, i) => nameLabel(r, `${tick(r.name)} is ${size(pads[i]!)}`)),
      ],
      notes: ["each member reserves its largest size over all parameter values"],
      help: "enlarge the range or shrink the members",
    }));
    return;
  }
  if (!orderOk) return;
  checkRange(ctx, g, members, pads, proof, rangeLabel);
}

/** E0213: at the defaults the members are in the declared order, disjoint, and inside the range. */
function checkOrder(
  ctx: Context,
  g: KaslrGroup,
  members: readonly Region[],
  rangeLabel: Label,
): boolean {
  let ok = true;
  for (let i = 0; i < members.length; i++) {
    const r = members[i]!;
    const span = g.members[i]!.span;
    if (r.start.value < g.rangeStart || r.end.value > g.rangeEnd) {
      ctx.report("E0213", [r], span, () => ({
        message: `KASLR member ${tick(r.name)} lies outside the range of group ${tick(g.name)} at the defaults`,
        labels: [rangeLabel, nameLabel(r)],
        help: `place ${tick(r.name)} inside ${range(g.rangeStart, g.rangeEnd)}, or enlarge the range`,
      }));
      ok = false;
    }
    if (i === 0) continue;
    const p = members[i - 1]!;
    if (p.end.value >= r.start.value) {
      ctx.report("E0213", [p, r], span, () => ({
        message: `KASLR group ${tick(g.name)} places ${tick(p.name)} before ${tick(r.name)}, but at the defaults ${tick(r.name)} does not come after it`,
        labels: [nameLabel(p), nameLabel(r)],
        notes: ["the randomisation keeps the members in the order they are listed"],
        help: "list the members in address order",
      }));
      ok = false;
    }
  }
  return ok;
}

/** E0211: every member stays inside the range for every random sequence. */
function checkRange(
  ctx: Context,
  g: KaslrGroup,
  members: readonly Region[],
  pads: readonly bigint[],
  proof: Extract<KaslrProof, { fits: true }>,
  rangeLabel: Label,
): void {
  const n = members.length;
  const vaddrEnd = g.rangeEnd + 1n;
  for (let i = 0; i < n; i++) {
    const r = members[i]!;
    const b = proof.members[i]!;
    // The bytes round_up() skipped after the members placed before this one.
    const gapTotal = proof.gaps.slice(0, i).reduce((x, y) => x + y, 0n);
    const notes: string[] = [];
    let message: string | undefined;
    if (b.maxEnd > g.rangeEnd) {
      const over = b.maxEnd - g.rangeEnd;
      const hits = fixedIn(ctx, vaddrEnd, b.maxEnd, members);
      const into = hits.length > 0 ? `, into ${list(hits.map((h) => tick(h.name)))}` : "";
      message = `${tick(r.name)} can end ${size(over)} past the end of the KASLR range at ${hex(vaddrEnd)} (group ${tick(g.name)})`;
      const rands = proof.witness.rands
        .slice(0, i + 1)
        .map((v, j) => `${shortHex(v)} (${tick(members[j]!.name)})`);
      notes.push(
        `reachable: the random values ${list(rands)} give the largest entropy at every step (${list(proof.witness.entropies.slice(0, i + 1).map(size))}) and place ${tick(r.name)} at ${range(b.maxStart, b.maxEnd)}, of which ${range(vaddrEnd, b.maxEnd)} lies past the range${into}`,
      );
      if (i > 0 && gapTotal > 0n) {
        notes.push(
          `\`remain\` starts at ${size(proof.remain)} (the range minus the members) but does not deduct the ${size(gapTotal)} that \`round_up(vaddr + 1, align)\` skips after ${list(members.slice(0, i).map((m) => tick(m.name)))}, so the entropies can add up to more than the room left (moving the range end does not help: \`remain\` moves with it)`,
        );
      }
    } else if (b.minStart < g.rangeStart) {
      message = `${tick(r.name)} can start ${size(g.rangeStart - b.minStart)} before the KASLR range at ${hex(g.rangeStart)} (group ${tick(g.name)})`;
    }
    if (!message) continue;
    notes.push(
      `over every sequence of random values ${tick(r.name)} starts in ${range(b.minStart, b.maxStart)} and ends at most at ${hex(b.maxEnd)}; the members reserve ${list(pads.map(size))}`,
    );
    const text = message;
    ctx.report("E0211", [r], r.nameSpan, () => ({
      message: text,
      labels: [
        rangeLabel,
        { span: g.members[i]!.span, message: `randomised by KASLR group ${tick(g.name)}` },
      ],
      notes,
      help:
        i > 0 && gapTotal > 0n
          ? `keep the skipped ${size(gapTotal)} out of the entropy (deduct it from \`remain\` in the placement code), or make each member before ${tick(r.name)} one page short of a multiple of the ${size(g.align)} alignment so the skipped bytes are part of the range; if the overshoot only reaches padding ${tick(r.name)} never uses, add ${allow("E0211")} to it`
          : `enlarge the range or shrink the members`,
    }));
  }
}

/** Fixed regions (`region`, `guard`; not members or their ancestors) that meet `lo..hi`. */
function fixedIn(ctx: Context, lo: bigint, hi: bigint, members: readonly Region[]): Region[] {
  const skip = new Set<Region>(members);
  for (const m of members) for (let p = ctx.parent(m); p; p = ctx.parent(p)) skip.add(p);
  return ctx.layout.regions.filter(
    (r) =>
      (r.kind === "region" || r.kind === "guard") &&
      !skip.has(r) &&
      r.start.value <= hi &&
      r.end.value >= lo,
  );
}

/** E0212: the range overlaps no fixed `region` or `guard` other than members, their ancestors, `may_overlap` regions and descendants of those. */
function checkOverlapWithFixed(
  ctx: Context,
  g: KaslrGroup,
  members: readonly Region[],
  rangeLabel: Label,
): void {
  const roots = new Set<string>([
    ...g.members.map((m) => m.name),
    ...g.mayOverlap.map((m) => m.name),
  ]);
  const ancestors = new Set<string>();
  for (const m of members) {
    for (let p = ctx.parent(m); p; p = ctx.parent(p)) ancestors.add(p.name);
  }
  const exempt = (r: Region): boolean => {
    if (ancestors.has(r.name)) return true;
    for (let p: Region | undefined = r; p; p = ctx.parent(p)) if (roots.has(p.name)) return true;
    return false;
  };
  const lo = g.rangeStart;
  const hi = g.rangeEnd;
  const help = (r: Region): string =>
    `end the KASLR range before ${tick(r.name)} or move ${tick(r.name)} out of it; if ${tick(r.name)} is never in use while KASLR is (as KASAN shadow memory), list it in \`may_overlap\``;
  for (const r of ctx.layout.regions) {
    if ((r.kind !== "region" && r.kind !== "guard") || !ctx.usable(r) || exempt(r)) continue;
    const s = r.start.value;
    const e = r.end.value;
    if (s <= hi && e >= lo) {
      const a = s > lo ? s : lo;
      const b = e < hi ? e : hi;
      ctx.report("E0212", [r], g.rangeSpan, () => ({
        message: `the KASLR range of group ${tick(g.name)} overlaps ${r.kind === "guard" ? "guard " : ""}${tick(r.name)}`,
        labels: [rangeLabel, nameLabel(r)],
        notes: [
          `they share ${range(a, b)} (${size(b - a + 1n)})`,
          "a randomised member can be placed anywhere in the range",
        ],
        help: help(r),
      }));
      continue;
    }
    if (!ctx.parametric(r)) continue;
    const before = e < lo;
    const moves = before
      ? refuteAtMost(r.end.sym, lo - 1n, ctx.domains)
      : refuteAtLeast(r.start.sym, hi + 1n, ctx.domains);
    if (!moves) continue;
    const cex = ctx.confirm(
      moves,
      [[minus(constant(rat(hi)), r.start.sym), minus(r.end.sym, constant(rat(lo)))]],
      `${tick(r.name)} can move across the range, but no value was found at which it overlaps it`,
    );
    ctx.reportParametric(
      "E0212",
      [r],
      `the KASLR range of group ${tick(g.name)} can overlap ${tick(r.name)}`,
      g.rangeSpan,
      cex,
      (values) => [`there ${ctx.describeAt(r, values)}, and the KASLR range is ${range(lo, hi)}`],
      { labels: [rangeLabel, nameLabel(r)], help: help(r) },
    );
  }
}
