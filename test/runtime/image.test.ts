import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createMachine } from "../../src/runtime/machine.js";
import { exportImage, importImage, reachableTables } from "../../src/runtime/image.js";
import { Access, Mmu } from "../../src/arch/x86_64/mmu.js";
import { Mapper } from "../../src/arch/x86_64/mapper.js";
import { FrameAllocator } from "../../src/arch/frame-allocator.js";
import { PhysicalMemory } from "../../src/arch/physical-memory.js";
import { PAGE_1G, PAGE_2M, PAGE_4K } from "../../src/arch/x86_64/entry.js";
import { x86_64 } from "../../src/arch/x86_64/arch.js";

const GiB = 1n << 30n;

function build(levels: 4 | 5) {
  const m = createMachine({ levels });
  m.mapper.mapRange(0xffff_8880_0000_0000n, 0, 4n * GiB, PAGE_2M, { writable: true, global: true });
  m.mapper.mapRange(0xffff_ffff_8000_0000n, 0x100_0000, 64n << 20n, PAGE_4K, { global: true });
  m.mapper.map(0x40_0000n, 0x7000, PAGE_4K, { user: true, writable: true });
  m.mapper.map(0x40_0000_0000n, 0x4000_0000, PAGE_1G, { user: true, noExecute: true });
  m.mapper.mapRecursive(510, { noExecute: true });
  return m;
}

describe("page-table image", () => {
  for (const levels of [4, 5] as const) {
    it(`${levels}-level: export / import round trip keeps every translation`, () => {
      const m = build(levels);
      const ex = exportImage(m.mapper);
      if (!ex.ok) throw new Error(ex.error.kind);
      const img = ex.value;
      expect(img.imageBase).toBe(0x100_0000);
      expect(img.imageBytes).toBe(m.allocator.framesUsed * 4096);
      expect(img.bytes.length).toBe(img.imageBytes);
      expect(img.cr3).toBe(m.mapper.cr3);

      // Little-endian layout: the first entry of the root as bytes equals read64.
      const rootOff = Number(img.cr3) - img.imageBase;
      const dv = new DataView(img.bytes.buffer, img.bytes.byteOffset);
      for (let i = 0; i < 512; i++) {
        expect(dv.getBigUint64(rootOff + 8 * i, true)).toBe(
          m.memory.read64(img.cr3 + 8n * BigInt(i)),
        );
      }

      const im = importImage(img);
      if (!im.ok) throw new Error(im.error.kind);
      const { memory, allocator, mapper, cr3 } = im.value;
      expect(allocator.framesPerLevel()).toEqual(m.allocator.framesPerLevel());
      expect(allocator.bytesUsed).toBe(img.imageBytes);
      const mmu = new Mmu({ memory, levels, cr3 });
      const probes = [
        0xffff_8880_0000_0000n,
        0xffff_8880_ffff_fff8n,
        0xffff_8883_ffff_fff8n,
        0xffff_ffff_8123_4567n,
        0x40_0123n,
        0x40_1234_5678n,
        0x1234_5000n,
      ];
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (rnd) => {
          for (const va of [...probes, rnd]) {
            for (const a of [Access.read, Access.userWrite, Access.fetch]) {
              expect(mmu.probe(va, a)).toEqual(m.mmu.probe(va, a));
            }
          }
        }),
        { numRuns: 200 },
      );
      // The imported mapper keeps working and allocates after the image.
      expect(mapper.map(0xffff_c900_0000_0000n, 0x9000, PAGE_4K).ok).toBe(true);
      expect(allocator.bytesUsed).toBeGreaterThan(img.imageBytes);
      // Re-export of the untouched original is byte-identical.
      const again = exportImage(m.mapper);
      expect(again.ok && Buffer.compare(again.value.bytes, img.bytes)).toBe(0);
    });
  }

  it("counts reachable tables per level, a recursive slot not relabelling the root", () => {
    const m = build(4);
    const t = reachableTables(m.memory, m.mapper.cr3, x86_64(4));
    const perLevel = [0, 0, 0, 0, 0, 0];
    for (const l of t.values()) perLevel[l]!++;
    const fl = m.allocator.framesPerLevel();
    expect(perLevel.slice(1, 5)).toEqual([fl[1], fl[2], fl[3], fl[4]]);
    expect(t.get(m.mapper.root / 4096)).toBe(4);
  });

  it("rejects tables outside the image and malformed images", () => {
    const memory = new PhysicalMemory();
    const pool = new FrameAllocator(memory, { base: 0x100_0000 });
    const other = new FrameAllocator(memory, { base: 0x800_0000 });
    const root = new Mapper(memory, { allocator: pool });
    // A table allocated from another pool, linked by hand.
    const foreign = new Mapper(memory, { allocator: other, root: root.root });
    foreign.map(0x1000n, 0, PAGE_4K);
    const ex = exportImage(root);
    expect(ex).toMatchObject({ ok: false, error: { kind: "table-outside-image", level: 3 } });

    const good = exportImage(build(4).mapper);
    if (!good.ok) throw new Error("export");
    const img = good.value;
    expect(importImage({ ...img, imageBase: img.imageBase + 8 })).toMatchObject({ ok: false });
    expect(importImage({ ...img, bytes: img.bytes.subarray(4096) })).toMatchObject({ ok: false });
    expect(importImage({ ...img, cr3: 0x1000n })).toMatchObject({ ok: false });
    expect(importImage({ ...img, cr3: 1n << 60n })).toMatchObject({ ok: false });
  });
});

describe("physical memory", () => {
  it("is sparse, zero by default, and stores entries as little-endian word pairs", () => {
    const mem = new PhysicalMemory();
    expect(mem.read64(0x1234_5678_9000n)).toBe(0n);
    expect(mem.frameCount).toBe(0);
    mem.write64(0x1008, 0x8000_0000_1234_5067n);
    expect(mem.frameCount).toBe(1);
    expect(mem.readLo(0x1008)).toBe(0x1234_5067);
    expect(mem.readHi(0x1008)).toBe(0x8000_0000);
    expect(mem.read32(0x100c)).toBe(0x8000_0000);
    expect([...mem.readBytes(0x1008, 8)]).toEqual([0x67, 0x50, 0x34, 0x12, 0, 0, 0, 0x80]);
    mem.writeBytes(0x100e, new Uint8Array([0xaa, 0xbb, 0xcc]));
    expect(mem.read64(0x1008)).toBe(0xbbaa_0000_1234_5067n);
    expect(mem.read64(0x1010)).toBe(0xccn);
    expect(mem.frameNumbers()).toEqual([1]);
    expect(() => mem.read64(0x1004)).toThrow(RangeError);
    expect(() => mem.write64(2 ** 52, 0n)).toThrow(RangeError);
    mem.write64((1n << 52n) - 8n, -1n);
    expect(mem.read64((1n << 52n) - 8n)).toBe((1n << 64n) - 1n);
    mem.releaseFrame(1);
    expect(mem.read64(0x1008)).toBe(0n);
  });

  it("round-trips 64-bit values", () => {
    const mem = new PhysicalMemory();
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 49n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (slot, v) => {
          mem.write64(slot * 8n, v);
          expect(mem.read64(slot * 8n)).toBe(v);
        },
      ),
    );
  });
});

describe("frame allocator", () => {
  it("bump-allocates zeroed frames from a contiguous pool and counts them per level", () => {
    const mem = new PhysicalMemory();
    mem.write64(0x100_1000 + 16, 0xdeadn); // garbage where the 2nd frame will be
    const a = new FrameAllocator(mem, { bytes: 3 * 4096 });
    expect(a.base).toBe(0x100_0000);
    expect(a.allocate(4)).toBe(0x100_0000);
    expect(a.allocate(1)).toBe(0x100_1000);
    expect(mem.read64(0x100_1000 + 16)).toBe(0n);
    expect(a.allocate(1)).toBe(0x100_2000);
    expect(a.allocate(1)).toBeUndefined();
    expect(a.framesUsed).toBe(3);
    expect(a.framesFree).toBe(0);
    expect(a.framesPerLevel()).toEqual({ 1: 2, 2: 0, 3: 0, 4: 1, 5: 0 });
    expect(() => new FrameAllocator(mem, { base: 0x100_0800 })).toThrow(RangeError);
    expect(() => new FrameAllocator(mem, { bytes: 100 })).toThrow(RangeError);
  });

  it("pools can live anywhere below MAXPHYADDR", () => {
    const m = createMachine({ poolBase: 0x3f_0000_0000, maxPhyAddr: 39 });
    expect(m.mapper.root).toBe(0x3f_0000_0000);
    expect(m.mapper.map(0x1000n, 0x2000, PAGE_4K).ok).toBe(true);
    expect(m.mmu.probe(0x1000n, Access.read)).toMatchObject({ ok: true, pa: 0x2000n });
  });
});
