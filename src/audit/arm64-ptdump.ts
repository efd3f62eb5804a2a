/**
 * Reads Linux arm64 ptdump text (`/sys/kernel/debug/kernel_page_tables`, `vmlayout dump` of an
 * aarch64 layout) into the mappings the audit checks. Each line is a run of descriptors at one
 * level, as `arch/arm64/mm/ptdump.c` prints it (`note_page`, `dump_prot`, `pte_bits`):
 *
 *     0xffff000000400000-0xffff000002400000          32M PMD       ro NX SHD AF        BLK UXN    MEM/NORMAL
 *
 * the range, the size, the level (`PGD`, `P4D`, `PUD`, `PMD`, `PTE`), then the columns of the
 * descriptor's own bits: `F` where it is invalid, `USR` (AP[1]), `ro`/`RW` (AP[2]), `NX`/`x`
 * (PXN), `SHD`, `AF`, `NG`, `CON`, `BLK`, `UXN`, `GP`, and the memory type its AttrIndx selects as
 * Linux programs MAIR_EL1. Linux prints invalid runs with `F` and the clear columns; `vmlayout
 * dump` prints them with none: both map nothing. Skipped as for x86 (ptdump.ts): a dmesg prefix,
 * `---[ Linear Mapping start ]---` markers, blank and `#` lines; the size column is not trusted.
 *
 * ptdump prints no physical addresses, so the mappings carry none (`physical: false`), and
 * prints each leaf's own bits: Linux's kernel tables set no APTable/PXNTable/UXNTable, so they
 * are the effective rights. Rights as `aarch64`'s table format gives them (Arm ARM D8.4): W where
 * `RW`, U where `USR`, NX from the execute-never of the mapping's owner (`UXN` for an EL0
 * mapping, PXN, printed `NX`, otherwise), G where not `NG`. Memory types map onto the cache bits
 * as RISC-V's Svpbmt types do: Normal non-cacheable as write-combining (PWT), Device as
 * uncached (PCD | PWT).
 */
import type { Result } from "../diagnostics/diagnostic.js";
import { MapBit } from "../arch/arch.js";
import type { FoundSpace } from "./checks.js";
import type { FoundMapping } from "./read-back.js";
import { UnreadableLines, appendRun, ptdumpRanges } from "./listing.js";

const LINE =
  /^0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})\s+\d+[BKMGTPE]\s+(?:PGD|P4D|PUD|PMD|PTE)\b(.*)$/;
/** Columns that say nothing the audit checks: shareability, access flag, contiguous, block. */
const INERT = new Set(["SHD", "AF", "CON", "BLK", "GP", "x"]);
const MEMORY_TYPES: Readonly<Record<string, number>> = {
  "MEM/NORMAL": 0,
  "MEM/NORMAL-TAGGED": 0,
  "MEM/NORMAL-NC": MapBit.PWT,
  "DEVICE/GRE": MapBit.PCD | MapBit.PWT,
  "DEVICE/nGnRE": MapBit.PCD | MapBit.PWT,
  "DEVICE/nGnRnE": MapBit.PCD | MapBit.PWT,
};
const KNOWN = new Set([
  ...INERT,
  ..."F USR ro RW NX NG UXN".split(" "),
  ...Object.keys(MEMORY_TYPES),
]);

/** The mappings of an arm64 ptdump listing in `file` (its text `text`). */
export function readArm64Ptdump(file: string, text: string): Result<FoundSpace> {
  const mappings: FoundMapping[] = [];
  const bad = new UnreadableLines(
    file,
    "Linux arm64 ptdump",
    "give the text of /sys/kernel/debug/kernel_page_tables unchanged",
  );
  for (const { line, match, va, end } of ptdumpRanges(
    text,
    LINE,
    bad,
    "not an arm64 ptdump line (`0xSTART-0xEND  SIZE LEVEL flags`)",
  )) {
    const columns = new Set(match[3]!.split(/\s+/).filter((w) => w !== ""));
    if (columns.size === 0 || columns.has("F")) continue; // invalid: maps nothing
    const unknown = [...columns].find((c) => !KNOWN.has(c));
    if (unknown !== undefined) {
      bad.add(line, `\`${unknown}\` is not an arm64 ptdump column`);
      continue;
    }
    const types = [...columns].filter((c) => MEMORY_TYPES[c] !== undefined);
    if (columns.has("ro") === columns.has("RW") || types.length !== 1) {
      bad.add(line, "a valid run shows exactly one of `ro` and `RW` and one memory type");
      continue;
    }
    const user = columns.has("USR");
    const executeNever = user ? columns.has("UXN") : columns.has("NX");
    const flags =
      (columns.has("RW") ? MapBit.W : 0) |
      (user ? MapBit.U : 0) |
      (executeNever ? MapBit.NX : 0) |
      (columns.has("NG") ? 0 : MapBit.G) |
      MEMORY_TYPES[types[0]!]!;
    appendRun(mappings, { va, end, pa: 0n, flags }, false);
  }
  return { value: { mappings, recursive: [], physical: false }, diagnostics: bad.diagnostics() };
}
