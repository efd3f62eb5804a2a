/**
 * Builds Sv39/Sv48/Sv57 page tables in emulated physical memory: `map` installs a range with the
 * largest pages that fit (`largestPageRuns` over the mode's page sizes, shared with x86).
 *
 * Policy:
 *  - Non-leaf PTEs written here are V alone: R = W = X = 0 makes them pointers, and their D, A
 *    and U are reserved (privileged spec, Sv32 PTE format, as Sv39/48/57 use it).
 *  - Leaves are written with A set, and D when writable, as Linux's `_PAGE_KERNEL` does, so a
 *    hart without Svadu does not fault on first use.
 *  - Errors are values, and a failing call writes nothing: conflicts are found, and the tables a
 *    call needs counted, before any table is created or entry written.
 */

import { largestPageRuns } from "../page-runs.js";
import { FrameAllocator } from "../frame-allocator.js";
import { FRAME_SIZE, type PhysicalMemory } from "../physical-memory.js";
import { type Level } from "../x86_64/entry.js";
import {
  Lo,
  MODE_LEVELS,
  encodeSatp,
  entryPpn,
  entryHi,
  entryLo,
  isCanonical,
  isLeafEntry,
  levelShift,
} from "./entry.js";
import type { SvMode } from "../../model/layout.js";

/** The rights and attributes of a leaf. Omitted booleans are false; `read` defaults to true. */
export interface SvMapFlags {
  readonly read?: boolean;
  readonly write?: boolean;
  readonly execute?: boolean;
  readonly user?: boolean;
  readonly global?: boolean;
  /** Svpbmt memory type: 0 PMA (default), 1 NC, 2 IO. */
  readonly pbmt?: 0 | 1 | 2;
}

export type SvMapError =
  | { readonly kind: "misaligned"; readonly message: string }
  | { readonly kind: "non-canonical"; readonly va: bigint }
  | { readonly kind: "already-mapped"; readonly va: bigint; readonly level: number }
  | { readonly kind: "out-of-frames"; readonly needed: number; readonly free: number };

export type SvMapResult =
  { readonly ok: true } | { readonly ok: false; readonly error: SvMapError };

export interface SvMapperOptions {
  readonly mode: SvMode;
  /** Frames for tables (default: the default pool of `memory`). */
  readonly allocator?: FrameAllocator;
}

const PAGE = BigInt(FRAME_SIZE);

export class SvMapper {
  readonly mode: SvMode;
  readonly levels: number;
  readonly allocator: FrameAllocator;
  /** Physical address of the root table. */
  readonly root: number;
  private readonly pageSizes: bigint[] = [];

  constructor(
    readonly memory: PhysicalMemory,
    options: SvMapperOptions,
  ) {
    this.mode = options.mode;
    this.levels = MODE_LEVELS[this.mode];
    for (let level = 1; level <= this.levels; level++) {
      this.pageSizes.push(1n << BigInt(levelShift(level)));
    }
    this.allocator = options.allocator ?? new FrameAllocator(memory);
    const root = this.allocator.allocate(this.levels as Level);
    if (root === undefined) throw new RangeError("the frame pool has no frame for the root table");
    this.root = root;
  }

  /** The `satp` value selecting these tables under `asid`. */
  satp(asid = 0): bigint {
    return encodeSatp(this.mode, asid, this.root / FRAME_SIZE);
  }

  /**
   * Maps `[va, va + bytes)` to `pa` with the largest pages the alignment of both allows, up to
   * `maxPage` (default: the mode's largest).
   */
  map(
    va: bigint,
    pa: bigint,
    bytes: bigint,
    flags: SvMapFlags = {},
    maxPage?: bigint,
  ): SvMapResult {
    if (va % PAGE !== 0n || pa % PAGE !== 0n || bytes % PAGE !== 0n || bytes < 0n) {
      return fail({ kind: "misaligned", message: "va, pa and bytes must be multiples of 4 KiB" });
    }
    const last = BigInt.asUintN(64, va + bytes - 1n);
    if (!isCanonical(va, this.mode) || (bytes > 0n && !isCanonical(last, this.mode))) {
      return fail({ kind: "non-canonical", va });
    }
    const sizes = this.pageSizes.filter((s) => maxPage === undefined || s <= maxPage);
    // Chunks of pages that share a leaf table: each table is found once per chunk.
    const chunks: Chunk[] = [];
    for (const run of largestPageRuns(va, pa, bytes, sizes)) {
      const level = this.pageSizes.indexOf(run.size) + 1;
      const span = run.size * 512n;
      for (let v = run.va, p = run.pa; v < run.va + run.bytes;) {
        const left = (run.va + run.bytes - v) / run.size;
        const inTable = (span - (BigInt.asUintN(64, v) % span)) / run.size;
        const count = left < inTable ? left : inTable;
        chunks.push({ va: v, ppn: Number(p / PAGE), count: Number(count), level });
        v += count * run.size;
        p += count * run.size;
      }
    }
    // Pass 1: conflicts, and the tables to create (by level and the address span they cover).
    const created = new Set<string>();
    for (const chunk of chunks) {
      const conflict = this.plan(chunk, created);
      if (conflict !== undefined) return fail(conflict);
    }
    if (created.size > this.allocator.framesFree) {
      return fail({ kind: "out-of-frames", needed: created.size, free: this.allocator.framesFree });
    }
    this.allocator.reserve(created.size);
    // Pass 2: cannot fail.
    const leafFlags = leafBits(flags);
    const pbmt = flags.pbmt ?? 0;
    for (const { va: v, ppn, count, level } of chunks) {
      const first = this.slot(this.tableFor(v, level), v, level);
      const step = PAGES[level]!;
      for (let i = 0; i < count; i++) {
        const frame = ppn + i * step;
        this.memory.writeWords(first + i * 8, entryLo(frame, leafFlags), entryHi(frame, pbmt));
      }
    }
    return { ok: true };
  }

  /** The entry's physical address at `level` for `va` in the table at `table`. */
  private slot(table: number, va: bigint, level: number): number {
    return table + Number((BigInt.asUintN(64, va) >> BigInt(levelShift(level))) & 511n) * 8;
  }

  /** Pass 1 for one chunk: undefined, adding the tables to create to `created`, or a conflict. */
  private plan(chunk: Chunk, created: Set<string>): SvMapError | undefined {
    const { va, count, level: leafLevel } = chunk;
    let table = this.root;
    for (let level = this.levels; level > leafLevel; level--) {
      const at = this.slot(table, va, level);
      const lo = this.memory.readLo(at);
      if ((lo & Lo.V) === 0) {
        // Every table below this entry is new.
        for (let l = level; l > leafLevel; l--) {
          created.add(`${l}:${BigInt.asUintN(64, va) >> BigInt(levelShift(l))}`);
        }
        return undefined;
      }
      if (isLeafEntry(lo)) return { kind: "already-mapped", va, level };
      table = entryPpn(lo, this.memory.readHi(at)) * FRAME_SIZE;
    }
    const first = this.slot(table, va, leafLevel);
    for (let i = 0; i < count; i++) {
      if ((this.memory.readLo(first + i * 8) & Lo.V) !== 0) {
        const pageVa = va + BigInt(i) * this.pageSizes[leafLevel - 1]!;
        return { kind: "already-mapped", va: pageVa, level: leafLevel };
      }
    }
    return undefined;
  }

  /** Pass 2: the table holding `va`'s entries at `leafLevel`, creating the tables above it. */
  private tableFor(va: bigint, leafLevel: number): number {
    let table = this.root;
    for (let level = this.levels; level > leafLevel; level--) {
      const at = this.slot(table, va, level);
      if ((this.memory.readLo(at) & Lo.V) === 0) {
        const frame = this.allocator.allocate((level - 1) as Level)!;
        this.memory.writeWords(at, entryLo(frame / FRAME_SIZE, Lo.V), entryHi(frame / FRAME_SIZE));
      }
      table = entryPpn(this.memory.readLo(at), this.memory.readHi(at)) * FRAME_SIZE;
    }
    return table;
  }
}

/** Pages of one size that share a leaf table: `count` entries from `va`, frames from `ppn`. */
interface Chunk {
  readonly va: bigint;
  readonly ppn: number;
  readonly count: number;
  readonly level: number;
}

/** 4 KiB frames per page of each level. */
const PAGES = [0, 1, 2 ** 9, 2 ** 18, 2 ** 27, 2 ** 36] as const;

/** The low flag bits of a leaf: V, R/W/X/U/G as asked, A, and D when writable. */
function leafBits(f: SvMapFlags): number {
  const write = f.write === true;
  return (
    Lo.V |
    Lo.A |
    (f.read !== false || write ? Lo.R : 0) |
    (write ? Lo.W | Lo.D : 0) |
    (f.execute === true ? Lo.X : 0) |
    (f.user === true ? Lo.U : 0) |
    (f.global === true ? Lo.G : 0)
  );
}

function fail(error: SvMapError): SvMapResult {
  return { ok: false, error };
}
