/**
 * Reads QEMU's x86-64 `info mem` monitor listing: the mapped ranges of the current page tables,
 * merged while their effective user and write rights stay equal,
 *
 *     ffffffff80000000-ffffffffa0000000 0000000020000000 -rw
 *
 * `START-END SIZE` (END exclusive; the top of the space prints as 2^48, or 2^57 with 5 levels)
 * and `u`/`-`, `r`, `w`/`-`. That is all it shows: no physical addresses, no NX, no global or
 * cache bits, so the audit checks only where pages are mapped, their write and user rights, and
 * says so. (QEMU's `info mem` misreads 5-level tables: use `info tlb` there.)
 */
import type { Result } from "../diagnostics/diagnostic.js";
import type { PagingLevels } from "../arch/x86_64/entry.js";
import { MapBit } from "../arch/arch.js";
import type { FoundSpace } from "./checks.js";
import type { FoundMapping } from "./read-back.js";
import { UnreadableLines, appendRun, matchingLines } from "./listing.js";

const LINE = /^([0-9a-fA-F]{8,16})-([0-9a-fA-F]{8,16}) [0-9a-fA-F]{8,16} ([u-])r([w-])$/;

export function readQemuMem(file: string, text: string, levels: PagingLevels): Result<FoundSpace> {
  const bad = new UnreadableLines(
    file,
    "QEMU `info mem`",
    "give the monitor's `info mem` output unchanged (x86-64 guests, `START-END SIZE urw` lines)",
  );
  const top = 1n << BigInt(levels === 5 ? 57 : 48);
  const mappings: FoundMapping[] = [];
  const expected = "not an `info mem` line (`START-END SIZE urw`)";
  for (const { line, match: m } of matchingLines(text, LINE, bad, expected)) {
    const va = BigInt("0x" + m[1]!);
    const printed = BigInt("0x" + m[2]!);
    const end = printed === top ? 1n << 64n : printed;
    if (!bad.inOrder(line, va, end)) continue;
    const flags = (m[3] === "u" ? MapBit.U : 0) | (m[4] === "w" ? MapBit.W : 0);
    appendRun(mappings, { va, end, pa: 0n, flags }, false);
  }
  const shown = MapBit.W | MapBit.U;
  return { value: { mappings, physical: false, shown }, diagnostics: bad.diagnostics() };
}
