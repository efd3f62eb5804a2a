/**
 * THE page-table walker: a bounded, depth-first visitor over the table tree under one root, for
 * any architecture behind the seam. Dump, image export, audit read-back and the installer's
 * table sharing all walk through it; nothing else indexes a table.
 *
 * Invariants:
 *  - Entries are visited top-down and in ascending address order; a table is read through a
 *    `FrameReader`, never written. A table is `Arch.tableBytes(level)` bytes at its physical
 *    address: one 4 KiB frame on x86-64 and RISC-V; on AArch64 a granule (4/16 contiguous frames
 *    with 16K/64K), and a root that resolves fewer bits is smaller and may sit inside a frame.
 *  - One root covers both halves (x86-64, RISC-V: the upper half is the root's upper entries),
 *    or each half has its own (`Arch.rootPerHalf`, AArch64: TTBR0 the lower, TTBR1 the upper).
 *    Then `WalkTarget.root` names the upper half's root and `lowerRoot` the lower's; without it
 *    the lower half is not walked.
 *  - Addresses are page numbers: `vpn` = canonical virtual address >> 12, below 2^52 and exact
 *    as a `number` (the upper half's page numbers follow the lower half's, with the gap between
 *    the halves skipped, so they ascend across the whole walk).
 *  - Nothing throws on a hostile tree: an entry that points outside memory reaches a frame the
 *    reader does not have (`table` is still reported; its entries read as absent); an entry
 *    that points back at a table on its own path (the same physical address: AArch64 table
 *    addresses are granule-aligned, so an entry into its own 16K table names that table) is
 *    reported (`stop`, "self" at the root, else "cycle") and not followed; tables shared by several entries are followed each time, but the
 *    number of table visits is bounded (`maxTableVisits`), so an aliased graph cannot make the
 *    walk exponential.
 *  - Rights are the effective ones: accumulated down the walk by `TableFormat.inherit` (x86 ANDs
 *    R/W and U/S and ORs XD over the levels; AArch64 table attributes are inherited the same way).
 */

import { type Arch, EntryKind, MapBit, type TableFormat } from "./arch.js";

/** Physical memory as the walker reads it: frames of 1024 little-endian 32-bit words. */
export interface FrameReader {
  /** The words of frame `pfn`, or undefined when it holds nothing (reads as zeros). */
  frame(pfn: number): Uint32Array | undefined;
  /** Frames present, in memory and backing store: the scale of the visit bound. */
  readonly frameCount: number;
  readonly backedFrames: number;
}

/** Why the walk does not go below a valid entry that is not a leaf. */
export type StopReason = "malformed" | "self" | "cycle";

/**
 * What a walk reports. `leaf` is the only required callback; the others default to ignoring.
 * `lo`, `hi` are the entry's words (bits 31:0 and 63:32); `rights` are `MapBit`s effective
 * after the entry.
 */
export interface WalkVisitor {
  /**
   * A table of `level` is entered; `pfn` is the frame holding its first entry, `vpn` the first
   * page it covers. Return false to skip its entries (a table already accounted for).
   */
  table?(pfn: number, level: number, vpn: number): boolean | void;
  /** An invalid entry (or an entry of a frame memory does not hold). */
  absent?(vpn: number, level: number): void;
  /** The addresses between the halves, from page `vpn` (before the upper half's first entry). */
  gap?(vpn: number): void;
  /** A page or block of `pages` 4 KiB pages at physical address `pa`. */
  leaf(
    vpn: number,
    level: number,
    pages: number,
    pa: number,
    rights: number,
    lo: number,
    hi: number,
  ): void;
  /** A valid entry the walk does not follow; `entryPa` is the entry's physical address. */
  stop?(
    vpn: number,
    level: number,
    reason: StopReason,
    lo: number,
    hi: number,
    rights: number,
    entryPa: number,
  ): void;
  /** The visit bound was reached in table `pfn`; no further table is read. */
  stopped?(pfn: number, level: number, vpn: number, maxTableVisits: number): void;
}

/**
 * Table visits a walk may make beyond one per frame of memory: a tree without aliasing visits
 * each table once, so only a (hostile) graph of aliased tables reaches the bound.
 */
export const EXTRA_TABLE_VISITS = 1 << 16;

/** Rights at the root, before any entry narrows them: writable and user-accessible. */
const ROOT_RIGHTS = MapBit.W | MapBit.U;
const FRAME_BYTES = 4096;
const ZERO_FRAME = new Uint32Array(1024);
// Module constants, not property loads, in the hot loop (see x86_64/arch.ts).
const { Absent: ABSENT, Leaf: LEAF, Malformed: MALFORMED } = EntryKind;

export interface WalkTarget {
  readonly arch: Arch;
  readonly memory: FrameReader;
  /** The root register's value (CR3, satp; TTBR1_EL1 where each half has its own root). */
  readonly root: bigint;
  /** The lower half's root register (TTBR0_EL1) where each half has its own root. */
  readonly lowerRoot?: bigint | undefined;
  /** Physical-address width (x86 MAXPHYADDR). */
  readonly physAddrBits: number;
}

/** Walks the tables under `target.root`, reporting to `visitor`. */
export function walkTables(target: WalkTarget, visitor: WalkVisitor): void {
  new Walk(target, visitor).run();
}

/**
 * One walk. A class, not closures: the hot loop's call sites then see the same functions from
 * walk to walk and stay optimised.
 */
class Walk {
  private readonly arch: Arch;
  private readonly memory: FrameReader;
  private readonly format: TableFormat;
  private readonly upperRoot: number;
  private readonly lowerRoot: number | undefined;
  /** The root of the half being walked: an entry of it pointing back at it is "self". */
  private root = 0;
  private readonly rootEntries: number;
  /** The root's first upper-half entry; past the root's end when each half has its own root. */
  private readonly upperFirst: number;
  private readonly lowerEndVpn: number;
  private readonly upperStartVpn: number;
  private readonly maxTableVisits: number;
  private readonly onPath = new Set<number>();
  private visits = 0;

  constructor(
    target: WalkTarget,
    private readonly visitor: WalkVisitor,
  ) {
    const { arch } = target;
    this.arch = arch;
    this.memory = target.memory;
    this.format = arch.tableFormat(target.physAddrBits);
    this.upperRoot = this.format.rootAddress(target.root);
    this.lowerRoot =
      target.lowerRoot === undefined ? undefined : this.format.rootAddress(target.lowerRoot);
    this.rootEntries = arch.tableBytes(arch.levels) / 8;
    this.upperFirst = arch.rootPerHalf ? this.rootEntries : this.rootEntries / 2;
    const [lower, upper] = arch.halves;
    this.lowerEndVpn = Number(lower.end >> 12n);
    this.upperStartVpn = Number(upper.start >> 12n);
    this.maxTableVisits =
      target.memory.frameCount + target.memory.backedFrames + EXTRA_TABLE_VISITS;
  }

  run(): void {
    const { arch } = this;
    if (!arch.rootPerHalf) {
      this.root = this.upperRoot;
      this.visit(this.root, arch.levels, 0, ROOT_RIGHTS);
      return;
    }
    if (this.lowerRoot !== undefined) {
      this.root = this.lowerRoot;
      this.visit(this.root, arch.levels, 0, ROOT_RIGHTS);
    }
    this.visitor.gap?.(this.lowerEndVpn);
    this.root = this.upperRoot;
    this.visit(this.root, arch.levels, this.upperStartVpn, ROOT_RIGHTS);
  }

  /** Visits the table at physical address `pa` (below 2^52; 8-byte aligned). */
  private visit(pa: number, level: number, vpnBase: number, rights: number): void {
    const { visitor, format, memory } = this;
    const firstPfn = Math.floor(pa / FRAME_BYTES);
    if (visitor.table?.(firstPfn, level, vpnBase) === false) return;
    if (++this.visits > this.maxTableVisits) {
      if (this.visits === this.maxTableVisits + 1) {
        visitor.stopped?.(firstPfn, level, vpnBase, this.maxTableVisits);
      }
      return;
    }
    const per = 2 ** (this.arch.levelShift(level) - 12);
    const top = level === this.arch.levels;
    const entries = top ? this.rootEntries : format.entriesPerTable;
    // A table of several frames starts on a frame (it is aligned to its size); one inside a
    // frame (a small root) ends in it: its words are a view from its offset.
    const offset = (pa % FRAME_BYTES) >> 2;
    this.onPath.add(pa);
    for (let first = 0; first < entries; first += 512) {
      // A frame memory does not hold reads as zeros: its entries are all absent.
      const frame = memory.frame(firstPfn + (first >> 9)) ?? ZERO_FRAME;
      const words = offset === 0 ? frame : frame.subarray(offset);
      const count = Math.min(entries - first, 512);
      for (let j = 0; j < count; j++) {
        const i = first + j;
        let vpn = vpnBase + i * per;
        if (top && i >= this.upperFirst) {
          if (i === this.upperFirst) visitor.gap?.(this.lowerEndVpn);
          vpn += this.upperStartVpn - this.lowerEndVpn;
        }
        const lo = words[j << 1]!;
        const hi = words[(j << 1) | 1]!;
        const kind = format.kind(lo, hi, level);
        if (kind === ABSENT) {
          visitor.absent?.(vpn, level);
          continue;
        }
        const entryRights = format.inherit(rights, lo, hi, level);
        if (kind === LEAF) {
          visitor.leaf(vpn, level, per, format.leafAddress(lo, hi, level), entryRights, lo, hi);
          continue;
        }
        const entryPa = pa + i * 8;
        if (kind === MALFORMED) {
          visitor.stop?.(vpn, level, "malformed", lo, hi, entryRights, entryPa);
          continue;
        }
        const child = format.nextTable(lo, hi) * FRAME_BYTES;
        if (this.onPath.has(child)) {
          const reason = top && child === this.root ? "self" : "cycle";
          visitor.stop?.(vpn, level, reason, lo, hi, entryRights, entryPa);
          continue;
        }
        this.visit(child, level - 1, vpn, entryRights);
      }
    }
    this.onPath.delete(pa);
  }
}
