/**
 * The architecture seam: everything that differs between paging architectures lives behind
 * `Arch`, so the verifier, the emitters, the runtime's installer and the audit never branch on
 * one. x86-64 (4-level and 5-level paging, `x86_64/`) and RISC-V (`riscv64/`) implement it
 * and the registry knows them; AArch64 stage 1 is in `aarch64/` (its hardware: descriptors, MMU,
 * TLB, mapper), not yet wired. The interface was shaped by RISC-V and by AArch64:
 *
 *  - RISC-V Sv39/Sv48/Sv57 (privileged spec, 10.3-10.6): sign extension from bit 38/47/56, one
 *    root (`satp`), a leaf at any level (R/W/X not all 0), rights in the leaf only (U, and X
 *    instead of an NX bit), PPN fields starting at bit 10.
 *  - AArch64 stage 1 (Arm ARM D8): two roots, TTBR0 for addresses whose bits 63..VA are 0 and
 *    TTBR1 for those where they are 1 (bit 55 selects with top-byte-ignore), 4K/16K/64K
 *    granules with different level counts and block sizes, and table attributes
 *    (APTable/PXNTable/UXNTable) inherited down the walk, so effective rights are carried by
 *    the walker (`TableFormat.inherit`), not read off the leaf.
 *
 * Two kinds of value cross the seam: `bigint` addresses and sizes for the model (the verifier,
 * the installer plan), and 32-bit word pairs (`lo` = bits 31:0, `hi` = bits 63:32 of an entry)
 * for the walker's hot loop, where a `bigint` per entry would cost more than the walk.
 */

import { type AddrRange, type VirtAddr, virtAddr } from "../model/address.js";
import type { CacheMode, Permission } from "../model/layout.js";

/**
 * The rights and attributes of a mapping as the walker reports them: effective rights (after
 * everything inherited down the walk) and the leaf's own global and cache attributes. The cache
 * bits are x86's (PWT, PCD, PAT select an IA32_PAT entry, SDM 4.9.2); other architectures map
 * their memory types onto them (RISC-V Svpbmt NC/IO, AArch64 AttrIndx) when they come.
 */
export const MapBit = {
  W: 1,
  U: 2,
  NX: 4,
  G: 8,
  PWT: 16,
  PCD: 32,
  PAT: 64,
} as const;

/** How the walker reads one entry (`TableFormat.kind`). */
export const EntryKind = {
  /** Not valid: maps nothing, and the walk does not go below it. */
  Absent: 0,
  /** References a table of the next level down. */
  Table: 1,
  /** Maps a page or block of `Arch.leafSize(level)`. */
  Leaf: 2,
  /** Valid but with reserved bits or an impossible shape; `TableFormat.malformation` says why. */
  Malformed: 3,
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/**
 * The entry format of one architecture and physical-address width, on word pairs. Levels are
 * numbered as the walker counts them: 1 is the last table, `Arch.levels` the root.
 */
export interface TableFormat {
  /** Entries per table (512 for 4 KiB tables of 8-byte entries). */
  readonly entriesPerTable: number;
  kind(lo: number, hi: number, level: number): EntryKind;
  /** Why a `Malformed` entry is malformed, in words for a diagnostic. */
  malformation(lo: number, hi: number, level: number): string;
  /** Frame number (physical address / 4096) of the table a `Table` entry references. */
  nextTable(lo: number, hi: number): number;
  /** Physical address of the first byte a `Leaf` entry maps. */
  leafAddress(lo: number, hi: number, level: number): number;
  /**
   * `MapBit` rights after passing this entry at `level`, from the rights accumulated above it
   * (AArch64 reads a table's and a page's upper bits differently, and both have bits[1:0] = 11).
   */
  inherit(rights: number, lo: number, hi: number, level: number): number;
  /** `MapBit` attributes a leaf carries itself (global, cache), without the rights. */
  leafAttributes(lo: number, hi: number, level: number): number;
  /**
   * Physical address of the root table named by a root register value (CR3, satp, TTBRn): a
   * frame's on x86-64 and RISC-V; on AArch64 a root smaller than a frame may sit inside one.
   */
  rootAddress(root: bigint): number;
}

/** The listing format of the architecture's Linux ptdump. */
export interface PtdumpFormat {
  /** The level column: `pte`, `pmd`, ... */
  levelName(level: number): string;
  /** The flags columns of a valid entry (its own bits, as Linux prints them). */
  flags(lo: number, hi: number, level: number): string;
  /** A number equal for two valid entries of a level exactly when their flag bits are. */
  runKey(lo: number, hi: number, level: number): number;
  /** The flags columns of a run of invalid entries (blanks of the same width). */
  readonly notPresent: string;
  /** Whether runs of invalid entries are listed (x86) or left out (RISC-V). */
  readonly listsNotPresent: boolean;
  /**
   * One line from its columns: `range` (`0x...-0x...`), `pa` (`0x` and 16 digits, the run's
   * first physical address), `size` (`%9lu%c`), `flags`, `level`, in the architecture's order.
   */
  line(range: string, pa: string, size: string, flags: string, level: string): string;
}

/** One paging mode of one architecture. */
export interface Arch {
  /** `x86_64`, as JSON documents name it. */
  readonly name: string;
  /** The mode as messages name it: `4-level paging`. */
  readonly mode: string;
  /** Virtual-address bits translated. */
  readonly vaBits: number;
  /** Table levels of a walk; the root is at level `levels`. */
  readonly levels: number;
  /**
   * Bytes of a table at `level`: one 4 KiB frame on x86-64 and RISC-V; a granule on AArch64
   * (16K: 4 frames, 64K: 16), the root smaller when it resolves fewer bits (`rootEntries`).
   */
  tableBytes(level: number): number;
  /**
   * True if each half has its own root (AArch64: TTBR0_EL1 the lower, TTBR1_EL1 the upper, each
   * root covering one half); false if one root's lower and upper entries cover both halves.
   */
  readonly rootPerHalf: boolean;
  /** The register that selects the root table, as the manual names it: `CR3`, `satp`. */
  readonly rootRegister: string;
  /** The name of a table at `level` (x86: PT, PD, PDPT, PML4, PML5; RISC-V: Linux's PTE..PGD). */
  tableName(level: number): string;
  /** The manual's name of an entry at `level` (x86: PTE, PDE, PDPTE, PML4E, PML5E). */
  entryName(level: number): string;
  /** Virtual-address bits below the part that indexes a table at `level`. */
  levelShift(level: number): number;
  /** Size of a page or block a leaf at `level` maps, or undefined where no leaf may be. */
  leafSize(level: number): bigint | undefined;
  /** The sizes a leaf can map, ascending. */
  readonly pageSizes: readonly bigint[];
  /**
   * The two ranges a translation reaches, lower then upper; the addresses between them fault
   * (x86 #GP, RISC-V page fault, AArch64 translation fault at level 0).
   */
  readonly halves: readonly [AddrRange, AddrRange];
  /**
   * The lowest of the bits that say which half an address is in: bits 63..`halfBit` are all 0
   * in the lower half and all 1 in the upper. `vaBits - 1` with sign extension (x86-64,
   * RISC-V); `vaBits` on AArch64, where bit `vaBits - 1` is translated in both halves.
   */
  readonly halfBit: number;
  /**
   * The registers that translate the lower and the upper half where each has its own root
   * (AArch64: `TTBR0_EL1`, `TTBR1_EL1`); undefined where one root translates both.
   */
  readonly halfRoots: readonly [string, string] | undefined;
  /**
   * The mode and its addresses as a document's title says them: `4-level paging` and
   * `48-bit virtual addresses`; `AArch64 4K granule` and `48-bit virtual addresses per half`.
   */
  readonly title: readonly [string, string];
  /** True if `va` lies in one of the halves. */
  isCanonical(va: bigint): boolean;
  /** The address in a half that `va`'s low `vaBits` bits select (on x86: sign extension). */
  canonicalize(va: bigint): VirtAddr;
  /** The entry format for a physical-address width (x86 MAXPHYADDR). */
  tableFormat(physAddrBits: number): TableFormat;
  readonly ptdump: PtdumpFormat;
  /**
   * Where RAM begins on the architecture's reference machine, and so the physical address the
   * first byte of a direct map (`map ram`) maps by default: 0 on PCs, 0x80000000 on QEMU's
   * RISC-V `virt` board (Linux's riscv `va_pa_offset = PAGE_OFFSET - phys_ram_base`).
   */
  readonly ramBase: bigint;
}

/** The two halves of sign extension from bit `vaBits - 1` (x86-64, RISC-V). */
export function signExtendedHalves(vaBits: number): readonly [AddrRange, AddrRange] {
  const half = 1n << BigInt(vaBits - 1);
  return [
    { start: 0n, end: half },
    { start: (1n << 64n) - half, end: 1n << 64n },
  ];
}

/** True if bits 63..vaBits-1 of `va` are all equal. */
export function isSignExtended(va: bigint, vaBits: number): boolean {
  const top = BigInt.asUintN(64, va) >> BigInt(vaBits - 1);
  return top === 0n || top === (1n << BigInt(65 - vaBits)) - 1n;
}

/** `va` with bit `vaBits - 1` copied into bits 63..vaBits. */
export function signExtend(va: bigint, vaBits: number): VirtAddr {
  return virtAddr(BigInt.asIntN(vaBits, va));
}

/** A leaf's attributes as a spec gives them, for an architecture's writer to encode. */
export interface LeafAttributes {
  readonly perm: Permission;
  readonly user: boolean;
  readonly global: boolean;
  readonly cache?: CacheMode | undefined;
}

/**
 * One address space's tables as an architecture's mapper writes them: the installer's seam,
 * given by `spaceWriter` (registry.ts). Errors are returned as words, and a failing call writes
 * nothing.
 */
export interface SpaceWriter {
  /** The architecture's mapper (x86-64 `Mapper`, RISC-V `SvMapper`), for callers that know it. */
  readonly mapper: object;
  /** The root register value selecting the tables: CR3 (PCIDE = 0), satp (ASID 0), TTBR1_EL1. */
  readonly root: bigint;
  /** The lower half's root register where each half has its own (TTBR0_EL1), if it has tables. */
  readonly lowerRoot?: bigint | undefined;
  /**
   * Other registers, by the manual's names, the CPU needs set to use the tables (AArch64:
   * TTBR0_EL1 when the lower half has tables, TCR_EL1, MAIR_EL1); none where the root
   * register says all.
   */
  readonly control?: readonly (readonly [string, bigint])[];
  /** Maps `[va, va + bytes)` to `pa` with pages of `pageSize`; why not, when it cannot. */
  map(
    va: bigint,
    pa: bigint,
    bytes: bigint,
    pageSize: bigint,
    leaf: LeafAttributes,
  ): string | undefined;
  /**
   * Points top-level entry `index` at the top-level table, with the rights of `perm`; undefined
   * where a walk cannot recurse (`recursiveSlot`).
   */
  readonly mapRecursive: ((index: number, perm: Permission) => string | undefined) | undefined;
}

/** What a process space shares: the kernel's tables outside its private ranges. */
export interface SharedTables {
  readonly kernel: SpaceWriter;
  /** Sorted, merged half-open ranges the process maps on its own. */
  readonly privateRanges: readonly [bigint, bigint][];
  /** Top-level entries not copied from the kernel's (recursive slots). */
  readonly keep: ReadonlySet<number>;
}
