/** The human units shared by the md, ascii and svg emitters: mm.rst's notation. */
import { describe, expect, it } from "vitest";
import { formatOffset, formatSize, topUnit } from "../../src/compiler/emit/units.js";

const KB = 1n << 10n;
const MB = 1n << 20n;
const GB = 1n << 30n;
const TB = 1n << 40n;
const PB = 1n << 50n;
const TOP = 1n << 64n;
const L4 = topUnit(1n << 47n);
const L5 = topUnit(1n << 56n);

describe("units", () => {
  it("the top unit is that of a canonical half", () => {
    expect(L4.name).toBe("TB");
    expect(L5.name).toBe("PB");
  });

  it("sizes as mm.rst writes them", () => {
    expect(formatSize(128n * TB, L4)).toBe("128 TB");
    expect(formatSize(TB / 2n, L4)).toBe("0.5 TB");
    expect(formatSize(444n * GB, L4)).toBe("444 GB");
    expect(formatSize(512n * MB, L4)).toBe("512 MB");
    expect(formatSize(1520n * MB, L4)).toBe("1520 MB");
    expect(formatSize(4n * KB, L4)).toBe("4 kB");
    expect(formatSize(PB / 4n, L5)).toBe("0.25 PB");
    expect(formatSize((15n * PB) / 4n, L5)).toBe("3.75 PB");
    expect(formatSize((25n * PB) / 2n, L5)).toBe("12.5 PB");
    expect(formatSize(64n * PB, L5)).toBe("64 PB");
    expect(formatSize(2n * TB, L5)).toBe("2 TB");
  });

  it("approximate sizes are rounded and marked ~", () => {
    expect(formatSize(TOP - 2n * 128n * TB, L4)).toBe("~16M TB");
    expect(formatSize(TOP - 2n * 64n * PB, L5)).toBe("~16K PB");
    expect(formatSize(8n * PB + 252n * TB, L5)).toBe("~8 PB");
    expect(formatSize(TOP, L4)).toBe("16M TB");
  });

  it("a parameter-dependent value is marked ~", () => {
    expect(formatSize(MB, L4, true)).toBe("~1 MB");
    expect(formatOffset(TOP - 11n * MB, L4, true)).toBe("~-11 MB");
  });

  it("offsets count down from the top in the upper half, up from 0 in the lower", () => {
    expect(formatOffset(0n, L4)).toBe("0");
    expect(formatOffset(128n * TB, L4)).toBe("+128 TB");
    expect(formatOffset(64n * PB, L5)).toBe("+64 PB");
    expect(formatOffset(0xffff888000000000n, L4)).toBe("-119.5 TB");
    expect(formatOffset(0xff11000000000000n, L5)).toBe("-59.75 PB");
    expect(formatOffset(0xffffff8000000000n, L4)).toBe("-512 GB");
    expect(formatOffset(0xffffffffa0000000n, L4)).toBe("-1536 MB");
    expect(formatOffset(0xffffffffff601000n, L4)).toBe("-10236 kB");
  });

  it("an offset with no short exact form is rounded", () => {
    expect(formatOffset(0xffffffff89001000n, L4)).toBe("~-1.86 GB");
  });
});
