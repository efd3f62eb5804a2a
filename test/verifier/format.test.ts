/** How the verifier writes byte counts in its messages: exactly, whatever the count. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { size } from "../../src/model/format.js";

const UNIT: Record<string, bigint> = {
  byte: 1n,
  bytes: 1n,
  KiB: 1n << 10n,
  MiB: 1n << 20n,
  GiB: 1n << 30n,
  TiB: 1n << 40n,
  PiB: 1n << 50n,
  EiB: 1n << 60n,
};

/** The count a `size` text stands for: terms `N unit` (N decimal or 0x hex) joined by + and -. */
function countOf(text: string): bigint {
  const words = text.split(" ");
  let total = 0n;
  for (let i = 0; i < words.length; i += 3) {
    const sign = i > 0 && words[i - 1] === "-" ? -1n : 1n;
    total += sign * BigInt(words[i]!) * UNIT[words[i + 1]!]!;
  }
  return total;
}

describe("size()", () => {
  it("writes round counts in their unit, and others as sums or differences", () => {
    expect(size(2n << 30n)).toBe("2 GiB");
    expect(size(1n)).toBe("1 byte");
    expect(size(16385n)).toBe("16385 bytes");
    expect(size((16n << 20n) + 1n)).toBe("16 MiB + 1 byte");
    expect(size((64n << 40n) - 1n)).toBe("64 TiB - 1 byte");
  });

  it("writes counts of 100,000 EiB and more (was: endless recursion)", () => {
    expect(size(1n << 80n)).toBe("1048576 EiB");
    expect(countOf(size((1n << 80n) + 5n))).toBe((1n << 80n) + 5n);
  });

  it("is exact for any count", () => {
    expect(size(-(2n << 30n))).toBe("-2 GiB");
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 90n }), (n) => {
        expect(countOf(size(n))).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });
});
