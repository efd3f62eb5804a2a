/**
 * Linux arm64's memory.rst tables (`Start End Size Use`, tab-separated, bracketed rows): each
 * table a variant with its AArch64 paging, bracketed rows nested in the row that holds them,
 * the range between the TTBR halves added as `noncanonical`, and what `check` then finds in
 * the document. The fixtures are three eras of the document (their headers cite the commits).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { archOf, pagingOfGranule } from "../../src/arch/registry.js";
import { importTable, readDocument } from "../../src/import/index.js";
import { type Item, type Row, rowsOf } from "../../src/import/model.js";
import { hexDigits } from "../../src/model/format.js";
import { ROOT, vmlayout } from "../cli-helpers.js";
import { fixture, importToDir } from "./helpers.js";

const CURRENT = "linux-arm64-memory.rst";
const V5 = "linux-arm64-memory-v5.rst";
const V4 = "linux-arm64-memory.txt";

const HEADER = "  Start\t\t\tEnd\t\t\tSize\t\tUse\n  " + "-".repeat(71);
/** A one-table document under `heading` with `rows` (lines as the document writes them). */
const doc = (heading: string, ...rows: string[]): string =>
  `${heading}::\n\n${HEADER}\n${rows.join("\n")}\n`;
const USER = "  0000000000000000\t0000ffffffffffff\t 256TB\t\tuser";
const LINEAR = "  ffff000000000000\tffff7fffffffffff\t 128TB\t\tkernel logical memory map";
const HEADING_4K_48 = "AArch64 Linux memory layout with 4KB pages + 4 levels (48-bit)";

const codes = (text: string, file = "memory.rst"): string[] =>
  readDocument(text, file).diagnostics.map((d) => d.code);
const spec = (text: string, file = "memory.rst"): string =>
  importTable(text, { fileName: file, attributes: false }).value!.spec;

describe("memory.rst's tables", () => {
  it("each heading gives its table's AArch64 paging; no diagnostic on the current document", () => {
    const read = readDocument(fixture(CURRENT), CURRENT);
    expect(read.diagnostics).toEqual([]);
    expect(read.value!.tables.map((t) => t.pagingHint)).toEqual([
      pagingOfGranule(4, 48),
      pagingOfGranule(64, 52),
    ]);
    const text = spec(fixture(CURRENT), CURRENT);
    expect(text).toContain('variant "4k-48" {\n  paging aarch64_4k_48\n');
    expect(text).toContain('variant "64k-52" {\n  paging aarch64_64k_52\n');
  });

  it("a bracketed row is a child of the row that holds it, without its brackets", () => {
    const doc = readDocument(fixture(CURRENT), CURRENT).value!;
    for (const table of doc.tables) {
      const linear = table.items.find(
        (it): it is Row => it.type === "row" && it.description === "kernel logical memory map",
      )!;
      expect(linear.children).toHaveLength(1);
      expect(linear.children[0]).toMatchObject({
        description: "kasan shadow region",
        bracketed: true,
        end: { text: "ffff7fffffffffff" },
      });
    }
    expect(spec(fixture(CURRENT), CURRENT)).toMatch(
      /kernel_logical_memory +"kernel logical memory map" \{ \/\/ line 15\n +ffff600000000000 \+32TB \.\. ffff7fffffffffff +kasan_shadow_region +"kasan shadow region" \/\/ line 16; bracketed in the document/,
    );
  });

  it("the range between the TTBR halves is noncanonical, from the paging's halves", () => {
    const text = spec(fixture(CURRENT), CURRENT);
    for (const [granule, vaBits] of [
      [4, 48],
      [64, 52],
    ] as const) {
      const [lower, upper] = archOf(pagingOfGranule(granule, vaBits)).halves;
      expect(text).toMatch(
        new RegExp(
          `\\n  ${hexDigits(lower.end)} \\.\\. ${hexDigits(upper.start - 1n)} +noncanonical +"between the TTBR0 and TTBR1 halves"`,
        ),
      );
    }
    // 52-bit: [2^52, 2^64 - 2^52), not sign extension from bit 47.
    expect(text).toContain("0010000000000000 .. ffefffffffffffff");
  });

  it("a bracketed use alone (`[guard region]`, `[gap]`) marks a guard or a hole", () => {
    const text = spec(fixture(V5), V5);
    expect(text).toMatch(/fffffdfffea00000 \+2MB \.\. fffffdfffebfffff +guard guard_region_2 /);
    expect(text).toMatch(/fff8000000000000 \+1440TB \.\. fffd9fffffffffff +hole +"gap"/);
  });
});

describe("import then check: what the documents get wrong", () => {
  const check = (file: string) => {
    const { dir, spec } = importToDir(file, true);
    return vmlayout(["check", spec], { cwd: dir });
  };

  it("the current tables: vmalloc is not 124 TB (start + size runs 2304 MB past its end)", () => {
    const r = check(CURRENT);
    expect(r.status).toBe(1);
    const sizes = r.stderr.split("\n").filter((l) => /error\[E0206\]/.test(l));
    expect(sizes).toHaveLength(2);
    for (const l of sizes)
      expect(l).toContain("the end of `vmalloc` is written as 0xfffffbffefffffff");
    expect(r.stderr).toContain("= note: from linux-arm64-memory.rst:18\n");
    expect(r.stderr).toContain("= note: from linux-arm64-memory.rst:35\n");
  });

  it("the 5.x tables: the 52-bit guard region below the fixmap is ~4 TB, not ~3 TB", () => {
    const r = check(V5);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/error\[/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/error\[E0215\]: `guard_region` is 4 TiB - 26 MiB - 384 KiB/);
    expect(r.stderr).toContain("= note: from linux-arm64-memory-v5.rst:40\n");
  });

  it("the 4.x tables check clean", () => {
    const r = check(V4);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("the headings", () => {
  it("one without a VA size (4.x): W0503, the VA size the levels and addresses allow", () => {
    const read = readDocument(fixture(V4), V4);
    expect(read.diagnostics.map((d) => [d.code, d.span!.start])).toHaveLength(4);
    expect(new Set(read.diagnostics.map((d) => d.code))).toEqual(new Set(["W0503"]));
    expect(read.value!.tables.map((t) => t.pagingHint)).toEqual([
      pagingOfGranule(4, 39),
      pagingOfGranule(4, 48),
      pagingOfGranule(64, 42),
      // The KVM table's heading names no granule either.
      pagingOfGranule(4, 39),
    ]);
    // Two tables get 4K/39: the second variant name gets a suffix.
    expect(spec(fixture(V4), V4)).toContain('variant "4k-39_2" {');
  });

  it("levels that are not the granule's and VA size's: W0504, the VA size wins", () => {
    const text = doc(
      "AArch64 Linux memory layout with 4KB pages + 3 levels (48-bit)",
      USER,
      LINEAR,
    );
    expect(codes(text)).toEqual(["W0504"]);
    expect(readDocument(text, "memory.rst").value!.tables[0]!.pagingHint).toEqual(
      pagingOfGranule(4, 48),
    );
  });

  it("no heading at all: W0503, 4K pages and the smallest VA size holding the table", () => {
    const text = `${HEADER}\n${USER}\n${LINEAR}\n`;
    const read = readDocument(text, "memory.rst");
    expect(read.diagnostics.map((d) => d.code)).toEqual(["W0503"]);
    expect(read.diagnostics[0]!.message).toContain("names no granule and no VA size");
    expect(read.diagnostics[0]!.span!.start).toBe(0); // the header line
    expect(read.value!.tables[0]!.pagingHint).toEqual(pagingOfGranule(4, 48));
  });
});

describe("rows", () => {
  it("tab and space columns mixed read the same as tabs", () => {
    const tabs = doc(HEADING_4K_48, USER, LINEAR);
    const mixed = doc(
      HEADING_4K_48,
      "  0000000000000000  0000ffffffffffff\t 256TB   user",
      "  ffff000000000000 \t ffff7fffffffffff    128TB\t\t  kernel logical memory map",
    );
    expect(spec(mixed)).toEqual(spec(tabs));
  });

  it("a malformed row is W0501 and kept as a comment; the others are imported", () => {
    const text = doc(
      HEADING_4K_48,
      USER,
      "  ffff00000000000\tffff7fffffffffff\t 128TB\t\tkernel logical memory map",
      "  ffff800000000000\tffff80007fffffff\t lots\t\tmodules",
      "  ffff800080000000\tfffffbffefffffff",
    );
    const read = readDocument(text, "memory.rst");
    expect(read.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["W0501", "line 6 of the table cannot be read: `ffff00000000000` is not an address"],
      [
        "W0501",
        "line 7 of the table cannot be read: a row is `START END SIZE USE`, four columns apart",
      ],
      [
        "W0501",
        "line 8 of the table cannot be read: a row is `START END SIZE USE`, four columns apart",
      ],
    ]);
    expect(spec(text)).toContain("// line 6: not imported: ffff00000000000");
  });

  it("a bracket without its `]` (or a `]` without its `[`) is E0504: nothing is imported", () => {
    for (const row of [
      " [ffff600000000000\tffff7fffffffffff\t  32TB\t\t[kasan shadow region]",
      "  ffff600000000000\tffff7fffffffffff]\t  32TB\t\t[kasan shadow region]",
      " [ffff600000000000\tffff7fffffffffff]\t  32TB\t\t[kasan shadow region",
    ]) {
      const text = doc(HEADING_4K_48, USER, LINEAR, row);
      const read = readDocument(text, "memory.rst");
      expect(read.value).toBeUndefined();
      expect(read.diagnostics.map((d) => [d.code, text.slice(d.span!.start, d.span!.end)])).toEqual(
        [["E0504", row]],
      );
    }
  });

  it("a table none of whose rows can be read is E0501: no other reader takes it", () => {
    const text = doc(HEADING_4K_48, "  0000000000000000\t0000ffffffffffff\t lots\t\tuser");
    const read = readDocument(text, "memory.rst");
    expect(read.value).toBeUndefined();
    expect(read.diagnostics.map((d) => [d.code, d.span!.start])).toEqual([
      ["E0501", text.indexOf("  0000000000000000")],
    ]);
  });

  it("brackets inside a use are its words", () => {
    const text = doc(HEADING_4K_48, USER, LINEAR.replace("memory map", "memory map [KASAN off]"));
    expect(codes(text)).toEqual([]);
    expect(spec(text)).toContain('"kernel logical memory map [KASAN off]"');
  });

  it("a bracketed row no row above holds is E0505", () => {
    const stray = " [ffff900000000000\tffff9fffffffffff]\t  16TB\t\t[kasan shadow region]";
    const read = readDocument(doc(HEADING_4K_48, USER, LINEAR, stray), "memory.rst");
    expect(read.value).toBeUndefined();
    expect(read.diagnostics.map((d) => d.code)).toEqual(["E0505"]);
  });

  it("a bracketed row nests in the innermost row holding it, in the table's order", () => {
    const text = doc(
      HEADING_4K_48,
      USER,
      LINEAR,
      " [ffff600000000000\tffff7fffffffffff]\t  32TB\t\t[kasan shadow region]",
      " [ffff700000000000\tffff7fffffffffff]\t  16TB\t\t[inner]",
    );
    const items: Item[] = readDocument(text, "memory.rst").value!.tables[0]!.items;
    const linear = rowsOf(items)[1]!;
    expect(rowsOf(linear.children).map((r) => r.description)).toEqual([
      "kasan shadow region",
      "inner",
    ]);
    expect(linear.children[0]!.type === "row" && linear.children[0].children).toHaveLength(1);
  });
});

describe("round trip: import, build --emit ascii / md, import again", () => {
  /** `START .. END` of every region line of a spec (or of one variant's block). */
  const extents = (text: string): string[] =>
    text.split("\n").flatMap((l) => {
      const m = /^\s*([0-9a-f]{16}) (?:\+\S+ )?\.\. ([0-9a-f]{16})/.exec(l);
      return m ? [`${m[1]}..${m[2]}`] : [];
    });
  const variantBlock = (text: string, variant: string): string =>
    text.slice(text.indexOf(`variant "${variant}"`)).split("\n}")[0]!;

  // The current document's tables do not build (vmalloc's size, above); the 5.x 48-bit/4K
  // table and the 4.x ones check clean.
  for (const [file, variant] of [
    [V5, "4k-48"],
    [V4, "4k-48"],
    [V4, "64k-42"],
  ] as const) {
    for (const emit of ["ascii", "md"]) {
      it(`${file} ${variant} through ${emit}: the same extents and paging, and it checks`, () => {
        const { dir, spec: file0 } = importToDir(file, false);
        const built = vmlayout(["build", file0, "--emit", emit, "--variant", variant], {
          cwd: dir,
        });
        expect(built.stderr).toBe("");
        const again = importTable(built.stdout, { fileName: `again.${emit}`, attributes: false });
        expect(again.diagnostics).toEqual([]);
        const respec = again.value!.spec;
        expect(extents(respec)).toEqual(extents(variantBlock(spec(fixture(file), file), variant)));
        expect(respec).toContain(`paging aarch64_${variant.replace("-", "_")}\n`);
        const out = mkdtempSync(path.join(tmpdir(), "vmlayout-import-"));
        writeFileSync(path.join(out, "again.layout"), respec);
        const r = vmlayout(["check", "again.layout"], { cwd: out });
        expect(r.stderr).toBe("");
      });
    }
  }
});

describe("round trip of a bracketed row through --emit md", () => {
  it("comes back as the same child region, with its name, and checks", () => {
    const text = doc(
      HEADING_4K_48,
      USER,
      LINEAR,
      " [ffff600000000000\tffff7fffffffffff]\t  32TB\t\t[kasan shadow region]",
      "  ffff800000000000\tffff80007fffffff\t   2GB\t\tmodules",
      "  ffff800080000000\tffff8000807fffff\t   8MB\t\t[guard region]",
    );
    const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-import-"));
    writeFileSync(path.join(dir, "memory.layout"), spec(text));
    const md = vmlayout(["build", "memory.layout", "--emit", "md"], { cwd: dir });
    expect(md.stderr).toBe("");
    const again = importTable(md.stdout, { fileName: "memory.md", attributes: false });
    expect(again.diagnostics).toEqual([]);
    const respec = again.value!.spec;
    // The emitter's gap row below the KASAN shadow comes back as a hole inside the linear map.
    expect(respec).toMatch(
      /ffff000000000000 \+128TB \.\. ffff7fffffffffff +kernel_logical_memory +"kernel logical memory map" \{ \/\/ line \d+.*\n +ffff000000000000 \+96TB \.\. ffff5fffffffffff +hole .*\n +ffff600000000000 \+32TB \.\. ffff7fffffffffff +kasan_shadow_region +"kasan shadow region" \/\/ line \d+.*\n\}/,
    );
    expect(respec).toMatch(/ffff800080000000 \+8MB \.\. ffff8000807fffff +guard guard_region /);
    expect(respec).toMatch(/0001000000000000 \.\. fffeffffffffffff +noncanonical /);
    expect(respec).toContain("paging aarch64_4k_48\n");
    writeFileSync(path.join(dir, "again.layout"), respec);
    const r = vmlayout(["check", "again.layout"], { cwd: dir });
    expect(r.stderr).toBe("");
  });
});

describe("the import agrees with specs/linux-arm64.layout's transcription of the same tables", () => {
  // Both are of torvalds/linux@34069d12e239's Documentation/arch/arm64/memory.rst.
  const committed = readFileSync(path.join(ROOT, "specs", "linux-arm64.layout"), "utf8");
  const imported = spec(fixture(CURRENT), CURRENT);
  const block = (text: string, variant: string): string =>
    text.slice(text.indexOf(`variant "${variant}" {`)).split("\n}")[0]!;
  /** Each region line's `START .. END` and the `paging` line of a variant's block. */
  const shape = (text: string): string[] =>
    text.split("\n").flatMap((l) => {
      const m = /^\s*([0-9a-f]{16}) (?:\+\S+ )?\.\. ([0-9a-f]{16})|^\s*(paging \S+)/.exec(l);
      return m ? [m[3] ?? `${m[1]}..${m[2]}`] : [];
    });
  for (const [variant, ours] of [
    ["doc-4k-48", "4k-48"],
    ["doc-64k-52", "64k-52"],
  ]) {
    it(`${variant}: the same paging and the same regions, the KASAN shadow nested alike`, () => {
      const theirs = block(committed, variant);
      expect(theirs).not.toBe("");
      expect(shape(block(imported, ours))).toEqual(shape(theirs));
      // Nested: the shadow's line is indented one level deeper than the linear map's.
      const indent = (text: string, start: string): number =>
        /^( *)/.exec(text.split("\n").find((l) => l.trimStart().startsWith(start))!)![1]!.length;
      const shadow = variant === "doc-4k-48" ? "ffff600000000000" : "fffd800000000000";
      for (const text of [theirs, block(imported, ours)])
        expect(indent(text, shadow) - indent(text, "ff")).toBe(2);
    });
  }
});
