/**
 * The kernels' own layout comments (FreeBSD's vmparam.h table, Linux 2.6's mm.txt, illumos'
 * startup.c box diagram) and a table's inclusive/exclusive end convention, settled once per
 * table (W0502), with unread rows kept as comments (W0501). The fixtures carry the real rows,
 * transcribed with the commit named in each one's header.
 */
import { describe, expect, it } from "vitest";
import { importTable, readDocument } from "../../src/import/index.js";
import type { Document, Item, Row } from "../../src/import/model.js";
import { vmlayout } from "../cli-helpers.js";
import { fixture, importToDir } from "./helpers.js";

const rowsOf = (items: readonly Item[]): Row[] =>
  items.flatMap((it) => (it.type === "row" ? [it, ...rowsOf(it.children)] : []));
const read = (file: string) => readDocument(fixture(file), file);
const rows = (doc: Document | undefined): Row[] => rowsOf(doc!.tables[0]!.items);
const codesAt = (file: string): string[] =>
  read(file).diagnostics.map((d) => {
    const line = fixture(file).slice(0, d.span!.start).split("\n").length;
    return `${d.code}@${line}`;
  });

describe("a table's end convention, once per table", () => {
  it("Linux 2.6 mm.txt: inclusive (its (=NN bits) rows); the two exclusive rows are W0502", () => {
    const doc = read("linux-2.6-mm.txt").value!;
    expect(rows(doc).every((r) => !r.endExclusive)).toBe(true);
    expect(codesAt("linux-2.6-mm.txt")).toEqual(["W0502@15", "W0502@17"]);
  });

  it("Markdown: the kernel heap's ...000 end among ...fff ends is W0502, imported inclusive", () => {
    const heap = rows(read("markdown-layout.md").value).find((r) => r.line === 9)!;
    expect(heap.endExclusive).toBe(false);
    expect(codesAt("markdown-layout.md")).toEqual(["W0502@9"]);
  });

  it("Emerald: each section has its own (inclusive top table, exclusive kernel layout)", () => {
    const byLine = new Map(rows(read("emerald.txt").value).map((r) => [r.line, r.endExclusive]));
    expect(byLine.get(3)).toBe(false); // `.. FFFF_FF7F_FFFF_FFFF`
    expect(byLine.get(9)).toBe(true); // `..FFFF_FFFF_8010_0000`
    expect(read("emerald.txt").diagnostics).toEqual([]);
  });

  it("FreeBSD: a start on the row above's last byte is W0502 and starts one byte later", () => {
    const unused = rows(read("freebsd-vmparam.h").value).find((r) => r.line === 18)!;
    expect(unused.start).toEqual({
      type: "literal",
      text: "0xffff804020101000",
      value: 0xffff804020101000n,
    });
    expect(codesAt("freebsd-vmparam.h")).toEqual(["W0502@18"]);
  });

  it("a size decides before the end's low bits: end - start is exclusive", () => {
    const text = [
      "| Start | End | Size | Description |",
      "|---|---|---|---|",
      "| 0x0000000000000000 | 0x0000000000001000 | 4 KB | a |",
      "| 0x0000000000001000 | 0x0000000000003000 | 8 KB | b |",
      "| 0x0000000000003000 | 0x0000000000003fff | 4 KB | c |",
    ].join("\n");
    const doc = readDocument(text, "t.md");
    expect(rows(doc.value).map((r) => r.endExclusive)).toEqual([true, true, true]);
    expect(doc.diagnostics.map((d) => d.code)).toEqual(["W0502"]);
    expect(doc.diagnostics[0]!.message).toContain(
      "ends at `0x0000000000003fff` as an inclusive end",
    );
  });
});

describe("Linux 2.6 mm.txt", () => {
  it("reads (=NN bits) as 2^NN bytes and (=NN MB) as a size; prose lines are comments", () => {
    const doc = read("linux-2.6-mm.txt").value!;
    expect(doc.format).toBe("mm-txt");
    expect(rows(doc).map((r) => r.size?.text)).toEqual([
      "128TB",
      "1TB",
      "64TB",
      "1TB",
      "32TB",
      "1TB",
      "40MB",
      "1919MB",
    ]);
    const notes = doc.tables[0]!.items.flatMap((it) => (it.type === "note" ? [it.text] : []));
    expect(notes).toEqual(["hole caused by [48:63] sign extension", "unused hole", "unused hole"]);
    expect(doc.title).toBe("Virtual memory map with 4 level page tables");
    expect(doc.tables[0]!.pagingHint).toEqual({ arch: "x86_64", levels: 4, vaBits: 48 });
  });

  it("joins an indented line to the row above; a malformed size keeps the row as a comment", () => {
    const text = [
      "0000000000000000 - 00007fffffffffff (=47 bits) user space,",
      "                                               different per mm",
      "ffff800000000000 - ffff80ffffffffff (=4O bits) guard hole",
    ].join("\n");
    const doc = readDocument(text, "mm.txt");
    expect(rows(doc.value).map((r) => r.description)).toEqual(["user space, different per mm"]);
    expect(doc.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "W0501",
        "line 3 of the table cannot be read: `(=4O bits)` is not a size (`(=46 bits)`, `(=40 MB)`)",
      ],
    ]);
  });

  it("checks clean but for the two rows whose sizes fit only an exclusive end (E0206)", () => {
    const { dir, spec } = importToDir("linux-2.6-mm.txt", true);
    const r = vmlayout(["check", spec], { cwd: dir });
    expect([...r.stderr.matchAll(/error\[(E\d+)\].*`(\w+)`/g)].map((m) => [m[1], m[2]])).toEqual([
      ["E0206", "kernel_text_mapping"],
      ["E0206", "module_mapping_space"],
    ]);
  });
});

describe("FreeBSD vmparam.h", () => {
  it("reads the comment's rows; its markers (KERNBASE) are comments", () => {
    const doc = read("freebsd-vmparam.h").value!;
    expect(doc.format).toBe("vmparam");
    expect(rows(doc)).toHaveLength(11);
    const { spec } = importTable(fixture("freebsd-vmparam.h"), {
      fileName: "freebsd-vmparam.h",
    }).value!;
    expect(spec).toContain("// line 30: marker, not a region: 0xffffffff80000000 KERNBASE");
    // A size opening the description is the row's size.
    expect(spec).toMatch(/^0xfffff80000000000 \+4TB \.\. 0xfffffbffffffffff +direct_map /m);
  });

  it("an optional range that overlaps another waives the overlap; one that does not, nothing", () => {
    const { spec } = importTable(fixture("freebsd-vmparam.h"), {
      fileName: "freebsd-vmparam.h",
    }).value!;
    const waiving = spec
      .split("\n")
      .filter((l) => /^\S/.test(l) && /optional/.test(l))
      .map((l) => [/(\w+) +"/.exec(l)![1], /\{$/.test(l)]);
    expect(waiving).toEqual([
      ["kmsan_origin_map", true],
      ["kasan_shadow_map", true],
      ["kmsan_shadow_map", false],
    ]);
  });

  it("check: the recursive slot is not one PML4 entry (E0214), KASAN's 512GB is not its range (E0206)", () => {
    const { dir, spec } = importToDir("freebsd-vmparam.h", true);
    const r = vmlayout(["check", spec], { cwd: dir });
    expect(
      [...r.stderr.matchAll(/(?:error|warning)\[(\w+)\][^`]*`(\w+)`/g)].map((m) => [m[1], m[2]]),
    ).toEqual([
      ["E0214", "recursive_page_table"],
      ["E0206", "kasan_shadow_map"],
    ]);
    // Its size puts the end where the kernel's KASAN_MAX_ADDRESS does: one PML4 slot.
    expect(r.stderr).toContain("make it end at 0xfffff7ffffffffff");
  });
});

describe("illumos startup.c box diagram", () => {
  const imported = () =>
    importTable(fixture("illumos-startup.c"), { fileName: "illumos-startup.c" }).value!.spec;

  it("fixed named boundaries are consts, an alias names the first", () => {
    const spec = imported();
    expect(spec).toMatch(/^const core_base = 0xFFFFFFFF\.C0000000 /m);
    expect(spec).toMatch(/^const ekernelheap = core_base /m);
    expect(spec).toMatch(
      /^core_base +\.\.< kernel_text +core_heap +"Core heap \(used for loadable modules\)"/m,
    );
  });

  it("'(lower if >256GB)' is a param up to the diagram's value, its default", () => {
    expect(imported()).toMatch(
      /^param kernelbase: address = fffffd8000000000 in ffff800000001000 \.\. fffffd8000000000 /m,
    );
  });

  it("floating boundaries are params over disjoint, ordered shares of their span", () => {
    const params = [...imported().matchAll(/^param (\w+): address = \w+ in (\w+) \.\. (\w+)/gm)]
      .map(([, name, lo, hi]) => ({ name, lo: BigInt(`0x${lo}`), hi: BigInt(`0x${hi}`) }))
      .filter((p) =>
        ["segkp_base", "segzio_base", "toxic_addr", "segmap_start", "kernelheap"].includes(p.name!),
      );
    expect(params.map((p) => p.name)).toEqual([
      "segkp_base",
      "segzio_base",
      "toxic_addr",
      "segmap_start",
      "kernelheap",
    ]);
    params.forEach((p, k) => {
      expect(p.lo).toBeGreaterThan(0xffffff0000000000n); // above valloc_base's highest
      expect(p.hi).toBeLessThan(0xffffffffc0000000n); // below core_base
      if (k > 0) expect(p.lo).toBeGreaterThan(params[k - 1]!.hi);
    });
  });

  it("reads the first box drawn with 64-bit addresses, past startup.c's 32-bit one", () => {
    const box32 = [
      " *\t\t+-----------------------+",
      " * 0xFFC00000  -|-----------------------|- ARGSBASE",
      " *\t\t|\tdebugger\t|",
      " * 0xFF800000  -|-----------------------|- SEGDEBUGBASE",
      " *",
    ];
    const text = fixture("illumos-startup.c").replace(
      "/*\n *\t\t64-bit",
      `/*\n${box32.join("\n")}\n *\t\t64-bit`,
    );
    expect(text).toContain("0xFFC00000  -|");
    const { spec } = importTable(text, { fileName: "startup.c" }).value!;
    expect(spec).not.toContain("0xFFC00000");
    expect(spec).toMatch(/^const argsbase = 0xFFFFFFFF\.FFC00000 /m);
  });

  it("checks clean: the verifier proves it for every value of the parameters", () => {
    const { dir, spec } = importToDir("illumos-startup.c", true);
    const r = vmlayout(["check", spec], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
  });
});

describe("vmlayout import with warnings", () => {
  it("prints the spec on stdout and the document's warnings on stderr, exit 0", () => {
    const r = vmlayout(["import", "test/fixtures/import/linux-2.6-mm.txt"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("layout linux_2_6_mm");
    expect(r.stderr).toMatch(/^test\/fixtures\/import\/linux-2\.6-mm\.txt:15:1: warning\[W0502\]/);
    expect(r.stderr).toContain("2 warnings emitted");
  });
});
