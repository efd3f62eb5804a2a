/**
 * Sharing the kernel's half with a process (x86-64): a process's root table points at the
 * kernel's lower tables wherever its range holds nothing per-process, as Linux shares the kernel
 * half between every PGD. Entries are written as `Mapper` writes its own (SDM 4.5, Table 4-15 ff.).
 */
import { EntryKind } from "../arch.js";
import { FRAME_SIZE, type PhysicalMemory } from "../physical-memory.js";
import type { FrameAllocator } from "../frame-allocator.js";
import { partitionPoint } from "../../model/collections.js";
import { x86_64 } from "./arch.js";
import { Lo, type Level } from "./entry.js";
import type { Mapper } from "./mapper.js";

/** How `[lo, hi)` relates to the per-process ranges (sorted, merged, half-open). */
function classify(
  ranges: readonly [bigint, bigint][],
  lo: bigint,
  hi: bigint,
): "shared" | "private" | "mixed" {
  const r = ranges[partitionPoint(ranges.length, (i) => ranges[i]![1] > lo)];
  if (r === undefined || r[0] >= hi) return "shared";
  return r[0] <= lo && r[1] >= hi ? "private" : "mixed";
}

/** The low word of a private table's entry: present, and as permissive as the mapper's own. */
const PRIVATE_TABLE_LO = Lo.P | Lo.RW | Lo.US;
const TWO32 = 4294967296;

/**
 * Fills the process root table `pRoot` from the kernel's `kRoot`: entries whose range holds no
 * per-process address are copied (sharing the kernel's lower tables), entries wholly
 * per-process are left empty, and mixed entries get a private table filled the same way one
 * level down. Recursive slots are left to `mapRecursive`. This builds tables rather than
 * walking them: a mixed range gets its private tables whether or not the kernel maps anything
 * there, so it visits absent entries, which the walker does not.
 */
export function shareKernelTables(
  memory: PhysicalMemory,
  allocator: FrameAllocator,
  kernel: Mapper,
  pRoot: number,
  privateRanges: readonly [bigint, bigint][],
  recursiveIndices: ReadonlySet<number>,
): void {
  const arch = x86_64(kernel.levels);
  const format = arch.tableFormat(kernel.maxPhyAddr);
  const fill = (kTable: number | undefined, pTable: number, level: Level, base: bigint): void => {
    const span = 1n << BigInt(arch.levelShift(level));
    for (let i = 0; i < format.entriesPerTable; i++) {
      if (level === arch.levels && recursiveIndices.has(i)) continue;
      const raw = base + BigInt(i) * span;
      const lo = arch.canonicalize(raw);
      const cls = classify(privateRanges, lo, lo + span);
      const kLo = kTable === undefined ? 0 : memory.readLo(kTable + i * 8);
      const kHi = kTable === undefined ? 0 : memory.readHi(kTable + i * 8);
      const kind = format.kind(kLo, kHi, level);
      if (cls === "shared") {
        if (kind !== EntryKind.Absent) memory.writeWords(pTable + i * 8, kLo, kHi);
        continue;
      }
      if (cls === "private" || level === 1) continue;
      // Mixed: a private table one level down.
      const child = allocator.allocate((level - 1) as Level);
      if (child === undefined)
        throw new Error("internal error: table pool exhausted while sharing");
      memory.writeWords(
        pTable + i * 8,
        (child >>> 0) | PRIVATE_TABLE_LO,
        Math.floor(child / TWO32),
      );
      const kChild = kind === EntryKind.Table ? format.nextTable(kLo, kHi) * FRAME_SIZE : undefined;
      fill(kChild, child, (level - 1) as Level, raw);
    }
  };
  fill(kernel.root, pRoot, arch.levels as Level, 0n);
}
