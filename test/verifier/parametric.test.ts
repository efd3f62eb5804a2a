/**
 * Rules proved for every parameter value: a rule that holds at the defaults but fails for some
 * allowed value is E0210 naming the rule, with a witness; one that can never fail is clean.
 */
import { describe, expect, test } from "vitest";
import { rat } from "../../src/model/rational.js";
import {
  GiB,
  KiB,
  MiB,
  TiB,
  add2,
  alignDown,
  alignUp,
  build,
  p,
  region,
  sub2,
  sym,
} from "./build.js";
import { codes, name, one, run, runLayout, text } from "./helpers.js";

const HIGH = 0xffff800000000000n;
const KERNEL = 0xffffffff80000000n;
const MODULES = 0xffffffffa0000000n;

/** Linux's kernel image: `ffffffff80000000 ..< kernel_end`, then modules at a fixed address. */
const kernel = (max: bigint, extra: Partial<Parameters<typeof build>[0]> = {}) => ({
  params: [
    {
      name: "kernel_end",
      default: 0xffffffff84000000n,
      min: 0xffffffff81000000n,
      max,
      align: 2n * MiB,
    },
  ],
  regions: [
    { name: "kernel_image", start: KERNEL, end: sub2(p("kernel_end"), 1n) },
    { name: "modules", start: MODULES, end: 0xfffffffffeffffffn },
  ],
  ...extra,
});

describe("E0210 parameter_range: overlap", () => {
  test("a floating boundary that can cross its neighbour for some values", () => {
    const layout = build(kernel(0xffffffffc0000000n));
    const d = one(runLayout(layout), "E0210");
    expect(d.severity).toBe("error");
    expect(d.message).toBe(
      "`overlap` fails for some parameter values: `modules` can overlap `kernel_image`",
    );
    expect(d.notes[0]).toBe(
      "it holds at the defaults, but not when `kernel_end` = 0xffffffffc0000000",
    );
    expect(d.notes[1]).toBe(
      "there `kernel_image` is 0xffffffff80000000..0xffffffffbfffffff and `modules` is 0xffffffffa0000000..0xfffffffffeffffff; they share 0xffffffffa0000000..0xffffffffbfffffff (512 MiB)",
    );
    expect(d.labels.map((l) => l.span)).toEqual([
      region(layout, "kernel_image").nameSpan,
      region(layout, "modules").nameSpan,
    ]);
    expect(d.help).toContain("`kernel_end`");
  });
  test("a floating boundary that never can is proved clean", () => {
    expect(run(kernel(0xffffffffa0000000n))).toEqual([]);
  });
  test("crossing at the defaults is the rule's own code", () => {
    const desc = kernel(0xffffffffc0000000n);
    desc.params[0]!.default = 0xffffffffa0200000n;
    expect(codes(run(desc))).toEqual(["E0201"]);
  });
  test("waivable by the rule's name or as parameter_range", () => {
    for (const allow of ["overlap", name("E0210"), "E0210"]) {
      const desc = kernel(0xffffffffc0000000n);
      (desc.regions[1] as { allow?: string[] }).allow = [allow];
      expect(run(desc)).toEqual([]);
    }
  });
  test("two parameters: the witness moves both", () => {
    const ds = run({
      params: [
        {
          name: "a_end",
          default: HIGH + 16n * MiB,
          min: HIGH + 4n * MiB,
          max: HIGH + 64n * MiB,
          align: 4n * KiB,
        },
        {
          name: "b_start",
          default: HIGH + 64n * MiB,
          min: HIGH + 32n * MiB,
          max: HIGH + 128n * MiB,
          align: 4n * KiB,
        },
      ],
      regions: [
        { name: "a", start: HIGH, end: sub2(p("a_end"), 1n) },
        { name: "b", start: p("b_start"), size: MiB },
      ],
    });
    const d = one(ds, "E0210");
    expect(d.notes[0]).toBe(
      "it holds at the defaults, but not when `a_end` = 0xffff800004000000 and `b_start` = 0xffff800002000000",
    );
  });
  test("many parametric siblings: only the neighbours that can meet are reported", () => {
    const regions = [];
    const params = [];
    for (let i = 0; i < 50; i++) {
      params.push({
        name: `s${i}`,
        default: 0n,
        min: 0n,
        max: i === 17 ? 3n * MiB : MiB,
        align: 4n * KiB,
        type: "size" as const,
      });
      regions.push({
        name: `r${i}`,
        start: HIGH + BigInt(i) * 4n * MiB,
        size: add2(p(`s${i}`), 2n * MiB),
      });
    }
    const ds = run({ params, regions });
    expect(ds.map((d) => d.message)).toEqual([
      "`overlap` fails for some parameter values: `r18` can overlap `r17`",
    ]);
    expect(ds[0]!.notes[0]).toBe("it holds at the defaults, but not when `s17` = 0x300000 (3 MiB)");
  });
  test("slack from align_down cannot be proved, and says so", () => {
    const ds = run({
      params: [
        {
          name: "kernel_end",
          default: KERNEL + 64n * MiB,
          min: KERNEL + 16n * MiB,
          max: MODULES - 4n * KiB,
          align: 4n * KiB,
        },
      ],
      regions: [
        { name: "kernel_image", start: KERNEL, end: sub2(p("kernel_end"), 1n) },
        { name: "after", start: alignDown(p("kernel_end"), 2n * MiB), size: 2n * MiB },
      ],
    });
    // `align_down` leaves an interval, which carries no page residue either (E0205 likewise).
    const d = one(
      ds.filter((x) => x.message.startsWith("`overlap`")),
      "E0210",
    );
    expect(d.message).toBe(
      "`overlap` cannot be proved for every parameter value: `after` can overlap `kernel_image`",
    );
    expect(d.notes[0]).toContain("`align_down`");
    expect(d.notes).toHaveLength(1);
  });
  test("align_up slack that cannot matter is proved clean", () => {
    const ds = run({
      params: [
        {
          name: "kernel_end",
          default: KERNEL + 64n * MiB,
          min: KERNEL + 16n * MiB,
          max: MODULES - 4n * KiB,
          align: 4n * KiB,
        },
      ],
      regions: [
        { name: "kernel_image", start: KERNEL, end: sub2(p("kernel_end"), 1n) },
        { name: "after", start: alignUp(p("kernel_end"), 2n * MiB), size: 2n * MiB },
      ],
    });
    expect(ds.map((d) => d.message)).toEqual([
      `\`${name("E0205")}\` cannot be proved for every parameter value: the start of \`after\` can be a non-multiple of the 4 KiB page size`,
    ]);
  });
});

describe("E0210 parameter_range: other rules", () => {
  test("containment", () => {
    const d = one(
      run({
        params: [
          { name: "n", default: MiB, min: 4n * KiB, max: 4n * MiB, align: 4n * KiB, type: "size" },
        ],
        regions: [
          {
            name: "p",
            start: HIGH,
            size: 2n * MiB,
            children: [{ name: "c", start: HIGH, size: p("n") }],
          },
        ],
      }),
      "E0210",
    );
    expect(d.message).toBe(
      "`containment` fails for some parameter values: `c` can end past its parent `p`",
    );
    expect(d.notes[0]).toBe("it holds at the defaults, but not when `n` = 0x400000 (4 MiB)");
  });
  test("canonical: the user half can grow into the hole", () => {
    const d = one(
      run({
        params: [
          {
            name: "task_size",
            default: 128n * TiB,
            min: 64n * TiB,
            max: 256n * TiB,
            align: GiB,
            type: "size",
          },
        ],
        regions: [{ name: "user", start: 0n, size: p("task_size") }],
      }),
      "E0210",
    );
    expect(d.message).toBe(
      "`canonical` fails for some parameter values: `user` can extend into the non-canonical range",
    );
    expect(text(d)).toContain(
      "there `user` is 0x0000000000000000..0x0000ffffffffffff; 0x0000800000000000..0x0000ffffffffffff is not canonical with 4-level paging",
    );
  });
  test("canonical: a bounded parameter is proved clean", () => {
    expect(
      run({
        params: [
          {
            name: "task_size",
            default: 128n * TiB,
            min: 64n * TiB,
            max: 128n * TiB,
            align: GiB,
            type: "size",
          },
        ],
        regions: [{ name: "user", start: 0n, size: p("task_size") }],
      }),
    ).toEqual([]);
  });
  test("alignment: a parameter stepping by 4 KiB breaks a 2 MiB align", () => {
    const d = one(
      run({
        params: [{ name: "base", default: HIGH, min: HIGH, max: HIGH + GiB, align: 4n * KiB }],
        regions: [{ name: "k", start: p("base"), size: 2n * MiB, align: 2n * MiB }],
      }),
      "E0210",
    );
    expect(d.message).toBe(
      "`alignment` fails for some parameter values: the start of `k` can be a non-multiple of its declared `align 2 MiB`",
    );
    expect(d.notes[0]).toBe("it holds at the defaults, but not when `base` = 0xffff800000001000");
  });
  test("alignment: a 2 MiB-aligned parameter is proved clean", () => {
    expect(
      run({
        params: [{ name: "base", default: HIGH, min: HIGH, max: HIGH + GiB, align: 2n * MiB }],
        regions: [{ name: "k", start: p("base"), size: 2n * MiB, align: 2n * MiB }],
      }),
    ).toEqual([]);
  });
  test("alignment: a coefficient times the parameter step counts, not the step alone", () => {
    expect(
      run({
        params: [{ name: "n", default: 4n, min: 1n, max: 64n, type: "count" }],
        regions: [{ name: "stacks", start: HIGH, size: sym(0n, { n: 2n * MiB }), align: 2n * MiB }],
      }),
    ).toEqual([]);
  });
  test("page_alignment from a parameter with a 1 KiB step", () => {
    const d = one(
      run({
        params: [
          { name: "z", default: 8n * KiB, min: 4n * KiB, max: 64n * KiB, align: KiB, type: "size" },
        ],
        regions: [{ name: "r", start: HIGH, size: p("z") }],
      }),
      "E0210",
    );
    expect(d.message).toBe(
      `\`${name("E0205")}\` fails for some parameter values: the size of \`r\` can be a non-multiple of the 4 KiB page size`,
    );
    expect(d.notes[0]).toBe("it holds at the defaults, but not when `z` = 0x2400 (9 KiB)");
  });
  test("inexact: half a parameter", () => {
    const d = one(
      run({
        params: [
          { name: "n", default: 16n * KiB, min: 8n * KiB, max: 64n * KiB, align: 1n, type: "size" },
        ],
        regions: [{ name: "r", start: HIGH, size: sym(0n, { n: rat(1n, 2n) }) }],
      }).filter((x) => x.code === "E0210" && x.message.startsWith("`inexact`")),
      "E0210",
    );
    expect(d.message).toBe(
      "`inexact` fails for some parameter values: the size of `r` can be a fraction of a byte",
    );
    expect(d.notes[0]).toBe("it holds at the defaults, but not when `n` = 0x4001 (16385 bytes)");
  });
  test("inexact: half a parameter that steps by 8 KiB is whole", () => {
    expect(
      run({
        params: [
          {
            name: "n",
            default: 16n * KiB,
            min: 8n * KiB,
            max: 64n * KiB,
            align: 8n * KiB,
            type: "size",
          },
        ],
        regions: [{ name: "r", start: HIGH, size: sym(0n, { n: rat(1n, 2n) }) }],
      }),
    ).toEqual([]);
  });
  test("empty_region and overflow", () => {
    const ds = run({
      params: [
        { name: "z", default: 8n * KiB, min: 0n, max: 2n * TiB, align: 4n * KiB, type: "size" },
      ],
      regions: [{ name: "r", start: 0xffffff0000000000n, size: p("z") }],
    });
    expect(ds.map((d) => d.message)).toEqual([
      "`overflow` fails for some parameter values: `r` can end past the end of the 64-bit address space",
      `\`${name("E0209")}\` fails for some parameter values: \`r\` can be empty or end before it starts`,
    ]);
  });
  test("extent_mismatch: the written end does not follow the parameter", () => {
    const d = one(
      run({
        params: [
          { name: "z", default: MiB, min: MiB, max: 2n * MiB, align: 4n * KiB, type: "size" },
        ],
        regions: [{ name: "r", start: HIGH, size: p("z"), declaredEnd: HIGH + MiB - 1n }],
      }),
      "E0210",
    );
    expect(d.message).toBe(
      `\`${name("E0206")}\` fails for some parameter values: the written end of \`r\` can disagree with its start and size`,
    );
  });
  test("recursive_slot: a movable slot", () => {
    const d = one(
      run({
        params: [{ name: "slot", default: HIGH, min: HIGH, max: HIGH + 4n * TiB, align: GiB }],
        regions: [{ name: "rec", start: p("slot"), size: 512n * GiB, map: "recursive" }],
      }),
      "E0210",
    );
    expect(d.message).toBe(
      `\`${name("E0214")}\` fails for some parameter values: recursive slot \`rec\` can start off a 512 GiB boundary`,
    );
  });
  test("gap: a seam that can open stays a warning, with the witness", () => {
    const ds = run({
      params: [{ name: "z", default: MiB, min: 4n * KiB, max: MiB, align: 4n * KiB, type: "size" }],
      regions: [
        {
          name: "p",
          start: HIGH,
          size: 2n * MiB,
          exhaustive: true,
          children: [
            { name: "a", start: HIGH, size: p("z") },
            { name: "b", start: HIGH + MiB, size: MiB },
          ],
        },
      ],
    });
    const d = one(ds, "W0201");
    expect(d.severity).toBe("warning");
    expect(d.message).toBe(
      "`gap` fails for some parameter values: a gap can open between `a` and `b`",
    );
    expect(d.notes).toEqual([
      "it holds at the defaults, but not when `z` = 0x1000 (4 KiB)",
      "there 0xffff800000001000..0xffff8000000fffff (1020 KiB) of `p` is not in any of its children",
    ]);
  });
  test("gap: children that move together stay seamless", () => {
    expect(
      run({
        params: [
          { name: "z", default: MiB, min: 4n * KiB, max: MiB, align: 4n * KiB, type: "size" },
        ],
        regions: [
          {
            name: "p",
            start: HIGH,
            size: 2n * MiB,
            exhaustive: true,
            children: [
              { name: "a", start: HIGH, size: p("z") },
              { name: "b", start: add2(HIGH, p("z")), end: HIGH + 2n * MiB - 1n },
            ],
          },
        ],
      }),
    ).toEqual([]);
  });
});
