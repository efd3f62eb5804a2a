/**
 * The installer's writer of x86-64 tables (`SpaceWriter`): leaves as Linux builds them, process
 * spaces that share the kernel's tables (share.ts), recursive slots.
 */
import type { CacheMode, Permission } from "../../model/layout.js";
import { hex, size as showSize } from "../../model/format.js";
import type { LeafAttributes, SharedTables, SpaceWriter } from "../arch.js";
import type { FrameAllocator } from "../frame-allocator.js";
import type { PhysicalMemory } from "../physical-memory.js";
import type { PageSize, PagingLevels } from "./entry.js";
import { type MapError, type MapFlags, Mapper } from "./mapper.js";
import { shareKernelTables } from "./share.js";

/** A writer of a fresh address space; a process's shares `shared.kernel`'s tables first. */
export function x86SpaceWriter(
  memory: PhysicalMemory,
  allocator: FrameAllocator,
  levels: PagingLevels,
  maxPhyAddr: number,
  shared: SharedTables | undefined,
): SpaceWriter {
  const mapper = new Mapper(memory, { levels, maxPhyAddr, allocator });
  if (shared) {
    const kernel = shared.kernel.mapper as Mapper;
    shareKernelTables(memory, allocator, kernel, mapper.root, shared.privateRanges, shared.keep);
  }
  return {
    mapper,
    root: mapper.cr3,
    map: (va, pa, bytes, pageSize, leaf) => {
      const res = mapper.mapRange(va, pa, bytes, Number(pageSize) as PageSize, leafFlags(leaf));
      return res.ok ? undefined : describeMapError(res.error);
    },
    mapRecursive: (index, perm: Permission) => {
      const res = mapper.mapRecursive(index, {
        noExecute: perm === "r" || perm === "rw",
        readOnly: perm === "r" || perm === "rx",
      });
      return res.ok ? undefined : describeMapError(res.error);
    },
  };
}

/**
 * Leaf flags for a segment, as Linux's `__PAGE_KERNEL*` builds them: A always, D when
 * writable; `r` -> RO + XD, `rw` -> RW + XD, `rx` -> RO, `rwx` -> RW; `user` -> U/S; `global`
 * -> G; `cache` -> PAT/PCD/PWT for Linux's IA32_PAT layout (see `CACHE_PAT_INDEX`).
 */
export function leafFlags(s: LeafAttributes): MapFlags {
  const writable = s.perm === "rw" || s.perm === "rwx";
  const pat = CACHE_PAT_INDEX[s.cache ?? "wb"];
  return {
    writable,
    noExecute: s.perm === "r" || s.perm === "rw",
    user: s.user,
    global: s.global,
    writeThrough: (pat & 1) !== 0,
    cacheDisable: (pat & 2) !== 0,
    pat: (pat & 4) !== 0,
    accessed: true,
    dirty: writable,
  };
}

/**
 * PAT index (PAT * 4 + PCD * 2 + PWT, SDM 4.9.2) of each memory type, for the IA32_PAT value
 * Linux programs (`pat_bp_init`): 0 WB, 1 WC, 2 UC-, 3 UC, 4 WB, 5 WP, 6 UC-, 7 WT.
 */
export const CACHE_PAT_INDEX: Readonly<Record<CacheMode, number>> = {
  wb: 0,
  wc: 1,
  uc_minus: 2,
  uc: 3,
  wp: 5,
  wt: 7,
};

/** One line for a mapper error. */
export function describeMapError(e: MapError): string {
  switch (e.kind) {
    case "non-canonical":
      return `${hex(e.va)} is not canonical`;
    case "bad-page-size":
      return `${e.pageSize} is not a page size`;
    case "misaligned":
      return `${e.what} ${hex(e.value)} is not aligned to ${showSize(BigInt(e.pageSize))}`;
    case "pa-out-of-range":
      return `physical address ${hex(e.pa)} is above MAXPHYADDR (${e.maxPhyAddr} bits)`;
    case "invalid-flags":
      return e.detail;
    case "already-mapped":
      return `${hex(e.va)} is already mapped (another region maps it too)`;
    case "large-page-in-way":
      return `a ${showSize(BigInt(e.pageSize))} page already covers ${hex(e.va)}`;
    case "table-in-way":
      return `smaller pages are already mapped at ${hex(e.va)}`;
    case "malformed-entry":
      return `a malformed entry is on the path of ${hex(e.va)}`;
    case "not-mapped":
      return `${hex(e.va)} is not mapped`;
    case "out-of-frames":
      return `the page-table pool is exhausted (${e.needed} frames needed, ${e.free} free)`;
  }
}
