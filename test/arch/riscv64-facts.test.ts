/**
 * The address-space facts of RISC-V Sv39/Sv48/Sv57 behind the arch seam (privileged spec,
 * 10.4-10.6), as the language, the verifier and the emitters use them through `archOf`.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { PAGING_MODES, archOf, pagingOfMode, pagingWord } from "../../src/arch/registry.js";

const TWO_64 = 1n << 64n;
const KiB = 1n << 10n;
const u64 = fc.bigInt({ min: 0n, max: TWO_64 - 1n });

describe("the arch seam for RISC-V", () => {
  it.each([
    ["sv39", 3, 39, 0x0000_003f_ffff_ffffn, 0xffff_ffc0_0000_0000n],
    ["sv48", 4, 48, 0x0000_7fff_ffff_ffffn, 0xffff_8000_0000_0000n],
    ["sv57", 5, 57, 0x00ff_ffff_ffff_ffffn, 0xff00_0000_0000_0000n],
  ] as const)(
    "%s: %d levels, halves end at bit %d",
    (mode, levels, vaBits, lowerLast, upperStart) => {
      const paging = pagingOfMode(mode);
      expect(paging).toEqual({ arch: "riscv64", mode, levels, vaBits });
      const arch = archOf(paging);
      expect([arch.name, arch.mode, arch.levels, arch.vaBits]).toEqual([
        "riscv64",
        `Sv${vaBits}`,
        levels,
        vaBits,
      ]);
      expect(arch.halves).toEqual([
        { start: 0n, end: lowerLast + 1n },
        { start: upperStart, end: TWO_64 },
      ]);
      expect(arch.isCanonical(lowerLast)).toBe(true);
      expect(arch.isCanonical(lowerLast + 1n)).toBe(false);
      expect(arch.isCanonical(upperStart - 1n)).toBe(false);
      expect(arch.canonicalize(lowerLast + 1n)).toBe(upperStart);
      fc.assert(
        fc.property(u64, (va) => {
          expect(arch.isCanonical(va)).toBe(arch.halves.some((h) => va >= h.start && va < h.end));
          expect(BigInt.asUintN(vaBits, arch.canonicalize(va))).toBe(BigInt.asUintN(vaBits, va));
        }),
      );
    },
  );

  it("a leaf may sit at every level: 4 KiB, 2 MiB, 1 GiB, 512 GiB from Sv48, 256 TiB in Sv57", () => {
    const sizes = [4n * KiB, 2n * KiB ** 2n, KiB ** 3n, 512n * KiB ** 3n, 256n * KiB ** 4n];
    expect(archOf(pagingOfMode("sv39")).pageSizes).toEqual(sizes.slice(0, 3));
    expect(archOf(pagingOfMode("sv48")).pageSizes).toEqual(sizes.slice(0, 4));
    const sv57 = archOf(pagingOfMode("sv57"));
    expect(sv57.pageSizes).toEqual(sizes);
    expect([1, 2, 3, 4, 5].map((l) => sv57.leafSize(l))).toEqual(sizes);
    expect(sv57.leafSize(6)).toBeUndefined();
    // 9 VPN bits per level above the 12-bit page offset.
    expect([1, 2, 3, 4, 5].map((l) => sv57.levelShift(l))).toEqual([12, 21, 30, 39, 48]);
    expect([5, 4, 3, 2, 1].map((l) => sv57.entryName(l))).toEqual([
      "PGD entry",
      "P4D entry",
      "PUD entry",
      "PMD entry",
      "PTE entry",
    ]);
    expect(archOf(pagingOfMode("sv39")).entryName(3)).toBe("PGD entry");
  });

  it("`paging` words name every mode once, and `pagingWord` writes them back", () => {
    for (const [word, paging] of PAGING_MODES) expect(pagingWord(paging)).toBe(word);
    const aarch64 = ["4k", "16k", "64k"].flatMap((g) =>
      [39, 42, 47, 48, 52].map((va) => `aarch64_${g}_${va}`),
    );
    expect([...PAGING_MODES.keys()]).toEqual(["4", "5", "sv39", "sv48", "sv57", ...aarch64]);
  });
});
