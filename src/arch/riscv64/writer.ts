/**
 * The installer's writer of RISC-V tables (`SpaceWriter`): leaves as Linux's `_PAGE_KERNEL*`
 * builds them (arch/riscv/include/asm/pgtable.h): V, R, A always, W and D when writable, X when
 * executable, U, G, and Svpbmt's memory type from `cache`. No process spaces or recursive slots
 * yet (a RISC-V walk cannot recurse: `recursiveSlot`).
 */
import type { CacheMode, SvMode } from "../../model/layout.js";
import { hex } from "../../model/format.js";
import type { LeafAttributes, SpaceWriter } from "../arch.js";
import type { FrameAllocator } from "../frame-allocator.js";
import type { PhysicalMemory } from "../physical-memory.js";
import { type SvMapError, type SvMapFlags, SvMapper } from "./mapper.js";

export function svSpaceWriter(
  memory: PhysicalMemory,
  allocator: FrameAllocator,
  mode: SvMode,
): SpaceWriter {
  const mapper = new SvMapper(memory, { mode, allocator });
  return {
    mapper,
    root: mapper.satp(),
    map: (va, pa, bytes, pageSize, leaf) => {
      const res = mapper.map(va, pa, bytes, svFlags(leaf), pageSize);
      return res.ok ? undefined : describeSvMapError(res.error);
    },
    mapRecursive: undefined,
  };
}

/** Svpbmt's memory type for a `cache` mode: PMA (wb), NC (wc), IO (uc); see `cacheModes`. */
const PBMT: Readonly<Partial<Record<CacheMode, 0 | 1 | 2>>> = { wb: 0, wc: 1, uc: 2 };

function svFlags(leaf: LeafAttributes): SvMapFlags {
  return {
    read: true,
    write: leaf.perm === "rw" || leaf.perm === "rwx",
    execute: leaf.perm === "rx" || leaf.perm === "rwx",
    user: leaf.user,
    global: leaf.global,
    pbmt: PBMT[leaf.cache ?? "wb"] ?? 0,
  };
}

function describeSvMapError(e: SvMapError): string {
  switch (e.kind) {
    case "misaligned":
      return e.message;
    case "non-canonical":
      return `${hex(e.va)} is not canonical`;
    case "already-mapped":
      return `${hex(e.va)} is already mapped (another region maps it too)`;
    case "out-of-frames":
      return `the page-table pool is exhausted (${e.needed} frames needed, ${e.free} free)`;
  }
}
