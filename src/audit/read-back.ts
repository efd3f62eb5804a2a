/**
 * Read-back: the mappings an address space's page tables make, as the audit checks them. One
 * walk (src/arch/walk.ts) per space; each table frame is read once per path to it, and runs of
 * leaves with contiguous physical addresses and equal flags are merged as they are reported,
 * never page by page. Rights are the effective ones (x86: SDM 4.6.1; RISC-V: the leaf's). The
 * architecture and mode come from the caller.
 */

import { type Arch, MapBit } from "../arch/arch.js";
import { walkTables } from "../arch/walk.js";
import type { Level } from "../arch/x86_64/entry.js";
import type { PhysicalMemory } from "../arch/physical-memory.js";

/** A run of present pages with contiguous physical addresses and equal effective flags. */
export interface FoundMapping {
  /** First linear address (canonical). */
  readonly va: bigint;
  /** Exclusive end (may be 2^64). */
  readonly end: bigint;
  readonly pa: bigint;
  /** MapBit flags. */
  readonly flags: number;
}

/** A top-level entry that points at the top-level table itself. */
export interface FoundRecursiveSlot {
  readonly index: number;
  readonly va: bigint;
  readonly end: bigint;
  readonly writable: boolean;
  readonly user: boolean;
  readonly noExecute: boolean;
}

/** The slot `[va, end)` of top-level entry `index` pointing at its own table, with `MapBit` rights. */
export function recursiveSlot(
  index: number,
  va: bigint,
  end: bigint,
  rights: number,
): FoundRecursiveSlot {
  return {
    index,
    va,
    end,
    writable: (rights & MapBit.W) !== 0,
    user: (rights & MapBit.U) !== 0,
    noExecute: (rights & MapBit.NX) !== 0,
  };
}

export interface MalformedEntry {
  readonly level: Level;
  /** The architecture's name of the entry at `level` (x86: PTE, PDE, PDPTE, PML4E, PML5E). */
  readonly entry: string;
  /** Physical address of the entry. */
  readonly entryPa: number;
  readonly va: bigint;
  readonly reason: string;
}

export interface ReadBack {
  readonly mappings: readonly FoundMapping[];
  readonly recursive: readonly FoundRecursiveSlot[];
  readonly malformed: readonly MalformedEntry[];
  /** Table frames reachable from CR3: frame number -> level. */
  readonly tables: ReadonlyMap<number, Level>;
}

/**
 * Walks the tables of one address space from `root` (CR3, satp, TTBR1_EL1; and `lowerRoot`,
 * TTBR0_EL1), merging leaves into runs as they are reported. A top-level entry that points at
 * the root is a recursive slot and is not followed.
 */
export function readTables(
  memory: PhysicalMemory,
  root: bigint,
  arch: Arch,
  physAddrBits: number,
  lowerRoot?: bigint,
): ReadBack {
  const format = arch.tableFormat(physAddrBits);
  const tables = new Map<number, Level>();
  const malformed: MalformedEntry[] = [];
  const recursive: FoundRecursiveSlot[] = [];
  // Runs in page numbers (canonical address >> 12): the halves' page numbers never touch, so
  // runs never merge across the non-canonical hole.
  const rVpn: number[] = [];
  const rPages: number[] = [];
  const rPa: number[] = [];
  const rFlags: number[] = [];
  let last = -1;
  const vaOf = (vpn: number): bigint => BigInt(vpn) << 12n;

  walkTables(
    { arch, memory, root, lowerRoot, physAddrBits },
    {
      table(pfn, level) {
        if (!tables.has(pfn)) tables.set(pfn, level as Level);
      },
      // The hot path (millions of PTEs): no allocation.
      leaf(vpn, level, pages, pa, rights, lo, hi) {
        const flags = rights | format.leafAttributes(lo, hi, level);
        if (
          last >= 0 &&
          rFlags[last] === flags &&
          rVpn[last]! + rPages[last]! === vpn &&
          rPa[last]! + rPages[last]! * 4096 === pa
        ) {
          rPages[last]! += pages;
        } else {
          rVpn.push(vpn);
          rPages.push(pages);
          rPa.push(pa);
          rFlags.push(flags);
          last++;
        }
      },
      stop(vpn, level, reason, lo, hi, rights, entryPa) {
        const va = vaOf(vpn);
        if (reason === "self") {
          const shift = BigInt(arch.levelShift(level));
          const index = Number((va >> shift) & 511n);
          // At the root the rights are the entry's own.
          recursive.push(recursiveSlot(index, va, va + (1n << shift), rights));
          return;
        }
        const why =
          reason === "cycle"
            ? "it points back at a table on its own path (a cycle)"
            : format.malformation(lo, hi, level);
        malformed.push({
          level: level as Level,
          entry: arch.entryName(level),
          entryPa,
          va,
          reason: why,
        });
      },
      stopped(pfn, level, vpn, maxTableVisits) {
        malformed.push({
          level: level as Level,
          entry: arch.entryName(level),
          entryPa: pfn * 4096,
          va: vaOf(vpn),
          reason: `the walk was stopped after ${maxTableVisits} table visits (tables are aliased)`,
        });
      },
    },
  );

  const mappings: FoundMapping[] = [];
  for (let i = 0; i <= last; i++) {
    const va = vaOf(rVpn[i]!);
    mappings.push({
      va,
      end: va + BigInt(rPages[i]!) * 4096n,
      pa: BigInt(rPa[i]!),
      flags: rFlags[i]!,
    });
  }
  // Page numbers ascend, and so do canonical addresses (the lower half comes first).
  return { mappings, recursive, malformed, tables };
}
