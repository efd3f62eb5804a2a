/**
 * AArch64 stage 1 translation-table descriptors and geometry, EL1&0 regime (Arm ARM, DDI 0487,
 * chapter D8 "The AArch64 Virtual Memory System Architecture"; in issue J.a: D8.2 translation
 * tables and their lookup levels, D8.3 descriptor formats, D8.4 access permissions).
 *
 * Levels are Arm's here: 3 is the last (page) level; a walk starts at level 0, 1 or 2, or at
 * level -1 with 4K granule and 52-bit VA (FEAT_LPA2). The walker's numbering (1 = last) is
 * `walkerLevel`.
 *
 * Descriptors are word pairs: `lo` = bits 31:0, `hi` = bits 63:32.
 */

/** Translation granule in KiB. */
export type Granule = 4 | 16 | 64;
/** Virtual-address sizes the layouts use (TxSZ = 64 - vaBits). */
export type VaBits = 39 | 42 | 47 | 48 | 52;

/** log2 of the granule: the page shift (12, 14, 16). */
export function granuleShift(granule: Granule): number {
  return granule === 4 ? 12 : granule === 16 ? 14 : 16;
}

/** VA bits resolved per level: a table is one granule of 8-byte descriptors (D8.2). */
export function bitsPerLevel(granule: Granule): number {
  return granuleShift(granule) - 3;
}

/** VA bits below the part that indexes a table at Arm `level` (level 3: the page offset). */
export function levelShift(granule: Granule, level: number): number {
  return granuleShift(granule) + bitsPerLevel(granule) * (3 - level);
}

/**
 * The level a walk of a `vaBits`-bit space starts at (D8.2, the tables of "initial lookup
 * level"): the highest level whose shift is below `vaBits`, that level resolving the rest.
 * 4K: 39 -> 1, 42..48 -> 0, 52 -> -1; 16K: 39..47 -> 1, 48 and 52 -> 0; 64K: 39, 42 -> 2,
 * 47..52 -> 1.
 */
export function startLevel(granule: Granule, vaBits: number): number {
  return 3 - Math.floor((vaBits - granuleShift(granule) - 1) / bitsPerLevel(granule));
}

/** Descriptors in the table a walk starts with (fewer than a granule's when it resolves fewer bits). */
export function rootEntries(granule: Granule, vaBits: number): number {
  return 2 ** (vaBits - levelShift(granule, startLevel(granule, vaBits)));
}

/**
 * The physical address of the table a TTBRn_EL1 value names (D17.2, "TTBR0_EL1"): BADDR in bits
 * 47:1, and BADDR[51:48] in bits 5:2 with a 52-bit OA; aligned down to the table's
 * `tableBytes` (at least 64), the bits below that being RES0. Below 2^52: exact.
 */
export function ttbrTableAddress(ttbr: bigint, oa: OaLayout, tableBytes: number): number {
  let table = Number(ttbr & 0x0000_ffff_ffff_fffen);
  if (oa !== "48") table += Number((ttbr >> 2n) & 0xfn) * 2 ** 48;
  return table - (table % Math.max(tableBytes, 64));
}

/** The walker's level (1 = last table) of Arm `level`. */
export function walkerLevel(level: number): number {
  return 4 - level;
}

/**
 * How descriptors hold output addresses (D8.3, "Output address" in the block, page and table
 * descriptor formats):
 *  - `"48"`: OA[47:granule] in bits 47:granule (bits 51:48 RES0);
 *  - `"52-64K"`: 64K granule with a 52-bit PA (FEAT_LPA): OA[51:48] in bits 15:12;
 *  - `"52-LPA2"`: 4K/16K with TCR_EL1.DS = 1 (FEAT_LPA2): OA[49:granule] in bits 49:granule and
 *    OA[51:50] in bits 9:8, where SH would be (shareability then comes from TCR_EL1.SHn).
 */
export type OaLayout = "48" | "52-64K" | "52-LPA2";

/** The descriptor format of one granule and OA layout. */
export interface DescriptorFormat {
  readonly granule: Granule;
  readonly oa: OaLayout;
}

/** Bits of the low word (D8.3: the stage 1 lower attributes and the type bits). */
export const Lo = {
  VALID: 1 << 0,
  /** Bit 1: 1 = table (above level 3) or page (at level 3); 0 = block. */
  TABLE: 1 << 1,
  ATTR_INDX: 7 << 2,
  NS: 1 << 5,
  /** AP[1]: accessible at EL0. */
  AP_EL0: 1 << 6,
  /** AP[2]: read-only. */
  AP_RO: 1 << 7,
  SH: 3 << 8,
  AF: 1 << 10,
  NG: 1 << 11,
} as const;

/** Bits of the high word (bit n of the descriptor is bit n - 32 here). */
export const Hi = {
  /** Bit 50: guarded page (FEAT_BTI). */
  GP: 1 << 18,
  /** Bit 51: dirty bit modifier (FEAT_HAFDBS). */
  DBM: 1 << 19,
  /** Bit 52: contiguous hint. */
  CONT: 1 << 20,
  /** Bit 53: privileged execute-never. */
  PXN: 1 << 21,
  /** Bit 54: unprivileged execute-never (XN). */
  UXN: 1 << 22,
  /** Bit 59: PXNTable. */
  PXN_TABLE: 1 << 27,
  /** Bit 60: UXNTable. */
  UXN_TABLE: 1 << 28,
  /** Bit 61: APTable[0], no EL0 access below. */
  AP_TABLE_NO_EL0: 1 << 29,
  /** Bit 62: APTable[1], no write access below. */
  AP_TABLE_RO: 1 << 30,
} as const;

const TWO32 = 4294967296;

/**
 * Whether a block descriptor (bits[1:0] = 01) is permitted at Arm `level` (D8.3, the block
 * descriptor's levels per granule): 4K at levels 1 and 2, and 0 with DS = 1; 16K at level 2, and
 * 1 with DS = 1; 64K at level 2, and 1 with a 52-bit PA (FEAT_LPA). Elsewhere it is a
 * translation fault.
 */
export function blockPermitted(format: DescriptorFormat, level: number): boolean {
  const wide = format.oa !== "48";
  switch (format.granule) {
    case 4:
      return level === 1 || level === 2 || (level === 0 && wide);
    case 16:
    case 64:
      return level === 2 || (level === 1 && wide);
  }
}

/** `n` rounded down to a multiple of 2^`shift` (exact for `n` < 2^53). */
function floorTo(n: number, shift: number): number {
  const unit = 2 ** shift;
  return n - (n % unit);
}

/**
 * The output address a descriptor holds, aligned to 2^`shift` (the block or page size; the
 * granule for a table's address), per the format's OA layout. Below 2^52: exact as a number.
 */
export function outputAddress(
  format: DescriptorFormat,
  lo: number,
  hi: number,
  shift: number,
): number {
  switch (format.oa) {
    case "48":
      return floorTo((hi & 0xffff) * TWO32 + (lo >>> 0), shift);
    case "52-64K":
      return floorTo((hi & 0xffff) * TWO32 + (lo >>> 0), shift) + ((lo >>> 12) & 0xf) * 2 ** 48;
    case "52-LPA2":
      return floorTo((hi & 0x3ffff) * TWO32 + (lo >>> 0), shift) + ((lo >>> 8) & 3) * 2 ** 50;
  }
}

/** The word pair of a descriptor with output address `pa` (aligned) and `attributes` besides. */
export function withOutputAddress(
  format: DescriptorFormat,
  pa: number,
  attrLo: number,
  attrHi: number,
): [number, number] {
  const hiPa = Math.floor(pa / TWO32);
  const loPa = pa % TWO32;
  switch (format.oa) {
    case "48":
      return [(loPa | attrLo) >>> 0, (hiPa & 0xffff) | attrHi];
    case "52-64K":
      return [(loPa | ((hiPa >>> 16) << 12) | attrLo) >>> 0, (hiPa & 0xffff) | attrHi];
    case "52-LPA2":
      // Bits 9:8 are OA[51:50] here, not SH.
      return [(loPa | ((hiPa >>> 18) << 8) | (attrLo & ~Lo.SH)) >>> 0, (hiPa & 0x3ffff) | attrHi];
  }
}

/** The 64-bit descriptor of a word pair. */
export function toU64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The word pair of a 64-bit descriptor. */
export function words(d: bigint): [number, number] {
  return [Number(d & 0xffff_ffffn), Number((d >> 32n) & 0xffff_ffffn)];
}
