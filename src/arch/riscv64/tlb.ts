/**
 * The address-translation cache of a RISC-V hart, and `sfence.vma` (privileged spec,
 * "Supervisor Memory-Management Fence Instruction").
 *
 * An entry keeps the leaf PTE's words as the walk left them (after any A/D update), the level it
 * was found at, and the ASID it was filled under; a leaf with G set is global and matches every
 * ASID ("Global mappings are those that exist in all address spaces"). A changed or removed PTE
 * stays visible until an `sfence.vma` that covers it, or until the entry is evicted: the spec
 * lets a hart cache any valid translation, and never requires it to. Failed translations are not
 * cached. Writing `satp` does not flush (the spec requires an `sfence.vma` for that), and a hart
 * may keep entries of several ASIDs at once.
 *
 * Organisation: one map per ASID (globals under their own key) from the page number at the
 * leaf's level to the entry, at most `TLB_CAPACITY` entries in all, the oldest of a map evicted
 * first. A lookup tries the 4 KiB page first, then each larger size.
 */

/** Entries held at most. */
export const TLB_CAPACITY = 1024;
/** The key global entries are held under (ASIDs are 16-bit). */
const GLOBAL = -1;

/** A cached translation. */
export interface TlbEntry {
  /** The leaf PTE's words when filled (or last updated through the TLB). */
  readonly lo: number;
  readonly hi: number;
  /** The level the leaf was found at: 1 for a 4 KiB page, 2 for 2 MiB, ... */
  readonly level: number;
  /** The ASID filled under, or undefined for a global entry. */
  readonly asid: number | undefined;
}

/** 4 KiB pages per page of each level. */
const PAGES = [0, 1, 2 ** 9, 2 ** 18, 2 ** 27, 2 ** 36] as const;

/** The key of page `vpn` (va >> 12) at `level`: its page number at that size, and the level. */
function keyOf(vpn: number, level: number): number {
  return Math.floor(vpn / PAGES[level]!) * 8 + level;
}

export class SvTlb {
  private readonly spaces = new Map<number, Map<number, TlbEntry>>();
  private count = 0;
  hits = 0;
  misses = 0;

  /** The entry translating page `vpn` (va >> 12, below 2^45) for `asid`, or undefined. */
  lookup(vpn: number, asid: number, levels: number): TlbEntry | undefined {
    const own = this.spaces.get(asid);
    const global = this.spaces.get(GLOBAL);
    for (let level = 1; level <= levels; level++) {
      const key = keyOf(vpn, level);
      const entry = own?.get(key) ?? global?.get(key);
      if (entry !== undefined) {
        this.hits++;
        return entry;
      }
    }
    this.misses++;
    return undefined;
  }

  /** Caches the leaf `lo:hi` found at `level` for page `vpn`, under `asid` unless G is set. */
  fill(vpn: number, asid: number, level: number, lo: number, hi: number, global: boolean): void {
    const space = global ? GLOBAL : asid;
    let entries = this.spaces.get(space);
    if (entries === undefined) this.spaces.set(space, (entries = new Map()));
    const key = keyOf(vpn, level);
    if (!entries.has(key)) {
      if (this.count === TLB_CAPACITY) this.evictFrom(entries);
      this.count++;
    }
    entries.set(key, { lo, hi, level, asid: global ? undefined : asid });
  }

  /**
   * `sfence.vma rs1, rs2`: with no address every page, with no ASID every address space; global
   * entries are flushed only when no ASID is given ("... except for entries containing global
   * mappings" when rs2 is not x0).
   */
  fence(vpn?: number, asid?: number): void {
    for (const [space, entries] of this.spaces) {
      if (asid !== undefined && space !== asid) continue;
      if (vpn === undefined) {
        this.count -= entries.size;
        this.spaces.delete(space);
        continue;
      }
      for (let level = 1; level < PAGES.length; level++) {
        if (entries.delete(keyOf(vpn, level))) this.count--;
      }
    }
  }

  /** Entries held. */
  get size(): number {
    return this.count;
  }

  /** Every entry, for inspection. */
  entries(): TlbEntry[] {
    return [...this.spaces.values()].flatMap((entries) => [...entries.values()]);
  }

  private evictFrom(entries: Map<number, TlbEntry>): void {
    const victim = entries.size > 0 ? entries : [...this.spaces.values()].find((e) => e.size > 0)!;
    victim.delete(victim.keys().next().value!);
    this.count--;
  }
}
