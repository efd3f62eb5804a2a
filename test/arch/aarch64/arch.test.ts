import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { aarch64 } from "../../../src/arch/aarch64/arch.js";
import {
  Hi,
  Lo,
  outputAddress,
  rootEntries,
  startLevel,
  withOutputAddress,
} from "../../../src/arch/aarch64/entry.js";
import { EntryKind, MapBit } from "../../../src/arch/arch.js";
import { GRANULES, VA_SIZES } from "./helpers.js";

const TOP = 1n << 64n;
const u64 = fc.bigInt({ min: 0n, max: TOP - 1n });

describe("the arch seam for AArch64", () => {
  it("halves are TTBR0's (bits 63..VA all 0) and TTBR1's (all 1), not sign extension", () => {
    const arch = aarch64(4, 48);
    expect(arch.name).toBe("aarch64");
    expect(arch.mode).toBe("4K granule, 48-bit VA");
    expect(arch.halves).toEqual([
      { start: 0n, end: 1n << 48n },
      { start: 0xffff_0000_0000_0000n, end: TOP },
    ]);
    // x86 would call 0x0000_8000_0000_0000 non-canonical; TTBR0 translates it.
    expect(arch.isCanonical(0x0000_8000_0000_0000n)).toBe(true);
    expect(arch.isCanonical(0xffff_7fff_ffff_ffffn)).toBe(true);
    expect(arch.isCanonical(0x0001_0000_0000_0000n)).toBe(false);
    expect(arch.isCanonical(0xfffe_ffff_ffff_ffffn)).toBe(false);
    expect(arch.canonicalize(0x0081_2345_6789_a000n)).toBe(0xffff_2345_6789_a000n);
    expect(arch.canonicalize(0x0101_2345_6789_a000n)).toBe(0x0000_2345_6789_a000n);
  });

  it("canonical means: inside one of the halves, and canonicalize lands in one", () => {
    for (const vaBits of VA_SIZES) {
      const arch = aarch64(64, vaBits);
      fc.assert(
        fc.property(u64, (va) => {
          expect(arch.isCanonical(va)).toBe(arch.halves.some((h) => va >= h.start && va < h.end));
          const c = arch.canonicalize(va);
          expect(arch.isCanonical(c)).toBe(true);
          expect(BigInt.asUintN(vaBits, c)).toBe(BigInt.asUintN(vaBits, va));
        }),
      );
    }
  });

  it("starting levels per granule and VA size (Arm ARM D8.2)", () => {
    const table = GRANULES.map((g) => VA_SIZES.map((v) => startLevel(g, v)));
    expect(table).toEqual([
      [1, 0, 0, 0, -1],
      [1, 1, 1, 0, 0],
      [2, 2, 1, 1, 1],
    ]);
    expect(rootEntries(4, 48)).toBe(512);
    expect(rootEntries(16, 48)).toBe(2);
    expect(rootEntries(64, 48)).toBe(64);
    expect(rootEntries(4, 52)).toBe(16);
    expect(rootEntries(16, 52)).toBe(32);
    expect(rootEntries(64, 52)).toBe(1024);
    for (const g of GRANULES)
      for (const v of VA_SIZES) expect(aarch64(g, v).levels).toBe(4 - startLevel(g, v));
  });

  it("page and block sizes per granule; 52-bit VA adds LPA2's and LPA's large blocks", () => {
    const sizes = (g: 4 | 16 | 64, v: 48 | 52 | 39) => aarch64(g, v).pageSizes;
    expect(sizes(4, 48)).toEqual([1n << 12n, 1n << 21n, 1n << 30n]);
    expect(sizes(4, 39)).toEqual([1n << 12n, 1n << 21n, 1n << 30n]);
    expect(sizes(4, 52)).toEqual([1n << 12n, 1n << 21n, 1n << 30n, 1n << 39n]);
    expect(sizes(16, 48)).toEqual([1n << 14n, 1n << 25n]);
    expect(sizes(16, 52)).toEqual([1n << 14n, 1n << 25n, 1n << 36n]);
    expect(sizes(64, 48)).toEqual([1n << 16n, 1n << 29n]);
    expect(sizes(64, 52)).toEqual([1n << 16n, 1n << 29n, 1n << 42n]);
    expect(aarch64(4, 48).entryName(4)).toBe("level 0 descriptor");
    expect(aarch64(16, 48).levelShift(4)).toBe(47);
  });

  it("output addresses round-trip through each descriptor layout", () => {
    const pa = fc.bigInt({ min: 0n, max: (1n << 52n) - 1n });
    for (const [granule, oa, bits] of [
      [4, "48", 48],
      [64, "48", 48],
      [64, "52-64K", 52],
      [4, "52-LPA2", 52],
      [16, "52-LPA2", 52],
    ] as const) {
      const shift = granule === 4 ? 12 : granule === 16 ? 14 : 16;
      fc.assert(
        fc.property(pa, (raw) => {
          const aligned = BigInt.asUintN(bits, raw) & ~((1n << BigInt(shift)) - 1n);
          const [lo, hi] = withOutputAddress(
            { granule, oa },
            Number(aligned),
            Lo.VALID | Lo.AF,
            Hi.UXN,
          );
          expect(outputAddress({ granule, oa }, lo, hi, shift)).toBe(Number(aligned));
          expect(lo & (Lo.VALID | Lo.AF)).toBe(Lo.VALID | Lo.AF);
          expect(hi & Hi.UXN).toBe(Hi.UXN);
        }),
      );
    }
    // Where the 64K and LPA2 layouts put the top bits.
    expect(withOutputAddress({ granule: 64, oa: "52-64K" }, 0xa_0000_0001_0000, 0, 0)).toEqual([
      0xa000 + 0x1_0000,
      0,
    ]);
    expect(withOutputAddress({ granule: 4, oa: "52-LPA2" }, 0xf_0000_0000_1000, 0, 0)).toEqual([
      0x1300, 0x3_0000,
    ]);
  });

  it("the walker's format: kinds by bits[1:0] and level, blocks only where the granule has them", () => {
    const f = aarch64(4, 48).tableFormat(48);
    expect(f.entriesPerTable).toBe(512);
    expect(aarch64(16, 48).tableFormat(48).entriesPerTable).toBe(2048);
    expect(aarch64(64, 48).tableFormat(48).entriesPerTable).toBe(8192);
    expect(f.kind(0, 0, 1)).toBe(EntryKind.Absent);
    expect(f.kind(Lo.TABLE, 0, 2)).toBe(EntryKind.Absent);
    expect(f.kind(Lo.VALID | Lo.TABLE, 0, 1)).toBe(EntryKind.Leaf);
    expect(f.kind(Lo.VALID | Lo.TABLE, 0, 2)).toBe(EntryKind.Table);
    expect(f.kind(Lo.VALID, 0, 2)).toBe(EntryKind.Leaf);
    expect(f.kind(Lo.VALID, 0, 3)).toBe(EntryKind.Leaf);
    expect(f.kind(Lo.VALID, 0, 1)).toBe(EntryKind.Malformed);
    expect(f.malformation(Lo.VALID, 0, 4)).toMatch(/block descriptor at level 0/);
    expect(aarch64(4, 52).tableFormat(52).kind(Lo.VALID, 0, 4)).toBe(EntryKind.Leaf);
    expect(f.kind(Lo.VALID | 0x4000_0000, 0, 3)).toBe(EntryKind.Leaf);
    expect(aarch64(4, 48).tableFormat(40).malformation(Lo.VALID, 0x100, 3)).toMatch(/40-bit/);
    expect(f.leafAddress(Lo.VALID | 0x4020_0000 | Lo.AF, 0x12, 2)).toBe(0x12_4020_0000);
    expect(f.nextTable(Lo.VALID | Lo.TABLE | 0x4000_3000, 0)).toBe(0x4_0003);
    // TTBR bits 63:48 are the ASID.
    expect(f.rootAddress(0x0001_0000_4000_3000n)).toBe(0x4000_3000);
    // BADDR[51:48] in TTBR bits 5:2 with a 52-bit OA.
    expect(
      aarch64(64, 52)
        .tableFormat(52)
        .rootAddress(0x0001_0000_4001_0000n | (0xan << 2n)),
    ).toBe(0xa_0000_4001_0000);
    // 64K granule, 48-bit VA: a root of 64 entries (512 bytes) inside a frame.
    expect(aarch64(64, 48).tableFormat(48).rootAddress(0x4000_0a00n)).toBe(0x4000_0a00);
    expect(aarch64(64, 48).tableFormat(48).rootAddress(0x4000_0a40n)).toBe(0x4000_0a00);
  });

  it("rights: APTable, UXNTable/PXNTable inherited down to the leaf, AP and XN of the owner there", () => {
    const f = aarch64(4, 48).tableFormat(48);
    const root = MapBit.W | MapBit.U;
    const table = (hi: number) => f.inherit(root, Lo.VALID | Lo.TABLE, hi, 3);
    const page = (rights: number, lo: number, hi = 0) =>
      f.inherit(rights, Lo.VALID | Lo.TABLE | lo, hi, 1);
    expect(page(table(0), Lo.AP_EL0)).toBe(root);
    expect(page(table(0), 0)).toBe(MapBit.W);
    expect(page(table(0), Lo.AP_RO | Lo.AP_EL0)).toBe(MapBit.U);
    expect(page(table(Hi.AP_TABLE_RO), Lo.AP_EL0)).toBe(MapBit.U);
    expect(page(table(Hi.AP_TABLE_NO_EL0), Lo.AP_EL0)).toBe(MapBit.W);
    // An EL0 page is NX if UXN (or UXNTable); an EL1 page if PXN (or PXNTable).
    expect(page(table(0), Lo.AP_EL0, Hi.PXN)).toBe(root);
    expect(page(table(0), Lo.AP_EL0, Hi.UXN)).toBe(root | MapBit.NX);
    expect(page(table(Hi.UXN_TABLE), Lo.AP_EL0)).toBe(root | MapBit.NX);
    expect(page(table(Hi.UXN_TABLE), 0)).toBe(MapBit.W);
    expect(page(table(Hi.PXN_TABLE), 0)).toBe(MapBit.W | MapBit.NX);
    // A table's own AP bits (7:6) are ignored.
    expect(f.inherit(root, Lo.VALID | Lo.TABLE | Lo.AP_RO, 0, 2)).toBe(root);
    expect(f.leafAttributes(Lo.VALID | Lo.NG, 0, 1)).toBe(0);
    expect(f.leafAttributes(Lo.VALID, 0, 1)).toBe(MapBit.G);
  });

  it("ptdump columns and level names as Linux arch/arm64/mm/ptdump.c prints them", () => {
    const p = aarch64(4, 48).ptdump;
    expect([1, 2, 3, 4].map((l) => p.levelName(l))).toEqual(["PTE", "PMD", "PUD", "PGD"]);
    expect([1, 2, 3].map((l) => aarch64(64, 48).ptdump.levelName(l))).toEqual([
      "PTE",
      "PMD",
      "PGD",
    ]);
    expect([1, 2].map((l) => aarch64(64, 42).ptdump.levelName(l))).toEqual(["PTE", "PGD"]);
    expect([1, 2, 3, 4, 5].map((l) => aarch64(4, 52).ptdump.levelName(l))).toEqual([
      "PTE",
      "PMD",
      "PUD",
      "P4D",
      "PGD",
    ]);
    // 0xffff000000400000-0xffff000002400000  32M PMD  ro NX SHD AF BLK UXN MEM/NORMAL
    const block = [Lo.VALID | Lo.AP_RO | Lo.SH | Lo.AF, Hi.PXN | Hi.UXN] as const;
    expect(p.flags(...block, 2).replace(/ +/g, " ")).toBe(
      "  ro NX SHD AF BLK UXN MEM/NORMAL".replace(/ +/g, " "),
    );
    expect(p.flags(...block, 2)).toBe(
      `       ro NX SHD AF${" ".repeat(8)}BLK UXN${" ".repeat(4)}MEM/NORMAL`,
    );
    const page = [Lo.VALID | Lo.TABLE | Lo.AP_EL0 | Lo.NG | Lo.AF | (4 << 2), 0] as const;
    expect(p.flags(...page, 1)).toBe(
      `   USR RW x${" ".repeat(6)}AF NG${" ".repeat(16)}DEVICE/nGnRE`,
    );
    expect(p.runKey(...block, 2)).not.toBe(p.runKey(block[0], Hi.PXN, 2));
    expect(p.runKey(...block, 2)).toBe(p.runKey(block[0], block[1] | Hi.PXN_TABLE, 2));
    expect(p.notPresent).toBe("");
  });
});
