/**
 * Reads Linux riscv ptdump text (`/sys/kernel/debug/kernel_page_tables`, `vmlayout dump` of a
 * riscv layout) into the mappings the audit checks. Each line is a run of leaves at one level,
 * as `arch/riscv/mm/ptdump.c` prints it (`dump_addr`, `dump_prot`):
 *
 *     0xffffffd800000000-0xffffffd840000000    0x0000000080000000         1G PGD .   ..     ..   D A G . . W R V
 *
 * the range, the run's first physical address, the size, the level (`PGD`, `P4D`, `PUD`, `PMD`,
 * `PTE`), then the protection columns. Newer kernels print `N` and `MT(NC|IO)` before `RSW(n)`;
 * older ones start at `RSW` (or at `D`): both are read, since the last eight columns are always
 * `D A G U X W R V`, a letter or `.` each. Skipped as for x86 (ptdump.ts): a dmesg prefix,
 * `---[ name ]---` markers, blank and `#` lines; the size column is not trusted.
 *
 * Linux merges leaves into a run by their protection bits alone, so only a run's first physical
 * address is known: the mappings carry none (`physical: false`). Rights are the leaf's: W, U, and
 * NX where X is clear; MT(NC) and MT(IO) are the cache bits `riscv64`'s table format gives them.
 */
import type { Result } from "../diagnostics/diagnostic.js";
import { MapBit } from "../arch/arch.js";
import type { FoundSpace } from "./checks.js";
import type { FoundMapping } from "./read-back.js";
import { UnreadableLines, appendRun, ptdumpRanges } from "./listing.js";

const LINE =
  /^0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})\s+0x[0-9a-fA-F]{1,16}\s+\d+[KMGTPE]\s+(?:PGD|P4D|PUD|PMD|PTE)\s+(.*)$/;
/** `D A G U X W R V`: the letter where the bit is set, `.` where it is clear. */
const LETTERS = "DAGUXWRV";
/** The columns before them, set or clear. */
const LEADING = /^(?:N|\.|\.\.|MT\((?:NC|IO|\?\?)\)|RSW\(\d\))$/;
const MEMORY_TYPE: Readonly<Record<string, number>> = {
  "MT(NC)": MapBit.PWT,
  "MT(IO)": MapBit.PCD | MapBit.PWT,
};

/** The mappings of a riscv ptdump listing in `file` (its text `text`). */
export function readRiscvPtdump(file: string, text: string): Result<FoundSpace> {
  const mappings: FoundMapping[] = [];
  const bad = new UnreadableLines(
    file,
    "Linux riscv ptdump",
    "give the text of /sys/kernel/debug/kernel_page_tables unchanged",
  );
  for (const { line, match, va, end } of ptdumpRanges(
    text,
    LINE,
    bad,
    "not a riscv ptdump line (`0xSTART-0xEND  0xPA  SIZE LEVEL flags`)",
  )) {
    const columns = match[3]!.split(/\s+/).filter((w) => w !== "");
    if (columns.length < LETTERS.length) {
      bad.add(line, "fewer than the eight columns `D A G U X W R V`");
      continue;
    }
    const letters = columns.slice(-LETTERS.length);
    const leading = columns.slice(0, -LETTERS.length);
    const wrong =
      letters.find((c, i) => c !== "." && c !== LETTERS[i]) ??
      leading.find((c) => !LEADING.test(c));
    if (wrong !== undefined) {
      bad.add(line, `\`${wrong}\` is not a riscv ptdump column in its place`);
      continue;
    }
    const set = (letter: string): boolean => letters[LETTERS.indexOf(letter)] === letter;
    const flags =
      (set("W") ? MapBit.W : 0) |
      (set("U") ? MapBit.U : 0) |
      (set("X") ? 0 : MapBit.NX) |
      (set("G") ? MapBit.G : 0) |
      leading.reduce((f, c) => f | (MEMORY_TYPE[c] ?? 0), 0);
    appendRun(mappings, { va, end, pa: 0n, flags }, false);
  }
  return { value: { mappings, recursive: [], physical: false }, diagnostics: bad.diagnostics() };
}
