/**
 * Export and import of an address space's page tables as one raw image.
 *
 * The image is the bytes of physical memory `[imageBase, imageBase + imageBytes)` in the
 * processor's little-endian layout (8-byte entries, SDM 4.5.4), i.e. exactly what a boot loader
 * would copy to `imageBase` before loading `cr3`. With the bump allocator every table lives there.
 * Export works for any architecture (the caller names it); import rebuilds an x86-64 mapper.
 */

import {
  DEFAULT_MAXPHYADDR,
  type Level,
  type PagingLevels,
  addressMask,
  checkMaxPhyAddr,
} from "../arch/x86_64/entry.js";
import type { Arch } from "../arch/arch.js";
import { x86_64 } from "../arch/x86_64/arch.js";
import { walkTables } from "../arch/walk.js";
import { DEFAULT_POOL_BYTES, FrameAllocator } from "../arch/frame-allocator.js";
import { Mapper } from "../arch/x86_64/mapper.js";
import { FRAME_SIZE, PhysicalMemory } from "../arch/physical-memory.js";

export interface PageTableImage {
  /** The root register to load (CR3 with PCIDE = 0, satp): names the top-level table. */
  readonly cr3: bigint;
  /** Table levels: x86 4 (PML4 at CR3) or 5 (CR4.LA57 = 1); RISC-V 3, 4, 5 (Sv39/48/57). */
  readonly levels: number;
  /** Physical address of the first byte of the image (4-KByte aligned). */
  readonly imageBase: number;
  /** Length in bytes (a multiple of 4096). */
  readonly imageBytes: number;
  /** The raw little-endian bytes. */
  readonly bytes: Uint8Array;
}

export type ImageError =
  | { readonly kind: "table-outside-image"; readonly pa: number; readonly level: Level }
  | { readonly kind: "bad-image"; readonly detail: string };

export type ImageResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ImageError };

/** What `exportImage` needs; an x86 `Mapper` has all of it. */
export interface ImageSource {
  readonly memory: PhysicalMemory;
  readonly allocator: FrameAllocator;
  /** The root register's value (CR3, satp, TTBR1_EL1). */
  readonly cr3: bigint;
  /** TTBR0_EL1 where each half has its own root and the lower has tables. */
  readonly lowerRoot?: bigint | undefined;
  readonly arch: Arch;
  /** Physical-address width (x86 MAXPHYADDR). */
  readonly maxPhyAddr?: number;
}

/**
 * The tables of `arch` reachable from `root` (and `lowerRoot`, TTBR0_EL1): first frame number
 * -> the highest level it is reached at (the level of its shortest path from the root, so a
 * recursive slot does not relabel the root). A table spans `arch.tableBytes(level)` from there.
 * Entries the walker does not follow (malformed, self-references) add nothing.
 */
export function reachableTables(
  memory: PhysicalMemory,
  root: bigint,
  arch: Arch,
  physAddrBits = DEFAULT_MAXPHYADDR,
  lowerRoot?: bigint,
): Map<number, Level> {
  const seen = new Map<number, Level>();
  walkTables(
    { arch, memory, root, lowerRoot, physAddrBits },
    {
      // A table already reached as high up was read there: its subtree adds nothing.
      table(pfn, level) {
        if ((seen.get(pfn) ?? 0) >= level) return false;
        seen.set(pfn, level as Level);
        return true;
      },
      leaf() {},
    },
  );
  return seen;
}

/**
 * Copies the allocator's pool in use, `[allocator.base, allocator.base + allocator.bytesUsed)`,
 * into an image. Fails if a table reachable from `cr3` lies outside it.
 */
export function exportImage(src: ImageSource): ImageResult<PageTableImage> {
  const base = src.allocator.base;
  const bytes = src.allocator.bytesUsed;
  const basePfn = base / FRAME_SIZE;
  const endPfn = basePfn + bytes / FRAME_SIZE;
  const tables = reachableTables(src.memory, src.cr3, src.arch, src.maxPhyAddr, src.lowerRoot);
  for (const [pfn, level] of tables) {
    const frames = Math.ceil(src.arch.tableBytes(level) / FRAME_SIZE);
    if (pfn < basePfn || pfn + frames > endPfn) {
      return { ok: false, error: { kind: "table-outside-image", pa: pfn * FRAME_SIZE, level } };
    }
  }
  const out = new Uint8Array(bytes);
  for (let pfn = basePfn, off = 0; pfn < endPfn; pfn++, off += FRAME_SIZE) {
    src.memory.copyFrameOut(pfn, out, off);
  }
  return {
    ok: true,
    value: {
      cr3: src.cr3,
      levels: src.arch.levels,
      imageBase: base,
      imageBytes: bytes,
      bytes: out,
    },
  };
}

export interface ImportOptions {
  /** Memory to load into (default: a new one). */
  readonly memory?: PhysicalMemory;
  /** MAXPHYADDR of the mapper created (default 46). */
  readonly maxPhyAddr?: number;
  /** Size of the resumed frame pool (default 1 GiB, at least the image). */
  readonly poolBytes?: number;
}

export interface ImportedAddressSpace {
  readonly memory: PhysicalMemory;
  /** Resumes after the image; counts the imported tables per level. */
  readonly allocator: FrameAllocator;
  /** A mapper on the imported tables, for further changes. */
  readonly mapper: Mapper;
  readonly cr3: bigint;
  readonly levels: PagingLevels;
}

/** Loads an x86-64 image back into physical memory and rebuilds an allocator and mapper over it. */
export function importImage(
  image: PageTableImage,
  options: ImportOptions = {},
): ImageResult<ImportedAddressSpace> {
  const bad = (detail: string): ImageResult<ImportedAddressSpace> => ({
    ok: false,
    error: { kind: "bad-image", detail },
  });
  const maxPhyAddr = options.maxPhyAddr ?? DEFAULT_MAXPHYADDR;
  checkMaxPhyAddr(maxPhyAddr);
  const { imageBase, imageBytes, bytes, cr3, levels } = image;
  if (levels !== 4 && levels !== 5) return bad("levels must be 4 or 5");
  if (!Number.isSafeInteger(imageBase) || imageBase < 0 || imageBase % FRAME_SIZE !== 0) {
    return bad("imageBase must be 4-KByte aligned");
  }
  if (imageBytes % FRAME_SIZE !== 0 || bytes.length !== imageBytes || imageBytes === 0) {
    return bad("image length must be a non-zero multiple of 4096 matching imageBytes");
  }
  if (imageBase + imageBytes > 2 ** maxPhyAddr) return bad("image extends past MAXPHYADDR");
  if (cr3 < 0n || cr3 >> BigInt(maxPhyAddr) !== 0n) return bad("CR3 sets bits 63:MAXPHYADDR");
  const root = Number(cr3 & addressMask(maxPhyAddr));
  if (root < imageBase || root >= imageBase + imageBytes)
    return bad("CR3 points outside the image");

  const memory = options.memory ?? new PhysicalMemory();
  const basePfn = imageBase / FRAME_SIZE;
  for (let i = 0; i < imageBytes / FRAME_SIZE; i++) {
    memory.copyFrameIn(basePfn + i, bytes, i * FRAME_SIZE);
  }
  const counts: Partial<Record<Level, number>> = {};
  for (const [pfn, level] of reachableTables(memory, cr3, x86_64(levels), maxPhyAddr)) {
    if (pfn < basePfn || pfn >= basePfn + imageBytes / FRAME_SIZE) {
      return {
        ok: false,
        error: { kind: "table-outside-image", pa: pfn * FRAME_SIZE, level },
      };
    }
    counts[level] = (counts[level] ?? 0) + 1;
  }
  const allocator = new FrameAllocator(memory, {
    base: imageBase,
    bytes: Math.max(options.poolBytes ?? DEFAULT_POOL_BYTES, imageBytes),
    usedBytes: imageBytes,
  });
  allocator.addImported(counts);
  const mapper = new Mapper(memory, { levels, maxPhyAddr, allocator, root });
  return { ok: true, value: { memory, allocator, mapper, cr3, levels } };
}
