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
import { type Diagnostic, type Result, diagnostic } from "../diagnostics/diagnostic.js";
import type { PagingLevels } from "../runtime/entry.js";
import {
  type FoundMapping,
  type FoundRecursiveSlot,
  type FoundSpace,
  MapBit,
} from "../verifier/audit.js";

/** A listing's line that is not one (at most this many are reported; the rest are counted). */
const MAX_BAD_LINES = 10;

const DMESG = /^(?:<\d+>)?\[\s*\d+\.\d+\]\s?/;
const RANGE = /^0x([0-9a-fA-F]{1,16})-0x([0-9a-fA-F]{1,16})\s+\d+[BKMGTPE]\b\s*(.*)$/;
const SKIPPED = /^\.\.\. .*\.\.\.$/;
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
const TWO64 = 1n << 64n;

/** The mappings of a ptdump listing in `file` (its text `text`), for a `levels`-level space. */
export function readPtdump(file: string, text: string, levels: PagingLevels): Result<FoundSpace> {
  const mappings: FoundMapping[] = [];
  const recursive: FoundRecursiveSlot[] = [];
  const diagnostics: Diagnostic[] = [];
  const bad: { line: number; start: number; end: number; why: string }[] = [];
  const slotBits = BigInt(levels === 5 ? 48 : 39);
  const vaMask = (1n << BigInt(levels === 5 ? 57 : 48)) - 1n;
  let prevEnd = 0n;
  let offset = 0;
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const at = offset;
    offset += raw.length + 1;
    const line = raw.replace(DMESG, "").trim();
    if (line === "" || line.startsWith("#") || line.startsWith("---[") || SKIPPED.test(line))
      return;
    const complain = (why: string): void => {
      bad.push({ line: i + 1, start: at, end: at + raw.length, why });
    };
    const m = RANGE.exec(line);
    if (m === null) return complain("not a ptdump line (`0xSTART-0xEND  SIZE  flags level`)");
    const va = BigInt("0x" + m[1]!);
    const end = BigInt("0x" + m[2]!) || TWO64;
    if (end <= va) return complain("the range ends before it starts");
    if (va < prevEnd) return complain("the range overlaps or precedes the line before it");
    prevEnd = end;
    const words = m[3]!.split(/\s+/).filter((w) => w !== "");
    const level = words.length > 0 && LEVELS.has(words.at(-1)!) ? words.pop()! : undefined;
    if (words.length === 0) return; // not present
    let flags = 0;
    for (const w of words) {
      const bit = FLAG_BITS[w];
      if (bit === undefined) return complain(`\`${w}\` is not a ptdump flag`);
      flags |= bit;
    }
    if (level === "pgd") {
      recursive.push({
        index: Number((va & vaMask) >> slotBits),
        va,
        end,
        writable: (flags & MapBit.W) !== 0,
        user: (flags & MapBit.U) !== 0,
        noExecute: (flags & MapBit.NX) !== 0,
      });
      return;
    }
    const last = mappings.at(-1);
    if (last !== undefined && last.end === va && last.flags === flags) {
      mappings[mappings.length - 1] = { ...last, end };
    } else {
      mappings.push({ va, end, pa: 0n, flags });
    }
  });
  bad.slice(0, MAX_BAD_LINES).forEach((b, k) => {
    const more = bad.length - MAX_BAD_LINES;
    diagnostics.push(
      diagnostic(
        "E0503",
        `line ${b.line} of \`${file}\` cannot be read as Linux x86 ptdump: ${b.why}`,
        { file, start: b.start, end: b.end },
        {
          help: "give the text of /sys/kernel/debug/page_tables/kernel (or its dmesg lines) unchanged",
          notes: k === MAX_BAD_LINES - 1 && more > 0 ? [`${more} more unreadable lines`] : [],
        },
      ),
    );
  });
  return { value: { mappings, recursive, physical: false }, diagnostics };
}
