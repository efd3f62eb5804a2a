import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  Bit,
  Flag,
  Hi,
  Lo,
  PAGE_1G,
  PAGE_2M,
  PAGE_4K,
  addressMask,
  canonicalize,
  decodeEntry,
  encodeEntry,
  entryAddress,
  entryHi,
  entryLo,
  hiAddressMask,
  hiReservedMask,
  isCanonical,
  isLeaf,
  joinEntry,
  leafLevelOf,
  levelIndex,
  levelShift,
  pageSizeOfLevel,
  patIndex,
  reservedAddressMask,
  toU64,
  vpnIndex,
  type Level,
} from "../../../src/arch/x86_64/entry.js";

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const level = fc.constantFrom<Level>(1, 2, 3, 4, 5);

describe("entry bits", () => {
  it("names every architectural bit at its SDM position", () => {
    expect(Bit).toMatchObject({ P: 0, RW: 1, US: 2, PWT: 3, PCD: 4, A: 5, D: 6, PS: 7, G: 8 });
    expect(Bit.PAT_4K).toBe(7);
    expect(Bit.PAT_LARGE).toBe(12);
    expect(Bit.XD).toBe(63);
    for (const k of ["P", "RW", "US", "PWT", "PCD", "A", "D", "PS", "G", "PAT_LARGE"] as const) {
      expect(Flag[k]).toBe(1n << BigInt(Bit[k]));
      expect(Lo[k] >>> 0).toBe(1 << Bit[k]);
    }
    expect(Flag.XD).toBe(0x8000000000000000n);
    expect(Hi.XD >>> 0).toBe(0x80000000);
    expect(Flag.AVL_LO).toBe(0xe00n);
    expect(Flag.AVL_HI).toBe(0x7ff0000000000000n);
  });

  it("decodes each single bit of a PTE, a large page, a table entry", () => {
    const cases: [bigint, Level, Partial<ReturnType<typeof decodeEntry>>][] = [
      [1n << 0n, 1, { present: true }],
      [1n << 1n, 1, { writable: true }],
      [1n << 2n, 1, { user: true }],
      [1n << 3n, 1, { writeThrough: true }],
      [1n << 4n, 1, { cacheDisable: true }],
      [1n << 5n, 1, { accessed: true }],
      [1n << 6n, 1, { dirty: true }],
      [1n << 7n, 1, { pat: true, pageSize: false, leaf: true }],
      [1n << 8n, 1, { global: true }],
      [1n << 9n, 1, { available: 1 }],
      [1n << 11n, 1, { available: 4 }],
      [1n << 12n, 1, { address: 0x1000n }],
      [1n << 51n, 1, { address: 1n << 51n }],
      [1n << 52n, 1, { availableHigh: 1 }],
      [1n << 62n, 1, { availableHigh: 0x400 }],
      [1n << 63n, 1, { noExecute: true }],
      // PDE: bit 7 is PS; with PS=1 bit 12 is PAT.
      [1n << 7n, 2, { pageSize: true, pat: false, leaf: true }],
      [(1n << 7n) | (1n << 12n), 2, { pageSize: true, pat: true, address: 0n }],
      [(1n << 7n) | (1n << 21n), 2, { address: 1n << 21n }],
      [(1n << 7n) | (1n << 13n), 2, { address: 1n << 13n }], // reserved low bit shows as misalignment
      [1n << 12n, 2, { pageSize: false, pat: false, address: 0x1000n, leaf: false }],
      [(1n << 7n) | (1n << 30n), 3, { pageSize: true, leaf: true, address: 1n << 30n }],
      [1n << 7n, 4, { pageSize: true, leaf: false }],
      [1n << 7n, 5, { pageSize: true, leaf: false }],
    ];
    for (const [e, l, want] of cases)
      expect(decodeEntry(e, l), `${e.toString(16)} L${l}`).toMatchObject(want);
  });

  it("encode . decode is the identity for every 64-bit value at every level", () => {
    fc.assert(
      fc.property(u64, level, (e, l) => {
        expect(encodeEntry(decodeEntry(e, l), l)).toBe(e);
      }),
      { numRuns: 3000 },
    );
    for (let b = 0n; b < 64n; b++) {
      for (const l of [1, 2, 3, 4, 5] as const) {
        for (const e of [1n << b, (1n << b) | Flag.PS]) {
          expect(encodeEntry(decodeEntry(e, l), l)).toBe(e);
        }
      }
    }
  });

  it("encodes fields to the SDM bit positions and rejects bad fields", () => {
    expect(encodeEntry({ present: true, writable: true, user: true, noExecute: true }, 1)).toBe(
      0x8000000000000007n,
    );
    expect(encodeEntry({ present: true, pat: true }, 1)).toBe(0x81n);
    expect(encodeEntry({ present: true, pageSize: true, pat: true, address: 0x200000n }, 2)).toBe(
      0x201081n,
    );
    expect(
      encodeEntry({ present: true, pageSize: true, global: true, address: 1n << 30n }, 3),
    ).toBe(0x40000181n);
    expect(() => encodeEntry({ pat: true }, 2)).toThrow(RangeError);
    expect(() => encodeEntry({ available: 8 }, 1)).toThrow(RangeError);
    expect(() => encodeEntry({ availableHigh: 0x800 }, 1)).toThrow(RangeError);
    expect(() => encodeEntry({ address: 0x1001n }, 1)).toThrow(RangeError);
    expect(() => encodeEntry({ address: 1n << 52n }, 1)).toThrow(RangeError);
    expect(() => encodeEntry({ pageSize: true, address: 0x1000n }, 2)).toThrow(RangeError);
  });

  it("isLeaf: PTEs, and PDPTEs/PDEs with PS", () => {
    expect(isLeaf(0n, 1)).toBe(true);
    expect(isLeaf(Flag.PS, 2)).toBe(true);
    expect(isLeaf(Flag.PS, 3)).toBe(true);
    expect(isLeaf(Flag.PS, 4)).toBe(false);
    expect(isLeaf(0n, 2)).toBe(false);
  });

  it("word pairs round-trip and give addresses without bigint", () => {
    fc.assert(
      fc.property(u64, (e) => {
        const lo = entryLo(e);
        const hi = entryHi(e);
        expect(joinEntry(lo, hi)).toBe(e);
        expect(BigInt(entryAddress(lo, hi))).toBe(e & ((1n << 52n) - 1n) & ~0xfffn);
      }),
    );
  });

  it("address and reserved masks follow MAXPHYADDR", () => {
    expect(addressMask(46)).toBe(0x3ffffffff000n);
    expect(reservedAddressMask(46)).toBe(0xfc00000000000n);
    expect(addressMask(52) | reservedAddressMask(52)).toBe(0xffffffffff000n);
    for (const m of [36, 39, 46, 52]) {
      expect(BigInt(hiAddressMask(m)) << 32n).toBe(addressMask(m) & ~0xffffffffn);
      expect(BigInt(hiReservedMask(m)) << 32n).toBe(reservedAddressMask(m));
    }
  });

  it("PAT index = PAT*4 + PCD*2 + PWT (SDM 4.9.2)", () => {
    expect(patIndex(false, false, false)).toBe(0);
    expect(patIndex(false, false, true)).toBe(1);
    expect(patIndex(false, true, false)).toBe(2);
    expect(patIndex(true, true, true)).toBe(7);
  });
});

describe("levels, indices and page sizes", () => {
  it("shift = 12 + 9 * (level - 1)", () => {
    expect([1, 2, 3, 4, 5].map((l) => levelShift(l as Level))).toEqual([12, 21, 30, 39, 48]);
  });

  it("index = (va >> shift) & 511, bigint and vpn forms agree", () => {
    const va = 0xffff_8881_2345_6789n;
    expect(levelIndex(va, 4)).toBe(0x111);
    expect(levelIndex(va, 3)).toBe(0x004);
    expect(levelIndex(va, 2)).toBe(0x11a);
    expect(levelIndex(va, 1)).toBe(0x056);
    expect(levelIndex(va, 5)).toBe(0x1ff);
    fc.assert(
      fc.property(u64, level, (v, l) => {
        expect(vpnIndex(Number(v >> 12n), l)).toBe(Number((v >> BigInt(levelShift(l))) & 511n));
        expect(levelIndex(v, l)).toBe(Number((v >> BigInt(12 + 9 * (l - 1))) & 511n));
      }),
    );
  });

  it("page sizes form a closed set tied to leaf levels", () => {
    expect([PAGE_4K, PAGE_2M, PAGE_1G]).toEqual([4096, 2 * 1024 * 1024, 1024 * 1024 * 1024]);
    expect(pageSizeOfLevel(1)).toBe(PAGE_4K);
    expect(pageSizeOfLevel(2)).toBe(PAGE_2M);
    expect(pageSizeOfLevel(3)).toBe(PAGE_1G);
    expect(([PAGE_4K, PAGE_2M, PAGE_1G] as const).map(leafLevelOf)).toEqual([1, 2, 3]);
  });
});

describe("canonical addresses", () => {
  it("48-bit: bits 63:47 all equal", () => {
    expect(isCanonical(0n, 4)).toBe(true);
    expect(isCanonical(0x0000_7fff_ffff_ffffn, 4)).toBe(true);
    expect(isCanonical(0x0000_8000_0000_0000n, 4)).toBe(false);
    expect(isCanonical(0xffff_7fff_ffff_ffffn, 4)).toBe(false);
    expect(isCanonical(0xffff_8000_0000_0000n, 4)).toBe(true);
    expect(isCanonical(0xffff_ffff_ffff_ffffn, 4)).toBe(true);
    expect(isCanonical(-1n, 4)).toBe(true);
    expect(isCanonical(0x0001_0000_0000_0000n, 4)).toBe(false);
  });

  it("57-bit: bits 63:56 all equal", () => {
    expect(isCanonical(0x0000_8000_0000_0000n, 5)).toBe(true);
    expect(isCanonical(0x00ff_ffff_ffff_ffffn, 5)).toBe(true);
    expect(isCanonical(0x0100_0000_0000_0000n, 5)).toBe(false);
    expect(isCanonical(0xff00_0000_0000_0000n, 5)).toBe(true);
    expect(isCanonical(0xfeff_ffff_ffff_ffffn, 5)).toBe(false);
    expect(isCanonical(0xffff_8000_0000_0000n, 5)).toBe(true);
  });

  it("canonicalize sign-extends and is idempotent; canonical iff unchanged", () => {
    fc.assert(
      fc.property(u64, fc.constantFrom(4 as const, 5 as const), (v, l) => {
        const c = canonicalize(v, l);
        expect(isCanonical(c, l)).toBe(true);
        expect(canonicalize(c, l)).toBe(c);
        expect(isCanonical(v, l)).toBe(c === v);
        const bits = l === 5 ? 57n : 48n;
        expect(c & ((1n << bits) - 1n)).toBe(v & ((1n << bits) - 1n));
      }),
    );
    expect(toU64(-2n * 1024n ** 3n)).toBe(0xffffffff80000000n);
  });
});
