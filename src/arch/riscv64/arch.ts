/**
 * RISC-V behind the seam: Sv39, Sv48 and Sv57 of the RISC-V privileged specification
 * (sections 10.3 "Sv32" for the walk, 10.4 "Sv39", 10.5 "Sv48", 10.6 "Sv57"). This file
 * carries the address-space facts the verifier, the emitters and the importer need; the entry
 * format and ptdump come with the riscv64 MMU.
 */

import type { SvMode } from "../../model/layout.js";
import {
  type Arch,
  type PtdumpFormat,
  type TableFormat,
  isSignExtended,
  signExtend,
  signExtendedHalves,
} from "../arch.js";

/** Table levels of each mode's walk (10.4-10.6: 3, 4 and 5 levels of 512 8-byte PTEs). */
const LEVELS = { sv39: 3, sv48: 4, sv57: 5 } as const;

/**
 * Linux's names of the levels (`arch/riscv/include/asm/pgtable*.h`): the privileged spec only
 * numbers them. Indexed by walker level (1 = the last table); the root is always `pgd`.
 */
const LEVEL_NAMES = ["", "PTE", "PMD", "PUD", "P4D", "PGD"];

function makeArch(mode: SvMode): Arch {
  const levels = LEVELS[mode];
  // 12-bit page offset and 9 bits of VPN per level (10.4.1): 39, 48 or 57.
  const vaBits = 12 + 9 * levels;
  // Any level may hold a leaf (R, W or X set): a 4 KiB page, a 2 MiB megapage, a 1 GiB
  // gigapage, a 512 GiB terapage (Sv48, Sv57) or a 256 TiB petapage (Sv57).
  const leafSize = (level: number): bigint | undefined =>
    level >= 1 && level <= levels ? 1n << BigInt(12 + 9 * (level - 1)) : undefined;
  const pageSizes = Array.from({ length: levels }, (_, i) => leafSize(i + 1)!);
  return {
    name: "riscv64",
    mode: `Sv${vaBits}`,
    vaBits,
    levels,
    entryName: (level) => (level === levels ? "PGD" : LEVEL_NAMES[level]!),
    levelShift: (level) => 12 + 9 * (level - 1),
    leafSize,
    pageSizes,
    // Bits 63..VA-1 must all equal bit VA-1, or the access raises a page fault (10.4.1).
    halves: signExtendedHalves(vaBits),
    isCanonical: (va) => isSignExtended(va, vaBits),
    canonicalize: (va) => signExtend(va, vaBits),
    tableFormat: (): TableFormat => {
      throw new Error("the riscv64 page-table format is provided by the riscv64 MMU branch");
    },
    get ptdump(): PtdumpFormat {
      throw new Error("the riscv64 ptdump format is provided by the riscv64 MMU branch");
    },
  };
}

const MODES = { sv39: makeArch("sv39"), sv48: makeArch("sv48"), sv57: makeArch("sv57") } as const;

/** RISC-V RV64 with Sv39, Sv48 or Sv57 paging (`satp.MODE` 8, 9, 10). */
export function riscv64(mode: SvMode): Arch {
  return MODES[mode];
}
