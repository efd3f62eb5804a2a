/**
 * `vmlayout import`: format detection, the document's numbers, naming, golden specs per
 * fixture (written with `attributes: false`, so they parse before the language has the
 * `offset` / `size ~` attributes; consistency.test.ts covers the attributes), and the CLI.
 * The fixtures in test/fixtures/import/ are the seeds' tables (no prose).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { documentAttributes } from "../../src/import/attributes.js";
import { READERS, importTable, readDocument } from "../../src/import/index.js";
import type { Row } from "../../src/import/model.js";
import { identifier, layoutName, nameFromDescription } from "../../src/import/names.js";
import { parseAddress, parseQuantity } from "../../src/import/quantity.js";
import { formatSpec } from "../../src/format/index.js";
import { vmlayout } from "../cli-helpers.js";
import { IMPORTED, fixture } from "./helpers.js";

describe("quantities and addresses", () => {
  it.each([
    ["128 TB", "128TB", false, 128n << 40n],
    ["~16M TB", "16M TB", true, 1n << 64n],
    ["-119.5  TB", "-119.5TB", false, -(239n << 39n)],
    ["~ -127.75 TB", "-127.75TB", true, -(511n << 38n)],
    ["~ 1.6M TB", "1.6M TB", true, undefined],
    ["+0", "+0", false, 0n],
    ["4 kB", "4kB", false, 4096n],
    ["~-11    MB", "-11MB", true, -(11n << 20n)],
  ])("%s", (cell, text, approx, value) => {
    expect(parseQuantity(cell)).toEqual({ text, approx, value });
  });

  it("rejects what is not a quantity", () => {
    expect(parseQuantity("lots")).toBeUndefined();
    expect(parseQuantity("12 parsecs")).toBeUndefined();
  });

  it("reads every address spelling of the seeds", () => {
    expect(parseAddress("ffff888000000000")).toMatchObject({ value: 0xffff888000000000n });
    expect(parseAddress("ffff8040 20100fff")).toMatchObject({ value: 0xffff804020100fffn });
    // A pair with `0x` is written to the spec without it (the fuzzer's find: `0x00000000
    // 00000000` made a spec that did not parse).
    expect(parseAddress("0x00000000 00000000")).toEqual({
      type: "literal",
      text: "00000000 00000000",
      value: 0n,
    });
    expect(parseAddress("FFFF_FF80_0000_1000")).toMatchObject({ value: 0xffffff8000001000n });
    expect(parseAddress("FIXADDR_START")).toEqual({ type: "symbol", text: "FIXADDR_START" });
    expect(parseAddress("FFFF_FFFF_8XXX_XXXX")).toMatchObject({
      type: "placeholder",
      min: 0xffffffff80000000n,
      max: 0xffffffff8fffffffn,
    });
  });
});

describe("naming", () => {
  it.each([
    ["direct mapping of all physical memory (page_offset_base)", "region", "page_offset_base"],
    ["LDT remap for PTI", "region", "ldt_remap_pti"],
    ["kernel text mapping, mapped to physical address 0", "region", "kernel_text_mapping"],
    ["%esp fixup stacks", "region", "esp_fixup_stacks"],
    ["guard hole, also reserved for hypervisor", "guard", "guard_hole"],
    [
      "interrupt stack 0 guard page (4KB) not mapped by purpose",
      "guard",
      "interrupt_stack_0_guard",
    ],
    ["process kernel stack", "guard", "process_kernel_stack_guard"],
    ["(kernel end) physical allocator low", "region", "physical_allocator_low"],
    ["User (15.99~ EB)", "region", "user"],
  ])("%s -> %s", (description, kind, name) => {
    expect(nameFromDescription(description, kind)).toBe(name);
  });

  it("never gives a reserved word or a leading digit", () => {
    expect(identifier(["range"])).toBe("range_area");
    expect(identifier(["64", "bit"])).toBe("r_64_bit");
    expect(layoutName("/x/linux-mm.rst")).toBe("linux_mm");
    expect(layoutName("002_5aff.txt")).toBe("layout_002_5aff");
    // A version keeps its place: the title "Linux 2.6.24", or a file named after it.
    expect(layoutName("Linux 2.6.24")).toBe("linux_2_6_24");
    expect(layoutName("docs/linux-2.6.24.txt")).toBe("linux_2_6_24");
    expect(layoutName("mm-2.6.txt")).toBe("mm_2_6");
  });
});

describe("detection", () => {
  for (const [file, format] of IMPORTED) {
    it(`${file} is ${format}`, () =>
      expect(readDocument(fixture(file), file).value?.format).toBe(format));
  }
  it("finds no table in prose: E0501 at the document, listing what every reader reads", () => {
    const read = readDocument(fixture("no-table.txt"), "no-table.txt");
    expect(read.value).toBeUndefined();
    expect(read.diagnostics.map((d) => [d.code, d.message, d.span])).toEqual([
      [
        "E0501",
        "no layout table found in `no-table.txt`",
        { file: "no-table.txt", start: 0, end: 0 },
      ],
    ]);
    for (const reader of READERS) expect(read.diagnostics[0]!.help).toContain(reader.reads);
  });

  it("a table none of whose rows can be read is the pipe reader's E0501, at the row's line", () => {
    const text =
      "| Start | Size | Description |\r\n|---|---|---|\r\n| 0000000000000000 | -4 KB | r |\r\n";
    const read = readDocument(text, "signed.md");
    expect(read.value).toBeUndefined();
    const [d] = read.diagnostics;
    expect(d?.code).toBe("E0501");
    // The span is the line as the document has it (with `\r\n` line ends).
    expect(text.slice(d!.span!.start, d!.span!.end)).toBe("| 0000000000000000 | -4 KB | r |");
  });

  it("tries each reader in the registry until one finds a table", () => {
    const formats = IMPORTED.map(([file]) => readDocument(fixture(file), file).value?.format);
    expect(new Set(formats).size).toBeGreaterThanOrEqual(READERS.length);
  });

  it("mm.rst: two tables, continuation lines joined, the shared part marked", () => {
    const doc = readDocument(fixture("linux-mm.rst"), "linux-mm.rst").value!;
    expect(doc.tables.map((t) => [t.heading, t.pagingHint?.levels])).toEqual([
      ["Complete virtual memory map with 4-level page tables", 4],
      ["Complete virtual memory map with 5-level page tables", 5],
    ]);
    const rows = doc.tables[0]!.items.flatMap((it) => (it.type === "row" ? [it] : []));
    expect(rows).toHaveLength(23); // 25 numeric rows less the two marker rows
    expect(rows[1]!.description).toBe(
      "huge, almost 64 bits wide hole of non-canonical virtual memory addresses up to the -128 TB starting offset of kernel mappings",
    );
    expect(doc.tables.every((t) => t.sharedFrom !== undefined)).toBe(true);
  });

  it("Markdown: an escaped pipe `\\|` is part of its cell", () => {
    const doc = readDocument(
      [
        "| Start | End | Description |",
        "|---|---|---|",
        "| 0xffffc90000000000 | 0xffffe8ffffffffff | vmalloc \\| ioremap space |",
        "| 0xffffe90000000000 | 0xffffe9ffffffffff | holes \\|",
      ].join("\n"),
      "table.md",
    ).value!;
    const rows = doc.tables[0]!.items.flatMap((it) => (it.type === "row" ? [it] : []));
    expect(rows.map((r) => [r.end?.text, r.description])).toEqual([
      ["0xffffe8ffffffffff", "vmalloc | ioremap space"],
      ["0xffffe9ffffffffff", "holes |"],
    ]);
  });
});

describe("golden specs", () => {
  for (const [file] of IMPORTED) {
    it(file, async () => {
      const { spec } = importTable(fixture(file), { fileName: file, attributes: false }).value!;
      await expect(spec).toMatchFileSnapshot(
        path.join(import.meta.dirname, "golden", `${file}.layout`),
      );
    });
  }

  it("is formatted like the committed specs (formatting it again changes nothing)", () => {
    for (const [file] of IMPORTED) {
      const { spec } = importTable(fixture(file), { fileName: file, attributes: false }).value!;
      expect(formatSpec(spec)).toEqual({ value: spec, diagnostics: [] });
    }
  });

  it("every region line names the line of the document it came from", () => {
    const { spec } = importTable(fixture("linux-mm.rst"), {
      fileName: "linux-mm.rst",
      attributes: false,
    }).value!;
    const source = fixture("linux-mm.rst").split("\n");
    const regionLines = spec
      .split("\n")
      .filter((l) => /^\s*(\S+ +)?[0-9a-f]{16}|^\s*fixaddr_start /.test(l));
    expect(regionLines.length).toBeGreaterThan(20);
    for (const l of regionLines) {
      const n = Number(/\/\/ line (\d+)/.exec(l)?.[1]);
      const start = l.trim().split(/\s+/)[0]!;
      expect(source[n - 1], l).toContain(start === "fixaddr_start" ? "FIXADDR_START" : start);
    }
  });

  it("RISC-V vm-layout.rst: its SV39/SV48/SV57 tables are variants with their paging modes", () => {
    const { spec } = importTable(fixture("linux-riscv-vm-layout.rst"), {
      fileName: "linux-riscv-vm-layout.rst",
      attributes: false,
    }).value!;
    for (const mode of ["sv39", "sv48", "sv57"])
      expect(spec).toContain(`variant "${mode}" {\n  paging ${mode}\n`);
    // Continuation rows join the hole's description; `~16M TB` and `~16K PB` are its sizes.
    expect(spec).toContain(
      '"huge, almost 64 bits wide hole of non-canonical virtual memory addresses up to the -256 GB starting offset of kernel mappings" // line 20',
    );
    expect(spec).toMatch(/0000004000000000 \.\. ffffffbfffffffff +noncanonical /);
  });

  it("mm.rst: variants, the identical rows once at top level, FIXADDR_START as a param", () => {
    const { spec } = importTable(fixture("linux-mm.rst"), {
      fileName: "linux-mm.rst",
      attributes: false,
    }).value!;
    expect(spec).toContain('variant "4-level" {\n  paging 4');
    expect(spec).toContain('variant "5-level" {\n  paging 5');
    expect(spec.match(/cpu_entry_area_mapping/g)).toHaveLength(1);
    expect(spec).toMatch(
      /^param fixaddr_start: address = -11MB in ffffffffff000000 \.\. ffffffffff5ff000 align 4KB/m,
    );
    expect(spec).toMatch(/^fixaddr_start +\.\. ffffffffff5fffff .*offset ~-11MB; size ~0\.5MB$/m);
    expect(spec).toContain("marker row, not a region: ffffffff80000000 | -2048    MB");
  });
});

describe("vmlayout import", () => {
  it("prints the spec on stdout, exit 0", () => {
    const r = vmlayout(["import", "test/fixtures/import/gaybsd-amd64.txt", "--attributes", "no"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      importTable(fixture("gaybsd-amd64.txt"), {
        fileName: "test/fixtures/import/gaybsd-amd64.txt",
        attributes: false,
      }).value!.spec,
    );
  });

  it("no table: exit 1 with E0501 at the document", () => {
    const r = vmlayout(["import", "test/fixtures/import/no-table.txt"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^test\/fixtures\/import\/no-table\.txt:1:1: error\[E0501\]: no layout table found in `test\/fixtures\/import\/no-table\.txt`\n/,
    );
    expect(r.stderr).toContain("help: vmlayout reads Linux mm.rst ascii tables");
  });

  it("a table none of whose rows can be read: E0501 at the first, the others listed", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-import-"));
    const file = path.join(dir, "signed.md");
    const rows = ["-4 KB", "+8 KB", "~-1 MB"].map(
      (size, i) => `| ${(BigInt(i) << 12n).toString(16).padStart(16, "0")} | ${size} | r${i} |`,
    );
    writeFileSync(
      file,
      ["| Start | Size | Description |", "|---|---|---|", ...rows, ""].join("\n"),
    );
    const r = vmlayout(["import", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      `signed.md:3:1: error[E0501]: found a table in \`${file}\`, but none of its rows could be read`,
    );
    expect(r.stderr).toContain(
      "= note: also line 4: not imported: | 0000000000001000 | +8 KB | r1 |",
    );
    expect(r.stderr).toContain("= note: also line 5: not imported:");
    expect(r.stderr).toContain("a size has no sign");
  });

  it("unreadable file, no file, bad option: exit 2", () => {
    expect(vmlayout(["import", "test/fixtures/import/missing.txt"]).status).toBe(2);
    expect(vmlayout(["import"]).status).toBe(2);
    const r = vmlayout(["import", "test/fixtures/import/emerald.txt", "--attributes", "maybe"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--attributes must be yes or no");
  });

  it("is listed in the help", () => {
    expect(vmlayout(["--help"]).stdout).toContain("import <table-file>");
  });
});

describe("the document's numbers the placement cannot carry", () => {
  const row = readDocument(
    fixture("gaybsd-amd64.txt"),
    "gaybsd-amd64.txt",
  ).value!.tables[0]!.items.find((it) => it.type === "row" && it.line === 7);
  it("as attributes: `offset` and `size ~`", () => {
    expect(documentAttributes(row as Row, { sizeInExtent: false, attributes: true })).toEqual({
      attributes: ["offset -128TB", "size ~0.25TB"],
      comments: [],
    });
  });
  it("as a comment, before the language has them", () => {
    expect(documentAttributes(row as Row, { sizeInExtent: false, attributes: false })).toEqual({
      attributes: [],
      comments: ["offset -128TB", "size ~0.25TB"],
    });
  });
  it("an exact size in the extent is not repeated", () => {
    expect(
      documentAttributes(row as Row, { sizeInExtent: true, attributes: true }).attributes,
    ).toEqual(["offset -128TB"]);
  });
});
