/**
 * Reads Linux x86 ptdump text (`/sys/kernel/debug/page_tables/*`, `CONFIG_X86_PTDUMP` boot logs,
 * `vmlayout dump`) into the mappings the audit checks. Each line is a run of entries at one
 * level, as `arch/x86/mm/dump_pagetables.c` prints it:
 *
 *     0xffff888000000000-0xffff888100000000           4G     RW         PSE     GLB NX pud
 *
 * then the flags (`USR`, `RW`/`ro`, `PWT`, `PCD`, `PSE`, `PAT`, `GLB`, `NX`/`x`; none for a range
 * that is not present) and the level (`pgd`, `p4d`, `pud`, `pmd`, `pte`; absent in old kernels).
 * Read tolerantly: a dmesg prefix (`[    0.889245] `), `---[ name ]---` markers, `... N entries
 * skipped ...` lines, blank lines and `#` comments are skipped; the size column is not trusted
 * (the addresses are). An end of 0x0000000000000000 is 2^64.
 *
 * ptdump prints no physical addresses, so the mappings carry none (`physical: false`), and it
 * prints each leaf's own flags, which are the effective ones when the upper entries grant all
 * (Linux's kernel tables do). A present line at the top level cannot be a leaf: it is a
 * recursive slot (how `vmlayout dump` prints one).
 */
import type { Result } from "../diagnostics/diagnostic.js";
import type { PagingLevels } from "../arch/x86_64/entry.js";
import { MapBit } from "../arch/arch.js";
import type { FoundSpace } from "./checks.js";
import { type FoundMapping, type FoundRecursiveSlot, recursiveSlot } from "./read-back.js";
import { UnreadableLines, appendRun, ptdumpRanges } from "./listing.js";

const RANGE = /^0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})\s+\d+[BKMGTPE]\b\s*(.*)$/;
const FLAG_BITS: Readonly<Record<string, number>> = {
  USR: MapBit.U,
  RW: MapBit.W,
  ro: 0,
  PWT: MapBit.PWT,
  PCD: MapBit.PCD,
  PSE: 0,
  PAT: MapBit.PAT,
  GLB: MapBit.G,
  NX: MapBit.NX,
  x: 0,
};
const LEVELS = new Set(["pgd", "p4d", "pud", "pmd", "pte"]);

/** The mappings of a ptdump listing in `file` (its text `text`), for a `levels`-level space. */
export function readPtdump(file: string, text: string, levels: PagingLevels): Result<FoundSpace> {
  const mappings: FoundMapping[] = [];
  const recursive: FoundRecursiveSlot[] = [];
  const bad = new UnreadableLines(
    file,
    "Linux x86 ptdump",
    "give the text of /sys/kernel/debug/page_tables/kernel (or its dmesg lines) unchanged",
  );
  const slotBits = BigInt(levels === 5 ? 48 : 39);
  const vaMask = (1n << BigInt(levels === 5 ? 57 : 48)) - 1n;
  for (const { line, match: m, va, end } of ptdumpRanges(
    text,
    RANGE,
    bad,
    "not a ptdump line (`0xSTART-0xEND  SIZE  flags level`)",
  )) {
    const words = m[3]!.split(/\s+/).filter((w) => w !== "");
    const level = words.length > 0 && LEVELS.has(words.at(-1)!) ? words.pop()! : undefined;
    if (words.length === 0) continue; // not present
    const unknown = words.find((w) => FLAG_BITS[w] === undefined);
    if (unknown !== undefined) {
      bad.add(line, `\`${unknown}\` is not a ptdump flag`);
      continue;
    }
    const flags = words.reduce((f, w) => f | FLAG_BITS[w]!, 0);
    if (level === "pgd") {
      recursive.push(recursiveSlot(Number((va & vaMask) >> slotBits), va, end, flags));
      continue;
    }
    appendRun(mappings, { va, end, pa: 0n, flags }, false);
  }
  return { value: { mappings, recursive, physical: false }, diagnostics: bad.diagnostics() };
}
