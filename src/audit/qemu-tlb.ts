/**
 * Reads QEMU's x86-64 `info tlb` monitor listing: one line per present leaf entry of the
 * current page tables, `VA: PA flags`, the flags as nine letters or dashes,
 *
 *     ffffffff80000000: 0000000000000000 -GPDA---W
 *
 * X (NX), G (global), P (a large page), D, A, C (PCD), T (PWT), U (user), W (writable): the leaf
 * entry's own bits, which are the effective ones when the upper entries grant all. QEMU does
 * not print PAT (it masks the bit out), so the audit compares only PCD and PWT with `cache`.
 *
 * A large page is 2 MiB or 1 GiB and the line does not say which: it is 1 GiB when its VA and
 * PA are 1 GiB aligned and the next line starts 1 GiB or more after it, else 2 MiB (a lone
 * 2 MiB page alone in a 1 GiB aligned gigabyte reads as 1 GiB). Lines are runs of one page;
 * contiguous pages with equal flags merge. A recursive slot cannot be told from the pages it
 * shows (they read as mappings of the tables).
 */
import type { Result } from "../diagnostics/diagnostic.js";
import { MapBit } from "../arch/arch.js";
import type { FoundSpace } from "./checks.js";
import type { FoundMapping } from "./read-back.js";
import { type ListingLine, UnreadableLines, appendRun, matchingLines } from "./listing.js";

const LINE =
  /^([0-9a-fA-F]{8,16}): ([0-9a-fA-F]{8,16}) ([X-])([G-])([P-])[D-][A-]([C-])([T-])([U-])([W-])$/;
const MiB2 = 1n << 21n;
const GiB = 1n << 30n;

interface Page {
  readonly line: ListingLine;
  readonly va: bigint;
  readonly pa: bigint;
  readonly large: boolean;
  readonly flags: number;
}

export function readQemuTlb(file: string, text: string): Result<FoundSpace> {
  const bad = new UnreadableLines(
    file,
    "QEMU `info tlb`",
    "give the monitor's `info tlb` output unchanged (x86-64 guests, one `VA: PA flags` line a page)",
  );
  const pages: Page[] = [];
  const expected = "not an `info tlb` line (`VA: PA XGPDACTUW`)";
  for (const { line, match: m } of matchingLines(text, LINE, bad, expected)) {
    const flags =
      (m[3] === "X" ? MapBit.NX : 0) |
      (m[4] === "G" ? MapBit.G : 0) |
      (m[6] === "C" ? MapBit.PCD : 0) |
      (m[7] === "T" ? MapBit.PWT : 0) |
      (m[8] === "U" ? MapBit.U : 0) |
      (m[9] === "W" ? MapBit.W : 0);
    const page = {
      line,
      va: BigInt("0x" + m[1]!),
      pa: BigInt("0x" + m[2]!),
      large: m[5] === "P",
      flags,
    };
    const prev = pages.at(-1);
    if (prev !== undefined && page.va <= prev.va) {
      bad.add(line, "the address does not ascend from the line before it");
      continue;
    }
    pages.push(page);
  }
  const mappings: FoundMapping[] = [];
  pages.forEach((p, i) => {
    const next = pages[i + 1]?.va;
    const gigantic =
      p.large &&
      p.va % GiB === 0n &&
      p.pa % GiB === 0n &&
      (next === undefined || next - p.va >= GiB);
    const size = gigantic ? GiB : p.large ? MiB2 : 4096n;
    if (next !== undefined && next - p.va < size) {
      bad.add(pages[i + 1]!.line, "the address lies inside the page of the line before it");
    }
    appendRun(mappings, { va: p.va, end: p.va + size, pa: p.pa, flags: p.flags }, true);
  });
  const shown = MapBit.W | MapBit.U | MapBit.NX | MapBit.G | MapBit.PCD | MapBit.PWT;
  return { value: { mappings, physical: true, shown }, diagnostics: bad.diagnostics() };
}
