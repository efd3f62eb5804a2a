/**
 * The AArch64 TLB of the EL1&0 stage 1 regime (Arm ARM D8.13 "Translation Lookaside Buffers"
 * and D8.14 "TLB maintenance"): a bounded cache of successful walks, filled oldest-out. An entry
 * made from a descriptor with nG = 1 is tagged with the ASID current at the fill and matches
 * only that ASID; a global entry matches every ASID. Faulting walks are never cached
 * (translation, address size and access flag faults, D8.13.1); a permission fault is decided
 * from the cached entry, as the TLB holds the permissions the walk found (with SCTLR_EL1.WXN
 * applied, which the architecture permits a TLB to cache). A stale entry stays in use until a
 * TLBI removes it or it is evicted.
 */

/** What a TLB entry holds: the walk's translation of one page or block. */
export interface TlbEntry {
  /** First address of the page or block, top byte as the half's canonical form has it. */
  readonly va: bigint;
  /** log2 of its size. */
  readonly shift: number;
  readonly pa: bigint;
  /** Arm level of the descriptor. */
  readonly level: number;
  readonly global: boolean;
  /** The ASID of a non-global entry. */
  readonly asid: number;
  /** Permissions, bit per `Perm`. */
  readonly perms: number;
  /** The 64-bit block or page descriptor, as it was after the walk (AF/dirty set by hardware). */
  readonly descriptor: bigint;
}

/** Permission bits of a `TlbEntry` (and of a translation). */
export const Perm = {
  EL0_READ: 1,
  EL0_WRITE: 2,
  EL0_EXEC: 4,
  EL1_READ: 8,
  EL1_WRITE: 16,
  EL1_EXEC: 32,
  /** Writable only by a hardware dirty-state update (DBM = 1 with TCR_EL1.HD = 1, AP[2] = 1). */
  DIRTY_ON_WRITE: 64,
} as const;

/** Entries a `Tlb` holds unless told otherwise. */
export const TLB_DEFAULT_CAPACITY = 1024;

export class Tlb {
  /** Entries by `${shift}:${va >> shift}`: a page's translations under several ASIDs. */
  private readonly byPage = new Map<string, TlbEntry[]>();
  /** Fill order, oldest first, for eviction. */
  private readonly order: TlbEntry[] = [];

  constructor(private readonly capacity = TLB_DEFAULT_CAPACITY) {}

  get size(): number {
    return this.order.length;
  }

  /** The entry translating `va` for `asid`, trying each size in `shifts`. */
  lookup(va: bigint, asid: number, shifts: readonly number[]): TlbEntry | undefined {
    for (const shift of shifts) {
      const hit = this.byPage.get(key(va, shift))?.find((e) => e.global || e.asid === asid);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  fill(entry: TlbEntry): void {
    if (this.order.length >= this.capacity) this.remove((e) => e === this.order[0]);
    // A refill of the same page for the same ASID (or globally) replaces the old entry.
    this.remove(
      (e) =>
        e.va === entry.va &&
        e.shift === entry.shift &&
        e.global === entry.global &&
        e.asid === entry.asid,
    );
    const k = key(entry.va, entry.shift);
    this.byPage.set(k, [...(this.byPage.get(k) ?? []), entry]);
    this.order.push(entry);
  }

  /** TLBI VMALLE1: every entry. */
  vmalle1(): void {
    this.byPage.clear();
    this.order.length = 0;
  }

  /** TLBI VAE1: the entries translating `va` that are global or belong to `asid`. */
  vae1(va: bigint, asid: number): void {
    this.remove((e) => covers(e, va) && (e.global || e.asid === asid));
  }

  /** TLBI ASIDE1: the non-global entries of `asid`. */
  aside1(asid: number): void {
    this.remove((e) => !e.global && e.asid === asid);
  }

  /** TLBI VAAE1: the entries translating `va`, for every ASID. */
  vaae1(va: bigint): void {
    this.remove((e) => covers(e, va));
  }

  /** Every entry, oldest first. */
  entries(): readonly TlbEntry[] {
    return [...this.order];
  }

  private remove(match: (e: TlbEntry) => boolean): void {
    for (let i = this.order.length - 1; i >= 0; i--) {
      const e = this.order[i]!;
      if (!match(e)) continue;
      this.order.splice(i, 1);
      const k = key(e.va, e.shift);
      const rest = this.byPage.get(k)!.filter((x) => x !== e);
      if (rest.length === 0) this.byPage.delete(k);
      else this.byPage.set(k, rest);
    }
  }
}

function key(va: bigint, shift: number): string {
  return `${shift}:${(va >> BigInt(shift)).toString(16)}`;
}

function covers(e: TlbEntry, va: bigint): boolean {
  return va >> BigInt(e.shift) === e.va >> BigInt(e.shift);
}
