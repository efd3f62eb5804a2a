/**
 * The flat physical memory (window + slots in one array) and what depends on its layout: the
 * allocator's window, machines on reused memory, and the walk's fast path (tables in the window)
 * against its checked path (the same tables in slots).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PAGE_1G, PAGE_2M, PAGE_4K, type PageSize } from "../../src/arch/x86_64/entry.js";
import { FrameAllocator } from "../../src/arch/frame-allocator.js";
import { exportImage } from "../../src/runtime/image.js";
import { createMachine } from "../../src/runtime/machine.js";
import { Access, Mmu } from "../../src/arch/x86_64/mmu.js";
import { FRAME_SIZE, PhysicalMemory } from "../../src/arch/physical-memory.js";

const FRAMES_4G = 2 ** 20;

describe("physical memory window", () => {
  it("holds a bump allocator's frames in order, other frames in slots", () => {
    const mem = new PhysicalMemory();
    mem.write64(0x5000, 0x1234n); // a slot
    const a = new FrameAllocator(mem, { base: 0x100_0000, bytes: 64 * FRAME_SIZE });
    for (let i = 0; i < 40; i++) a.allocate(1);
    expect(mem.windowPfn).toBe(0x1000);
    expect(mem.windowFrames).toBe(40);
    expect(mem.offsetOf(0x1000 + 39)).toBe(39 * 1024);
    expect(mem.frameCount).toBe(41);
    expect(mem.frameNumbers().slice(0, 2)).toEqual([5, 0x1000]);
    expect(mem.read64(0x5000)).toBe(0x1234n);
    // A frame never written reads as zeros, through a frame that stays zero.
    expect(mem.hasFrame(0x9999)).toBe(false);
    expect(mem.words[mem.offsetOf(0x9999)]).toBe(0);
  });

  it("keeps every frame's words when it grows, and zeroes what it hands out", () => {
    const mem = new PhysicalMemory();
    const a = new FrameAllocator(mem, { base: 0x100_0000, bytes: 4096 * FRAME_SIZE });
    const root = a.allocate(4)!;
    mem.write64(root + 8, 0xdead_beefn);
    for (let s = 0; s < 50; s++) mem.write64(0x2_0000_0000 + s * FRAME_SIZE, BigInt(s + 1));
    // Frames where the window will grow to are written first: they are slots until then.
    mem.write64(0x100_0000 + 3 * FRAME_SIZE, 0xffn);
    for (let i = 0; i < 3000; i++) a.allocate(1);
    expect(mem.windowFrames).toBe(3001);
    expect(mem.read64(root + 8)).toBe(0xdead_beefn);
    expect(mem.read64(0x100_0000 + 3 * FRAME_SIZE)).toBe(0n);
    for (let s = 0; s < 50; s++)
      expect(mem.read64(0x2_0000_0000 + s * FRAME_SIZE)).toBe(BigInt(s + 1));
    mem.releaseFrame(0x20_0000);
    expect(mem.read64(0x2_0000_0000)).toBe(0n);
    expect(mem.frameCount).toBe(3001 + 49);
  });

  it("ends at a 4 GiB boundary: the frames past it get slots", () => {
    const mem = new PhysicalMemory();
    const base = (FRAMES_4G - 2) * FRAME_SIZE;
    const a = new FrameAllocator(mem, { base, bytes: 4 * FRAME_SIZE });
    a.reserve(4);
    for (let i = 0; i < 4; i++) mem.write64(a.allocate(1)! + 8, BigInt(i + 1));
    expect(mem.windowFrames).toBe(2);
    expect(mem.frameCount).toBe(4);
    for (let i = 0; i < 4; i++) expect(mem.read64(base + i * FRAME_SIZE + 8)).toBe(BigInt(i + 1));
  });
});

describe("machines on reused physical memory", () => {
  it("allocate their tables again, zeroed, and translate only their own mappings", () => {
    const memory = new PhysicalMemory();
    const first = createMachine({ memory });
    first.mapper.mapRange(0xffff_8880_0000_0000n, 0, 64n << 20n, PAGE_4K, { writable: true });
    first.mapper.map(0x40_0000n, 0x7000, PAGE_4K, { user: true });
    const second = createMachine({ memory });
    expect(second.mapper.root).toBe(first.mapper.root);
    second.mapper.mapRange(0xffff_8880_0000_0000n, 0x100_0000, 8n << 20n, PAGE_4K);
    expect(second.allocator.framesUsed).toBe(1 + 1 + 1 + 4);
    const t = second.mmu.probe(0xffff_8880_0012_3456n, Access.read);
    expect(t).toMatchObject({ ok: true, pa: 0x112_3456n });
    expect(second.mmu.probe(0xffff_8880_0080_0000n, Access.read).ok).toBe(false);
    expect(second.mmu.probe(0x40_0000n, Access.userRead).ok).toBe(false);
  });
});

/** Random mappings of every size and flag: the tables a walk meets in the window. */
const mappings = fc.array(
  fc.record({
    slot: fc.integer({ min: 0, max: 63 }),
    size: fc.constantFrom<PageSize>(PAGE_4K, PAGE_2M, PAGE_1G),
    writable: fc.boolean(),
    user: fc.boolean(),
    noExecute: fc.boolean(),
    accessed: fc.boolean(),
    dirty: fc.boolean(),
  }),
  { minLength: 1, maxLength: 24 },
);

describe("the walk's fast path (tables in the window) equals the checked path (tables in slots)", () => {
  it("for every access, page size and flag, with A/D updates and through the TLB", () => {
    const accesses = Object.values(Access);
    fc.assert(
      fc.property(mappings, fc.boolean(), fc.boolean(), (maps, smep, smap) => {
        const m = createMachine({ smep, smap });
        // Each slot is 1 GiB of linear addresses in the lower half, 4 GiB apart physically.
        for (const { slot, size, ...flags } of maps) {
          const va = BigInt(slot) << 30n;
          m.mapper.map(
            va + (size === PAGE_1G ? 0n : BigInt(slot % 7) * BigInt(size)),
            slot * 2 ** 32,
            size,
            flags,
          );
        }
        const image = exportImage(m.mapper);
        if (!image.ok) throw new Error(image.error.kind);
        // The same tables as slots: nothing in a window.
        const slots = new PhysicalMemory();
        for (let i = 0; i < image.value.imageBytes / FRAME_SIZE; i++) {
          slots.copyFrameIn(
            image.value.imageBase / FRAME_SIZE + i,
            image.value.bytes,
            i * FRAME_SIZE,
          );
        }
        expect(slots.windowFrames).toBe(0);
        const checked = new Mmu({ memory: slots, cr3: m.mapper.cr3, smep, smap });
        for (const { slot, size } of maps) {
          const va = (BigInt(slot) << 30n) + BigInt(slot % 7) * BigInt(size) + 0x123n;
          for (const acc of accesses) {
            for (const ac of [false, true]) {
              expect(m.mmu.probe(va, acc, ac)).toEqual(checked.probe(va, acc, ac));
              const hi = Number(va >> 32n);
              const lo = Number(va & 0xffff_ffffn);
              expect(m.mmu.probeWords(hi, lo, acc, ac)).toBe(checked.probeWords(hi, lo, acc, ac));
              expect(m.mmu.accessWords(hi, lo, acc, ac)).toBe(checked.accessWords(hi, lo, acc, ac));
              expect(m.mmu.walk(va, acc, ac)).toEqual(checked.walk(va, acc, ac));
            }
          }
        }
        expect(m.mmu.tlb.entries()).toEqual(checked.tlb.entries());
        const after = exportImage(m.mapper);
        if (!after.ok) throw new Error(after.error.kind);
        for (let i = 0; i < after.value.imageBytes; i += 8) {
          const pa = after.value.imageBase + i;
          expect(slots.read64(pa)).toBe(m.memory.read64(pa));
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("physical memory backed by an image (a RAM dump)", () => {
  it("reads a frame on first use, keeps it, and never materialises zero or absent frames", () => {
    const frames = 64;
    const image = new Uint8Array(frames * FRAME_SIZE);
    image[5 * FRAME_SIZE + 8] = 0x2a; // frame 5: one set byte
    image[9 * FRAME_SIZE] = 0x01; // frame 9
    const reads: number[] = [];
    const memory = new PhysicalMemory();
    memory.backWith({
      frames,
      read: (pfn, into) => {
        reads.push(pfn);
        if (pfn < 0 || pfn >= frames) return false;
        into.set(image.subarray(pfn * FRAME_SIZE, (pfn + 1) * FRAME_SIZE));
        return true;
      },
    });
    expect(memory.backedFrames).toBe(frames);
    expect(memory.read64(5 * FRAME_SIZE + 8)).toBe(0x2an);
    expect(memory.frame(9)![0]).toBe(1);
    expect(memory.frame(7)).toBeUndefined(); // all zeros
    expect(memory.frame(1000)).toBeUndefined(); // past the image
    expect(memory.read64(7 * FRAME_SIZE)).toBe(0n);
    expect(memory.frameCount).toBe(2);
    // Each frame is read from the source once, whatever it held.
    expect(memory.frame(5)![2]).toBe(0x2a);
    memory.frame(7);
    memory.frame(1000);
    expect(reads.sort((a, b) => a - b)).toEqual([5, 7, 9, 1000]);
    expect(() => memory.backWith({ frames: 1, read: () => false })).toThrow(/not empty/);
  });
});

describe("PhysicalMemory reads of a backed image", () => {
  it("return a frame's words on the read that brings it in, when that grows the store", () => {
    // A RAM dump's table frames are read in on first use: a walk's first read of each must see
    // its entry, not the zero frame of the store it replaced.
    const frames = 256;
    const image = new Uint8Array(frames * FRAME_SIZE);
    for (let pfn = 0; pfn < frames; pfn++) {
      image[pfn * FRAME_SIZE + 8] = 0x07;
      image[pfn * FRAME_SIZE + 12] = pfn;
      image[pfn * FRAME_SIZE + 16] = 0x2a;
    }
    const memory = new PhysicalMemory();
    memory.backWith({
      frames,
      read: (pfn, into) => {
        if (pfn < 0 || pfn >= frames) return false;
        into.set(image.subarray(pfn * FRAME_SIZE, (pfn + 1) * FRAME_SIZE));
        return true;
      },
    });
    const seen: [number, number, number][] = [];
    for (let pfn = 0; pfn < 32; pfn++) seen.push([memory.readLo(pfn * FRAME_SIZE + 8), 0, 0]);
    for (let pfn = 32; pfn < 64; pfn++) seen.push([7, memory.readHi(pfn * FRAME_SIZE + 8), 0]);
    for (let pfn = 64; pfn < 96; pfn++)
      seen.push([7, pfn, memory.readBytes(pfn * FRAME_SIZE + 16, 1)[0]!]);
    expect(seen).toEqual(
      Array.from({ length: 96 }, (_, pfn) => [7, pfn < 32 ? 0 : pfn, pfn < 64 ? 0 : 0x2a]),
    );
  });
});

describe("PhysicalMemory.write32", () => {
  it("keeps a write that materialises a frame and grows the store", () => {
    const memory = new PhysicalMemory();
    // Frames far apart each take a slot; enough of them make the store grow mid-write.
    for (let i = 0; i < 64; i++) {
      const pa = 0x1_0000_0000 + i * 0x10_0000;
      memory.write32(pa, 0xd518_a200 + i);
      expect(memory.read32(pa)).toBe(0xd518_a200 + i);
    }
  });
});
