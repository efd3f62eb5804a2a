import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EntryKind, MapBit } from "../../src/arch/arch.js";
import { archOf, pagingOfLevels } from "../../src/arch/registry.js";
import { Flag } from "../../src/arch/x86_64/entry.js";

const TWO_64 = 1n << 64n;
const u64 = fc.bigInt({ min: 0n, max: TWO_64 - 1n });

/** The words of a 64-bit entry. */
const words = (e: bigint): [number, number] => [Number(e & 0xffff_ffffn), Number(e >> 32n)];

describe("the arch seam for x86-64", () => {
  it.each([
    [4, 48, 0x0000_7fff_ffff_ffffn, 0xffff_8000_0000_0000n],
    [5, 57, 0x00ff_ffff_ffff_ffffn, 0xff00_0000_0000_0000n],
  ] as const)("%d-level paging: halves end at bit %d", (levels, vaBits, lowerLast, upperStart) => {
    const arch = archOf(pagingOfLevels(levels));
    expect(arch.name).toBe("x86_64");
    expect(arch.mode).toBe(`${levels}-level paging`);
    expect(arch.vaBits).toBe(vaBits);
    expect(arch.halves).toEqual([
      { start: 0n, end: lowerLast + 1n },
      { start: upperStart, end: TWO_64 },
    ]);
    for (const [va, canonical] of [
      [0n, true],
      [lowerLast, true],
      [lowerLast + 1n, false],
      [upperStart - 1n, false],
      [upperStart, true],
      [TWO_64 - 1n, true],
    ] as const) {
      expect(arch.isCanonical(va), va.toString(16)).toBe(canonical);
    }
    expect(arch.canonicalize(lowerLast + 1n)).toBe(upperStart);
  });

  it("canonical means: inside one of the halves, and canonicalize lands in one", () => {
    for (const levels of [4, 5] as const) {
      const arch = archOf(pagingOfLevels(levels));
      fc.assert(
        fc.property(u64, (va) => {
          const inHalf = arch.halves.some((h) => va >= h.start && va < h.end);
          expect(arch.isCanonical(va)).toBe(inHalf);
          const c = arch.canonicalize(va);
          expect(arch.isCanonical(c)).toBe(true);
          // The translated bits are kept.
          expect(BigInt.asUintN(arch.vaBits, c)).toBe(BigInt.asUintN(arch.vaBits, va));
        }),
      );
    }
  });

  it("leaves map 4 KiB, 2 MiB and 1 GiB pages at levels 1..3 and nothing above", () => {
    const arch = archOf(pagingOfLevels(5));
    expect(arch.pageSizes).toEqual([0x1000n, 0x20_0000n, 0x4000_0000n]);
    expect([1, 2, 3, 4, 5].map((l) => arch.leafSize(l))).toEqual([
      0x1000n,
      0x20_0000n,
      0x4000_0000n,
      undefined,
      undefined,
    ]);
    expect([1, 2, 3, 4, 5].map((l) => arch.levelShift(l))).toEqual([12, 21, 30, 39, 48]);
    expect([1, 2, 3, 4, 5].map((l) => arch.entryName(l))).toEqual([
      "PTE",
      "PDE",
      "PDPTE",
      "PML4E",
      "PML5E",
    ]);
  });

  it("the table format classifies entries as the SDM's walk does (4.5.4)", () => {
    const f = archOf(pagingOfLevels(4)).tableFormat(46);
    const kind = (e: bigint, level: number) => f.kind(...words(e), level);
    const frame = 0x12_3456_7000n;
    expect(kind(frame, 1)).toBe(EntryKind.Absent);
    expect(kind(frame | Flag.P, 1)).toBe(EntryKind.Leaf);
    expect(kind(frame | Flag.P, 2)).toBe(EntryKind.Table);
    expect(kind(0x4000_0000n | Flag.P | Flag.PS, 3)).toBe(EntryKind.Leaf);
    expect(kind(0x4000_0000n | Flag.P | Flag.PS | (1n << 13n), 3)).toBe(EntryKind.Malformed);
    expect(f.malformation(...words(0x4000_0000n | Flag.P | Flag.PS | (1n << 13n)), 3)).toBe(
      "bits 29:13 of a 1 GiB page entry (reserved) are set",
    );
    expect(kind(Flag.P | Flag.PS, 4)).toBe(EntryKind.Malformed);
    expect(f.malformation(...words(Flag.P | Flag.PS), 4)).toBe("PS is set in a PML4E (reserved)");
    expect(kind(Flag.P | (1n << 50n), 1)).toBe(EntryKind.Malformed);
    expect(f.malformation(...words(Flag.P | (1n << 50n)), 1)).toBe("bits 51:46 (reserved) are set");
    expect(f.nextTable(...words(frame | Flag.P))).toBe(Number(frame >> 12n));
    expect(f.leafAddress(...words(0x4000_0000n | Flag.P | Flag.PS | Flag.PAT_LARGE), 3)).toBe(
      0x4000_0000,
    );
    expect(f.rootAddress(frame | 0x18n)).toBe(Number(frame));
  });

  it("rights combine down the walk: R/W and U/S with AND, XD with OR (SDM 4.6.1)", () => {
    const f = archOf(pagingOfLevels(4)).tableFormat(46);
    const all = MapBit.W | MapBit.U;
    expect(f.inherit(all, ...words(Flag.P | Flag.RW | Flag.US), 1)).toBe(all);
    expect(f.inherit(all, ...words(Flag.P | Flag.US), 1)).toBe(MapBit.U);
    expect(f.inherit(MapBit.U, ...words(Flag.P | Flag.RW | Flag.US), 1)).toBe(MapBit.U);
    expect(f.inherit(all, ...words(Flag.P | Flag.RW | Flag.XD), 1)).toBe(MapBit.W | MapBit.NX);
    expect(f.inherit(MapBit.NX, ...words(Flag.P | Flag.RW), 1)).toBe(MapBit.NX);
    expect(f.leafAttributes(...words(Flag.P | Flag.G | Flag.PCD | Flag.PAT_4K), 1)).toBe(
      MapBit.G | MapBit.PCD | MapBit.PAT,
    );
    // Bit 7 is PS above a PTE; PAT of a large page is bit 12.
    expect(f.leafAttributes(...words(Flag.P | Flag.PS | Flag.PWT), 2)).toBe(MapBit.PWT);
  });
});
