import { describe, expect, it } from "vitest";
import { aarch64 } from "../../../src/arch/aarch64/arch.js";
import { Lo, levelShift, rootEntries } from "../../../src/arch/aarch64/entry.js";
import { NORMAL } from "../../../src/arch/aarch64/mapper.js";
import { type StopReason, walkTables } from "../../../src/arch/walk.js";
import type { PhysicalMemory } from "../../../src/arch/physical-memory.js";
import { GRANULES, VA_SIZES, machine } from "./helpers.js";

const TOP = 1n << 64n;
const read1 = { el: 1, kind: "read" } as const;

interface Seen {
  leaves: { va: bigint; size: bigint; pa: number }[];
  stops: { va: bigint; level: number; reason: StopReason }[];
  tables: { pfn: number; level: number }[];
  gaps: bigint[];
}

function walk(
  memory: PhysicalMemory,
  granule: 4 | 16 | 64,
  vaBits: 39 | 42 | 47 | 48 | 52,
  roots: { upper: number; lower?: number },
): Seen {
  const seen: Seen = { leaves: [], stops: [], tables: [], gaps: [] };
  const va = (vpn: number): bigint => BigInt(vpn) << 12n;
  walkTables(
    {
      arch: aarch64(granule, vaBits),
      memory,
      root: BigInt(roots.upper),
      lowerRoot: roots.lower === undefined ? undefined : BigInt(roots.lower),
      physAddrBits: vaBits === 52 ? 52 : 48,
    },
    {
      table: (pfn, level) => void seen.tables.push({ pfn, level }),
      gap: (vpn) => void seen.gaps.push(va(vpn)),
      leaf: (vpn, _level, pages, pa) =>
        void seen.leaves.push({ va: va(vpn), size: BigInt(pages) * 4096n, pa }),
      stop: (vpn, level, reason) => void seen.stops.push({ va: va(vpn), level, reason }),
    },
  );
  return seen;
}

describe("the walker on AArch64 tables", () => {
  for (const granule of GRANULES) {
    for (const vaBits of VA_SIZES) {
      it(`${granule}K granule, ${vaBits}-bit VA: both roots, every leaf where the MMU finds it`, () => {
        const { memory, lower, upper, mmu } = machine(granule, vaBits);
        const page = BigInt(granule) * 1024n;
        const block = 1n << BigInt(levelShift(granule, 2));
        const ranges = [
          {
            half: lower,
            va: block - page,
            pa: 0x1_0000_0000n + block - page,
            size: block + 2n * page,
          },
          { half: lower, va: (1n << BigInt(vaBits)) - page, pa: 0x8000_0000n, size: page },
          { half: upper, va: TOP - (1n << BigInt(vaBits)), pa: 0x4000_0000n, size: page },
          { half: upper, va: TOP - 2n * block, pa: 0x2_0000_0000n, size: 2n * block },
        ];
        for (const r of ranges)
          expect(r.half.map(r.va, r.pa, r.size, { lo: NORMAL })).toBeUndefined();
        const seen = walk(memory, granule, vaBits, { upper: upper.root, lower: lower.root });
        // Ascending, lower half first, and each leaf is where the MMU translates it.
        expect(seen.leaves.map((l) => l.va)).toEqual(
          [...seen.leaves.map((l) => l.va)].sort((a, b) => (a < b ? -1 : 1)),
        );
        expect(seen.leaves.reduce((s, l) => s + l.size, 0n)).toBe(
          ranges.reduce((s, r) => s + r.size, 0n),
        );
        for (const l of seen.leaves) {
          const t = mmu.translate(l.va, read1);
          expect(t, l.va.toString(16)).toMatchObject({ ok: true, pa: BigInt(l.pa), size: l.size });
        }
        expect(seen.leaves[0]!.va).toBe(block - page);
        expect(seen.leaves.at(-1)!.va).toBe(TOP - block);
        expect(seen.gaps).toEqual([1n << BigInt(vaBits)]);
        const rootLevel = aarch64(granule, vaBits).levels;
        expect(seen.tables.filter((t) => t.level === rootLevel)).toEqual([
          { pfn: Math.floor(lower.root / 4096), level: rootLevel },
          { pfn: Math.floor(upper.root / 4096), level: rootLevel },
        ]);
        // Without TTBR0's root the lower half is not walked.
        const upperOnly = walk(memory, granule, vaBits, { upper: upper.root });
        expect(upperOnly.leaves).toEqual(seen.leaves.filter((l) => l.va >= TOP >> 1n));
      });
    }
  }

  it("reads a 64K granule's 48-bit root of 64 entries inside a frame, at its offset", () => {
    const { memory, upper } = machine(64, 48);
    expect(rootEntries(64, 48)).toBe(64);
    expect(upper.map(TOP - (1n << 48n), 0x4000_0000n, 1n << 16n, { lo: NORMAL })).toBeUndefined();
    // The same root copied 0x200 bytes into another frame, after 64 entries of garbage.
    const copy = 0x5000_0200;
    for (let i = 0; i < 64; i++) {
      memory.write64(copy - 0x200 + i * 8, 0x3n);
      memory.write64(copy + i * 8, memory.read64(upper.root + i * 8));
    }
    const seen = walk(memory, 64, 48, { upper: copy });
    expect(seen.leaves).toEqual([{ va: TOP - (1n << 48n), size: 1n << 16n, pa: 0x4000_0000 }]);
    expect(seen.stops).toEqual([]);
  });

  it("reports an entry into its own 16K table as a cycle, a root entry at its root as self", () => {
    const { memory, upper } = machine(16, 47);
    expect(upper.map(TOP - (1n << 47n), 0x4000_0000n, 1n << 14n, { lo: NORMAL })).toBeUndefined();
    const level2 = Number(memory.read64(upper.root) & 0xffff_ffff_c000n);
    // The level 2 table's entry 1 points 4 KiB into the level 2 table itself: BADDR is
    // granule-aligned, so it names the table.
    memory.write64(level2 + 8, BigInt(level2 + 0x1000) | BigInt(Lo.VALID | Lo.TABLE));
    memory.write64(upper.root + 8, BigInt(upper.root) | BigInt(Lo.VALID | Lo.TABLE));
    const seen = walk(memory, 16, 47, { upper: upper.root });
    const half = TOP - (1n << 47n);
    expect(seen.stops).toEqual([
      { va: half + (1n << 25n), level: 2, reason: "cycle" },
      { va: half + (1n << 36n), level: 3, reason: "self" },
    ]);
    expect(seen.leaves).toEqual([{ va: half, size: 1n << 14n, pa: 0x4000_0000 }]);
  });

  it("reads a root past RAM as empty, and a table of 4 frames past RAM too, never throwing", () => {
    const { memory, upper } = machine(16, 48);
    const far = 2 ** 46;
    memory.write64(upper.root, BigInt(far) | BigInt(Lo.VALID | Lo.TABLE));
    expect(walk(memory, 16, 48, { upper: far, lower: far + 0x4000 })).toMatchObject({
      leaves: [],
      stops: [],
      tables: [
        { pfn: far / 4096 + 4, level: 4 },
        { pfn: far / 4096, level: 4 },
      ],
    });
    const seen = walk(memory, 16, 48, { upper: upper.root });
    expect(seen.tables).toEqual([
      { pfn: upper.root / 4096, level: 4 },
      { pfn: far / 4096, level: 3 },
    ]);
    expect(seen.leaves).toEqual([]);
  });
});
