/**
 * Paging-structure entries of 4-level and 5-level paging (Intel SDM vol. 3A, 4.5).
 *
 * Table numbers follow the SDM revisions that describe 5-level paging (325462-07x), where the
 * entry formats are Table 4-14 (PML5E), 4-15 (PML4E), 4-16 (PDPTE that maps a 1-GByte page), 4-17
 * (PDPTE that references a page directory), 4-18 (PDE that maps a 2-MByte page), 4-19 (PDE that
 * references a page table) and 4-20 (PTE that maps a 4-KByte page). Table numbers drift between
 * revisions, so each citation also names the table.
 *
 * Two representations are offered:
 *  - bigint helpers (`Flag`, `decodeEntry`, `encodeEntry`) for API convenience;
 *  - 32-bit word-pair masks (`Lo`, `Hi`) for hot loops: an entry is stored as two little-endian
 *    32-bit words, `lo` = bits 31:0 and `hi` = bits 63:32, so no bigint is needed per entry.
 */

import type { VirtAddr } from "../../model/address.js";
import { isSignExtended, signExtend } from "../arch.js";

/** Bit positions inside a 64-bit paging-structure entry (SDM 4.5.4, Tables 4-14 .. 4-20). */
export const Bit = {
  /** Present (bit 0): must be 1 to map a page or reference a table. */
  P: 0,
  /** Read/write (bit 1): 0 forbids writes to the region this entry controls (SDM 4.6). */
  RW: 1,
  /** User/supervisor (bit 2): 0 forbids user-mode (CPL 3) accesses (SDM 4.6). */
  US: 2,
  /** Page-level write-through (bit 3): PAT index bit 0 for a page (SDM 4.9.2). */
  PWT: 3,
  /** Page-level cache disable (bit 4): PAT index bit 1 for a page (SDM 4.9.2). */
  PCD: 4,
  /** Accessed (bit 5): set by the processor when the entry is used (SDM 4.8). */
  A: 5,
  /** Dirty (bit 6): set on a write, only in an entry that maps a page (SDM 4.8). */
  D: 6,
  /** Page size (bit 7) in a PDPTE/PDE: 1 maps a 1-GByte/2-MByte page. Reserved in PML4E/PML5E. */
  PS: 7,
  /** PAT (bit 7) in a PTE (4-KByte page): PAT index bit 2 (SDM 4.9.2; Table 4-20, PTE). */
  PAT_4K: 7,
  /** Global (bit 8) in an entry that maps a page; honoured when CR4.PGE = 1 (SDM 4.10.2.4). */
  G: 8,
  /** First of the ignored bits 11:9 (bit 11 is HLAT "restart", ignored by ordinary paging). */
  AVL_LO_FIRST: 9,
  /** PAT (bit 12) in a PDPTE/PDE with PS = 1 (Tables 4-16 and 4-18, 1-GByte / 2-MByte pages). */
  PAT_LARGE: 12,
  /** First of the ignored bits 62:52 (62:59 are the protection key when CR4.PKE/PKS = 1). */
  AVL_HI_FIRST: 52,
  /** Execute-disable (bit 63) when IA32_EFER.NXE = 1; otherwise reserved (must be 0). */
  XD: 63,
} as const;

/** The same flags as bigint masks of a whole 64-bit entry. */
export const Flag = {
  P: 1n << 0n,
  RW: 1n << 1n,
  US: 1n << 2n,
  PWT: 1n << 3n,
  PCD: 1n << 4n,
  A: 1n << 5n,
  D: 1n << 6n,
  PS: 1n << 7n,
  PAT_4K: 1n << 7n,
  G: 1n << 8n,
  /** Bits 11:9, ignored by the processor (available to software). */
  AVL_LO: 0x7n << 9n,
  PAT_LARGE: 1n << 12n,
  /** Bits 62:52, ignored by the processor when protection keys are off (available to software). */
  AVL_HI: 0x7ffn << 52n,
  XD: 1n << 63n,
} as const;

/** Flags as masks of the low 32-bit word (bits 31:0) of an entry, for word-pair hot loops. */
export const Lo = {
  P: 1 << 0,
  RW: 1 << 1,
  US: 1 << 2,
  PWT: 1 << 3,
  PCD: 1 << 4,
  A: 1 << 5,
  D: 1 << 6,
  PS: 1 << 7,
  PAT_4K: 1 << 7,
  G: 1 << 8,
  AVL: 0x7 << 9,
  PAT_LARGE: 1 << 12,
  /** Address bits 31:12 (a table or a 4-KByte page). */
  ADDR_4K: 0xfffff000 | 0,
  /** Address bits 31:21 of a 2-MByte page. */
  ADDR_2M: 0xffe00000 | 0,
  /** Address bits 31:30 of a 1-GByte page. */
  ADDR_1G: 0xc0000000 | 0,
  /** Bits 20:13 of a PDE with PS = 1: reserved (Table 4-18, PDE that maps a 2-MByte page). */
  RSVD_2M: 0x001fe000,
  /** Bits 29:13 of a PDPTE with PS = 1: reserved (Table 4-16, PDPTE that maps a 1-GByte page). */
  RSVD_1G: 0x3fffe000,
} as const;

/** Flags as masks of the high 32-bit word (bits 63:32) of an entry. */
export const Hi = {
  /** Bit 63 (XD). */
  XD: 0x80000000 | 0,
  /** Bits 62:52 (ignored / available to software). */
  AVL: 0x7ff00000,
  /** Bits 51:32 (physical-address bits, up to MAXPHYADDR - 1; the rest reserved). */
  ADDR_MAX: 0x000fffff,
} as const;

/** The page sizes of 4-level and 5-level paging: a closed set. */
export const PAGE_4K = 0x1000;
export const PAGE_2M = 0x20_0000;
export const PAGE_1G = 0x4000_0000;
export type PageSize = typeof PAGE_4K | typeof PAGE_2M | typeof PAGE_1G;
export const PAGE_SIZES: readonly PageSize[] = [PAGE_4K, PAGE_2M, PAGE_1G];

export function isPageSize(x: unknown): x is PageSize {
  return x === PAGE_4K || x === PAGE_2M || x === PAGE_1G;
}

/** Paging-structure levels: 1 = page table ... 5 = PML5 table. */
export const Level = { PT: 1, PD: 2, PDPT: 3, PML4: 4, PML5: 5 } as const;
export type Level = 1 | 2 | 3 | 4 | 5;
/** Levels of a paging mode: 4 (48-bit linear addresses) or 5 (LA57, 57-bit). */
export type PagingLevels = 4 | 5;
/** The levels at which an entry can map a page. */
export type LeafLevel = 1 | 2 | 3;

const LEVEL_NAMES = ["", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"] as const;
/** SDM name of an entry at `level`: PTE, PDE, PDPTE, PML4E, PML5E. */
export function entryName(level: Level): string {
  return LEVEL_NAMES[level];
}

/** Shift of the linear-address bits that index the table at `level`: 12 + 9 * (level - 1). */
export function levelShift(level: Level): number {
  return 12 + 9 * (level - 1);
}

/** Index (0..511) of the entry selected at `level` for linear address `va` (SDM 4.5.4). */
export function levelIndex(va: bigint, level: Level): number {
  return Number((va >> BigInt(levelShift(level))) & 511n);
}

/** 2^(9 * (level - 1)): linear page numbers (va >> 12) per entry at `level`. */
export const VPN_PER_ENTRY: readonly number[] = [0, 1, 2 ** 9, 2 ** 18, 2 ** 27, 2 ** 36];

/**
 * Fast index: the entry at `level` for the linear page number `vpn` = va >> 12 (a number below
 * 2^52, exact in a double). No bigint.
 */
export function vpnIndex(vpn: number, level: Level): number {
  return Math.floor(vpn / VPN_PER_ENTRY[level]!) % 512;
}

/** The page size mapped by a leaf entry at `level` (1, 2 or 3). */
export function pageSizeOfLevel(level: LeafLevel): PageSize {
  return level === 1 ? PAGE_4K : level === 2 ? PAGE_2M : PAGE_1G;
}

/** The level whose entries map pages of `size`. */
export function leafLevelOf(size: PageSize): LeafLevel {
  return size === PAGE_4K ? 1 : size === PAGE_2M ? 2 : 3;
}

// ---------------------------------------------------------------------------------------------
// Canonical addresses (SDM vol. 1, 3.3.7.1; vol. 3A, 4.5): bits 63:47 all equal with 4-level
// paging, bits 63:56 with 5-level paging.

/** Normalises a 64-bit linear address: negative bigints count down from 2^64. */
export function toU64(va: bigint): bigint {
  return BigInt.asUintN(64, va);
}

/** Linear-address width of a paging mode: 48 for 4-level, 57 for 5-level paging. */
export function linearAddressBits(levels: PagingLevels): 48 | 57 {
  return levels === 5 ? 57 : 48;
}

/** True if bits 63:(width-1) of `va` are all equal (SDM vol. 1, 3.3.7.1). */
export function isCanonical(va: bigint, levels: PagingLevels): boolean {
  return isSignExtended(va, linearAddressBits(levels));
}

/** Sign-extends bit (width-1) of `va` into bits 63:width. */
export function canonicalize(va: bigint, levels: PagingLevels): VirtAddr {
  return signExtend(va, linearAddressBits(levels));
}

// ---------------------------------------------------------------------------------------------
// Physical-address width

/** Supported MAXPHYADDR range (CPUID.80000008H:EAX[7:0]); the architecture caps it at 52. */
export const MIN_MAXPHYADDR = 36;
export const MAX_MAXPHYADDR = 52;
/**
 * Default MAXPHYADDR: 46, the width of many current Intel server/client parts. The walker's
 * reserved-bit checks depend on it (bits 51:MAXPHYADDR of every entry are reserved).
 */
export const DEFAULT_MAXPHYADDR = 46;

export function checkMaxPhyAddr(m: number): void {
  if (!Number.isInteger(m) || m < MIN_MAXPHYADDR || m > MAX_MAXPHYADDR) {
    throw new RangeError(`MAXPHYADDR must be an integer in ${MIN_MAXPHYADDR}..${MAX_MAXPHYADDR}`);
  }
}

/** Mask of the address field, bits (MAXPHYADDR-1):12, of a table-referencing entry or PTE. */
export function addressMask(maxPhyAddr: number): bigint {
  return ((1n << BigInt(maxPhyAddr)) - 1n) & ~0xfffn;
}

/** Mask of the reserved bits 51:MAXPHYADDR of any entry (SDM 4.5.4). */
export function reservedAddressMask(maxPhyAddr: number): bigint {
  return ((1n << 52n) - 1n) & ~((1n << BigInt(maxPhyAddr)) - 1n);
}

/** Address bits of the high word that are valid below MAXPHYADDR: bits (MAXPHYADDR-33):0. */
export function hiAddressMask(maxPhyAddr: number): number {
  return 2 ** (maxPhyAddr - 32) - 1;
}

/** Reserved bits 51:MAXPHYADDR, as a mask of the high word. */
export function hiReservedMask(maxPhyAddr: number): number {
  return Hi.ADDR_MAX & ~hiAddressMask(maxPhyAddr);
}

// ---------------------------------------------------------------------------------------------
// Word pairs

const TWO32 = 4294967296;

/** Bits 31:0 of an entry. */
export function entryLo(e: bigint): number {
  return Number(e & 0xffffffffn);
}
/** Bits 63:32 of an entry. */
export function entryHi(e: bigint): number {
  return Number((e >> 32n) & 0xffffffffn);
}
/** Joins two 32-bit words into a 64-bit entry. */
export function joinEntry(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
/**
 * Physical address bits 51:12 of an entry as a number (a table address or 4-KByte frame),
 * without masking reserved bits above MAXPHYADDR (the walker checks those first).
 */
export function entryAddress(lo: number, hi: number): number {
  return (hi & Hi.ADDR_MAX) * TWO32 + ((lo & Lo.ADDR_4K) >>> 0);
}

// ---------------------------------------------------------------------------------------------
// Decode / encode

/**
 * An entry decoded field by field. The decoding depends on the level, because bit 7 is PAT in a
 * PTE but PS above, and a PDPTE/PDE with PS = 1 keeps PAT in bit 12 (Tables 4-14 .. 4-20).
 * Bits the processor ignores in a table-referencing entry (6 and 8) are still reported under their
 * leaf names so that `encodeEntry(decodeEntry(e, l), l) === e` for every 64-bit `e`.
 */
export interface DecodedEntry {
  readonly present: boolean;
  readonly writable: boolean;
  readonly user: boolean;
  readonly writeThrough: boolean;
  readonly cacheDisable: boolean;
  readonly accessed: boolean;
  /** Bit 6: D in an entry that maps a page, ignored otherwise. */
  readonly dirty: boolean;
  /** Bit 7 at levels 2..5 (PS; reserved at 4 and 5). Always false at level 1 (bit 7 is PAT). */
  readonly pageSize: boolean;
  /** Bit 8: G in an entry that maps a page, ignored otherwise. */
  readonly global: boolean;
  /** PAT: bit 7 of a PTE, bit 12 of a PDPTE/PDE with PS = 1, false otherwise. */
  readonly pat: boolean;
  readonly noExecute: boolean;
  /** Bits 11:9 as a number 0..7. */
  readonly available: number;
  /** Bits 62:52 as a number 0..0x7ff. */
  readonly availableHigh: number;
  /**
   * The address field: bits 51:12, except bits 51:13 for a large page (bit 12 is PAT there), so
   * the reserved low bits of a large page show as a misaligned address.
   */
  readonly address: bigint;
  /** True if this entry maps a page: level 1, or level 2/3 with PS = 1. */
  readonly leaf: boolean;
}

const ADDR_51_12 = ((1n << 52n) - 1n) & ~0xfffn;
const ADDR_51_13 = ((1n << 52n) - 1n) & ~0x1fffn;

export function isLeaf(e: bigint, level: Level): boolean {
  return level === 1 || ((level === 2 || level === 3) && (e & Flag.PS) !== 0n);
}

export function decodeEntry(e: bigint, level: Level): DecodedEntry {
  e = BigInt.asUintN(64, e);
  const leaf = isLeaf(e, level);
  const large = leaf && level !== 1;
  const bit = (m: bigint): boolean => (e & m) !== 0n;
  return {
    present: bit(Flag.P),
    writable: bit(Flag.RW),
    user: bit(Flag.US),
    writeThrough: bit(Flag.PWT),
    cacheDisable: bit(Flag.PCD),
    accessed: bit(Flag.A),
    dirty: bit(Flag.D),
    pageSize: level !== 1 && bit(Flag.PS),
    global: bit(Flag.G),
    pat: level === 1 ? bit(Flag.PAT_4K) : large ? bit(Flag.PAT_LARGE) : false,
    noExecute: bit(Flag.XD),
    available: Number((e >> 9n) & 7n),
    availableHigh: Number((e >> 52n) & 0x7ffn),
    address: e & (large ? ADDR_51_13 : ADDR_51_12),
    leaf,
  };
}

/** Fields for `encodeEntry`; omitted booleans are 0. `leaf` is derived from level and pageSize. */
export type EntryFields = Partial<Omit<DecodedEntry, "leaf">>;

export function encodeEntry(f: EntryFields, level: Level): bigint {
  const ps = level !== 1 && f.pageSize === true;
  const large = ps && (level === 2 || level === 3);
  let e = 0n;
  if (f.present) e |= Flag.P;
  if (f.writable) e |= Flag.RW;
  if (f.user) e |= Flag.US;
  if (f.writeThrough) e |= Flag.PWT;
  if (f.cacheDisable) e |= Flag.PCD;
  if (f.accessed) e |= Flag.A;
  if (f.dirty) e |= Flag.D;
  if (ps) e |= Flag.PS;
  if (f.global) e |= Flag.G;
  if (f.pat) {
    if (level === 1) e |= Flag.PAT_4K;
    else if (large) e |= Flag.PAT_LARGE;
    else throw new RangeError("PAT exists only in an entry that maps a page");
  }
  if (f.noExecute) e |= Flag.XD;
  const avl = f.available ?? 0;
  if (!Number.isInteger(avl) || avl < 0 || avl > 7) throw new RangeError("available: 0..7");
  e |= BigInt(avl) << 9n;
  const avlHi = f.availableHigh ?? 0;
  if (!Number.isInteger(avlHi) || avlHi < 0 || avlHi > 0x7ff) {
    throw new RangeError("availableHigh: 0..0x7ff");
  }
  e |= BigInt(avlHi) << 52n;
  const addr = f.address ?? 0n;
  if ((addr & ~(large ? ADDR_51_13 : ADDR_51_12)) !== 0n) {
    throw new RangeError(`address ${addr.toString(16)} does not fit the address field`);
  }
  return e | addr;
}

/** PAT index of a page (SDM 4.9.2): PAT * 4 + PCD * 2 + PWT, selecting an IA32_PAT entry. */
export function patIndex(pat: boolean, pcd: boolean, pwt: boolean): number {
  return (pat ? 4 : 0) | (pcd ? 2 : 0) | (pwt ? 1 : 0);
}
