/**
 * From a Layout's `paging` to its architecture: the one place that knows which architectures
 * exist. A new architecture adds its directory under `src/arch/` and one case here.
 */

import type { CacheMode, Paging, SvMode } from "../model/layout.js";
import type { Arch, SharedTables, SpaceWriter } from "./arch.js";
import type { FrameAllocator } from "./frame-allocator.js";
import type { PhysicalMemory } from "./physical-memory.js";
import { aarch64 } from "./aarch64/arch.js";
import { aarch64SpaceWriter } from "./aarch64/writer.js";
import { riscv64 } from "./riscv64/arch.js";
import { svSpaceWriter } from "./riscv64/writer.js";
import { x86_64 } from "./x86_64/arch.js";
import { x86SpaceWriter } from "./x86_64/writer.js";

/** The architecture and mode a Layout's `paging` names. */
export function archOf(paging: Paging): Arch {
  switch (paging.arch) {
    case "x86_64":
      return x86_64(paging.levels);
    case "riscv64":
      return riscv64(paging.mode);
    case "aarch64":
      return aarch64(paging.granule, paging.vaBits);
  }
}

/**
 * A writer of one address space's tables under `paging` (the installer's seam), or undefined
 * when a process space should share `shared.kernel`'s tables and the architecture's writer
 * cannot share yet (RISC-V, AArch64).
 */
export function spaceWriter(
  paging: Paging,
  memory: PhysicalMemory,
  allocator: FrameAllocator,
  maxPhyAddr: number,
  shared?: SharedTables,
): SpaceWriter | undefined {
  if (paging.arch === "x86_64")
    return x86SpaceWriter(memory, allocator, paging.levels, maxPhyAddr, shared);
  if (paging.arch === "aarch64")
    return shared
      ? undefined
      : aarch64SpaceWriter(memory, allocator, paging.granule, paging.vaBits, maxPhyAddr);
  return shared ? undefined : svSpaceWriter(memory, allocator, paging.mode);
}

/** The paging mode of x86-64 with `levels` tables: 4 (48-bit) or 5 (57-bit). */
export function pagingOfLevels(levels: 4 | 5): Paging {
  return { arch: "x86_64", levels, vaBits: x86_64(levels).vaBits as 48 | 57 };
}

/** A RISC-V paging mode: Sv39, Sv48 or Sv57. */
export function pagingOfMode(mode: SvMode): Paging {
  const arch = riscv64(mode);
  return {
    arch: "riscv64",
    mode,
    levels: arch.levels as 3 | 4 | 5,
    vaBits: arch.vaBits as 39 | 48 | 57,
  };
}

/** AArch64 stage 1 with a `granule` KiB translation granule and `vaBits`-bit halves. */
export function pagingOfGranule(granule: 4 | 16 | 64, vaBits: 39 | 42 | 47 | 48 | 52): Paging {
  return {
    arch: "aarch64",
    granule,
    levels: aarch64(granule, vaBits).levels as 2 | 3 | 4 | 5,
    vaBits,
  };
}

const AARCH64_MODES = ([4, 16, 64] as const).flatMap((granule) =>
  ([39, 42, 47, 48, 52] as const).map((vaBits) => pagingOfGranule(granule, vaBits)),
);

/**
 * Every paging mode a spec can name, as `paging` writes it: `4`, `5` (x86-64), `sv39`
 * (RISC-V), `aarch64_4k_48` (AArch64: granule, then VA bits).
 */
export const PAGING_MODES: ReadonlyMap<string, Paging> = new Map([
  ["4", pagingOfLevels(4)],
  ["5", pagingOfLevels(5)],
  ["sv39", pagingOfMode("sv39")],
  ["sv48", pagingOfMode("sv48")],
  ["sv57", pagingOfMode("sv57")],
  ...AARCH64_MODES.map((p): [string, Paging] => [pagingWord(p), p]),
]);

/**
 * The size of a recursive page-table slot (one root entry that references the root), or
 * undefined where the walk cannot recurse. x86-64 reads any present entry without PS as a
 * table (SDM 4.5.4). On RISC-V an entry with R = W = X = 0 at the last level raises a page
 * fault (privileged spec 10.3.2, step 4), so a root that references itself maps nothing.
 */
export function recursiveSlot(paging: Paging): bigint | undefined {
  if (paging.arch !== "x86_64") return undefined;
  const arch = archOf(paging);
  return 1n << BigInt(arch.levelShift(arch.levels));
}

/** Why `paging` has no recursive slot, for a diagnostic's note (where `recursiveSlot` is undefined). */
export function noRecursiveSlot(paging: Paging): string {
  return paging.arch === "riscv64"
    ? "a table entry that references the root is followed to the last level, where a pointer to another table is a page fault"
    : "vmlayout's AArch64 installer writes no table descriptor that references its own root";
}

/** The six memory types a PAT entry can select (Intel SDM vol. 3A, 4.9.2). */
const X86_CACHE_MODES: readonly CacheMode[] = ["wb", "wt", "uc", "uc_minus", "wc", "wp"];
/**
 * Svpbmt's three page-based memory types (RISC-V privileged spec, "Svpbmt" extension), in the
 * words Linux gives them (arch/riscv/include/asm/pgtable.h): `wb` is PMA (the memory's own
 * attributes, PAGE_KERNEL), `wc` is NC (non-cacheable, idempotent: pgprot_writecombine) and
 * `uc` is IO (non-cacheable, non-idempotent, strongly ordered: pgprot_noncached).
 */
/**
 * Svpbmt's types, and the same three on AArch64 as Linux programs MAIR_EL1
 * (arch/arm64/include/asm/memory.h): `wb` MT_NORMAL, `wc` MT_NORMAL_NC (pgprot_writecombine),
 * `uc` MT_DEVICE_nGnRnE (pgprot_noncached).
 */
const SVPBMT_OR_MAIR_CACHE_MODES: readonly CacheMode[] = ["wb", "wc", "uc"];

/** The `cache` modes a region may give under `paging`. */
export function cacheModes(paging: Paging): readonly CacheMode[] {
  return paging.arch === "x86_64" ? X86_CACHE_MODES : SVPBMT_OR_MAIR_CACHE_MODES;
}

/** The word `paging` writes for a mode: the inverse of `PAGING_MODES`. */
export function pagingWord(paging: Paging): string {
  switch (paging.arch) {
    case "x86_64":
      return String(paging.levels);
    case "riscv64":
      return paging.mode;
    case "aarch64":
      return `aarch64_${paging.granule}k_${paging.vaBits}`;
  }
}
