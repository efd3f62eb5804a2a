/**
 * Translation lookaside buffer (SDM 4.10.2) for 4-level and 5-level paging with CR4.PCIDE = 0.
 *
 * Organisation: the shared second-level TLB of CPUID leaf 2 descriptor C3H ("Shared 2nd-Level
 * TLB: 4 KByte /2 MByte pages, 6-way associative, 1536 entries. Also 1GBbyte pages, 4-way, 16
 * entries", the table of leaf 2 descriptors under CPUID, SDM vol. 2A):
 *  - 1536 entries, 6-way set associative (256 sets), for 4-KByte and 2-MByte pages; a page's set
 *    is bits 7:0 of its page number at its own size (linear address bits 19:12 or 28:21);
 *  - 16 entries, 4-way set associative (4 sets), for 1-GByte pages (bits 31:30).
 * A fill takes the ways of its set in turn (round-robin, FIFO); a lookup probes the 4 KiB set, and
 * the 2 MiB and 1 GiB sets only while some large page is cached. Entries are columns of typed
 * arrays: no object per entry, no allocation.
 *
 * Per SDM 4.10.2.2 an entry keeps what the walk found when it was filled: the physical address,
 * the combined rights (AND of R/W, AND of U/S, OR of XD over all levels), the leaf's dirty flag and
 * memory-type bits, and G (only if CR4.PGE = 1 then, SDM 4.10.2.4). A changed or removed mapping
 * therefore stays visible until INVLPG, MOV to CR3 (non-global entries) or a full flush
 * (SDM 4.10.4.1), or until the entry is evicted. Failed translations are never cached. When stale
 * entries of several sizes cover one address (SDM 4.10.2.3 lets the processor use any), the
 * smallest page wins. Paging-structure caches (SDM 4.10.3) are not modelled: a miss re-reads every
 * level.
 */

import { PAGE_1G, PAGE_2M, PAGE_4K, type LeafLevel, type PageSize, toU64 } from "./entry.js";

/** Sets and ways of the 4 KiB / 2 MiB array and of the 1 GiB array. */
export const TLB_SETS = 256;
export const TLB_WAYS = 6;
export const TLB_1G_SETS = 4;
export const TLB_1G_WAYS = 4;
/** Entries in all: 1536 + 16. */
export const TLB_CAPACITY = TLB_SETS * TLB_WAYS + TLB_1G_SETS * TLB_1G_WAYS;

/**
 * Bits of an entry's attribute word, where a PTE has them (Table 4-20) except XD; bits 10:9 hold
 * the leaf level (1 PTE, 2 PDE, 3 PDPTE). A const enum: hot paths hold the values as immediates.
 */
export const enum TlbBit {
  /** Combined R/W (AND over all levels). */
  W = 1 << 1,
  /** Combined U/S (AND over all levels). */
  U = 1 << 2,
  PWT = 1 << 3,
  PCD = 1 << 4,
  /** The leaf's D flag when filled; a write through a clean entry walks again (SDM 4.8). */
  D = 1 << 6,
  PAT = 1 << 7,
  /** Global: G = 1 in the leaf while CR4.PGE = 1. */
  G = 1 << 8,
  /** Combined XD (OR over all levels). */
  XD = 1 << 11,
}
const TLB_LEVEL_SHIFT = 9;

/** A cached translation, as `entries()` and `lookup()` report it. */
export interface TlbEntry {
  /** Linear page number (va >> 12) of the first 4-KByte page of the cached page. */
  readonly vpn: number;
  readonly pageSize: PageSize;
  /** Level of the entry that mapped the page: 1 (PTE), 2 (PDE) or 3 (PDPTE). */
  readonly level: LeafLevel;
  /** Physical address of the page (a multiple of pageSize). */
  readonly frame: number;
  readonly writable: boolean;
  readonly user: boolean;
  readonly noExecute: boolean;
  readonly global: boolean;
  readonly dirty: boolean;
  readonly pwt: boolean;
  readonly pcd: boolean;
  readonly pat: boolean;
}

/** 4-KByte pages per page of each level. */
const PAGES = [0, 1, 512, 262144] as const;

export class Tlb {
  /** First 4-KByte page number of each entry's page; -1 marks an invalid entry. */
  private readonly page = new Float64Array(TLB_CAPACITY).fill(-1);
  /** Physical address of each entry's page. */
  private readonly frame = new Float64Array(TLB_CAPACITY);
  /** Level and `TlbBit`s of each entry. */
  private readonly attr = new Uint16Array(TLB_CAPACITY);
  /** Next way to fill, by the set's first entry: round-robin replacement. */
  private readonly victim = new Uint8Array(TLB_CAPACITY);
  /** Valid entries of 2 MiB and 1 GiB pages: while there are none, a lookup probes one set. */
  private large = 0;
  hits = 0;
  misses = 0;

  /**
   * The entry translating the canonical linear address `hi:lo` (its 32-bit words), or -1; counts
   * a hit or a miss. `frameAt` and `attrAt` read the entry until the next change to the TLB.
   */
  find(hi: number, lo: number): number {
    // The 4 KiB set, and the others only while they hold entries.
    let i = this.probe(hi, lo, 1);
    if (i < 0 && this.large !== 0) i = this.locateLarge(hi, lo);
    if (i < 0) this.misses++;
    else this.hits++;
    return i;
  }

  frameAt(i: number): number {
    return this.frame[i]!;
  }
  attrAt(i: number): number {
    return this.attr[i]!;
  }

  /**
   * Caches the translation of the page of `level` that contains the linear address `hi:lo` (its
   * words): the page's physical address `frame` and its `TlbBit`s `attr` (the level is added),
   * in the next way of its set. The page must not be cached at `level` already: callers fill
   * after a miss, or after invalidating what they hit.
   */
  fill(hi: number, lo: number, level: LeafLevel, frame: number, attr: number): void {
    const first = firstOf(hi, lo, level);
    const v = this.victim[first]!;
    this.victim[first] = v + 1 === waysOf(first) ? 0 : v + 1;
    const way = first + v;
    if (this.page[way] !== -1 && this.attr[way]! >= 2 << TLB_LEVEL_SHIFT) this.large--;
    if (level !== 1) this.large++;
    this.page[way] = pageOf(hi, lo, level);
    this.frame[way] = frame;
    this.attr[way] = attr | (level << TLB_LEVEL_SHIFT);
  }

  /**
   * Invalidates every entry, of any page size and global or not, that translates the linear
   * address `hi:lo` (INVLPG and page faults, SDM 4.10.4.1).
   */
  invalidate(hi: number, lo: number): void {
    for (let level = 1 as LeafLevel; level <= 3; level++) {
      const i = this.probe(hi, lo, level);
      if (i < 0) continue;
      this.page[i] = -1;
      if (level !== 1) this.large--;
    }
  }

  /** INVLPG semantics for linear address `va` (the caller handles non-canonical NOPs). */
  invlpg(va: bigint): void {
    const v = toU64(va);
    this.invalidate(Number(v >> 32n) | 0, Number(v & 0xffffffffn) | 0);
  }

  /** MOV to CR3 with CR4.PCIDE = 0: drops all entries except global ones (SDM 4.10.4.1). */
  flushNonGlobal(): void {
    this.large = 0;
    for (let i = 0; i < TLB_CAPACITY; i++) {
      if ((this.attr[i]! & TlbBit.G) === 0) this.page[i] = -1;
      else if (this.page[i] !== -1 && tlbLevel(this.attr[i]!) !== 1) this.large++;
    }
  }

  /** Drops every entry, global ones included (e.g. MOV to CR4 that changes PGE). */
  flushAll(): void {
    this.page.fill(-1);
    this.large = 0;
  }

  /** The cached translation of `va` (no hit or miss counted), if any. */
  lookup(va: bigint): TlbEntry | undefined {
    const v = toU64(va);
    const i = this.locate(Number(v >> 32n) | 0, Number(v & 0xffffffffn) | 0);
    return i < 0 ? undefined : this.entry(i);
  }

  /** Number of valid entries. */
  get size(): number {
    let n = 0;
    for (let i = 0; i < TLB_CAPACITY; i++) if (this.page[i] !== -1) n++;
    return n;
  }

  /** A snapshot of all valid entries, in the order of the arrays (set by set). */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let i = 0; i < TLB_CAPACITY; i++) if (this.page[i] !== -1) out.push(this.entry(i));
    return out;
  }

  /** `find` without counting: the smallest page first. */
  private locate(hi: number, lo: number): number {
    const i = this.probe(hi, lo, 1);
    return i >= 0 || this.large === 0 ? i : this.locateLarge(hi, lo);
  }

  private locateLarge(hi: number, lo: number): number {
    const i = this.probe(hi, lo, 2);
    return i >= 0 ? i : this.probe(hi, lo, 3);
  }

  /** The entry for the page of `level` that contains `hi:lo`, or -1. */
  private probe(hi: number, lo: number, level: LeafLevel): number {
    const page = pageOf(hi, lo, level);
    const first = firstOf(hi, lo, level);
    for (let i = first + waysOf(first) - 1; i >= first; i--) {
      if (this.page[i] === page && tlbLevel(this.attr[i]!) === level) return i;
    }
    return -1;
  }

  private entry(i: number): TlbEntry {
    const a = this.attr[i]!;
    const level = tlbLevel(a);
    return {
      vpn: this.page[i]!,
      pageSize: level === 1 ? PAGE_4K : level === 2 ? PAGE_2M : PAGE_1G,
      level,
      frame: this.frame[i]!,
      writable: (a & TlbBit.W) !== 0,
      user: (a & TlbBit.U) !== 0,
      noExecute: (a & TlbBit.XD) !== 0,
      global: (a & TlbBit.G) !== 0,
      dirty: (a & TlbBit.D) !== 0,
      pwt: (a & TlbBit.PWT) !== 0,
      pcd: (a & TlbBit.PCD) !== 0,
      pat: (a & TlbBit.PAT) !== 0,
    };
  }
}

/** The leaf level of an entry's attribute word. */
export function tlbLevel(attr: number): LeafLevel {
  return ((attr >> TLB_LEVEL_SHIFT) & 3) as LeafLevel;
}

/** First 4-KByte page number of the page of `level` containing the linear address `hi:lo`. */
function pageOf(hi: number, lo: number, level: LeafLevel): number {
  return (hi >>> 0) * 1048576 + ((lo >>> 12) & -PAGES[level]);
}

/**
 * The first entry of the set that holds the page of `level` containing `hi:lo`: bits 7:0 of its
 * page number pick one of the 256 sets of the 4 KiB / 2 MiB array, bits 1:0 of a 1 GiB page's
 * number one of the 4 sets that follow.
 */
function firstOf(hi: number, lo: number, level: LeafLevel): number {
  if (level === 1) return ((lo >>> 12) & (TLB_SETS - 1)) * TLB_WAYS;
  if (level === 2) return ((lo >>> 21) & (TLB_SETS - 1)) * TLB_WAYS;
  return TLB_SETS * TLB_WAYS + (((lo >>> 30) | (hi << 2)) & (TLB_1G_SETS - 1)) * TLB_1G_WAYS;
}

/** The ways of the set whose first entry is `first`. */
function waysOf(first: number): number {
  return first < TLB_SETS * TLB_WAYS ? TLB_WAYS : TLB_1G_WAYS;
}
