/**
 * Physical RAM as the firmware reports it (an E820-style map): sorted, disjoint, half-open
 * ranges `[start, end)` of usable memory. The installer maps a direct map (`map ram`) over
 * these ranges only, so a hole in the map is a hole in the direct map.
 *
 * Ranges are trimmed to whole 4-KByte frames (a partial frame at either end cannot be mapped
 * on its own, as in Linux's `init_memory_mapping`), merged where they touch, and must lie
 * below 2^52 (the architectural physical-address limit; the installer checks MAXPHYADDR).
 */

/** One range of RAM: `start` inclusive, `end` exclusive. */
export interface RamRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** Sorted, disjoint, non-adjacent, 4-KByte aligned ranges. */
export type RamMap = readonly RamRange[];

const FRAME = 4096n;
const PHYS_LIMIT = 1n << 52n;

/** `bytes` of RAM (rounded down to 4 KiB) from physical `base` (4 KiB aligned). */
export function ramOfSize(bytes: bigint, base = 0n): RamMap {
  const end = bytes - (bytes % FRAME);
  return end > 0n ? [{ start: base, end: base + end }] : [];
}

export type RamResult =
  { readonly ok: true; readonly value: RamMap } | { readonly ok: false; readonly error: string };

/**
 * Validates and normalises a RAM map: every range must have `start < end` and end at or below
 * 2^52; overlapping ranges are an error (firmware maps that overlap are ambiguous); ranges are
 * sorted, trimmed inward to 4 KiB, and adjacent ones merged. Ranges that trim to nothing vanish.
 */
export function normalizeRam(ranges: readonly RamRange[]): RamResult {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  // Merge touching ranges first: a frame split between two of them is still whole RAM.
  const merged: { start: bigint; end: bigint }[] = [];
  for (const r of sorted) {
    if (r.start < 0n || r.end <= r.start) {
      return { ok: false, error: `RAM range ${show(r)} is empty or negative` };
    }
    if (r.end > PHYS_LIMIT) {
      return {
        ok: false,
        error: `RAM range ${show(r)} ends above 2^52, the physical-address limit`,
      };
    }
    const last = merged[merged.length - 1];
    if (last !== undefined && r.start < last.end) {
      return { ok: false, error: `RAM ranges overlap at 0x${r.start.toString(16)}` };
    }
    if (last !== undefined && r.start === last.end) last.end = r.end;
    else merged.push({ start: r.start, end: r.end });
  }
  const out: RamRange[] = [];
  for (const r of merged) {
    const start = ((r.start + FRAME - 1n) / FRAME) * FRAME;
    const end = r.end - (r.end % FRAME);
    if (end > start) out.push({ start, end });
  }
  return { ok: true, value: out };
}

/** Total bytes of RAM. */
export function ramBytes(map: RamMap): bigint {
  return map.reduce((s, r) => s + (r.end - r.start), 0n);
}

/** The end of the highest range (0 for no RAM): Linux's `max_pfn << PAGE_SHIFT`. */
export function ramTop(map: RamMap): bigint {
  return map.length === 0 ? 0n : map[map.length - 1]!.end;
}

/** The parts of `[start, end)` that are RAM, in order. */
export function ramWithin(map: RamMap, start: bigint, end: bigint): RamRange[] {
  const out: RamRange[] = [];
  for (const r of map) {
    if (r.end <= start) continue;
    if (r.start >= end) break;
    out.push({ start: r.start > start ? r.start : start, end: r.end < end ? r.end : end });
  }
  return out;
}

/** True when `[start, end)` lies entirely in RAM. */
export function isRam(map: RamMap, start: bigint, end: bigint): boolean {
  const parts = ramWithin(map, start, end);
  return parts.length === 1 && parts[0]!.start === start && parts[0]!.end === end;
}

function show(r: RamRange): string {
  return `0x${r.start.toString(16)}..<0x${r.end.toString(16)}`;
}
