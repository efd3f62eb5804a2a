import { describe, expect, it } from "vitest";
import { MapBit } from "../../src/arch/arch.js";
import { type StopReason, walkTables } from "../../src/arch/walk.js";
import { x86_64 } from "../../src/arch/x86_64/arch.js";
import { Flag, PAGE_1G, PAGE_2M, PAGE_4K } from "../../src/arch/x86_64/entry.js";
import { Mapper } from "../../src/arch/x86_64/mapper.js";
import { PhysicalMemory } from "../../src/arch/physical-memory.js";

interface Seen {
  leaves: { va: bigint; level: number; pages: number; pa: number; rights: number }[];
  stops: { va: bigint; level: number; reason: StopReason }[];
  tables: { pfn: number; level: number }[];
  gaps: bigint[];
  stopped: number;
}

function walk(mapper: Mapper): Seen {
  const seen: Seen = { leaves: [], stops: [], tables: [], gaps: [], stopped: 0 };
  const va = (vpn: number): bigint => BigInt(vpn) << 12n;
  walkTables(
    { arch: x86_64(mapper.levels), memory: mapper.memory, root: mapper.cr3, physAddrBits: 46 },
    {
      table: (pfn, level) => void seen.tables.push({ pfn, level }),
      gap: (vpn) => void seen.gaps.push(va(vpn)),
      leaf: (vpn, level, pages, pa, rights) =>
        void seen.leaves.push({ va: va(vpn), level, pages, pa, rights }),
      stop: (vpn, level, reason) => void seen.stops.push({ va: va(vpn), level, reason }),
      stopped: () => void seen.stopped++,
    },
  );
  return seen;
}

function mapOk(r: { ok: boolean }): void {
  expect(r.ok).toBe(true);
}

describe("the page-table walker", () => {
  it("reports every leaf top-down in address order, lower half first, with canonical addresses", () => {
    const m = new Mapper(new PhysicalMemory(), { levels: 4 });
    mapOk(m.map(0xffff_ffff_8000_0000n, 0x20_0000n, PAGE_2M, { writable: true, global: true }));
    mapOk(m.map(0x40_0000n, 0x5000n, PAGE_4K, { user: true }));
    mapOk(m.map(0xffff_8880_0000_0000n, 0n, PAGE_1G, { writable: true, noExecute: true }));
    const seen = walk(m);
    expect(seen.leaves).toEqual([
      { va: 0x40_0000n, level: 1, pages: 1, pa: 0x5000, rights: MapBit.U },
      {
        va: 0xffff_8880_0000_0000n,
        level: 3,
        pages: 512 * 512,
        pa: 0,
        rights: MapBit.W | MapBit.NX,
      },
      {
        va: 0xffff_ffff_8000_0000n,
        level: 2,
        pages: 512,
        pa: 0x20_0000,
        rights: MapBit.W,
      },
    ]);
    // The hole between the halves is announced once, at its first address.
    expect(seen.gaps).toEqual([0x0000_8000_0000_0000n]);
    expect(seen.tables[0]).toEqual({ pfn: m.root / 4096, level: 4 });
    expect(seen.stops).toEqual([]);
  });

  it("carries restrictive upper entries down to the leaves (effective rights)", () => {
    const m = new Mapper(new PhysicalMemory(), {
      levels: 5,
      tableFlags: { writable: false, user: true },
    });
    mapOk(m.map(0x1000n, 0x1000n, PAGE_4K, { writable: true, user: true }));
    expect(walk(m).leaves.map((l) => l.rights)).toEqual([MapBit.U]);
  });

  it("stops at self-references, cycles and malformed entries, and reports each", () => {
    const memory = new PhysicalMemory();
    const m = new Mapper(memory, { levels: 4 });
    mapOk(m.mapRecursive(510));
    mapOk(m.map(0x1000n, 0x1000n, PAGE_4K));
    mapOk(m.map(0x20_0000n, 0x2000n, PAGE_4K));
    // Entry 1 of the PD points back at the PDPT above it: a cycle.
    const pml4e = memory.read64(m.root);
    const pdpt = Number(pml4e & 0x000f_ffff_ffff_f000n);
    const pd = Number(memory.read64(pdpt) & 0x000f_ffff_ffff_f000n);
    memory.write64(pd + 8, BigInt(pdpt) | Flag.P | Flag.RW);
    // A reserved bit (51) in the PDE of 0x20_0000's neighbour at index 2.
    memory.write64(pd + 16, (1n << 51n) | 0x9000n | Flag.P);
    const seen = walk(m);
    expect(seen.stops).toEqual([
      { va: 0x20_0000n, level: 2, reason: "cycle" },
      { va: 0x40_0000n, level: 2, reason: "malformed" },
      { va: 0xffff_ff00_0000_0000n, level: 4, reason: "self" },
    ]);
    expect(seen.leaves.map((l) => l.va)).toEqual([0x1000n]);
  });

  it("reads a table outside memory as empty, never throwing", () => {
    const memory = new PhysicalMemory();
    const m = new Mapper(memory, { levels: 4 });
    // A PML4E pointing at a frame nothing ever wrote (1 TiB up).
    memory.write64(m.root, (1n << 40n) | Flag.P | Flag.RW);
    const seen = walk(m);
    expect(seen.tables).toEqual([
      { pfn: m.root / 4096, level: 4 },
      { pfn: 2 ** 28, level: 3 },
    ]);
    expect(seen.leaves).toEqual([]);
  });

  it("bounds the visits of a graph of aliased tables and says so once", () => {
    const memory = new PhysicalMemory();
    const m = new Mapper(memory, { levels: 4 });
    const [t3, t2] = [3, 2].map((l) => m.allocator.allocate(l as 2 | 3)!);
    for (let i = 0; i < 512; i++) {
      if (i < 256) memory.write64(m.root + i * 8, BigInt(t3!) | Flag.P);
      memory.write64(t3! + i * 8, BigInt(t2!) | Flag.P);
    }
    // 256 * 512 visits of the same PD without a bound; nothing under it.
    const seen = walk(m);
    expect(seen.stopped).toBe(1);
    expect(seen.tables.length).toBeLessThan(256 * 512);
    expect(seen.tables.length).toBeGreaterThan(1 << 16);
  });
});
