/**
 * Builds 4-level / 5-level page tables in emulated physical memory: map, unmap, protect and
 * translate single pages, and `mapRange` for bulk installs (a 16 GiB direct map at 4 KiB pages is
 * 4,194,304 PTEs in 8,192 page tables).
 *
 * Policy (see docs/runtime.md):
 *  - Intermediate entries created here are permissive: P | R/W | U/S, XD = 0, so the leaf entry
 *    alone decides the effective rights (SDM 4.6.1 combines levels with AND for R/W and U/S and OR
 *    for XD). Existing intermediate entries are used as found and never widened, so restrictive
 *    upper entries written by someone else still apply. `MapperOptions.tableFlags` narrows them.
 *  - Errors are values, and a failing call writes nothing: conflicts are found, and the table
 *    frames a call needs are counted, before any table is created or entry written.
 *  - Every change returns a `FlushToken` saying which TLB entries may now be stale. A page that was
 *    not present cannot be cached (SDM 4.10.2.2), so tokens of `map`/`mapRange` are `required:
 *    false`; tokens of `unmap`/`protect` are `required: true` (SDM 4.10.4.2).
 */

import {
  Hi,
  Lo,
  type LeafLevel,
  type Level,
  PAGE_4K,
  type PageSize,
  type PagingLevels,
  VPN_PER_ENTRY,
  DEFAULT_MAXPHYADDR,
  canonicalize,
  levelShift,
  checkMaxPhyAddr,
  decodeEntry,
  hiReservedMask,
  isCanonical,
  isPageSize,
  joinEntry,
  leafLevelOf,
  pageSizeOfLevel,
  toU64,
  vpnIndex,
  type DecodedEntry,
} from "./entry.js";
import type { Arch } from "../arch.js";
import { x86_64 } from "./arch.js";
import { FrameAllocator } from "../frame-allocator.js";
import { FRAME_SIZE, type PhysicalMemory } from "../physical-memory.js";

const TWO32 = 4294967296;

/** Attributes of a page mapping. Omitted booleans are false (read-only, supervisor, executable). */
export interface MapFlags {
  /** R/W = 1. */
  readonly writable?: boolean;
  /** U/S = 1. */
  readonly user?: boolean;
  /** XD = 1 (needs IA32_EFER.NXE = 1, else the entry has a reserved bit set). */
  readonly noExecute?: boolean;
  /** G = 1. */
  readonly global?: boolean;
  /** PWT = 1. */
  readonly writeThrough?: boolean;
  /** PCD = 1. */
  readonly cacheDisable?: boolean;
  /** PAT = 1 (bit 7 of a PTE, bit 12 of a large-page entry). */
  readonly pat?: boolean;
  /** Pre-set A (as kernels do for their own mappings). */
  readonly accessed?: boolean;
  /** Pre-set D. */
  readonly dirty?: boolean;
  /** Software bits 11:9 (0..7). */
  readonly available?: number;
  /** Software bits 62:52 (0..0x7ff). */
  readonly availableHigh?: number;
}

export type MapError =
  | { readonly kind: "non-canonical"; readonly va: bigint }
  | { readonly kind: "bad-page-size"; readonly pageSize: number }
  | {
      readonly kind: "misaligned";
      readonly what: "va" | "pa" | "length";
      readonly value: bigint;
      readonly pageSize: PageSize;
    }
  | { readonly kind: "pa-out-of-range"; readonly pa: bigint; readonly maxPhyAddr: number }
  | { readonly kind: "invalid-flags"; readonly detail: string }
  /** A present entry already maps a page at the target level. */
  | { readonly kind: "already-mapped"; readonly va: bigint; readonly level: Level }
  /** A PDPTE/PDE with PS = 1 maps a larger page over the address. */
  | {
      readonly kind: "large-page-in-way";
      readonly va: bigint;
      readonly level: Level;
      readonly pageSize: PageSize;
    }
  /** Mapping a large page where the entry references a table of smaller mappings. */
  | { readonly kind: "table-in-way"; readonly va: bigint; readonly level: Level }
  /** An entry on the path has bits 51:MAXPHYADDR set, or PS = 1 in a PML4E/PML5E. */
  | {
      readonly kind: "malformed-entry";
      readonly va: bigint;
      readonly level: Level;
      readonly entry: bigint;
    }
  | { readonly kind: "not-mapped"; readonly va: bigint; readonly level: Level }
  | { readonly kind: "out-of-frames"; readonly needed: number; readonly free: number };

/** Anything that can invalidate TLB entries: an `Mmu`. */
export interface TlbInvalidator {
  invlpg(va: bigint): void;
  flushTlb(): void;
}

/**
 * Above this many pages, `FlushToken.flush` invalidates the whole TLB instead of issuing one
 * INVLPG per page (Linux's `tlb_single_page_flush_ceiling` is 33).
 */
export const FULL_FLUSH_THRESHOLD = 33;

/** Which TLB entries a page-table change may have made stale. */
export class FlushToken {
  constructor(
    /** First linear address changed. */
    readonly va: bigint,
    readonly pageSize: PageSize,
    /** Number of pages of `pageSize` changed. */
    readonly pages: number,
    /** False when the change only made not-present pages present (nothing could be cached). */
    readonly required: boolean,
  ) {}

  /** Invalidates the affected pages on `mmu` (INVLPG each, or a full flush for many pages). */
  flush(mmu: TlbInvalidator): void {
    if (this.pages > FULL_FLUSH_THRESHOLD) {
      mmu.flushTlb();
      return;
    }
    for (let i = 0; i < this.pages; i++) {
      mmu.invlpg(toU64(this.va + BigInt(i) * BigInt(this.pageSize)));
    }
  }

  /** Explicitly skips the invalidation. */
  ignore(): void {}
}

/** Why a map, unmap or lookup did nothing (the tables are unchanged). */
export type MapFailure = { readonly ok: false; readonly error: MapError };

export type MapResult = { readonly ok: true; readonly flush: FlushToken } | MapFailure;

export type UnmapResult =
  | {
      readonly ok: true;
      /** Physical address of the page that was mapped. */
      readonly pa: bigint;
      readonly pageSize: PageSize;
      readonly flush: FlushToken;
    }
  | MapFailure;

export type LookupResult =
  | {
      readonly ok: true;
      readonly va: bigint;
      readonly pa: bigint;
      readonly pageSize: PageSize;
      readonly level: LeafLevel;
      /** The raw leaf entry and its decoding (no rights are checked; see Mmu for that). */
      readonly entry: bigint;
      readonly decoded: DecodedEntry;
    }
  | MapFailure;

export interface MapperOptions {
  /** 4 (default) or 5 paging levels. */
  readonly levels?: PagingLevels;
  /** MAXPHYADDR, default 46. */
  readonly maxPhyAddr?: number;
  /** Frame pool for tables; default a new FrameAllocator on `memory` (16 MiB base). */
  readonly allocator?: FrameAllocator;
  /** Physical address of an existing top-level table; default: allocate one. */
  readonly root?: number;
  /** R/W and U/S of intermediate entries created here; default both true (permissive). */
  readonly tableFlags?: { readonly writable?: boolean; readonly user?: boolean };
}

function err(error: MapError): { ok: false; error: MapError } {
  return { ok: false, error };
}

export class Mapper {
  readonly memory: PhysicalMemory;
  readonly allocator: FrameAllocator;
  readonly levels: PagingLevels;
  readonly maxPhyAddr: number;
  /** Physical address of the PML4 (PML5 with 5 levels). */
  readonly root: number;
  /** The paging mode behind the architecture seam (for the walker, image export). */
  get arch(): Arch {
    return x86_64(this.levels);
  }
  private readonly hiRsvd: number;
  /** Low word of a new intermediate entry, without the address. */
  private readonly tableLo: number;

  constructor(memory: PhysicalMemory, options: MapperOptions = {}) {
    this.memory = memory;
    this.levels = options.levels ?? 4;
    this.maxPhyAddr = options.maxPhyAddr ?? DEFAULT_MAXPHYADDR;
    checkMaxPhyAddr(this.maxPhyAddr);
    this.hiRsvd = hiReservedMask(this.maxPhyAddr);
    this.allocator = options.allocator ?? new FrameAllocator(memory);
    if (this.allocator.memory !== memory) {
      throw new Error("the frame allocator must allocate from the mapper's physical memory");
    }
    if (this.allocator.limit > 2 ** this.maxPhyAddr) {
      throw new RangeError("the frame pool extends past MAXPHYADDR");
    }
    const tf = options.tableFlags ?? {};
    this.tableLo = Lo.P | (tf.writable !== false ? Lo.RW : 0) | (tf.user !== false ? Lo.US : 0);
    if (options.root !== undefined) {
      if (options.root % FRAME_SIZE !== 0 || options.root >= 2 ** this.maxPhyAddr) {
        throw new RangeError("root table must be 4-KByte aligned and below MAXPHYADDR");
      }
      this.root = options.root;
    } else {
      const root = this.allocator.allocate(this.levels);
      if (root === undefined) throw new RangeError("frame pool exhausted");
      this.root = root;
    }
    if (this.root + FRAME_SIZE > 2 ** this.maxPhyAddr) {
      throw new RangeError("root table lies above MAXPHYADDR");
    }
  }

  /** A CR3 value (PCIDE = 0, PWT = PCD = 0) for this address space. */
  get cr3(): bigint {
    return BigInt(this.root);
  }

  // --- single pages -----------------------------------------------------------------------------

  /** Maps one page of `size` at `va` to `pa`. */
  map(va: bigint, pa: bigint | number, size: PageSize, flags: MapFlags = {}): MapResult {
    const a = this.checkArgs(va, pa, size, size, flags);
    if (!a.ok) return a;
    const { v, p, lo: flo, hi: fhi } = a;
    const leafLevel = leafLevelOf(size);
    const vpn = Number(v >> 12n);
    const mem = this.memory;
    let pfn = this.root / FRAME_SIZE;
    for (let level = this.levels as number; level > leafLevel; level--) {
      const w = mem.materialize(pfn) + (vpnIndex(vpn, level as Level) << 1);
      const lo = mem.words[w]!;
      const hi = mem.words[w + 1]!;
      if ((lo & Lo.P) === 0) {
        const needed = level - leafLevel;
        if (this.allocator.framesFree < needed) {
          return err({ kind: "out-of-frames", needed, free: this.allocator.framesFree });
        }
        for (let l = level; l > leafLevel; l--) {
          pfn = this.newTable(pfn, vpnIndex(vpn, l as Level), (l - 1) as Level, true);
        }
        break;
      }
      const bad = this.checkPath(vpn, lo, hi, level as Level);
      if (bad !== undefined) return err(bad);
      pfn = nextTable(lo, hi);
    }
    const w = mem.materialize(pfn) + (vpnIndex(vpn, leafLevel) << 1);
    const lo = mem.words[w]!;
    if ((lo & Lo.P) !== 0) {
      return err(
        leafLevel > 1 && (lo & Lo.PS) === 0
          ? { kind: "table-in-way", va: v, level: leafLevel }
          : { kind: "already-mapped", va: v, level: leafLevel },
      );
    }
    this.writeLeaf(w, p, flo, fhi);
    return { ok: true, flush: new FlushToken(v, size, 1, false) };
  }

  /**
   * Removes the mapping of the page that starts at `va` (any size; `va` must be that page's first
   * byte). Intermediate tables are kept.
   */
  unmap(va: bigint): UnmapResult {
    const found = this.pageStartingAt(va);
    if (!found.ok) return found;
    const { w, level, v, size } = found;
    const words = this.memory.words;
    const pa = leafAddress(words[w]!, words[w + 1]!, level);
    words[w] = 0;
    words[w + 1] = 0;
    return { ok: true, pa: BigInt(pa), pageSize: size, flush: new FlushToken(v, size, 1, true) };
  }

  /**
   * Rewrites the attributes of the page that starts at `va`, keeping its physical address (and its
   * A/D flags unless `flags` sets them).
   */
  protect(va: bigint, flags: MapFlags): MapResult {
    const found = this.pageStartingAt(va);
    if (!found.ok) return found;
    const { w, level, v, size } = found;
    const enc = encodeLeafFlags(flags, level);
    if (typeof enc === "string") return err({ kind: "invalid-flags", detail: enc });
    const words = this.memory.words;
    const old = words[w]!;
    let lo = enc.lo;
    if (flags.accessed === undefined) lo |= old & Lo.A;
    if (flags.dirty === undefined) lo |= old & Lo.D;
    const pa = leafAddress(old, words[w + 1]!, level);
    this.writeLeaf(w, pa, lo, enc.hi);
    return { ok: true, flush: new FlushToken(v, size, 1, true) };
  }

  /**
   * The mapping of `va` as the tables say (P flags and PS only: neither reserved bits nor rights
   * are checked here; `Mmu.probe` does the architectural walk).
   */
  translate(va: bigint): LookupResult {
    const found = this.findLeaf(va);
    if (!found.ok) return found;
    const { w, level, v } = found;
    const lo = this.memory.words[w]!;
    const hi = this.memory.words[w + 1]!;
    const size = pageSizeOfLevel(level);
    const pa = leafAddress(lo, hi, level) + Number(v % BigInt(size));
    const entry = joinEntry(lo, hi);
    return {
      ok: true,
      va: v,
      pa: BigInt(pa),
      pageSize: size,
      level,
      entry,
      decoded: decodeEntry(entry, level),
    };
  }

  /**
   * Points top-level entry `index` at the top-level table itself (a recursive slot): supervisor,
   * writable unless `readOnly`, XD when `noExecute`. Through it the tables appear in linear memory.
   */
  mapRecursive(
    index: number,
    options: { readonly noExecute?: boolean; readonly readOnly?: boolean } = {},
  ): MapResult {
    if (!Number.isInteger(index) || index < 0 || index > 511) {
      return err({ kind: "invalid-flags", detail: "recursive slot index must be 0..511" });
    }
    const w = this.memory.materialize(this.root / FRAME_SIZE) + (index << 1);
    const words = this.memory.words;
    const v = canonicalize(BigInt(index) << BigInt(levelShift(this.levels)), this.levels);
    if ((words[w]! & Lo.P) !== 0) return err({ kind: "already-mapped", va: v, level: this.levels });
    words[w] = (this.root >>> 0) | Lo.P | (options.readOnly === true ? 0 : Lo.RW);
    words[w + 1] = Math.floor(this.root / TWO32) | (options.noExecute === true ? Hi.XD : 0);
    return { ok: true, flush: new FlushToken(v, PAGE_4K, 0, false) };
  }

  // --- bulk -------------------------------------------------------------------------------------

  /**
   * Maps `[va, va + bytes)` to `[pa, pa + bytes)` with pages of `size`. All-or-nothing: the whole
   * range is checked (and the table frames it needs counted) before anything is written. The inner
   * loop writes word pairs into each leaf table, found once per table, with no allocation or
   * bigint.
   */
  mapRange(
    va: bigint,
    pa: bigint | number,
    bytes: bigint | number,
    size: PageSize,
    flags: MapFlags = {},
  ): MapResult {
    const a = this.checkArgs(va, pa, size, bytes, flags);
    if (!a.ok) return a;
    const { v, p, lo: flo, hi: fhi } = a;
    const leafLevel = leafLevelOf(size);
    const pages = Number(BigInt(bytes) / BigInt(size));
    if (pages === 0) return { ok: true, flush: new FlushToken(v, size, 0, false) };
    const startVpn = Number(v >> 12n);
    const endVpn = startVpn + pages * VPN_PER_ENTRY[leafLevel]!;
    const needed = this.countTables(startVpn, endVpn, leafLevel);
    if (typeof needed !== "number") return err(needed);
    if (needed > this.allocator.framesFree) {
      return err({ kind: "out-of-frames", needed, free: this.allocator.framesFree });
    }
    this.allocator.reserve(needed);
    this.fill(startVpn, endVpn, leafLevel, Number(p), flo, fhi);
    return { ok: true, flush: new FlushToken(v, size, pages, false) };
  }

  // --- internals --------------------------------------------------------------------------------

  /**
   * Pass 1 of `mapRange` over the 4-KByte page numbers `[startVpn, endVpn)`: the conflicts, or the
   * number of new tables. Under an entry that is not present, every table of the levels below
   * must be created for the part of its span in the range, so that span is counted at once;
   * present entries are followed down to the leaf tables, whose entries must all be free.
   */
  private countTables(startVpn: number, endVpn: number, leafLevel: LeafLevel): number | MapError {
    const mem = this.memory;
    const per = VPN_PER_ENTRY[leafLevel]!;
    let needed = 0;
    for (let vpn = startVpn; vpn < endVpn;) {
      let pfn = this.root / FRAME_SIZE;
      let level = this.levels as number;
      for (; level > leafLevel; level--) {
        const w = mem.offsetOf(pfn) + (vpnIndex(vpn, level as Level) << 1);
        const lo = mem.words[w]!;
        if ((lo & Lo.P) === 0) break;
        const hi = mem.words[w + 1]!;
        const bad = this.checkPath(vpn, lo, hi, level as Level);
        if (bad !== undefined) return bad;
        pfn = nextTable(lo, hi);
      }
      if (level > leafLevel) {
        const span = VPN_PER_ENTRY[level]!;
        const spanEnd = Math.min(endVpn, (Math.floor(vpn / span) + 1) * span);
        for (let l = level; l > leafLevel; l--) {
          const child = VPN_PER_ENTRY[l]!;
          needed += Math.floor((spanEnd - 1) / child) - Math.floor(vpn / child) + 1;
        }
        vpn = spanEnd;
        continue;
      }
      const idx = vpnIndex(vpn, leafLevel);
      const count = Math.min(512 - idx, (endVpn - vpn) / per);
      const o = mem.offsetOf(pfn);
      for (let i = 0; i < count; i++) {
        const lo = mem.words[o + ((idx + i) << 1)]!;
        if ((lo & Lo.P) !== 0) {
          const va = vpnToVa(vpn + i * per, this.levels);
          return leafLevel > 1 && (lo & Lo.PS) === 0
            ? { kind: "table-in-way", va, level: leafLevel }
            : { kind: "already-mapped", va, level: leafLevel };
        }
      }
      vpn += count * per;
    }
    return needed;
  }

  /**
   * Pass 2 of `mapRange`: maps the 4-KByte page numbers `[startVpn, endVpn)` to physical `pa` on,
   * with pages of `leafLevel` and the flag words `flo`, `fhi`, creating tables. Cannot fail.
   */
  private fill(
    startVpn: number,
    endVpn: number,
    leafLevel: LeafLevel,
    pa: number,
    flo: number,
    fhi: number,
  ): void {
    const mem = this.memory;
    const per = VPN_PER_ENTRY[leafLevel]!;
    const size = (per * FRAME_SIZE) | 0; // at most 2^30
    // Bits 31:0 of the address are kept as an int32 (no heap number); they wrap to 0 exactly at a
    // 4 GiB boundary (a page size divides 2^32), where bits 51:32 step.
    let addrLo = pa | 0;
    let addrHi = Math.floor(pa / TWO32);
    // The table above the leaf tables is found again only when the range crosses into another;
    // the leaf tables are its entries in turn.
    const above = (leafLevel + 1) as Level;
    let aboveTable = -1;
    let index = 512;
    let first = vpnIndex(startVpn, leafLevel);
    for (let vpn = startVpn; vpn < endVpn; first = 0, index++) {
      if (index === 512) {
        aboveTable = this.tableFor(vpn, above);
        index = vpnIndex(vpn, above);
      }
      // Word offsets and counts are int32 (`| 0`): the loop then never meets a double.
      const count = Math.min(512 - first, (endVpn - vpn) / per) | 0;
      const pfn = this.childTable(aboveTable, index, leafLevel, count === 512);
      const words = mem.words;
      let w = (mem.offsetOf(pfn) + (first << 1)) | 0;
      const end = (w + (count << 1)) | 0;
      while (w < end) {
        const beforeWrap = ((TWO32 - (addrLo >>> 0)) / size) | 0;
        const stop = beforeWrap < (end - w) >> 1 ? (w + beforeWrap * 2) | 0 : end;
        const hi = addrHi | fhi;
        // The flags sit below the page's address bits: adding `size` to the word keeps them.
        let entry = addrLo | flo;
        for (; w < stop; w += 2) {
          words[w] = entry;
          words[w | 1] = hi;
          entry = (entry + size) | 0;
        }
        addrLo = entry ^ flo;
        if (addrLo === 0) addrHi++;
      }
      vpn += count * per;
    }
  }

  private checkArgs(
    va: bigint,
    pa: bigint | number,
    size: PageSize,
    bytes: bigint | number,
    flags: MapFlags,
  ): { ok: true; v: bigint; p: bigint; lo: number; hi: number } | { ok: false; error: MapError } {
    if (!isPageSize(size)) return err({ kind: "bad-page-size", pageSize: size });
    const v = toU64(va);
    const p = BigInt(pa);
    const n = BigInt(bytes);
    const sz = BigInt(size);
    if (!isCanonical(v, this.levels)) return err({ kind: "non-canonical", va: v });
    if (v % sz !== 0n) return err({ kind: "misaligned", what: "va", value: v, pageSize: size });
    if (p < 0n || p % sz !== 0n) {
      return err({ kind: "misaligned", what: "pa", value: p, pageSize: size });
    }
    if (n < 0n || n % sz !== 0n) {
      return err({ kind: "misaligned", what: "length", value: n, pageSize: size });
    }
    if (n > 0n) {
      // The range must stay inside one canonical half (SDM vol. 1, 3.3.7.1).
      const last = v + n - 1n;
      if (last >= 1n << 64n || !isCanonical(last, this.levels) || last >> 63n !== v >> 63n) {
        return err({ kind: "non-canonical", va: toU64(last) });
      }
    }
    const limit = 1n << BigInt(this.maxPhyAddr);
    if (p >= limit || p + n > limit) {
      return err({
        kind: "pa-out-of-range",
        pa: p + n > p ? p + n - 1n : p,
        maxPhyAddr: this.maxPhyAddr,
      });
    }
    const enc = encodeLeafFlags(flags, leafLevelOf(size));
    if (typeof enc === "string") return err({ kind: "invalid-flags", detail: enc });
    return { ok: true, v, p, lo: enc.lo, hi: enc.hi };
  }

  /**
   * Allocates a table of `level` (zeroed unless `zero` is false), links it from entry `index` of
   * table `parent`, and returns its frame number.
   */
  private newTable(parent: number, index: number, level: Level, zero: boolean): number {
    const pa = this.allocator.allocate(level, zero);
    if (pa === undefined) throw new Error("frame pool exhausted after a successful count");
    // After the allocation: `words` may have grown.
    const w = this.memory.materialize(parent) + (index << 1);
    this.memory.words[w] = (pa >>> 0) | this.tableLo;
    this.memory.words[w + 1] = Math.floor(pa / TWO32);
    return pa / FRAME_SIZE;
  }

  /** The table of `level` that maps page `vpn`, creating missing tables (pass 2 of mapRange). */
  private tableFor(vpn: number, level: Level): number {
    let pfn = this.root / FRAME_SIZE;
    for (let l = this.levels as number; l > level; l--) {
      pfn = this.childTable(pfn, vpnIndex(vpn, l as Level), (l - 1) as Level, false);
    }
    return pfn;
  }

  /**
   * The table of `level` that entry `index` of table `parent` references, created if the entry is
   * not present: zeroed, unless the caller fills it `whole`.
   */
  private childTable(parent: number, index: number, level: Level, whole: boolean): number {
    const w = this.memory.materialize(parent) + (index << 1);
    const lo = this.memory.words[w]!;
    if ((lo & Lo.P) !== 0) return nextTable(lo, this.memory.words[w + 1]!);
    return this.newTable(parent, index, level, !whole);
  }

  /** Writes the leaf entry at word `w`: address `pa` with the flag words `lo`, `hi`. */
  private writeLeaf(w: number, pa: bigint | number, lo: number, hi: number): void {
    const p = Number(pa);
    this.memory.words[w] = (p >>> 0) | lo;
    this.memory.words[w + 1] = Math.floor(p / TWO32) | hi;
  }

  /**
   * An error if the present entry `lo`, `hi` on the path to page `vpn` cannot be followed or is a
   * large page.
   */
  private checkPath(vpn: number, lo: number, hi: number, level: Level): MapError | undefined {
    if ((hi & this.hiRsvd) !== 0 || (level >= 4 && (lo & Lo.PS) !== 0)) {
      const va = vpnToVa(vpn, this.levels);
      return { kind: "malformed-entry", va, level, entry: joinEntry(lo, hi) };
    }
    if (level <= 3 && (lo & Lo.PS) !== 0) {
      const va = vpnToVa(vpn, this.levels);
      return { kind: "large-page-in-way", va, level, pageSize: pageSizeOfLevel(level as 2 | 3) };
    }
    return undefined;
  }

  /** The leaf of the page whose first byte is `va`, with its size. */
  private pageStartingAt(
    va: bigint,
  ): { ok: true; w: number; level: LeafLevel; v: bigint; size: PageSize } | MapFailure {
    const found = this.findLeaf(va);
    if (!found.ok) return found;
    const size = pageSizeOfLevel(found.level);
    if (found.v % BigInt(size) !== 0n) {
      return err({ kind: "misaligned", what: "va", value: found.v, pageSize: size });
    }
    return { ...found, size };
  }

  private findLeaf(
    va: bigint,
  ): { ok: true; w: number; level: LeafLevel; v: bigint } | { ok: false; error: MapError } {
    const v = toU64(va);
    if (!isCanonical(v, this.levels)) return err({ kind: "non-canonical", va: v });
    const vpn = Number(v >> 12n);
    let pfn = this.root / FRAME_SIZE;
    for (let level = this.levels as number; ; level--) {
      const w = this.memory.materialize(pfn) + (vpnIndex(vpn, level as Level) << 1);
      const lo = this.memory.words[w]!;
      const hi = this.memory.words[w + 1]!;
      if ((lo & Lo.P) === 0) return err({ kind: "not-mapped", va: v, level: level as Level });
      if ((hi & this.hiRsvd) !== 0 || (level >= 4 && (lo & Lo.PS) !== 0)) {
        return err({
          kind: "malformed-entry",
          va: v,
          level: level as Level,
          entry: joinEntry(lo, hi),
        });
      }
      if (level === 1 || (lo & Lo.PS) !== 0) return { ok: true, w, level: level as LeafLevel, v };
      pfn = nextTable(lo, hi);
    }
  }
}

/** Frame number of the table an entry references. */
function nextTable(lo: number, hi: number): number {
  return (hi & Hi.ADDR_MAX) * 1048576 + (lo >>> 12);
}

/** Physical address of the page mapped by a leaf entry at `level`. */
function leafAddress(lo: number, hi: number, level: LeafLevel): number {
  const m = level === 1 ? Lo.ADDR_4K : level === 2 ? Lo.ADDR_2M : Lo.ADDR_1G;
  return (hi & Hi.ADDR_MAX) * TWO32 + ((lo & m) >>> 0);
}

/** The canonical linear address of 4-KByte page number `vpn` (bits 63:12). */
function vpnToVa(vpn: number, levels: PagingLevels): bigint {
  return canonicalize(BigInt(vpn) << 12n, levels);
}

/**
 * Low and high words (without the address) of a leaf entry at `level` for `flags`, or an error
 * message. Large pages get PS = 1 and PAT in bit 12 (Tables 4-16 and 4-18); PTEs PAT in bit 7.
 */
export function encodeLeafFlags(
  flags: MapFlags,
  level: LeafLevel,
): { lo: number; hi: number } | string {
  const avl = flags.available ?? 0;
  if (!Number.isInteger(avl) || avl < 0 || avl > 7) return "available must be 0..7";
  const avlHi = flags.availableHigh ?? 0;
  if (!Number.isInteger(avlHi) || avlHi < 0 || avlHi > 0x7ff) {
    return "availableHigh must be 0..0x7ff";
  }
  let lo = Lo.P | (avl << 9);
  if (flags.writable === true) lo |= Lo.RW;
  if (flags.user === true) lo |= Lo.US;
  if (flags.writeThrough === true) lo |= Lo.PWT;
  if (flags.cacheDisable === true) lo |= Lo.PCD;
  if (flags.accessed === true) lo |= Lo.A;
  if (flags.dirty === true) lo |= Lo.D;
  if (flags.global === true) lo |= Lo.G;
  if (level > 1) lo |= Lo.PS;
  if (flags.pat === true) lo |= level === 1 ? Lo.PAT_4K : Lo.PAT_LARGE;
  const hi = (avlHi << 20) | (flags.noExecute === true ? Hi.XD : 0);
  return { lo, hi };
}
