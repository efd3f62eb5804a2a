/**
 * AArch64 stage 1 (EL1&0) behind the seam: one `Arch` per translation granule and VA size. The
 * descriptor bits are in `entry.ts`; this file says what the walker and the verifier need.
 *
 * With a 52-bit VA the format is the wide one the hardware then needs: TCR_EL1.DS = 1 for 4K and
 * 16K (FEAT_LPA2, which also permits 512 GiB and 64 GiB blocks), a 52-bit PA for 64K (FEAT_LPA,
 * 4 TiB blocks at level 1).
 */

import { type AddrRange, type VirtAddr, virtAddr } from "../../model/address.js";
import { type Arch, EntryKind, MapBit, type PtdumpFormat, type TableFormat } from "../arch.js";
import {
  type DescriptorFormat,
  type Granule,
  Hi,
  Lo,
  type OaLayout,
  type VaBits,
  blockPermitted,
  granuleShift,
  levelShift,
  outputAddress,
  rootEntries,
  startLevel,
  ttbrTableAddress,
} from "./entry.js";

const TWO_64 = 1n << 64n;

/**
 * The two halves (D8.2, "VA ranges"): TTBR0_EL1 translates addresses whose bits 63..vaBits are
 * all 0, TTBR1_EL1 those where they are all 1. Unlike sign extension, bit vaBits-1 plays no
 * part: each half is 2^vaBits bytes.
 */
export function ttbrHalves(vaBits: number): readonly [AddrRange, AddrRange] {
  const size = 1n << BigInt(vaBits);
  return [
    { start: 0n, end: size },
    { start: TWO_64 - size, end: TWO_64 },
  ];
}

/** True if bits 63..vaBits of `va` are all 0 or all 1. */
export function inTtbrHalf(va: bigint, vaBits: number): boolean {
  const top = BigInt.asUintN(64, va) >> BigInt(vaBits);
  return top === 0n || top === (1n << BigInt(64 - vaBits)) - 1n;
}

/**
 * The address in a half that `va` names: bit 55 selects the half, as it selects TTBR0 or TTBR1
 * with top-byte-ignore (D8.2), and the low `vaBits` bits are kept.
 */
export function ttbrCanonicalize(va: bigint, vaBits: number): VirtAddr {
  const low = BigInt.asUintN(vaBits, va);
  return (BigInt.asUintN(64, va) >> 55n) & 1n
    ? virtAddr(TWO_64 - (1n << BigInt(vaBits)) + low)
    : virtAddr(low);
}

const KIND_ABSENT = EntryKind.Absent;
const KIND_LEAF = EntryKind.Leaf;
const KIND_MALFORMED = EntryKind.Malformed;
const KIND_TABLE = EntryKind.Table;
/**
 * Linux's MAIR_EL1 memory types (`MEMORY_TYPES` order) on the x86 cache bits `MapBit` carries,
 * as for Svpbmt: MT_NORMAL and MT_NORMAL_TAGGED are write-back, MT_NORMAL_NC is
 * pgprot_writecombine (x86 WC: PWT), MT_DEVICE_nGnRnE (pgprot_noncached) and MT_DEVICE_nGnRE
 * (pgprot_device, ioremap) uncached (x86 UC: PCD | PWT); indices 5..7 Linux leaves unused.
 */
const ATTR_INDEX_CACHE = [
  0,
  0,
  MapBit.PWT,
  MapBit.PCD | MapBit.PWT,
  MapBit.PCD | MapBit.PWT,
  0,
  0,
  0,
] as const;
/** UXNTable / PXNTable seen above, carried in the rights until the leaf resolves them to NX. */
const TABLE_UXN = 1 << 16;
const TABLE_PXN = 1 << 17;

/**
 * The walker's view (D8.3): bit 0 clear is invalid; bits[1:0] = 11 is a table above the last
 * level and a page at it; 01 is a block where the granule permits one (else malformed: the
 * walk takes a translation fault there). An output address past the PA size is malformed too
 * (an address size fault).
 *
 * Rights: W = not AP[2], U = AP[1], after APTable (D8.4.2 hierarchical permissions); NX is the
 * execute-never of the level that owns the mapping: UXN (with UXNTable) for an EL0 mapping,
 * PXN (with PXNTable) otherwise. The seam's three bits cannot say both.
 */
function tableFormat(
  arch: { granule: Granule; vaBits: number },
  physAddrBits: number,
): TableFormat {
  const oa: OaLayout =
    arch.vaBits === 52
      ? arch.granule === 64
        ? "52-64K"
        : "52-LPA2"
      : physAddrBits > 48 && arch.granule === 64
        ? "52-64K"
        : "48";
  const format: DescriptorFormat = { granule: arch.granule, oa };
  const rootBytes = rootEntries(arch.granule, arch.vaBits) * 8;
  const pageShift = granuleShift(arch.granule);
  const paLimit = 2 ** Math.min(physAddrBits, oa === "48" ? 48 : 52);
  const armLevel = (walkerLevel: number): number => 4 - walkerLevel;
  const shiftOf = (walkerLevel: number): number => levelShift(arch.granule, armLevel(walkerLevel));
  const malformation = (lo: number, hi: number, level: number): string | undefined => {
    const arm = armLevel(level);
    const table = (lo & Lo.TABLE) !== 0;
    if (!table && (arm === 3 || !blockPermitted(format, arm))) {
      return `a block descriptor at level ${arm} (not permitted with the ${arch.granule}K granule)`;
    }
    const shift = table && arm !== 3 ? pageShift : shiftOf(level);
    if (outputAddress(format, lo, hi, shift) >= paLimit) {
      return `its output address is past the ${physAddrBits}-bit physical address size`;
    }
    return undefined;
  };
  return {
    entriesPerTable: 2 ** (pageShift - 3),
    kind(lo, hi, level) {
      if ((lo & Lo.VALID) === 0) return KIND_ABSENT;
      if (malformation(lo, hi, level) !== undefined) return KIND_MALFORMED;
      return level === 1 || (lo & Lo.TABLE) === 0 ? KIND_LEAF : KIND_TABLE;
    },
    malformation: (lo, hi, level) => malformation(lo, hi, level) ?? "well formed",
    nextTable: (lo, hi) => outputAddress(format, lo, hi, pageShift) / 4096,
    leafAddress: (lo, hi, level) => outputAddress(format, lo, hi, shiftOf(level)),
    // D8.4.2: a table's APTable[1] removes write below it, APTable[0] EL0 access, and its
    // UXNTable/PXNTable are carried (as private bits) to the leaf; there AP[2] removes write,
    // AP[1] = 0 removes EL0 access, and NX is the execute-never of the mapping's owner.
    inherit(rights, lo, hi, level) {
      if (level !== 1 && (lo & Lo.TABLE) !== 0) {
        let r = rights;
        if ((hi & Hi.AP_TABLE_RO) !== 0) r &= ~MapBit.W;
        if ((hi & Hi.AP_TABLE_NO_EL0) !== 0) r &= ~MapBit.U;
        if ((hi & Hi.UXN_TABLE) !== 0) r |= TABLE_UXN;
        if ((hi & Hi.PXN_TABLE) !== 0) r |= TABLE_PXN;
        return r;
      }
      let r = rights & ~(TABLE_UXN | TABLE_PXN);
      if ((lo & Lo.AP_RO) !== 0) r &= ~MapBit.W;
      if ((lo & Lo.AP_EL0) === 0) r &= ~MapBit.U;
      const xn =
        (r & MapBit.U) !== 0
          ? (hi & Hi.UXN) !== 0 || (rights & TABLE_UXN) !== 0
          : (hi & Hi.PXN) !== 0 || (rights & TABLE_PXN) !== 0;
      return xn ? r | MapBit.NX : r;
    },
    leafAttributes: (lo) =>
      ((lo & Lo.NG) === 0 ? MapBit.G : 0) | ATTR_INDEX_CACHE[(lo & Lo.ATTR_INDX) >>> 2]!,
    rootAddress: (ttbr) => ttbrTableAddress(ttbr, oa, rootBytes),
  };
}

/**
 * Linux's arm64 ptdump (`arch/arm64/mm/ptdump.c`, `pte_bits`): after the level name, each of
 * these columns preceded by a space: valid (` ` or `F`), `USR` (AP[1]), `ro`/`RW` (AP[2]),
 * `NX`/`x ` (PXN), `SHD` (SH = inner shareable), `AF`, `NG`, `CON`, `BLK` (bit 1 clear), `UXN`,
 * `GP`, then the memory type of AttrIndx as Linux programs MAIR_EL1 (`MT_NORMAL` 0,
 * `MT_NORMAL_TAGGED` 1, `MT_NORMAL_NC` 2, `MT_DEVICE_nGnRnE` 3, `MT_DEVICE_nGnRE` 4). Level names
 * are the kernel's folded ones: the root is `PGD`, then `P4D`, `PUD`, `PMD`, `PTE`. Invalid runs
 * print no flags.
 */
const MEMORY_TYPES = [
  "MEM/NORMAL",
  "MEM/NORMAL-TAGGED",
  "MEM/NORMAL-NC",
  "DEVICE/nGnRnE",
  "DEVICE/nGnRE",
];

function ptdumpFormat(levels: number): PtdumpFormat {
  return {
    levelName(level) {
      if (level === levels) return "PGD";
      return ["", "PTE", "PMD", "PUD", "P4D"][level]!;
    },
    flags(lo, hi) {
      const column = (set: boolean, on: string, off: string): string => ` ${set ? on : off}`;
      const memoryType = MEMORY_TYPES[(lo & Lo.ATTR_INDX) >>> 2];
      return (
        column((lo & Lo.VALID) !== 0, " ", "F") +
        column((lo & Lo.AP_EL0) !== 0, "USR", "   ") +
        column((lo & Lo.AP_RO) !== 0, "ro", "RW") +
        column((hi & Hi.PXN) !== 0, "NX", "x ") +
        column((lo & Lo.SH) === Lo.SH, "SHD", "   ") +
        column((lo & Lo.AF) !== 0, "AF", "  ") +
        column((lo & Lo.NG) !== 0, "NG", "  ") +
        column((hi & Hi.CONT) !== 0, "CON", "   ") +
        column((lo & Lo.TABLE) !== 0, "   ", "BLK") +
        column((hi & Hi.UXN) !== 0, "UXN", "   ") +
        column((hi & Hi.GP) !== 0, "GP", "  ") +
        (memoryType === undefined ? "" : ` ${memoryType}`)
      );
    },
    // Bits 11:0 and 54:50 (GP, DBM, CON, PXN, UXN): below 2^17, exact.
    runKey: (lo, hi) => (lo & 0xfff) + ((hi >>> 18) & 0x1f) * 4096,
    notPresent: "",
    listsNotPresent: true,
    // `0x%016lx-0x%016lx   %9lu%c %s` (the level name), then each flag column; no physical address.
    line: (range, _pa, size, flags, level) => `${range}   ${size} ${level}${flags}`,
  };
}

const ARCHES = new Map<string, Arch>();

function makeArch(granule: Granule, vaBits: VaBits): Arch {
  const first = startLevel(granule, vaBits);
  const levels = 4 - first;
  const armLevel = (walkerLevel: number): number => 4 - walkerLevel;
  const wide: DescriptorFormat = {
    granule,
    oa: vaBits === 52 ? (granule === 64 ? "52-64K" : "52-LPA2") : "48",
  };
  const leafSize = (walkerLevel: number): bigint | undefined => {
    const arm = armLevel(walkerLevel);
    if (walkerLevel < 1 || walkerLevel > levels) return undefined;
    if (arm !== 3 && !blockPermitted(wide, arm)) return undefined;
    return 1n << BigInt(levelShift(granule, arm));
  };
  const formats = new Map<number, TableFormat>();
  const self = { granule, vaBits };
  return {
    name: "aarch64",
    mode: `${granule}K granule, ${vaBits}-bit VA`,
    vaBits,
    levels,
    tableBytes: (level) =>
      level === levels ? rootEntries(granule, vaBits) * 8 : 2 ** granuleShift(granule),
    rootPerHalf: true,
    // Two roots; the kernel's, TTBR1_EL1, is the one a layout's upper half names.
    rootRegister: "TTBR1_EL1",
    tableName: (level) => `level ${armLevel(level)} table`,
    entryName: (level) => `level ${armLevel(level)} descriptor`,
    levelShift: (level) => levelShift(granule, armLevel(level)),
    leafSize,
    pageSizes: Array.from({ length: levels }, (_, i) => leafSize(i + 1)).filter(
      (s) => s !== undefined,
    ),
    halves: ttbrHalves(vaBits),
    halfBit: vaBits,
    halfRoots: ["TTBR0_EL1", "TTBR1_EL1"],
    title: [`AArch64 ${granule}K granule`, `${vaBits}-bit virtual addresses per half`],
    isCanonical: (va) => inTtbrHalf(va, vaBits),
    canonicalize: (va) => ttbrCanonicalize(va, vaBits),
    tableFormat(physAddrBits) {
      let format = formats.get(physAddrBits);
      if (format === undefined)
        formats.set(physAddrBits, (format = tableFormat(self, physAddrBits)));
      return format;
    },
    ptdump: ptdumpFormat(levels),
    // RAM on QEMU's `virt` board, where Linux's arm64 linear map starts.
    ramBase: 0x4000_0000n,
  };
}

/** AArch64 stage 1 with a `granule` KiB translation granule and `vaBits`-bit halves. */
export function aarch64(granule: Granule, vaBits: VaBits): Arch {
  const key = `${granule}/${vaBits}`;
  let arch = ARCHES.get(key);
  if (arch === undefined) ARCHES.set(key, (arch = makeArch(granule, vaBits)));
  return arch;
}
