/** Every verifier code at the parameter defaults: triggered, and not triggered. */
import { describe, expect, test } from "vitest";
import { rat } from "../../src/model/rational.js";
import { range } from "../../src/model/format.js";
import { verify } from "../../src/verifier/index.js";
import { GiB, KiB, MiB, TiB, build, c, region } from "./build.js";
import { codes, one, run, runLayout, text } from "./helpers.js";
import { linux } from "./linux.js";
import { pagingOfGranule } from "../../src/arch/registry.js";

const HIGH = 0xffff800000000000n;

describe("a clean layout", () => {
  test("Linux 4-level without KASLR verifies clean, exhaustive included", () => {
    expect(runLayout(linux(false))).toEqual([]);
  });
  test("result carries the layout", () => {
    const layout = linux(false);
    expect(verify(layout).value).toBe(layout);
  });
});

describe("E0201 overlap", () => {
  test("overlapping siblings: both named, both labelled, exact shared range", () => {
    const layout = build({
      regions: [
        { name: "a", start: HIGH, size: 8n * KiB },
        { name: "b", start: HIGH + 4n * KiB, size: 8n * KiB },
      ],
    });
    const d = one(runLayout(layout), "E0201");
    expect(d.severity).toBe("error");
    expect(d.message).toBe("`b` overlaps `a`");
    expect(d.span).toEqual(region(layout, "b").nameSpan);
    expect(d.labels.map((l) => l.span)).toEqual([
      region(layout, "a").nameSpan,
      region(layout, "b").nameSpan,
    ]);
    expect(d.notes).toEqual(["they share 0xffff800000001000..0xffff800000001fff (4 KiB)"]);
    expect(d.help).toContain("allow overlap");
  });
  test("one large region overlapping several later ones reports each", () => {
    const ds = run({
      regions: [
        { name: "big", start: HIGH, size: 1n * MiB },
        { name: "x", start: HIGH + 4n * KiB, size: 4n * KiB },
        { name: "y", start: HIGH + 64n * KiB, size: 4n * KiB },
      ],
    });
    expect(codes(ds)).toEqual(["E0201", "E0201"]);
    expect(ds.map((d) => d.message)).toEqual(["`x` overlaps `big`", "`y` overlaps `big`"]);
  });
  test("adjacent siblings, parent and child, and cousins do not overlap", () => {
    const ds = run({
      regions: [
        {
          name: "p",
          start: HIGH,
          size: 2n * MiB,
          children: [
            { name: "c1", start: HIGH, size: MiB },
            { name: "c2", start: HIGH + MiB, size: MiB },
          ],
        },
        {
          name: "q",
          start: HIGH + 2n * MiB,
          size: MiB,
          children: [{ name: "d1", start: HIGH + 2n * MiB, size: MiB }],
        },
      ],
    });
    expect(ds).toEqual([]);
  });
  test("holes overlap like any sibling", () => {
    const ds = run({
      regions: [
        { name: "a", start: HIGH, size: 8n * KiB },
        { name: "gap", kind: "hole", start: HIGH + 4n * KiB, size: 8n * KiB },
      ],
    });
    expect(codes(ds)).toEqual(["E0201"]);
  });
});

describe("E0202 containment", () => {
  test("child past the end of its parent", () => {
    const layout = build({
      regions: [
        {
          name: "p",
          start: HIGH,
          size: MiB,
          children: [{ name: "c", start: HIGH + 512n * KiB, size: MiB }],
        },
      ],
    });
    const d = one(runLayout(layout), "E0202");
    expect(d.message).toBe(
      "`c` ends at 0xffff80000017ffff, past the end of its parent `p` at 0xffff8000000fffff",
    );
    expect(d.notes).toEqual(["0xffff800000100000..0xffff80000017ffff (512 KiB) lies after `p`"]);
    expect(d.labels[0]!.span).toEqual(region(layout, "p").nameSpan);
  });
  test("child before its parent", () => {
    const ds = run({
      regions: [
        {
          name: "p",
          start: HIGH + MiB,
          size: MiB,
          children: [{ name: "c", start: HIGH, size: 2n * MiB }],
        },
      ],
    });
    expect(one(ds, "E0202").message).toBe(
      "`c` starts at 0xffff800000000000, before its parent `p` starts at 0xffff800000100000",
    );
  });
  test("child inside its parent", () => {
    expect(
      run({
        regions: [
          { name: "p", start: HIGH, size: MiB, children: [{ name: "c", start: HIGH, size: MiB }] },
        ],
      }),
    ).toEqual([]);
  });
});

describe("E0203 canonical and W0203 hole_noncanonical", () => {
  test("a region across the whole hole says exactly which part is wrong", () => {
    const d = one(
      run({ regions: [{ name: "user", start: 0n, end: 0xffff800000000fffn }] }),
      "E0203",
    );
    expect(d.message).toBe(
      "`user` straddles the non-canonical hole: 0x0000800000000000..0xffff7fffffffffff is not canonical with 4-level paging",
    );
    expect(d.notes[0]).toContain(
      "0x0000000000000000..0x00007fffffffffff and 0xffff800000000000..0xffffffffffffffff",
    );
  });
  test("a region extending into the hole", () => {
    const d = one(run({ regions: [{ name: "user", start: 0n, size: 256n * TiB }] }), "E0203");
    expect(d.message).toBe(
      "`user` extends into the non-canonical range: 0x0000800000000000..0x0000ffffffffffff is not canonical with 4-level paging",
    );
  });
  test("a region starting in the hole", () => {
    const d = one(run({ regions: [{ name: "k", start: HIGH - 64n * KiB, size: MiB }] }), "E0203");
    expect(d.message).toBe(
      "`k` starts in the non-canonical range: 0xffff7fffffff0000..0xffff7fffffffffff is not canonical with 4-level paging",
    );
  });
  test("a guard inside the hole is an error; a hole there is W0203", () => {
    const ds = run({
      regions: [
        { name: "g", kind: "guard", start: 0x0000800000000000n, size: TiB },
        { name: "h", kind: "hole", start: 0x0000810000000000n, size: TiB },
      ],
    });
    expect(codes(ds)).toEqual(["E0203", "W0203"]);
    expect(ds[0]!.message).toBe(
      "`g` lies in the non-canonical range: 0x0000800000000000..0x000080ffffffffff is not canonical with 4-level paging",
    );
    expect(ds[1]!.severity).toBe("warning");
    expect(ds[1]!.help).toContain("`noncanonical`");
  });
  test("a noncanonical range that includes canonical addresses", () => {
    const d = one(
      run({
        regions: [
          {
            name: "nc",
            kind: "noncanonical",
            start: 0x0000700000000000n,
            end: 0xffff7fffffffffffn,
          },
        ],
      }),
      "E0203",
    );
    expect(d.message).toBe(
      "non-canonical range `nc` includes canonical addresses: 0x0000700000000000..0x00007fffffffffff is canonical with 4-level paging",
    );
  });
  test("5-level paging has a smaller hole", () => {
    expect(
      run({
        paging: 5,
        regions: [
          { name: "user", start: 0n, size: 64n * 1024n * TiB },
          {
            name: "nc",
            kind: "noncanonical",
            start: 0x0100000000000000n,
            end: 0xfeffffffffffffffn,
          },
          { name: "k", start: 0xff00000000000000n, size: TiB },
        ],
      }),
    ).toEqual([]);
    const d = one(
      run({ paging: 5, regions: [{ name: "user", start: 0n, size: 128n * 1024n * TiB }] }),
      "E0203",
    );
    expect(d.message).toContain(
      "0x0100000000000000..0x01ffffffffffffff is not canonical with 5-level paging",
    );
  });
  // RISC-V privileged spec 10.4.1, 10.5.1, 10.6.1: bits 63..VA of a virtual address must equal
  // bit VA-1, for VA = 39, 48 and 57.
  test.each([
    ["sv39", 0x0000_0040_0000_0000n, 0xffff_ffc0_0000_0000n, "Sv39"],
    ["sv48", 0x0000_8000_0000_0000n, 0xffff_8000_0000_0000n, "Sv48"],
    ["sv57", 0x0100_0000_0000_0000n, 0xff00_0000_0000_0000n, "Sv57"],
  ] as const)(
    "RISC-V %s: the hole is bits 63..VA-1 not all equal",
    (mode, ncStart, upper, name) => {
      const canonical = [
        { name: "user", start: 0n, size: ncStart },
        { name: "nc", kind: "noncanonical" as const, start: ncStart, end: upper - 1n },
        { name: "k", start: upper, size: 4n * GiB },
      ];
      expect(run({ paging: mode, regions: canonical })).toEqual([]);
      const d = one(
        run({ paging: mode, regions: [{ name: "user", start: 0n, size: ncStart + GiB }] }),
        "E0203",
      );
      expect(d.message).toBe(
        `\`user\` extends into the non-canonical range: ${range(ncStart, ncStart + GiB - 1n)} is not canonical with ${name}`,
      );
      expect(text(d)).not.toMatch(/PML|x86|level paging/);
    },
  );
});

// Arm ARM D8.2: TTBR0_EL1 translates the addresses whose bits 63..VA are 0, TTBR1_EL1 those
// where they are 1; each half is 2^VA bytes, and bit VA-1 is an address bit in both.
describe("E0203 on AArch64: the TTBR halves", () => {
  test.each([
    [4, 39, 0x0000_0080_0000_0000n],
    [4, 48, 0x0001_0000_0000_0000n],
    [16, 47, 0x0000_8000_0000_0000n],
    [64, 42, 0x0000_0400_0000_0000n],
    [64, 52, 0x0010_0000_0000_0000n],
  ] as const)(
    "%iK granule, %i bits: the halves are [0, 2^VA) and [2^64 - 2^VA, 2^64)",
    (granule, bits, half) => {
      const paging = pagingOfGranule(granule, bits);
      const upper = (1n << 64n) - half;
      const clean = [
        { name: "user", start: 0n, size: half },
        { name: "nc", kind: "noncanonical" as const, start: half, end: upper - 1n },
        { name: "linear", start: upper, size: half / 2n },
      ];
      expect(run({ paging, regions: clean })).toEqual([]);
      const d = one(
        run({ paging, regions: [{ name: "k", start: upper - 64n * KiB, size: MiB }] }),
        "E0203",
      );
      expect(d.message).toBe(
        `\`k\` starts in the non-canonical range: ${range(upper - 64n * KiB, upper - 1n)} is in neither the TTBR0_EL1 nor the TTBR1_EL1 half with ${granule}K granule, ${bits}-bit VA`,
      );
      expect(d.notes[0]).toBe(
        `with AArch64 ${granule}K granule (${bits}-bit virtual addresses per half) the canonical addresses are ${range(0n, half - 1n)} (TTBR0_EL1) and ${range(upper, (1n << 64n) - 1n)} (TTBR1_EL1)`,
      );
    },
  );
  test("a region that sign extension would refuse is in the TTBR1 half", () => {
    const paging = pagingOfGranule(4, 48);
    // 0xffff000000000000: bit 47 clear, bits 63..48 set.
    expect(
      run({ paging, regions: [{ name: "linear", start: 0xffff000000000000n, size: 128n * TiB }] }),
    ).toEqual([]);
  });
  test("a noncanonical range reaching into a half names the TTBR", () => {
    const paging = pagingOfGranule(4, 48);
    const d = one(
      run({
        paging,
        regions: [
          {
            name: "nc",
            kind: "noncanonical",
            start: 0x0000_8000_0000_0000n,
            end: 0xfffe_ffff_ffff_ffffn,
          },
        ],
      }),
      "E0203",
    );
    expect(d.message).toBe(
      "non-canonical range `nc` includes canonical addresses: 0x0000800000000000..0x0000ffffffffffff is in the TTBR0_EL1 or the TTBR1_EL1 half with 4K granule, 48-bit VA",
    );
  });
  test("a hole in the gap is W0203", () => {
    const paging = pagingOfGranule(16, 47);
    const ds = run({
      paging,
      regions: [{ name: "h", kind: "hole", start: 0x0000_8000_0000_0000n, size: TiB }],
    });
    expect(codes(ds)).toEqual(["W0203"]);
  });
});

describe("E0205 on AArch64: the granule is the smallest page", () => {
  test("a 4 KiB-aligned region under the 64K granule is refused, naming the granule", () => {
    const paging = pagingOfGranule(64, 48);
    const d = one(
      run({ paging, regions: [{ name: "stack", start: 0xffff000000001000n, size: 64n * KiB }] }),
      "E0205",
    );
    expect(d.message).toBe(
      "the start of `stack` is 0xffff000000001000, which is not a multiple of the 64 KiB page size (AArch64 64K granule)",
    );
    expect(
      run({
        paging: pagingOfGranule(4, 48),
        regions: [{ name: "stack", start: 0xffff000000001000n, size: 64n * KiB }],
      }),
    ).toEqual([]);
  });
  test("16K: a 16 KiB region is fine, 8 KiB is not", () => {
    const paging = pagingOfGranule(16, 48);
    expect(
      run({ paging, regions: [{ name: "a", start: 0xffff000000004000n, size: 16n * KiB }] }),
    ).toEqual([]);
    expect(
      codes(run({ paging, regions: [{ name: "a", start: 0xffff000000004000n, size: 8n * KiB }] })),
    ).toEqual(["E0205"]);
  });
});

describe("E0204 alignment", () => {
  test("start and size are checked against the declared align", () => {
    const layout = build({
      regions: [{ name: "k", start: HIGH + 4n * KiB, size: 3n * MiB, align: 2n * MiB }],
    });
    const ds = runLayout(layout).filter((d) => d.code === "E0204");
    expect(ds.map((d) => d.message)).toEqual([
      "the start of `k` is 0xffff800000001000, which is not a multiple of its declared `align 2 MiB`",
      "the size of `k` is 0x300000 (3 MiB), which is not a multiple of its declared `align 2 MiB`",
    ]);
    expect(ds[0]!.labels[0]!.span).toEqual(region(layout, "k").align!.span);
  });
  test("aligned", () => {
    expect(run({ regions: [{ name: "k", start: HIGH, size: 4n * MiB, align: 2n * MiB }] })).toEqual(
      [],
    );
  });
});

describe("E0205 page_alignment", () => {
  test("start off a 4 KiB page", () => {
    const d = one(run({ regions: [{ name: "r", start: HIGH + 0x800n, size: 4n * KiB }] }), "E0205");
    expect(d.message).toBe(
      "the start of `r` is 0xffff800000000800, which is not a multiple of the 4 KiB page size",
    );
    expect(d.notes).toEqual(["it is 2 KiB past a multiple of 4 KiB"]);
  });
  test("size off its max_page", () => {
    const d = one(
      run({ regions: [{ name: "dm", start: HIGH, size: GiB + 2n * MiB, maxPage: GiB }] }),
      "E0205",
    );
    expect(d.message).toBe(
      "the size of `dm` is 0x40200000 (1026 MiB), which is not a multiple of its `max_page 1 GiB`",
    );
  });
  test("guards and holes too; noncanonical ranges are exempt", () => {
    const ds = run({
      regions: [
        { name: "g", kind: "guard", start: HIGH, size: 100n },
        { name: "nc", kind: "noncanonical", start: 0x0000800000000000n, end: 0xffff7fffffffffffn },
      ],
    });
    expect(codes(ds)).toEqual(["E0205"]);
  });
  test("page-aligned", () => {
    expect(run({ regions: [{ name: "dm", start: HIGH, size: 2n * GiB, maxPage: GiB }] })).toEqual(
      [],
    );
  });
});

describe("E0206 extent_mismatch", () => {
  test("written end disagrees: both ends shown", () => {
    const layout = build({
      regions: [{ name: "r", start: HIGH, size: MiB, declaredEnd: HIGH + 2n * MiB - 1n }],
    });
    const d = one(runLayout(layout), "E0206");
    expect(d.message).toBe(
      "the end of `r` is written as 0xffff8000001fffff, but its start and size make it end at 0xffff8000000fffff",
    );
    expect(d.span).toEqual(region(layout, "r").declaredEnd!.span);
    expect(d.notes[0]).toBe("the written end is 1 MiB after the computed one");
    expect(d.help).toContain("0xffff8000000fffff");
  });
  test("written end agrees", () => {
    expect(
      run({ regions: [{ name: "r", start: HIGH, size: MiB, declaredEnd: HIGH + MiB - 1n }] }),
    ).toEqual([]);
  });
});

describe("E0207 overflow", () => {
  test("end past 2^64", () => {
    const d = one(
      run({ regions: [{ name: "r", start: 0xffffffffffff0000n, size: 128n * KiB }] }),
      "E0207",
    );
    expect(d.message).toBe(
      "`r` ends at 0x1000000000000ffff, 64 KiB past the end of the 64-bit address space",
    );
  });
  test("start below 0", () => {
    const d = one(run({ regions: [{ name: "r", start: -4096n, size: 8n * KiB }] }), "E0207");
    expect(d.message).toBe("`r` starts at -0x0000000000001000, below address 0");
  });
  test("a broken region is not checked further", () => {
    const ds = run({
      regions: [
        { name: "a", start: 0xffffffffffff0000n, size: 128n * KiB },
        { name: "b", start: 0xffffffffffff8000n, size: 4n * KiB },
      ],
    });
    expect(codes(ds)).toEqual(["E0207"]);
  });
  test("the last byte of the address space is fine", () => {
    expect(run({ regions: [{ name: "r", start: 0xfffffffffffff000n, size: 4n * KiB }] })).toEqual(
      [],
    );
  });
});

describe("E0208 inexact", () => {
  test("a fractional size", () => {
    const d = one(run({ regions: [{ name: "r", start: HIGH, size: c(rat(8193n, 2n)) }] }), "E0208");
    expect(d.message).toBe("the size of `r` is 4096 + 1/2 bytes, not a whole number of bytes");
  });
  test("a fraction that comes out whole is fine", () => {
    expect(run({ regions: [{ name: "r", start: HIGH, size: c(rat(8192n, 2n)) }] })).toEqual([]);
  });
});

describe("E0209 empty_region", () => {
  test("size 0", () => {
    expect(one(run({ regions: [{ name: "r", start: HIGH, size: 0n }] }), "E0209").message).toBe(
      "`r` is empty: its size is 0",
    );
  });
  test("end before start", () => {
    const d = one(run({ regions: [{ name: "r", start: HIGH + MiB, end: HIGH }] }), "E0209");
    expect(d.message).toBe(
      "`r` ends before it starts: its end 0xffff800000000000 is below its start 0xffff800000100000",
    );
  });
  test("non-empty", () => {
    expect(run({ regions: [{ name: "r", start: HIGH, size: 4n * KiB }] })).toEqual([]);
  });
});

describe("E0214 recursive_slot", () => {
  test("wrong size", () => {
    const d = one(
      run({ regions: [{ name: "rec", start: HIGH, size: TiB, map: "recursive" }] }),
      "E0214",
    );
    expect(d.message).toBe("recursive slot `rec` is 1 TiB, not 512 GiB");
  });
  test("off a top-level entry", () => {
    const d = one(
      run({ regions: [{ name: "rec", start: HIGH + GiB, size: 512n * GiB, map: "recursive" }] }),
      "E0214",
    );
    expect(d.message).toBe(
      "recursive slot `rec` starts at 0xffff800040000000, which is not on a 512 GiB boundary",
    );
  });
  test("one PML4 entry (4-level) or one PML5 entry (5-level)", () => {
    expect(
      run({
        regions: [{ name: "rec", start: HIGH + 512n * GiB, size: 512n * GiB, map: "recursive" }],
      }),
    ).toEqual([]);
    expect(
      run({
        paging: 5,
        regions: [{ name: "rec", start: 0xff00000000000000n, size: 256n * TiB, map: "recursive" }],
      }),
    ).toEqual([]);
    expect(
      codes(
        run({
          paging: 5,
          regions: [
            { name: "rec", start: 0xff00000000000000n, size: 512n * GiB, map: "recursive" },
          ],
        }),
      ),
    ).toEqual(["E0214"]);
  });
  test("other regions may have any size", () => {
    expect(run({ regions: [{ name: "r", start: HIGH, size: TiB }] })).toEqual([]);
  });
});

describe("W0201 gap", () => {
  test("an exhaustive layout reports every uncovered range exactly", () => {
    const ds = run({
      exhaustive: true,
      regions: [
        { name: "user", start: 0n, size: 128n * TiB },
        { name: "nc", kind: "noncanonical", start: 0x0000800000000000n, end: 0xffff7fffffffffffn },
        { name: "k", start: HIGH + MiB, end: 0xfffffffffffeffffn },
      ],
    });
    expect(ds.map((d) => [d.code, d.severity, d.message])).toEqual([
      ["W0201", "warning", "0xffff800000000000..0xffff8000000fffff (1 MiB) is not in any region"],
      ["W0201", "warning", "0xffffffffffff0000..0xffffffffffffffff (64 KiB) is not in any region"],
    ]);
  });
  test("an exhaustive region must be covered by its children", () => {
    const ds = run({
      regions: [
        {
          name: "p",
          start: HIGH,
          size: 4n * MiB,
          exhaustive: true,
          children: [
            { name: "a", start: HIGH, size: MiB },
            { name: "b", start: HIGH + 2n * MiB, size: MiB },
          ],
        },
      ],
    });
    expect(ds.map((d) => d.message)).toEqual([
      "0xffff800000100000..0xffff8000001fffff (1 MiB) of `p` is not in any of its children",
      "0xffff800000300000..0xffff8000003fffff (1 MiB) of `p` is not in any of its children",
    ]);
  });
  test("without `exhaustive` gaps are fine", () => {
    expect(run({ regions: [{ name: "a", start: HIGH, size: MiB }] })).toEqual([]);
  });
});

describe("waivers and W0202 unused_waiver", () => {
  const overlapping = (allowA: string[], allowB: string[] = []) => ({
    regions: [
      { name: "a", start: HIGH, size: 8n * KiB, allow: allowA },
      { name: "b", start: HIGH + 4n * KiB, size: 8n * KiB, allow: allowB },
    ],
  });
  test("a waiver on either region suppresses the overlap, by name or by code", () => {
    expect(run(overlapping(["overlap"]))).toEqual([]);
    expect(run(overlapping([], ["E0201"]))).toEqual([]);
    expect(run(overlapping(["overlap"], ["overlap"]))).toEqual([]);
  });
  test("a waiver that suppresses nothing is W0202 at the waiver", () => {
    const layout = build({
      regions: [{ name: "a", start: HIGH, size: MiB, allow: ["alignment"] }],
    });
    const d = one(runLayout(layout), "W0202");
    expect(d.severity).toBe("warning");
    expect(d.message).toBe("waiver `allow alignment` on `a` suppresses nothing");
    expect(d.span).toEqual(region(layout, "a").waivers[0]!.span);
  });
  test("a waiver for another check does not suppress, and is itself unused", () => {
    expect(codes(run(overlapping(["canonical"])))).toEqual(["W0202", "E0201"]);
  });
  test("waivers on a region too broken to check are not reported unused", () => {
    const ds = run({ regions: [{ name: "r", start: HIGH, size: 0n, allow: ["overlap"] }] });
    expect(codes(ds)).toEqual(["E0209"]);
  });
  test("a gap can be waived on the exhaustive region", () => {
    const ds = run({
      regions: [
        {
          name: "p",
          start: HIGH,
          size: 2n * MiB,
          exhaustive: true,
          allow: ["gap"],
          children: [{ name: "a", start: HIGH, size: MiB }],
        },
      ],
    });
    expect(ds).toEqual([]);
  });
});

describe("denyWarnings", () => {
  const desc = {
    exhaustive: true,
    regions: [{ name: "all", start: 0n, size: 128n * TiB }],
  };
  test("warnings stay warnings by default", () => {
    expect(run(desc).map((d) => d.severity)).toEqual(["warning"]);
  });
  test("warnings become errors", () => {
    const ds = run(desc, { denyWarnings: true });
    expect(ds.map((d) => [d.code, d.severity])).toEqual([["W0201", "error"]]);
  });
});

describe("diagnostic conventions", () => {
  test("messages are lowercase without a final period, addresses are 16 hex digits", () => {
    const ds = [
      ...run({ regions: [{ name: "user", start: 0n, end: 0xffff800000000fffn }] }),
      ...run({
        regions: [
          { name: "a", start: HIGH, size: 8n * KiB },
          { name: "b", start: HIGH + 4n * KiB, size: 0x2001n },
        ],
      }),
      ...runLayout(linux(true)),
    ];
    expect(ds.length).toBeGreaterThan(3);
    for (const d of ds) {
      expect(d.message[0]).toBe(d.message[0]!.toLowerCase());
      expect(d.message.endsWith(".")).toBe(false);
      for (const m of text(d).matchAll(/0x[0-9a-f]+(?=\.\.)/g)) expect(m[0].length).toBe(18);
    }
  });
});
