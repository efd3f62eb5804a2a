/**
 * x86-64 behind the seam: 4-level and 5-level (LA57) paging of Intel SDM vol. 3A, chapter 4.
 * The entry bits are in `entry.ts`; this file says what the walker and the verifier need from
 * them.
 */

import {
  type Arch,
  EntryKind,
  MapBit,
  type PtdumpFormat,
  type TableFormat,
  signExtendedHalves,
} from "../arch.js";
import {
  Hi,
  Lo,
  type Level,
  type PagingLevels,
  addressMask,
  canonicalize,
  entryName,
  hiReservedMask,
  isCanonical,
  levelShift,
  linearAddressBits,
} from "./entry.js";

const TWO32 = 4294967296;

/** Sizes of the pages a PTE, PDE or PDPTE maps (SDM 4.5.4); PML4Es and PML5Es map none. */
const LEAF_SIZES: readonly (bigint | undefined)[] = [undefined, 1n << 12n, 1n << 21n, 1n << 30n];

// The bits as module constants: the walker calls the format's functions for every entry, and a
// property of an imported object is a load (under the test runner's module transform, a getter)
// where a module constant is an immediate. Same for walk.ts's EntryKind constants.
const KIND_ABSENT = EntryKind.Absent;
const KIND_LEAF = EntryKind.Leaf;
const KIND_MALFORMED = EntryKind.Malformed;
const KIND_TABLE = EntryKind.Table;
const HI_ADDR_MAX = Hi.ADDR_MAX;
const HI_XD = Hi.XD;
const LO_ADDR_1G = Lo.ADDR_1G;
const LO_ADDR_2M = Lo.ADDR_2M;
const LO_ADDR_4K = Lo.ADDR_4K;
const LO_G = Lo.G;
const LO_P = Lo.P;
const LO_PAT_4K = Lo.PAT_4K;
const LO_PAT_LARGE = Lo.PAT_LARGE;
const LO_PCD = Lo.PCD;
const LO_PS = Lo.PS;
const LO_PWT = Lo.PWT;
const LO_RSVD_1G = Lo.RSVD_1G;
const LO_RSVD_2M = Lo.RSVD_2M;
const LO_RW = Lo.RW;
const LO_US = Lo.US;
const MAP_G = MapBit.G;
const MAP_NX = MapBit.NX;
const MAP_PAT = MapBit.PAT;
const MAP_PCD = MapBit.PCD;
const MAP_PWT = MapBit.PWT;
const MAP_U = MapBit.U;
const MAP_W = MapBit.W;

/**
 * The walker's view of an entry (SDM 4.5.4, Tables 4-14 .. 4-20): P = 0 is absent; bits
 * 51:MAXPHYADDR set, PS in a PML4E/PML5E, or the reserved low address bits of a 2-MByte or
 * 1-GByte page make it malformed (the processor raises #PF with RSVD); otherwise a PTE, or a
 * PDE/PDPTE with PS = 1, maps a page.
 */
function tableFormat(maxPhyAddr: number): TableFormat {
  const hiRsvd = hiReservedMask(maxPhyAddr);
  const root = addressMask(maxPhyAddr);
  const malformation = (lo: number, hi: number, level: number): string | undefined => {
    if ((hi & hiRsvd) !== 0) return `bits 51:${maxPhyAddr} (reserved) are set`;
    if (level === 1 || (lo & LO_PS) === 0) return undefined;
    if (level >= 4) return `PS is set in a ${entryName(level as Level)} (reserved)`;
    if (level === 3 && (lo & LO_RSVD_1G) !== 0) {
      return "bits 29:13 of a 1 GiB page entry (reserved) are set";
    }
    if (level === 2 && (lo & LO_RSVD_2M) !== 0) {
      return "bits 20:13 of a 2 MiB page entry (reserved) are set";
    }
    return undefined;
  };
  return {
    entriesPerTable: 512,
    kind(lo, hi, level) {
      if ((lo & LO_P) === 0) return KIND_ABSENT;
      // The common case first: a PTE with no reserved bit set.
      if (level === 1 && (hi & hiRsvd) === 0) return KIND_LEAF;
      if (malformation(lo, hi, level) !== undefined) return KIND_MALFORMED;
      return level === 1 || (lo & LO_PS) !== 0 ? KIND_LEAF : KIND_TABLE;
    },
    malformation: (lo, hi, level) => malformation(lo, hi, level) ?? "well formed",
    nextTable: (lo, hi) => (hi & HI_ADDR_MAX) * 1048576 + (lo >>> 12),
    leafAddress(lo, hi, level) {
      const addr = level === 1 ? LO_ADDR_4K : level === 2 ? LO_ADDR_2M : LO_ADDR_1G;
      return (hi & HI_ADDR_MAX) * TWO32 + ((lo & addr) >>> 0);
    },
    // SDM 4.6.1: R/W and U/S combine with AND over the walk, XD with OR.
    inherit(rights, lo, hi) {
      if ((lo & LO_RW) === 0) rights &= ~MAP_W;
      if ((lo & LO_US) === 0) rights &= ~MAP_U;
      return (hi & HI_XD) !== 0 ? rights | MAP_NX : rights;
    },
    leafAttributes(lo, _hi, level) {
      return (
        ((lo & LO_G) !== 0 ? MAP_G : 0) |
        ((lo & LO_PWT) !== 0 ? MAP_PWT : 0) |
        ((lo & LO_PCD) !== 0 ? MAP_PCD : 0) |
        ((lo & (level === 1 ? LO_PAT_4K : LO_PAT_LARGE)) !== 0 ? MAP_PAT : 0)
      );
    },
    // CR3 bits MAXPHYADDR-1:12 (SDM 4.5.2; the low bits are PWT/PCD or a PCID).
    rootAddress: (cr3) => Number(cr3 & root),
  };
}

const NOT_PRESENT = " ".repeat(30);

/**
 * Linux's x86 ptdump (`arch/x86/mm/dump_pagetables.c`): `printk_prot` columns `USR`, `RW`/`ro`,
 * `PWT`, `PCD`, `PSE` (a large page), `PAT`, `GLB`, `NX`/`x `, each in a fixed column; level
 * names `pte`, `pmd`, `pud`, `p4d` (5 levels) and `pgd`. Bit 7 is PAT in a PTE, PS above.
 */
function ptdumpFormat(levels: PagingLevels): PtdumpFormat {
  return {
    levelName(level) {
      if (level === 1) return "pte";
      if (level === 2) return "pmd";
      if (level === 3) return "pud";
      return level === 4 && levels === 5 ? "p4d" : "pgd";
    },
    flags(lo, hi, level) {
      const large = level !== 1 && (lo & Lo.PS) !== 0;
      const pat = level === 1 ? (lo & Lo.PAT_4K) !== 0 : large && (lo & Lo.PAT_LARGE) !== 0;
      return (
        ((lo & Lo.US) !== 0 ? "USR " : "    ") +
        ((lo & Lo.RW) !== 0 ? "RW " : "ro ") +
        ((lo & Lo.PWT) !== 0 ? "PWT " : "    ") +
        ((lo & Lo.PCD) !== 0 ? "PCD " : "    ") +
        (large ? "PSE " : "    ") +
        (pat ? "PAT " : "    ") +
        ((lo & Lo.G) !== 0 ? "GLB " : "    ") +
        ((hi & Hi.XD) !== 0 ? "NX " : "x  ")
      );
    },
    // Bits 11:0 (12:0 above a PTE: PAT of a large page) and 63:52; below 2^25, exact.
    runKey: (lo, hi, level) => (lo & (level === 1 ? 0xfff : 0x1fff)) + (hi >>> 20) * 8192,
    notPresent: NOT_PRESENT,
    listsNotPresent: true,
    // `0x%016lx-0x%016lx   %9lu%c ` then the flags and the level; no physical address.
    line: (range, _pa, size, flags, level) => `${range}   ${size} ${flags}${level}`,
  };
}

const formats = new Map<number, TableFormat>();
/** One format per width: the walker's hot loop then always calls the same functions. */
function cachedTableFormat(maxPhyAddr: number): TableFormat {
  let format = formats.get(maxPhyAddr);
  if (format === undefined) formats.set(maxPhyAddr, (format = tableFormat(maxPhyAddr)));
  return format;
}

/** The SDM's names of the tables, by level. */
const TABLE_NAMES = [undefined, "PT", "PD", "PDPT", "PML4", "PML5"] as const;

function makeArch(levels: PagingLevels): Arch {
  const vaBits = linearAddressBits(levels);
  return {
    name: "x86_64",
    mode: `${levels}-level paging`,
    vaBits,
    levels,
    tableBytes: () => 4096,
    rootPerHalf: false,
    rootRegister: "CR3",
    tableName: (level) => TABLE_NAMES[level]!,
    entryName: (level) => entryName(level as Level),
    levelShift: (level) => levelShift(level as Level),
    leafSize: (level) => LEAF_SIZES[level],
    pageSizes: LEAF_SIZES.filter((s) => s !== undefined),
    halves: signExtendedHalves(vaBits),
    halfBit: vaBits - 1,
    halfRoots: undefined,
    title: [`${levels}-level paging`, `${vaBits}-bit virtual addresses`],
    isCanonical: (va) => isCanonical(va, levels),
    canonicalize: (va) => canonicalize(va, levels),
    tableFormat: cachedTableFormat,
    ptdump: ptdumpFormat(levels),
    ramBase: 0n,
  };
}

const MODES = { 4: makeArch(4), 5: makeArch(5) } as const;

/** x86-64 with 4-level (48-bit) or 5-level (57-bit, CR4.LA57) paging. */
export function x86_64(levels: PagingLevels): Arch {
  return MODES[levels];
}
