/**
 * Writes AArch64 stage 1 translation tables: maps a range with the largest blocks that fit
 * (`largestPageRuns`, shared with x86 and RISC-V, over the sizes of the page and of the levels
 * where the granule permits a block), allocating tables of one granule each from a bump pointer
 * or from a `TableSource` (the installer's frame pool). One `Mapper` builds the tables of one
 * half (one TTBR).
 */

import { largestPageRuns } from "../page-runs.js";
import type { PhysicalMemory } from "../physical-memory.js";
import {
  type DescriptorFormat,
  Lo,
  blockPermitted,
  granuleShift,
  levelShift,
  outputAddress,
  startLevel,
  withOutputAddress,
} from "./entry.js";

/** The attribute bits of the blocks and pages a `map` writes, and of the tables it creates. */
export interface MapAttributes {
  /** Low-word bits of each block and page besides VALID, TABLE and the address (AP, SH, AF, nG, AttrIndx). */
  readonly lo: number;
  /** High-word bits of each block and page (UXN, PXN, DBM, CONT, GP). */
  readonly hi?: number;
  /** High-word bits of the tables this call creates (APTable, UXNTable, PXNTable). */
  readonly tableHi?: number;
}

/**
 * Where tables come from: `allocate` returns the physical address of `bytes` zeroed bytes
 * aligned to `bytes` for a table of walker `level`, or undefined when there is no room.
 */
export interface TableSource {
  allocate(bytes: number, level: number): number | undefined;
}

/** Memory type and access bits most mappings use: AF, inner shareable, AttrIndx 0. */
export const NORMAL = Lo.AF | Lo.SH;

export class Mapper {
  /** Physical address of the root table (a TTBR's BADDR). */
  readonly root: number;
  private readonly tables: TableSource;
  private allocated = 0;
  private readonly first: number;
  private readonly pageShift: number;
  /** The level of each leaf size, ascending by size: the page (level 3), then the blocks. */
  private readonly leafLevels = new Map<bigint, number>();

  /**
   * `tables` is where tables are allocated from: a granule-aligned address to bump upwards from
   * (in memory no mapping's data uses), or a `TableSource`. The root is allocated first; a
   * source with no room for it is a caller's error (RangeError).
   */
  constructor(
    private readonly memory: PhysicalMemory,
    private readonly format: DescriptorFormat,
    private readonly vaBits: number,
    tables: number | TableSource,
  ) {
    this.pageShift = granuleShift(format.granule);
    this.first = startLevel(format.granule, vaBits);
    for (let level = 3; level >= Math.max(this.first, 0); level--) {
      if (level === 3 || blockPermitted(format, level))
        this.leafLevels.set(1n << BigInt(levelShift(format.granule, level)), level);
    }
    if (typeof tables === "number") {
      let next = tables;
      this.tables = { allocate: (bytes) => ((next += bytes), next - bytes) };
    } else {
      this.tables = tables;
    }
    const root = this.allocate(4 - this.first);
    if (root === undefined) throw new RangeError("no room for the root table");
    this.root = root;
  }

  /** Bytes of the tables allocated so far (the root included). */
  get tableBytes(): number {
    return this.allocated;
  }

  /**
   * Maps `[va, va + size)` to `[pa, pa + size)` with leaves of at most `maxLeaf` bytes. The
   * addresses must be granule-aligned and the range inside the half; the reason why not, else
   * undefined. Existing mappings in the range are replaced only where a new leaf lands on a slot
   * (no table is split or freed). A table source running out leaves the leaves mapped so far.
   */
  map(
    va: bigint,
    pa: bigint,
    size: bigint,
    attributes: MapAttributes,
    maxLeaf?: bigint,
  ): string | undefined {
    const granule = 1n << BigInt(this.pageShift);
    if (va % granule !== 0n || pa % granule !== 0n || size % granule !== 0n) {
      return `addresses and size must be multiples of the ${this.format.granule} KiB granule`;
    }
    const low = BigInt.asUintN(this.vaBits, va);
    if (low + size > 1n << BigInt(this.vaBits))
      return `the range is not inside one ${this.vaBits}-bit half`;
    const sizes = [...this.leafLevels.keys()].filter((s) => maxLeaf === undefined || s <= maxLeaf);
    for (const run of largestPageRuns(low, pa, size, sizes)) {
      const level = this.leafLevels.get(run.size)!;
      for (let offset = 0n; offset < run.bytes; offset += run.size) {
        if (!this.writeLeaf(run.va + offset, run.pa + offset, level, attributes))
          return "the page-table pool is exhausted";
      }
    }
    return undefined;
  }

  /** False when a table could not be allocated. */
  private writeLeaf(va: bigint, pa: bigint, leafLevel: number, attributes: MapAttributes): boolean {
    let table = this.root;
    for (let level = this.first; level < leafLevel; level++) {
      const at = table + this.index(va, level) * 8;
      const lo = this.memory.readLo(at);
      const hi = this.memory.readHi(at);
      if ((lo & Lo.VALID) !== 0 && (lo & Lo.TABLE) !== 0) {
        table = outputAddress(this.format, lo, hi, this.pageShift);
        continue;
      }
      const child = this.allocate(3 - level);
      if (child === undefined) return false;
      const [tLo, tHi] = withOutputAddress(
        this.format,
        child,
        Lo.VALID | Lo.TABLE,
        attributes.tableHi ?? 0,
      );
      this.memory.writeWords(at, tLo, tHi);
      table = child;
    }
    const type = leafLevel === 3 ? Lo.VALID | Lo.TABLE : Lo.VALID;
    const [lo, hi] = withOutputAddress(
      this.format,
      Number(pa),
      type | attributes.lo,
      attributes.hi ?? 0,
    );
    this.memory.writeWords(table + this.index(va, leafLevel) * 8, lo, hi);
    return true;
  }

  private index(va: bigint, level: number): number {
    const bits =
      level === this.first
        ? this.vaBits - levelShift(this.format.granule, level)
        : this.pageShift - 3;
    return Number(
      (va >> BigInt(levelShift(this.format.granule, level))) & ((1n << BigInt(bits)) - 1n),
    );
  }

  /** A zeroed table of one granule for walker `level`, or undefined when there is no room. */
  private allocate(level: number): number | undefined {
    const bytes = 2 ** this.pageShift;
    const pa = this.tables.allocate(bytes, level);
    if (pa !== undefined) this.allocated += bytes;
    return pa;
  }
}
