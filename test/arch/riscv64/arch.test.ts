/**
 * RISC-V Sv39/Sv48/Sv57 behind the seam: the address-space facts, the PTE classification the
 * walker relies on (privileged spec, "Virtual Address Translation Process") and Linux's riscv
 * ptdump columns. Entries are written here as bigint literals of the PTE layout
 * (V=bit 0, R=1, W=2, X=3, U=4, G=5, A=6, D=7, RSW=9:8, PPN=53:10, PBMT=62:61, N=63).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EntryKind, MapBit } from "../../../src/arch/arch.js";
import { riscv64 } from "../../../src/arch/riscv64/arch.js";
import { decodeSatp, encodeSatp } from "../../../src/arch/riscv64/entry.js";
import { PhysicalMemory } from "../../../src/arch/physical-memory.js";
import { walkTables } from "../../../src/arch/walk.js";

const TWO_64 = 1n << 64n;
const [V, R, W, X, U, G, A, D] = [1n, 2n, 4n, 8n, 16n, 32n, 64n, 128n];
const ppn = (pa: bigint): bigint => (pa >> 12n) << 10n;
const words = (e: bigint): [number, number] => [Number(e & 0xffff_ffffn) | 0, Number(e >> 32n) | 0];

describe("riscv64 behind the arch seam", () => {
  it.each([
    ["sv39", 3, 39, "Sv39"],
    ["sv48", 4, 48, "Sv48"],
    ["sv57", 5, 57, "Sv57"],
  ] as const)("%s: %d levels, sign extension from bit %d-1", (mode, levels, vaBits, name) => {
    const arch = riscv64(mode);
    expect(arch.name).toBe("riscv64");
    expect(arch.mode).toBe(name);
    expect(arch.levels).toBe(levels);
    expect(arch.vaBits).toBe(vaBits);
    const half = 1n << BigInt(vaBits - 1);
    expect(arch.halves).toEqual([
      { start: 0n, end: half },
      { start: TWO_64 - half, end: TWO_64 },
    ]);
    // Sv39: bits 63..39 equal bit 38, so 0x40_0000_0000 is not canonical but is in Sv48.
    expect(arch.isCanonical(half - 1n)).toBe(true);
    expect(arch.isCanonical(half)).toBe(false);
    expect(arch.isCanonical(TWO_64 - half)).toBe(true);
    expect(arch.canonicalize(half)).toBe(TWO_64 - half);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: TWO_64 - 1n }), (va) => {
        expect(arch.isCanonical(va)).toBe(arch.halves.some((h) => va >= h.start && va < h.end));
      }),
    );
  });

  it("a leaf may be at every level: 4 KiB, 2 MiB, 1 GiB, 512 GiB, 256 TiB", () => {
    expect(riscv64("sv39").pageSizes).toEqual([1n << 12n, 1n << 21n, 1n << 30n]);
    expect(riscv64("sv48").pageSizes).toEqual([1n << 12n, 1n << 21n, 1n << 30n, 1n << 39n]);
    const sv57 = riscv64("sv57");
    expect([1, 2, 3, 4, 5, 6].map((l) => sv57.leafSize(l))).toEqual([
      1n << 12n,
      1n << 21n,
      1n << 30n,
      1n << 39n,
      1n << 48n,
      undefined,
    ]);
    expect([1, 2, 3, 4, 5].map((l) => sv57.levelShift(l))).toEqual([12, 21, 30, 39, 48]);
    // Linux's names; the folded levels take the root's name.
    expect([1, 2, 3].map((l) => riscv64("sv39").entryName(l))).toEqual([
      "PTE entry",
      "PMD entry",
      "PGD entry",
    ]);
    expect([1, 2, 3, 4, 5].map((l) => sv57.ptdump.levelName(l))).toEqual([
      "PTE",
      "PMD",
      "PUD",
      "P4D",
      "PGD",
    ]);
  });

  it("classifies PTEs as the translation process does", () => {
    const f = riscv64("sv48").tableFormat(56);
    const kind = (e: bigint, level: number) => f.kind(...words(e), level);
    const why = (e: bigint, level: number) => f.malformation(...words(e), level);
    const table = ppn(0x8020_0000n);
    expect(kind(table | R | W, 1)).toBe(EntryKind.Absent);
    expect(kind(table | V, 2)).toBe(EntryKind.Table);
    expect(kind(table | V | R, 1)).toBe(EntryKind.Leaf);
    expect(kind(table | V | X, 1)).toBe(EntryKind.Leaf);
    expect(kind(ppn(0x4000_0000n) | V | R | W | X, 3)).toBe(EntryKind.Leaf);
    expect(kind(ppn(0x80_0000_0000n) | V | R, 4)).toBe(EntryKind.Leaf);
    const malformed: [bigint, number, string][] = [
      [table | V | W, 1, "W is set without R (a reserved encoding)"],
      [table | V | W | X, 2, "W is set without R (a reserved encoding)"],
      [table | V, 1, "R, W and X are 0 in a last-level PTE (a pointer below the last level)"],
      [table | V | A, 2, "D, A or U is set in a non-leaf PTE (reserved)"],
      [table | V | U, 3, "D, A or U is set in a non-leaf PTE (reserved)"],
      [table | V | (1n << 61n), 2, "PBMT is set in a non-leaf PTE (reserved)"],
      [table | V | R | (3n << 61n), 1, "PBMT is 3 (reserved)"],
      [table | V | R | (1n << 54n), 1, "bits 60:54 (reserved) are set"],
      [
        table | V | R | (1n << 63n),
        1,
        "N (bit 63) is set: Svnapot is not implemented, N is reserved",
      ],
      [ppn(0x20_1000n) | V | R, 2, "misaligned superpage: PPN[0:0] is not zero"],
      [ppn(0x4020_0000n) | V | R, 3, "misaligned superpage: PPN[1:0] is not zero"],
    ];
    for (const [e, level, reason] of malformed) {
      expect(kind(e, level), reason).toBe(EntryKind.Malformed);
      expect(why(e, level)).toBe(reason);
    }
    // A PPN past the physical-address width cannot be read.
    const narrow = riscv64("sv39").tableFormat(40);
    expect(narrow.kind(...words(ppn(1n << 40n) | V), 2)).toBe(EntryKind.Malformed);
    expect(narrow.kind(...words(ppn((1n << 40n) - 4096n) | V), 2)).toBe(EntryKind.Table);
    // The PPN's top bits (53:32) come from the high word.
    expect(f.nextTable(...words(ppn(0xab_cdef_0000_0000n) | V))).toBe(0xab_cdef_0000_0000 / 4096);
    expect(f.leafAddress(...words(ppn(0x1_4000_0000n) | V | R), 3)).toBe(0x1_4000_0000);
  });

  it("rights come from the leaf alone: W, U, and X instead of an NX bit; PBMT as cache bits", () => {
    const f = riscv64("sv39").tableFormat(56);
    const root = MapBit.W | MapBit.U;
    expect(f.inherit(root, ...words(V), 1)).toBe(root);
    expect(f.inherit(root, ...words(V | R), 1)).toBe(MapBit.NX);
    expect(f.inherit(root, ...words(V | R | W | X | U), 1)).toBe(MapBit.W | MapBit.U);
    expect(f.inherit(0, ...words(V | X | U), 1)).toBe(MapBit.U);
    expect(f.leafAttributes(...words(V | R | G), 1)).toBe(MapBit.G);
    expect(f.leafAttributes(...words(V | R | (1n << 61n)), 1)).toBe(MapBit.PWT);
    expect(f.leafAttributes(...words(V | R | (2n << 61n)), 1)).toBe(MapBit.PCD | MapBit.PWT);
    expect(f.rootAddress(encodeSatp("sv48", 0xbeef, 0x80123))).toBe(0x8012_3000);
    expect(decodeSatp(encodeSatp("sv57", 0xbeef, 0x80123))).toEqual({
      mode: "sv57",
      asid: 0xbeef,
      ppn: 0x80123,
    });
    expect(decodeSatp(7n << 60n).mode).toBeUndefined();
  });

  it("prints flags as Linux's arch/riscv/mm/ptdump.c does", () => {
    const p = riscv64("sv39").ptdump;
    // From the NAPOT ptdump patch's sample: `64K PTE N   ..     ..   D A G . . W R V`.
    expect(p.flags(...words(V | R | W | G | A | D | (1n << 63n)), 1)).toBe(
      " N   ..     ..   D A G . . W R V",
    );
    expect(p.flags(...words(V | R | X | (2n << 61n) | (1n << 8n)), 2)).toBe(
      " . MT(IO) RSW(1) . . . . X . R V",
    );
    expect(p.notPresent).toHaveLength(p.flags(...words(V | R), 1).length);
    const key = (e: bigint) => p.runKey(...words(e), 1);
    expect(key(ppn(0x1000n) | V | R)).toBe(key(ppn(0x2000n) | V | R));
    expect(key(V | R)).not.toBe(key(V | R | (1n << 61n)));
    expect(key(V | R)).not.toBe(key(V | R | (1n << 63n)));
  });

  it("the shared walker walks Sv39 tables: leaves at every level, both halves", () => {
    const memory = new PhysicalMemory();
    const put = (pa: bigint, e: bigint) => memory.write64(pa, e);
    const root = 0x8000_0000n;
    const l2 = 0x8000_1000n;
    const l1 = 0x8000_2000n;
    put(root + 0n * 8n, ppn(l2) | V); // 0..1 GiB through a table
    put(root + 2n * 8n, ppn(0x8000_0000n) | V | R | W | X | A | D); // a 1 GiB leaf at 2 GiB
    put(root + 511n * 8n, ppn(0x4000_0000n) | V | R | G); // the top 1 GiB of the upper half
    put(l2 + 1n * 8n, ppn(l1) | V);
    put(l2 + 2n * 8n, ppn(0x20_1000n) | V | R); // misaligned 2 MiB leaf
    put(l1 + 3n * 8n, ppn(0x9000_0000n) | V | R | U);
    const leaves: [bigint, number, number, number][] = [];
    const stops: [bigint, number, string][] = [];
    walkTables(
      {
        arch: riscv64("sv39"),
        memory,
        root: encodeSatp("sv39", 1, Number(root >> 12n)),
        physAddrBits: 56,
      },
      {
        leaf: (vpn, level, pages, pa) => void leaves.push([BigInt(vpn) << 12n, level, pages, pa]),
        stop: (vpn, level, reason) => void stops.push([BigInt(vpn) << 12n, level, reason]),
      },
    );
    expect(leaves).toEqual([
      [0x20_3000n, 1, 1, 0x9000_0000],
      [0x8000_0000n, 3, 512 * 512, 0x8000_0000],
      [0xffff_ffff_c000_0000n, 3, 512 * 512, 0x4000_0000],
    ]);
    expect(stops).toEqual([[0x40_0000n, 2, "malformed"]]);
  });
});
