/**
 * A listing of installed page tables in the format of the architecture's Linux ptdump (the
 * columns and their order come from `Arch.ptdump`; RISC-V's adds a physical-address column and
 * leaves out runs of invalid entries, `arch/riscv/mm/ptdump.c`). For x86, Linux's ptdump
 * (`arch/x86/mm/dump_pagetables.c`, `/sys/kernel/debug/page_tables/kernel`):
 *
 *     ---[ direct mapping of all physical memory (page_offset_base) ]---
 *     0xffff888000000000-0xffff888100000000           4G     RW         PSE     GLB NX pud
 *     0xffff888100000000-0xffff888140000000           1G                               pud
 *
 * Each line is a run of entries at one level with equal flags: `0x%016lx-0x%016lx   `, the size
 * as `%9lu%c ` in the largest unit of B/K/M/G/T/P/E that divides it, then `printk_prot`: `USR`,
 * `RW`/`ro`, `PWT`, `PCD`, `PSE` (a large page), `PAT`, `GLB`, `NX`/`x `, each in a fixed
 * column, or 30 blanks for a not-present range, and the level (`pgd`, `p4d` with 5 levels,
 * `pud`, `pmd`, `pte`). The flags are the leaf entry's own, as Linux prints them. A run ends
 * where the flags or the level change or where a marker starts; the marker line
 * `---[ name ]---` follows the run that reaches it, as in Linux. The last line ends at
 * 0x0000000000000000 (2^64 wraps, as in Linux).
 *
 * Markers come from the spec: one at every address where the most specific region changes,
 * named by the region's description (or its name). Deviations from Linux: the non-canonical
 * hole is a line of its own when a marker starts it; a recursive slot is one line at the top
 * level (its entry's flags), not the walk through it; with 4 levels the top level is `pgd`.
 */

import type { Arch } from "../arch/arch.js";
import { walkTables } from "../arch/walk.js";
import { hex } from "../model/format.js";
import type { Installation } from "./install.js";
import type { Segment } from "./install-plan.js";
import type { PhysicalMemory } from "../arch/physical-memory.js";

export interface DumpMarker {
  /** Canonical linear address where the marked area starts. */
  readonly start: bigint;
  readonly name: string;
}

export interface DumpSource {
  readonly memory: PhysicalMemory;
  /** The root register's value (CR3, satp, TTBR1_EL1). */
  readonly cr3: bigint;
  /** TTBR0_EL1 where each half has its own root; without it the lower half is not listed. */
  readonly lowerRoot?: bigint | undefined;
  readonly arch: Arch;
  /** Physical-address width (x86 MAXPHYADDR). */
  readonly maxPhyAddr: number;
}

const UNITS = "BKMGTPE";
/** 2^52: one past the last page number (canonical address >> 12) of the 64-bit space. */
const VPN_END = 2 ** 52;

function sizeText(pages: number): string {
  let delta = BigInt(pages) * 4096n;
  let unit = 0;
  while ((delta & 1023n) === 0n && unit < UNITS.length - 1) {
    delta >>= 10n;
    unit++;
  }
  return delta.toString().padStart(9) + UNITS[unit]!;
}

/** The address of page `vpn` as Linux prints it: `0x` and 16 digits, 2^64 wrapping to 0. */
const pageAddress = (vpn: number): string => hex(BigInt.asUintN(64, BigInt(vpn) << 12n));

/**
 * The ptdump listing of the tables at `cr3`, with `markers` (sorted by start or not; they are
 * sorted here).
 */
export function ptdump(src: DumpSource, markers: readonly DumpMarker[]): string {
  const { arch } = src;
  const format = arch.ptdump;
  const top = arch.levels;
  const marks = [...markers]
    .map((m) => ({ vpn: Number(BigInt.asUintN(64, m.start) >> 12n), name: m.name }))
    .sort((a, b) => a.vpn - b.vpn);
  const out: string[] = [];
  let mi = 0;
  let curStart = -1;
  let curKey = 0;
  let curLevel = top;
  let curLo = 0;
  let curHi = 0;
  let curPa = 0;

  const flush = (vpn: number): void => {
    if (curKey === 0 && !format.listsNotPresent) return;
    const text = curKey === 0 ? format.notPresent : format.flags(curLo, curHi, curLevel);
    const range = `${pageAddress(curStart)}-${pageAddress(vpn)}`;
    const size = sizeText(vpn - curStart);
    out.push(format.line(range, hex(BigInt(curPa)), size, text, format.levelName(curLevel)));
  };
  /**
   * An entry (or the non-canonical hole) at `vpn`; `key` identifies its flags (0: not present);
   * `pa` is a leaf's physical address.
   */
  const note = (vpn: number, level: number, key: number, lo: number, hi: number, pa = 0): void => {
    if (curStart >= 0) {
      if (key === curKey && level === curLevel && !(mi < marks.length && marks[mi]!.vpn <= vpn))
        return;
      flush(vpn);
    }
    while (mi < marks.length && marks[mi]!.vpn <= vpn) out.push(`---[ ${marks[mi++]!.name} ]---`);
    curStart = vpn;
    curKey = key;
    curLevel = level;
    curLo = lo;
    curHi = hi;
    curPa = pa;
  };
  /** A valid entry: a run goes on while the entries' own flags and effective rights are equal. */
  const valid = (vpn: number, level: number, lo: number, hi: number, rights: number, pa = 0) => {
    note(vpn, level, format.runKey(lo, hi, level) + (rights + 1) * 2 ** 32, lo, hi, pa);
  };

  let stoppedAfter = 0;
  walkTables(
    {
      arch,
      memory: src.memory,
      root: src.cr3,
      lowerRoot: src.lowerRoot,
      physAddrBits: src.maxPhyAddr,
    },
    {
      absent: (vpn, level) => note(vpn, level, 0, 0, 0),
      gap: (vpn) => note(vpn, top, 0, 0, 0),
      leaf: (vpn, level, _pages, pa, rights, lo, hi) => valid(vpn, level, lo, hi, rights, pa),
      // A malformed entry, a recursive slot or a cycle is one line of the entry's own flags.
      stop: (vpn, level, _reason, lo, hi, rights) => valid(vpn, level, lo, hi, rights),
      stopped: (_pfn, _level, _vpn, maxTableVisits) => {
        stoppedAfter = maxTableVisits;
      },
    },
  );
  note(VPN_END, top, -1, 0, 0);
  if (stoppedAfter > 0) {
    out.push(`... walk stopped after ${stoppedAfter} table visits (aliased tables) ...`);
  }
  return out.join("\n") + "\n";
}

/**
 * Markers from the attribute map: one where the most specific region changes (named by its
 * description, or its name), and `(no region)` where an address lies in none.
 */
export function regionMarkers(segs: readonly Segment[]): DumpMarker[] {
  const out: DumpMarker[] = [];
  let prevEnd = 0n;
  let prevOwner: string | undefined;
  for (const s of segs) {
    if (s.start > prevEnd || (out.length === 0 && s.start > 0n)) {
      out.push({ start: prevEnd, name: "(no region)" });
      prevOwner = undefined;
    }
    if (s.owner.name !== prevOwner) {
      out.push({ start: s.start, name: s.owner.region.description ?? s.owner.name });
    }
    prevOwner = s.owner.name;
    prevEnd = s.end;
  }
  if (prevEnd < 1n << 64n && segs.length > 0) out.push({ start: prevEnd, name: "(no region)" });
  return out;
}

/** The ptdump listing of an installed address space (`process` 0: the kernel's). */
export function dumpInstallation(installation: Installation, process = 0): string {
  const space = installation.space(process);
  return ptdump(
    {
      memory: installation.memory,
      cr3: space.cr3,
      lowerRoot: space.lowerRoot,
      arch: installation.arch,
      maxPhyAddr: installation.maxPhyAddr,
    },
    regionMarkers(installation.segments),
  );
}
