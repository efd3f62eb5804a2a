/**
 * RISC-V Sv39, Sv48 and Sv57 behind the seam (RISC-V privileged specification, the Sv39/Sv48/
 * Sv57 sections of "Supervisor-Level ISA"). The entry bits are in `entry.ts`; this file says what
 * the walker and the verifier need from them.
 *
 * The hart modelled implements Svpbmt (bits 62:61 choose a memory type) and not Svnapot (bit 63,
 * N, is then reserved: a PTE with N set faults, and the walker calls it malformed).
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
  MODE_LEVELS,
  MODE_VA_BITS,
  canonicalize,
  entryPbmt,
  entryPpn,
  isCanonical,
  levelShift,
  linuxLevelName,
} from "./entry.js";
import type { SvMode } from "../../model/layout.js";

const KIND_ABSENT = EntryKind.Absent;
const KIND_LEAF = EntryKind.Leaf;
const KIND_MALFORMED = EntryKind.Malformed;
const KIND_TABLE = EntryKind.Table;
const LO_V = Lo.V;
const LO_W = Lo.W;
const LO_X = Lo.X;
const LO_U = Lo.U;
const LO_RX = Lo.R | Lo.X;
const LO_RW = Lo.R | Lo.W;
/** D, A and U are reserved in a non-leaf PTE ("For non-leaf PTEs, the D, A, and U bits ..."). */
const LO_NON_LEAF_RESERVED = Lo.D | Lo.A | Lo.U;
const MAP_W = MapBit.W;
const MAP_U = MapBit.U;
const MAP_NX = MapBit.NX;
const MAP_G = MapBit.G;
const MAP_PWT = MapBit.PWT;
const MAP_PCD = MapBit.PCD;
const TWO12 = 4096;

/**
 * Svpbmt's memory types on the x86 cache bits `MapBit` carries, as Linux uses them: riscv's
 * `pgprot_writecombine` is PBMT NC and `pgprot_noncached` is PBMT IO (arch/riscv/include/asm/
 * pgtable.h), which on x86 are the PAT slots Linux programs as WC (PWT) and UC (PCD | PWT)
 * (arch/x86/mm/pat/memtype.c).
 */
const PBMT_ATTRIBUTES = [0, MAP_PWT, MAP_PCD | MAP_PWT, 0] as const;

/**
 * Why a valid entry is malformed at `level` of a walk of `levels`, or undefined: the conditions
 * under which step 3, 4 or 6 of the "Virtual Address Translation Process" raises a page fault
 * (reserved bits or encodings, a pointer below the last level, a misaligned superpage), and a
 * PPN past the physical-address width (an access fault on a real hart).
 */
function malformation(lo: number, hi: number, level: number, ppnLimit: number): string | undefined {
  if ((hi & Hi.RESERVED) !== 0) return "bits 60:54 (reserved) are set";
  if ((hi & Hi.N) !== 0) return "N (bit 63) is set: Svnapot is not implemented, N is reserved";
  if ((lo & LO_RW) === LO_W) return "W is set without R (a reserved encoding)";
  const ppn = entryPpn(lo, hi);
  if ((lo & LO_RX) === 0) {
    if (level === 1) return "R, W and X are 0 in a last-level PTE (a pointer below the last level)";
    if ((lo & LO_NON_LEAF_RESERVED) !== 0) return "D, A or U is set in a non-leaf PTE (reserved)";
    if ((hi & Hi.PBMT) !== 0) return "PBMT is set in a non-leaf PTE (reserved)";
  } else {
    if (entryPbmt(hi) === 3) return "PBMT is 3 (reserved)";
    if (ppn % 2 ** (9 * (level - 1)) !== 0) {
      return `misaligned superpage: PPN[${level - 2}:0] is not zero`;
    }
  }
  if (ppn >= ppnLimit) return "the PPN lies past the physical address space";
  return undefined;
}

/** The walker's view of an entry: V = 0 absent, R or X a leaf, else a pointer to a table. */
function tableFormat(physAddrBits: number): TableFormat {
  const ppnLimit = 2 ** (Math.min(physAddrBits, 52) - 12);
  return {
    entriesPerTable: 512,
    kind(lo, hi, level) {
      if ((lo & LO_V) === 0) return KIND_ABSENT;
      if (malformation(lo, hi, level, ppnLimit) !== undefined) return KIND_MALFORMED;
      return (lo & LO_RX) !== 0 ? KIND_LEAF : KIND_TABLE;
    },
    malformation: (lo, hi, level) => malformation(lo, hi, level, ppnLimit) ?? "well formed",
    nextTable: entryPpn,
    leafAddress: (lo, hi) => entryPpn(lo, hi) * TWO12,
    // Rights live in the leaf only: non-leaf PTEs carry none (their D, A, U are reserved).
    inherit(rights, lo) {
      if ((lo & LO_RX) === 0) return rights;
      return (
        ((lo & LO_W) !== 0 ? MAP_W : 0) |
        ((lo & LO_U) !== 0 ? MAP_U : 0) |
        ((lo & LO_X) !== 0 ? 0 : MAP_NX)
      );
    },
    leafAttributes: (lo, hi) => ((lo & Lo.G) !== 0 ? MAP_G : 0) | PBMT_ATTRIBUTES[entryPbmt(hi)]!,
    // satp.PPN, bits 43:0.
    rootAddress: (satp) => Number(BigInt.asUintN(44, satp)) * TWO12,
  };
}

/**
 * Linux's riscv ptdump (`arch/riscv/mm/ptdump.c`, `pte_bits`, `dump_prot`, `dump_addr`): each column
 * preceded by a space, `N`, `MT(NC)`/`MT(IO)`, `RSW(n)`, then `D A G U X W R V`, a `.` (or
 * blanks, for the six-character columns) where the bit is clear. Kernels before N and MT print
 * the columns from `RSW` on; the dump writes the newest form.
 */
function ptdumpFormat(levels: number): PtdumpFormat {
  const letter = (lo: number, bit: number, name: string): string =>
    (lo & bit) !== 0 ? ` ${name}` : " .";
  const memoryTypes = ["  ..  ", "MT(NC)", "MT(IO)", "MT(??)"];
  return {
    levelName: (level) => linuxLevelName(level, levels),
    flags(lo, hi) {
      const rsw = (lo & Lo.RSW) >>> 8;
      return (
        ((hi & Hi.N) !== 0 ? " N" : " .") +
        ` ${memoryTypes[entryPbmt(hi)]!}` +
        (rsw !== 0 ? ` RSW(${rsw})` : "   ..  ") +
        letter(lo, Lo.D, "D") +
        letter(lo, Lo.A, "A") +
        letter(lo, Lo.G, "G") +
        letter(lo, Lo.U, "U") +
        letter(lo, Lo.X, "X") +
        letter(lo, Lo.W, "W") +
        letter(lo, Lo.R, "R") +
        letter(lo, Lo.V, "V")
      );
    },
    // Bits 9:0 and 63:61, the bits `pte_bits` prints; below 2^13, exact.
    runKey: (lo, hi) => (lo & 0x3ff) + (hi >>> 29) * 1024,
    notPresent: " ".repeat(32),
    // `note_page` prints a run only when its protection bits are not all clear.
    listsNotPresent: false,
    // `dump_addr`: `0x%016lx-0x%016lx   `, ` 0x%016lx ` (the physical address), `%9lu%c %s`
    // (size and level), then `dump_prot`'s columns.
    line: (range, pa, size, flags, level) => `${range}    ${pa} ${size} ${level}${flags}`,
  };
}

/** `VIRT_DRAM` of QEMU's `virt` board (hw/riscv/virt.c), where OpenSBI and Linux expect RAM. */
const QEMU_VIRT_RAM_BASE = 0x8000_0000n;

function makeArch(mode: SvMode): Arch {
  const levels = MODE_LEVELS[mode];
  const vaBits = MODE_VA_BITS[mode];
  const formats = new Map<number, TableFormat>();
  const name = mode === "sv39" ? "Sv39" : mode === "sv48" ? "Sv48" : "Sv57";
  const pageSizes: bigint[] = [];
  for (let level = 1; level <= levels; level++) pageSizes.push(1n << BigInt(levelShift(level)));
  return {
    name: "riscv64",
    ramBase: QEMU_VIRT_RAM_BASE,
    mode: name,
    vaBits,
    levels,
    tableBytes: () => 4096,
    rootPerHalf: false,
    rootRegister: "satp",
    tableName: (level) => linuxLevelName(level, levels),
    entryName: (level) => `${linuxLevelName(level, levels)} entry`,
    levelShift,
    // A leaf may be at any level ("any level of PTE may be a leaf PTE"): 4 KiB, 2 MiB, 1 GiB,
    // 512 GiB (Sv48 and Sv57) and 256 TiB (Sv57).
    leafSize: (level) => pageSizes[level - 1],
    pageSizes,
    halves: signExtendedHalves(vaBits),
    halfBit: vaBits - 1,
    halfRoots: undefined,
    title: [name, `${vaBits}-bit virtual addresses`],
    isCanonical: (va) => isCanonical(va, mode),
    canonicalize: (va) => canonicalize(va, mode),
    // One format per width: the walker's hot loop then always calls the same functions.
    tableFormat(physAddrBits) {
      let format = formats.get(physAddrBits);
      if (format === undefined) formats.set(physAddrBits, (format = tableFormat(physAddrBits)));
      return format;
    },
    ptdump: ptdumpFormat(levels),
  };
}

const MODES = { sv39: makeArch("sv39"), sv48: makeArch("sv48"), sv57: makeArch("sv57") } as const;

/** RISC-V RV64 with Sv39, Sv48 or Sv57 translation. */
export function riscv64(mode: SvMode): Arch {
  return MODES[mode];
}
