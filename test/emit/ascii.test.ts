/**
 * `--emit ascii`: the mm.rst table style. Golden files for every spec, determinism, and the
 * acceptance test of issue #3: the Linux spec regenerates the numeric columns (Start addr |
 * Offset | End addr | Size) of both of mm.rst's tables, in the document's own notation. The
 * document's cells are in test/fixtures/mm-rst/ (copied from Documentation/arch/x86/x86_64/mm.rst).
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { rowsWithGaps } from "../../src/compiler/emit/table.js";
import { checkSpec } from "../../src/pipeline.js";
import { ROOT, goldenPath, vmlayout } from "../cli-helpers.js";

const SPECS = readdirSync(path.join(ROOT, "specs"))
  .filter((f) => f.endsWith(".layout"))
  .sort();

type Cells = [start: string, offset: string, end: string, size: string];

/** Rows of the document's fixture: one `start | offset | end | size` line per table row. */
function fixtureRows(file: string): Cells[] {
  return readFileSync(path.join(ROOT, "test", "fixtures", "mm-rst", file), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => l.split("|").map((c) => c.trim()) as Cells);
}

/** The numeric cells of every row of the table under `title` in an ascii output. */
function tableRows(output: string, title: string): Cells[] {
  const lines = output.split("\n");
  const at = lines.indexOf(title);
  expect(at, `no table titled "${title}"`).toBeGreaterThanOrEqual(0);
  const rows: Cells[] = [];
  let rules = 0;
  for (const line of lines.slice(at + 1)) {
    if (/^  =+$/.test(line)) {
      rules++;
      continue;
    }
    if (rules < 2) continue; // the header
    if (!line.includes("|")) {
      if (rows.length > 0 && line.trim() === "") break; // the table ended
      continue;
    }
    const cells = line.split("|").slice(0, 4);
    if (cells.length < 4 || cells.every((c) => /^[ _]*$/.test(c))) continue;
    rows.push(cells.map((c) => c.trim()) as Cells);
  }
  return rows;
}

describe("--emit ascii", () => {
  for (const spec of SPECS) {
    it(`${spec}: matches the golden file`, async () => {
      const r = vmlayout(["build", `specs/${spec}`, "--emit", "ascii"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(goldenPath(spec, "txt"));
    });
  }

  it("is byte-identical run to run", () => {
    const a = vmlayout(["build", "specs/linux-x86_64.layout", "--emit", "ascii"]);
    const b = vmlayout(["build", "specs/linux-x86_64.layout", "--emit", "ascii"]);
    expect(a.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it("keeps mm.rst's column widths: every table line of the Linux tables is 122 columns or less", () => {
    const r = vmlayout(["build", "specs/linux-x86_64.layout", "--emit", "ascii"]);
    const table = r.stdout.split("\n").filter((l) => l.startsWith("  ") && /[|=]/.test(l));
    for (const line of table) expect(line.length, line).toBeLessThanOrEqual(122);
    expect(table).toContain(
      "      Start addr    |   Offset   |     End addr     |  Size   | VM area description",
    );
    expect(table).toContain("  " + "=".repeat(120));
  });

  it("shows every range no region covers as a row, at top level and inside a parent", () => {
    const r = vmlayout(["build", "test/fixtures/emit/gaps.layout", "--emit", "ascii"]);
    expect(r.status).toBe(0);
    const gaps = r.stdout.split("\n").filter((l) => l.includes("not in any region"));
    expect(gaps).toEqual([
      "   0000000000001000 |   +4    kB | 00000000001fffff | 2044 kB | ... not in any region",
      "   0000000000200000 |   +2    MB | 00000000003fffff |    2 MB |   ... not in any region within user",
      "   0000000000600000 |   +6    MB | 00000000007fffff |    2 MB |   ... not in any region within user",
      // Bounds set by a parameter are marked like a region's: `~`, or the parameter's C name.
      "   0000000000a00000 |  +10    MB |~00006fffffffffff | ~112 TB |   ... not in any region within user",
      "           USER_END |~+112    TB | 00007fffffffffff |  ~16 TB | ... not in any region",
      // None between direct_map and vmalloc, which tile, nor around the non-canonical range.
      "   ffff820000000000 | -126    TB | ffffffffffffffff |  126 TB | ... not in any region",
    ]);
    // A nested row is indented under its parent.
    expect(r.stdout).toContain("| 00000000005fffff |    2 MB |   program text\n");
  });

  it("its rows list every region once, in order, and tile each parent and the whole space", () => {
    const files = [...SPECS.map((f) => `specs/${f}`), "test/fixtures/emit/gaps.layout"];
    for (const file of files)
      for (const layout of checkSpec(path.join(ROOT, file)).layouts) {
        const rows = rowsWithGaps(layout);
        expect(rows.filter((r) => r.kind !== "gap")).toEqual(layout.regions);
        // Under each parent (null: the 64-bit space), the rows follow one another with no
        // address left out: a region's siblings may overlap it (`allow overlap`), never miss.
        const extent = new Map<string | null, [bigint, bigint]>([[null, [0n, 1n << 64n]]]);
        for (const r of layout.regions) extent.set(r.name, [r.start.value, r.end.value + 1n]);
        const next = new Map<string | null, bigint>();
        for (const r of rows) {
          const at = next.get(r.parent) ?? extent.get(r.parent)![0];
          expect(
            r.start.value,
            `${file}: a row at ${r.start.value.toString(16)}`,
          ).toBeLessThanOrEqual(at);
          if (r.kind === "gap") expect(r.start.value).toBe(at);
          next.set(r.parent, r.end.value + 1n > at ? r.end.value + 1n : at);
        }
        for (const [parent, end] of next)
          expect(end, `${file}: ${parent}`).toBe(extent.get(parent)![1]);
      }
  });

  it("--variant gives one table", () => {
    const r = vmlayout([
      "build",
      "specs/linux-x86_64.layout",
      "--emit",
      "ascii",
      "--variant",
      "5-level",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Linux x86-64 virtual memory map: 5-level");
    expect(r.stdout).not.toContain("4-level");
  });

  describe("regenerates the numeric columns of mm.rst's tables", () => {
    const output = vmlayout(["build", "specs/linux-x86_64.layout", "--emit", "ascii"]).stdout;

    // Where the spec and the document differ, on purpose:
    // - `ffffffff80000000 |-2048 MB |` is a marker row: the document repeats the kernel text
    //   mapping's start in MB, where its offsets switch from GB to MB. The spec has one region
    //   there, and its row has the document's real row's cells (`-2 GB`).
    const documentOnly = (c: Cells): boolean =>
      c[0] === "ffffffff80000000" && c[1] === "-2048    MB";
    // - The document does not list ffffffffff601000..ffffffffffdfffff: the spec has the fixmap's
    //   slots 0..510 there (gap rows within `fixmap`, around the vsyscall page) and a hole.
    // - The direct map's first MiB (`low_memory`, where the real-mode trampoline is executable)
    //   is a child region, with a gap row for the rest of the direct map.
    // - The last canonical user page (`user_guard_page`), the kernel image inside the 1 GiB text
    //   mapping with the gap row after it, and the fixmap's slots below the vsyscall page are
    //   rows of the kernel's layout the document does not have (see `kernelRows` below).
    const specOnly = (c: Cells): boolean =>
      ["ffffffffff601000", "ffffffffff800000", "00007ffffffff000", "00fffffffffff000"].includes(
        c[0],
      ) ||
      (c[0] === "FIXADDR_START" && c[2] === "ffffffffff5fffff") ||
      (c[0] === "ffffffff80000000" && c[2] === "~ffffffff9fffffff") ||
      c[0] === "~ffffffffa0000000" ||
      ["ffff8880000fffff", "ff110000000fffff"].includes(c[2]) ||
      ["ffff888000100000", "ff11000000100000"].includes(c[0]);
    // - The direct map and vmemmap vary with `ram_tb` (and the holes after them), the kernel
    //   text mapping and the module space with `kernel_image_size`: `~` marks their cells; at
    //   the defaults they are the document's. The kernel image (`kernel_image`, which KASLR
    //   moves) fills the text mapping at the defaults: its row repeats the mapping's.
    const varying = new Set([
      "ffffffff80000000",
      "ffffffffc0000000",
      "ffff888000000000",
      "ffffc88000000000",
      "ff11000000000000",
      "ff91000000000000",
      "ffd4000000000000",
      "ffd6000000000000",
    ]);
    // Column alignment is tested above; here cells compare with runs of spaces as one.
    const spaces = (c: Cells): Cells => c.map((x) => x.replace(/ +/g, " ")) as Cells;
    const exact = (c: Cells): Cells =>
      spaces(
        varying.has(c[0].replace(/^~/, "")) ? (c.map((x) => x.replace(/^~/, "")) as Cells) : c,
      );
    // - Where the kernel's headers and the document differ, the spec carries the kernel's value
    //   (test/fixtures/kernel-constants/linux-x86_64.json keeps both, naming each source): these
    //   document rows become the spec's, keyed by variant (`*`: both) and the document's start.
    const kernelRows = new Map<string, Cells>([
      // TASK_SIZE_MAX = 2^47 - PAGE_SIZE (2^56 - PAGE_SIZE): the last canonical page is a guard.
      ["4-level 0000000000000000", ["0000000000000000", "0", "00007fffffffefff", "~128 TB"]],
      ["5-level 0000000000000000", ["0000000000000000", "0", "00ffffffffffefff", "~64 PB"]],
      // KASAN_SHADOW_START by kasan.h's formula (exactly 8 PB), and the hole below it.
      ["5-level ffd6000000000000", ["ffd6000000000000", "-10.5 PB", "ffdffbffffffffff", "2.5 PB"]],
      ["5-level ffdf000000000000", ["ffdffc0000000000", "-8196 TB", "fffffbffffffffff", "8 PB"]],
      // KERNEL_IMAGE_SIZE is 1 GiB with CONFIG_RANDOMIZE_BASE: modules start at -1 GB.
      ["* ffffffff80000000", ["ffffffff80000000", "-2 GB", "ffffffffbfffffff", "1 GB"]],
      ["* ffffffffa0000000", ["ffffffffc0000000", "-1 GB", "fffffffffeffffff", "1008 MB"]],
      // The document's marker row `ffffffffff000000 | -16 MB |` (MODULES_END) is the hole below
      // the fixmap; the fixmap runs from FIXADDR_TOT_START (a parameter: `~`) to its slot 0 at
      // ffffffffff7ff000, not to ffffffffff5fffff.
      ["* ffffffffff000000", ["ffffffffff000000", "-16 MB", "~ffffffffff1fefff", "~2044 kB"]],
      ["* FIXADDR_START", ["FIXADDR_START", "~-14340 kB", "ffffffffff7fffff", "~6148 kB"]],
    ]);

    for (const [variant, file] of [
      ["4-level", "4-level.txt"],
      ["5-level", "5-level.txt"],
    ] as const) {
      it(`${variant}: row by row, cell by cell`, () => {
        const expected = fixtureRows(file)
          .filter((c) => !documentOnly(c))
          .map((c) => kernelRows.get(`${variant} ${c[0]}`) ?? kernelRows.get(`* ${c[0]}`) ?? c);
        const actual = tableRows(output, `Linux x86-64 virtual memory map: ${variant}`)
          .filter((c) => !specOnly(c))
          .map(exact)
          .filter((c, i, all) => i === 0 || c.join("|") !== all[i - 1]!.join("|"));
        expect(actual).toEqual(expected.map(spaces));
      });
    }

    it("the fixtures hold every numeric row of both tables (25 each)", () => {
      expect(fixtureRows("4-level.txt")).toHaveLength(25);
      expect(fixtureRows("5-level.txt")).toHaveLength(25);
    });
  });
});
