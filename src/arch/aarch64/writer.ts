/**
 * The installer's writer of AArch64 stage 1 tables (`SpaceWriter`): one `Mapper` per half, the
 * upper (TTBR1_EL1) always, the lower (TTBR0_EL1) from the first mapping there; tables of one
 * granule from the installer's frame pool. Leaves as Linux's `arch/arm64/include/asm/
 * pgtable-prot.h` builds them; the system registers as Linux programs them. No process spaces
 * yet (each would be its own TTBR0 root) and no recursive slots (`recursiveSlot`).
 */
import type { CacheMode } from "../../model/layout.js";
import type { LeafAttributes, SpaceWriter } from "../arch.js";
import type { FrameAllocator } from "../frame-allocator.js";
import { FRAME_SIZE, type PhysicalMemory } from "../physical-memory.js";
import type { Level } from "../x86_64/entry.js";
import { type DescriptorFormat, type Granule, Hi, Lo, type VaBits } from "./entry.js";
import { type MapAttributes, Mapper, type TableSource } from "./mapper.js";
import { Sctlr, type SystemRegisters, Tcr } from "./mmu.js";

/**
 * MAIR_EL1 as Linux sets it (`MAIR_EL1_SET`, arch/arm64/include/asm/memory.h, v6.1): the
 * attribute byte of each `MT_*` index, `Arch.ptdump`'s `MEMORY_TYPES` order: MT_NORMAL 0xff,
 * MT_NORMAL_TAGGED 0xff (Normal until MTE makes it 0xf0), MT_NORMAL_NC 0x44,
 * MT_DEVICE_nGnRnE 0x00, MT_DEVICE_nGnRE 0x04.
 */
export const LINUX_MAIR = 0x0000_0004_0044_ffffn;

/** AttrIndx of each `cache` mode: MT_NORMAL (wb), MT_NORMAL_NC (wc), MT_DEVICE_nGnRnE (uc). */
const ATTR_INDEX: Readonly<Partial<Record<CacheMode, number>>> = { wb: 0, wc: 2, uc: 3 };

/** IPS encodings' PA sizes (D17.2, TCR_EL1.IPS). */
const IPS_SIZES = [32, 36, 40, 42, 44, 48, 52] as const;

/**
 * The page-table attribute bits of a leaf, as pgtable-prot.h builds them: every valid leaf has
 * AF and SH = inner shareable (PROT_DEFAULT; with LPA2 bits 9:8 hold the OA instead and
 * TCR_EL1.SHn says it). Kernel: PAGE_KERNEL (rw) is UXN | PXN with DBM (PTE_WRITE);
 * PAGE_KERNEL_RO (r) UXN | PXN | AP[2]; PAGE_KERNEL_ROX (rx) UXN | AP[2], without PXN;
 * PAGE_KERNEL_EXEC (rwx) UXN. User (PAGE_SHARED, PAGE_READONLY and their _EXEC): nG, AP[1],
 * PXN, UXN unless executable, AP[2] unless writable (written: dirty), DBM when writable. A
 * non-global kernel leaf has nG. AttrIndx from `cache`.
 */
export function leafDescriptorBits(leaf: LeafAttributes): MapAttributes {
  const writable = leaf.perm === "rw" || leaf.perm === "rwx";
  const executable = leaf.perm === "rx" || leaf.perm === "rwx";
  let lo = Lo.AF | Lo.SH | ((ATTR_INDEX[leaf.cache ?? "wb"] ?? 0) << 2);
  let hi = writable ? Hi.DBM : 0;
  if (!writable) lo |= Lo.AP_RO;
  if (leaf.user || !leaf.global) lo |= Lo.NG;
  if (leaf.user) {
    lo |= Lo.AP_EL0;
    hi |= Hi.PXN | (executable ? 0 : Hi.UXN);
  } else {
    hi |= Hi.UXN | (executable ? 0 : Hi.PXN);
  }
  return { lo, hi };
}

/**
 * TCR_EL1 for tables of `granule` and `vaBits` (D17.2): T0SZ = T1SZ = 64 - vaBits, TG0/TG1,
 * IPS the smallest PA size holding `physAddrBits`, DS for a 52-bit VA with 4K/16K (FEAT_LPA2),
 * EPD0 when there is no TTBR0 root; and as Linux's `__cpu_setup` (arch/arm64/mm/proc.S):
 * inner-shareable write-back write-allocate walks (TCR_CACHE_FLAGS, TCR_SHARED), A1 (the ASID
 * is TTBR1's) and 16-bit ASIDs. TBI0, which Linux sets for tagged user pointers, is left clear:
 * the lower half is then exactly `Arch.halves[0]`.
 */
export function linuxTcr(
  granule: Granule,
  vaBits: VaBits,
  physAddrBits: number,
  lowerRoot: boolean,
): bigint {
  const txsz = 64 - vaBits;
  const ips = IPS_SIZES.find((bits) => bits >= physAddrBits) ?? 52;
  return (
    Tcr.t0sz(txsz) |
    Tcr.t1sz(txsz) |
    Tcr.tg0[granule] |
    Tcr.tg1[granule] |
    Tcr.ips(ips) |
    Tcr.walkCacheable |
    Tcr.a1 |
    Tcr.as |
    (vaBits === 52 && granule !== 64 ? Tcr.ds : 0n) |
    (lowerRoot ? 0n : Tcr.epd0)
  );
}

/**
 * One AArch64 address space's tables: the upper half's (TTBR1_EL1) from the start, the lower
 * half's (TTBR0_EL1) from its first mapping; the installer's `AddressSpace.mapper`.
 */
export class Aarch64Tables {
  readonly upper: Mapper;
  private lowerHalf: Mapper | undefined;
  private readonly format: DescriptorFormat;
  private readonly pool: TableSource;

  constructor(
    private readonly memory: PhysicalMemory,
    allocator: FrameAllocator,
    private readonly granule: Granule,
    private readonly vaBits: VaBits,
    private readonly physAddrBits: number,
  ) {
    this.format = {
      granule,
      oa: vaBits === 52 ? (granule === 64 ? "52-64K" : "52-LPA2") : "48",
    };
    this.pool = tableSource(allocator);
    this.upper = new Mapper(memory, this.format, vaBits, this.pool);
  }

  /** Physical address of the upper half's root table (as x86's `Mapper.root`). */
  get root(): number {
    return this.upper.root;
  }

  get lower(): Mapper | undefined {
    return this.lowerHalf;
  }

  /** The half's tables that translate `va`, creating the lower half's on first use. */
  half(va: bigint): Mapper {
    if (va >> 63n === 1n) return this.upper;
    return (this.lowerHalf ??= new Mapper(this.memory, this.format, this.vaBits, this.pool));
  }

  /**
   * The registers that select and describe the tables (ASID 0); TTBR0_EL1 is 0, and EPD0 set,
   * without a lower root.
   */
  get registers(): SystemRegisters {
    return {
      ttbr0: BigInt(this.lowerHalf?.root ?? 0),
      ttbr1: BigInt(this.upper.root),
      tcr: linuxTcr(this.granule, this.vaBits, this.physAddrBits, this.lowerHalf !== undefined),
      mair: LINUX_MAIR,
      sctlr: Sctlr.m,
    };
  }
}

/** A writer of a fresh AArch64 address space: kernel tables, TTBR1 and TTBR0 if used. */
export function aarch64SpaceWriter(
  memory: PhysicalMemory,
  allocator: FrameAllocator,
  granule: Granule,
  vaBits: VaBits,
  physAddrBits: number,
): SpaceWriter {
  const tables = new Aarch64Tables(memory, allocator, granule, vaBits, physAddrBits);
  return {
    mapper: tables,
    get root() {
      return BigInt(tables.root);
    },
    get lowerRoot() {
      return tables.lower && BigInt(tables.lower.root);
    },
    get control() {
      const { ttbr0, tcr, mair } = tables.registers;
      const lower = tables.lower === undefined ? [] : [["TTBR0_EL1", ttbr0] as const];
      return [...lower, ["TCR_EL1", tcr] as const, ["MAIR_EL1", mair] as const];
    },
    map(va, pa, bytes, pageSize, leaf) {
      if (allocator.base % (granule * 1024) !== 0)
        return `the page-table pool at 0x${allocator.base.toString(16)} is not aligned to the ${granule} KiB granule`;
      return tables.half(va).map(va, pa, bytes, leafDescriptorBits(leaf), pageSize);
    },
    mapRecursive: undefined,
  };
}

/**
 * Tables of `bytes` (a granule: 1, 4 or 16 frames) from the installer's pool: consecutive frames
 * of a bump allocator, aligned as long as the pool's base is and every table is a granule.
 */
function tableSource(allocator: FrameAllocator): TableSource {
  return {
    allocate(bytes, level) {
      if (allocator.framesFree < bytes / FRAME_SIZE) return undefined;
      const first = allocator.allocate(level as Level)!;
      for (let f = 1; f < bytes / FRAME_SIZE; f++) allocator.allocate(level as Level);
      return first;
    },
  };
}
