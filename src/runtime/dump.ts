/**
 * A listing of installed page tables in the format of Linux's x86 ptdump
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

import {
  Hi,
  Lo,
  type Level,
  type PagingLevels,
  VPN_PER_ENTRY,
  hiReservedMask,
} from "../arch/x86_64/entry.js";
import type { Installation } from "./install.js";
import type { Segment } from "./install-plan.js";
import type { PhysicalMemory } from "./physical-memory.js";

export interface DumpMarker {
  /** Canonical linear address where the marked area starts. */
  readonly start: bigint;
  readonly name: string;
}

export interface DumpSource {
  readonly memory: PhysicalMemory;
  readonly cr3: bigint;
  readonly levels: PagingLevels;
  readonly maxPhyAddr: number;
}

const UNITS = "BKMGTPE";
/** Table visits a dump may make beyond one per frame in memory (bounds aliased graphs). */
const EXTRA_VISITS = 1 << 16;
/** 2^52: one past the last page number (canonical address >> 12) of the 64-bit space. */
const VPN_END = 2 ** 52;

function levelName(level: Level, levels: PagingLevels): string {
  if (level === 1) return "pte";
  if (level === 2) return "pmd";
  if (level === 3) return "pud";
  if (level === 4) return levels === 5 ? "p4d" : "pgd";
  return "pgd";
}

/** Linux's `printk_prot` for a present entry at `level` (bit 7 is PAT in a PTE, PS above). */
function prot(lo: number, hi: number, level: Level): string {
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
}

const NOT_PRESENT = " ".repeat(30);

function hex16(v: bigint): string {
  return "0x" + BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}

function sizeText(pages: number): string {
  let delta = BigInt(pages) * 4096n;
  let unit = 0;
  while ((delta & 1023n) === 0n && unit < UNITS.length - 1) {
    delta >>= 10n;
    unit++;
  }
  return delta.toString().padStart(9) + UNITS[unit]!;
}

/**
 * The ptdump listing of the tables at `cr3`, with `markers` (sorted by start or not; they are
 * sorted here).
 */
export function ptdump(src: DumpSource, markers: readonly DumpMarker[]): string {
  const { memory, levels, maxPhyAddr } = src;
  const hiRsvd = hiReservedMask(maxPhyAddr);
  const vaBits = levels === 5 ? 57 : 48;
  // Page numbers are canonical addresses >> 12: below 2^52, exact as numbers.
  const lowEnd = 2 ** (vaBits - 13);
  const highStart = VPN_END - lowEnd;
  const marks = [...markers]
    .map((m) => ({ vpn: Number(BigInt.asUintN(64, m.start) >> 12n), name: m.name }))
    .sort((a, b) => a.vpn - b.vpn);
  const out: string[] = [];
  let mi = 0;
  let curStart = -1;
  let curKey = 0;
  let curLevel: Level = levels;
  let curLo = 0;
  let curHi = 0;

  const flush = (vpn: number): void => {
    const text = (curLo & Lo.P) === 0 ? NOT_PRESENT : prot(curLo, curHi, curLevel);
    out.push(
      `${hex16(BigInt(curStart) << 12n)}-${hex16(BigInt(vpn) << 12n)}   ${sizeText(vpn - curStart)} ${text}${levelName(curLevel, levels)}`,
    );
  };
  /** An entry (or the non-canonical hole) at `vpn`; `key` identifies its flags (0: not present). */
  const note = (vpn: number, level: Level, key: number, lo: number, hi: number): void => {
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
  };

  const rootPfn = Number(src.cr3 >> 12n) & (2 ** (maxPhyAddr - 12) - 1);
  const onPath = new Set<number>();
  // Aliased tables are followed each time, but a hostile graph of them cannot make this hang.
  let visits = 0;
  let stopped = false;
  const maxVisits = memory.frameCount + EXTRA_VISITS;
  const walk = (
    pfn: number,
    level: Level,
    base: number,
    rw: boolean,
    us: boolean,
    xd: boolean,
  ): void => {
    if (++visits > maxVisits) {
      stopped = true;
      return;
    }
    const f = memory.frame(pfn);
    const per = VPN_PER_ENTRY[level]!;
    onPath.add(pfn);
    for (let i = 0; i < 512; i++) {
      let vpn = base + i * per;
      if (level === levels && i >= 256) {
        if (i === 256) note(lowEnd, level, 0, 0, 0);
        vpn += highStart - lowEnd;
      }
      const lo = f === undefined ? 0 : f[i << 1]!;
      const hi = f === undefined ? 0 : f[(i << 1) + 1]!;
      if ((lo & Lo.P) === 0) {
        note(vpn, level, 0, 0, 0);
        continue;
      }
      const nrw = rw && (lo & Lo.RW) !== 0;
      const nus = us && (lo & Lo.US) !== 0;
      const nxd = xd || (hi & Hi.XD) !== 0;
      const child = (hi & Hi.ADDR_MAX) * 1048576 + (lo >>> 12);
      const leaf = level === 1 || (level <= 3 && (lo & Lo.PS) !== 0);
      const stop =
        leaf ||
        (hi & hiRsvd) !== 0 ||
        (level >= 4 && (lo & Lo.PS) !== 0) ||
        (level === levels && child === rootPfn) ||
        onPath.has(child);
      if (!stop) {
        walk(child, (level - 1) as Level, vpn, nrw, nus, nxd);
        continue;
      }
      const own = (lo & (level === 1 ? 0xfff : 0x1fff)) + (hi >>> 20) * 8192;
      const eff = (nrw ? 1 : 0) | (nus ? 2 : 0) | (nxd ? 4 : 0);
      note(vpn, level, own + eff * 2 ** 32, lo, hi);
    }
    onPath.delete(pfn);
  };
  walk(rootPfn, levels, 0, true, true, false);
  note(VPN_END, levels, -1, 0, 0);
  if (stopped) out.push(`... walk stopped after ${maxVisits} table visits (aliased tables) ...`);
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
      levels: installation.levels,
      maxPhyAddr: installation.maxPhyAddr,
    },
    regionMarkers(installation.segments),
  );
}
