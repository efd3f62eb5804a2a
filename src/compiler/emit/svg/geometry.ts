/**
 * The picture's vertical geometry: how tall a box is (log scale), the segments a layout is cut
 * into (regions and the addresses between them, nested), where each goes and the y of any
 * address.
 */
import { groupBy } from "../../../model/collections.js";
import { ADDRESS_SPACE_END, type Layout, type Region } from "../../../model/layout.js";

/** A box's height: `H_MIN` px at 4 KiB and less, `H_PER_DOUBLING` more each time the size doubles. */
export const H_MIN = 16;
export const H_PER_DOUBLING = 1.8;
/** The non-canonical hole, not to scale. */
export const NC_HEIGHT = 70;
/** How far a child's box is inset from its parent's left edge. */
export const INSET = 16;
export const BAR_W = 250;

function log2(v: bigint): number {
  const bits = v.toString(2).length;
  const shift = Math.max(0, bits - 53);
  return Math.log2(Number(v >> BigInt(shift))) + shift;
}

export function boxHeight(size: bigint): number {
  return H_MIN + Math.max(0, log2(size) - 12) * H_PER_DOUBLING;
}

/**
 * The size strip along a box's bottom edge, growing left from the bar's right edge (common to
 * every depth, so strips compare like the bars of a chart): linear in the size, the full
 * `STRIP_W` for a whole canonical half. Heights are logarithmic, so that a 4 KiB page shows;
 * the strip shows what they hide, that a 64 TB map is 128 times a 0.5 TB hole. A box under
 * 1/436 of a half (0.5 px) gets none.
 */
export const STRIP_W = BAR_W - 2 * INSET;
export const STRIP_H = 4;
export const stripWidth = (size: bigint, half: bigint): number =>
  (STRIP_W * Number((size * 1_000_000n) / half)) / 1_000_000;

export interface Seg {
  readonly start: bigint;
  /** Exclusive. */
  readonly limit: bigint;
  /** Undefined for addresses no sibling covers: in no region at top level, else the parent's own. */
  readonly region: Region | undefined;
  readonly depth: number;
  readonly children: Seg[];
  y: number;
  h: number;
}

/**
 * The layout's regions as a tree of segments over the whole 64-bit space, with the addresses
 * between siblings as segments of their own, each measured.
 */
export function segments(layout: Layout): Seg[] {
  const byParent = groupBy(layout.regions, (r) => r.parent);
  const top = buildSegs(byParent.get(null) ?? [], byParent, 0n, ADDRESS_SPACE_END, 0);
  top.forEach(measure);
  return top;
}

function buildSegs(
  regions: readonly Region[],
  byParent: ReadonlyMap<string | null, readonly Region[]>,
  start: bigint,
  limit: bigint,
  depth: number,
): Seg[] {
  const segs: Seg[] = [];
  let at = start;
  const gap = (to: bigint): void => {
    if (to > at)
      segs.push({ start: at, limit: to, region: undefined, depth, children: [], y: 0, h: 0 });
  };
  for (const r of regions) {
    gap(r.start.value);
    const rLimit = r.end.value + 1n;
    const kids = byParent.get(r.name) ?? [];
    const children =
      kids.length > 0 && r.kind !== "noncanonical"
        ? buildSegs(kids, byParent, r.start.value, rLimit, depth + 1)
        : [];
    segs.push({ start: r.start.value, limit: rLimit, region: r, depth, children, y: 0, h: 0 });
    at = rLimit > at ? rLimit : at;
  }
  gap(limit);
  return segs;
}

export const isBreak = (s: Seg): boolean => s.region?.kind === "noncanonical";

/** Heights, bottom up. */
function measure(s: Seg): number {
  if (isBreak(s)) s.h = NC_HEIGHT;
  else if (s.children.length > 0) s.h = s.children.reduce((sum, c) => sum + measure(c), 0);
  else s.h = boxHeight(s.limit - s.start);
  return s.h;
}

export function place(s: Seg, y: number): void {
  s.y = y;
  let at = y;
  for (const c of s.children) {
    place(c, at);
    at += c.h;
  }
}

export function* walk(segs: readonly Seg[]): Generator<Seg> {
  for (const s of segs) {
    yield s;
    yield* walk(s.children);
  }
}

/** The y of an address (a boundary between bytes): linear inside the deepest segment. */
export function addressY(segs: readonly Seg[], a: bigint): number {
  for (const s of segs) {
    if (a < s.start || a > s.limit) continue;
    if (a === s.limit && s !== segs[segs.length - 1] && segs.some((t) => t.start === a)) continue;
    if (s.children.length > 0) return addressY(s.children, a);
    const frac = Number(((a - s.start) * 1_000_000n) / (s.limit - s.start)) / 1_000_000;
    return s.y + frac * s.h;
  }
  return segs.length > 0 ? segs[segs.length - 1]!.y + segs[segs.length - 1]!.h : 0;
}
