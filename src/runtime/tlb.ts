/**
 * Translation lookaside buffer (SDM 4.10.2) for 4-level and 5-level paging with CR4.PCIDE = 0.
 *
 * The model is deliberately the *most caching* implementation the SDM permits, so that a missing
 * invalidation is always observable:
 *  - a successful translation is cached per page number, with its page size (SDM 4.10.2.2,
 *    4.10.2.3);
 *  - nothing is ever evicted except by the invalidation operations of SDM 4.10.4.1 (capacity is
 *    unbounded);
 *  - an entry keeps the combined rights (AND of R/W, AND of U/S, OR of XD), the dirty flag, the
 *    memory-type bits and the physical frame as they were when it was filled (SDM 4.10.2.2), so a
 *    changed or removed mapping stays visible until INVLPG / MOV to CR3 / a full flush;
 *  - failed translations (P = 0 or reserved bits) are never cached (SDM 4.10.2.2).
 * Paging-structure caches (SDM 4.10.3) are not modelled: a TLB miss always re-reads every level.
 */

import { PAGE_1G, PAGE_2M, PAGE_4K, type LeafLevel, type PageSize, toU64 } from "./entry.js";

export interface TlbEntry {
  /** Linear page number (va >> 12) of the first 4-KByte page of the cached page. */
  readonly vpn: number;
  readonly pageSize: PageSize;
  /** Level of the entry that mapped the page: 1 (PTE), 2 (PDE) or 3 (PDPTE). */
  readonly level: LeafLevel;
  /** Physical address of the page (a multiple of pageSize). */
  readonly frame: number;
  /** Combined access rights (SDM 4.10.2.2): AND of R/W, AND of U/S, OR of XD over all levels. */
  readonly writable: boolean;
  readonly user: boolean;
  readonly noExecute: boolean;
  /** G = 1 in the leaf while CR4.PGE = 1 at fill time: survives MOV to CR3 (SDM 4.10.2.4). */
  readonly global: boolean;
  /** The leaf's dirty flag when filled; a write through a clean entry re-walks (SDM 4.8). */
  readonly dirty: boolean;
  readonly pwt: boolean;
  readonly pcd: boolean;
  readonly pat: boolean;
}

/** Page numbers per TLB key for each page size: 1, 512, 262144. */
const VPN_PER_KEY = [1, 512, 262144] as const;

function sizeIndex(size: PageSize): 0 | 1 | 2 {
  return size === PAGE_4K ? 0 : size === PAGE_2M ? 1 : 2;
}

export class Tlb {
  /** One map per page size, keyed by the page number at that size. */
  private readonly sets: [Map<number, TlbEntry>, Map<number, TlbEntry>, Map<number, TlbEntry>] = [
    new Map(),
    new Map(),
    new Map(),
  ];
  hits = 0;
  misses = 0;

  /**
   * The cached translation for the 4-KByte page number `vpn`. Stale TLBs may hold entries of
   * several sizes for one address (after a remap without invalidation, SDM 4.10.2.3 lets the
   * processor use any of them); this model prefers the smallest page.
   */
  lookupVpn(vpn: number): TlbEntry | undefined {
    const e =
      this.sets[0].get(vpn) ??
      this.sets[1].get(Math.floor(vpn / 512)) ??
      this.sets[2].get(Math.floor(vpn / 262144));
    if (e === undefined) this.misses++;
    else this.hits++;
    return e;
  }

  lookup(va: bigint): TlbEntry | undefined {
    return this.lookupVpn(Number(toU64(va) >> 12n));
  }

  insert(entry: TlbEntry): void {
    const i = sizeIndex(entry.pageSize);
    this.sets[i].set(Math.floor(entry.vpn / VPN_PER_KEY[i]), entry);
  }

  /**
   * Invalidates every entry, of any page size and global or not, that translates the page number
   * `vpn` (INVLPG and page faults, SDM 4.10.4.1).
   */
  invalidateVpn(vpn: number): void {
    this.sets[0].delete(vpn);
    this.sets[1].delete(Math.floor(vpn / 512));
    this.sets[2].delete(Math.floor(vpn / 262144));
  }

  /** INVLPG semantics for linear address `va` (the caller handles non-canonical NOPs). */
  invlpg(va: bigint): void {
    this.invalidateVpn(Number(toU64(va) >> 12n));
  }

  /** MOV to CR3 with CR4.PCIDE = 0: drops all entries except global ones (SDM 4.10.4.1). */
  flushNonGlobal(): void {
    for (const set of this.sets) {
      for (const [k, e] of set) if (!e.global) set.delete(k);
    }
  }

  /** Drops every entry, global ones included (e.g. MOV to CR4 that changes PGE). */
  flushAll(): void {
    for (const set of this.sets) set.clear();
  }

  /** Number of cached translations. */
  get size(): number {
    return this.sets[0].size + this.sets[1].size + this.sets[2].size;
  }

  /** A snapshot of all cached translations (4 KiB first, then 2 MiB, then 1 GiB). */
  entries(): TlbEntry[] {
    return [...this.sets[0].values(), ...this.sets[1].values(), ...this.sets[2].values()];
  }
}

/** Page size for a TLB key index (exported for tests and tools). */
export const TLB_PAGE_SIZES: readonly PageSize[] = [PAGE_4K, PAGE_2M, PAGE_1G];
