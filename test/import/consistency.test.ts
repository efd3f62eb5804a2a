/**
 * The document's own numbers, checked by the language's `offset EXPR` and `size ~EXPR`
 * attributes (the Offset column, and approximate sizes: within 10%; E0215): importing then
 * checking reports each document's real inconsistencies at the imported lines.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { importTable } from "../../src/import/index.js";
import { vmlayout } from "../cli-helpers.js";
import { IMPORTED, fixture, importToDir } from "./helpers.js";

/** `line N` comments of the region lines that have an error, from `check`'s output. */
function errorLines(stderr: string): number[] {
  const out: number[] = [];
  const lines = stderr.split("\n");
  lines.forEach((l, k) => {
    if (!/: error\[E\d+\]/.test(l)) return;
    const m = /\/\/ line (\d+)/.exec(lines[k + 1] ?? "");
    if (m) out.push(Number(m[1]));
  });
  return out;
}

describe("the document's offsets and approximate sizes as attributes", () => {
  it("the CLI writes them by default", () => {
    const r = vmlayout(["import", "test/fixtures/import/gaybsd-amd64.txt"]);
    expect(r.stdout).toContain("{ map recursive; offset -128TB; size ~0.25TB }");
  });

  for (const [file] of IMPORTED) {
    it(`${file}: golden spec with attributes`, async () => {
      const { spec } = importTable(fixture(file), { fileName: file, attributes: true }).value!;
      await expect(spec).toMatchFileSnapshot(
        path.join(import.meta.dirname, "golden", `${file}.attributes.layout`),
      );
    });
  }

  it("mm.rst: the only error is the fixmap row (~-11 MB, ~0.5 MB, ffffffffff5fffff disagree)", () => {
    const { dir, spec } = importToDir("linux-mm.rst", true);
    const r = vmlayout(["check", spec], { cwd: dir });
    expect(r.status).toBe(1);
    // Line 51 of the fixture is FIXADDR_START's row of the 4-level table (line 84 of mm.rst).
    expect(fixture("linux-mm.rst").split("\n")[50]).toContain("FIXADDR_START");
    expect(errorLines(r.stderr)).toEqual([51]);
  });

  it("a diagnostic on an imported row notes the table's line, also once the spec is edited", () => {
    const { dir, spec } = importToDir("linux-mm.rst", true);
    const r = vmlayout(["check", spec], { cwd: dir });
    expect(r.stderr).toContain("= note: from linux-mm.rst:51 (and 103)\n");
    const file = path.join(dir, spec);
    const edited = readFileSync(file, "utf8").replace(/\n/, "\n// edited by hand\n\n");
    writeFileSync(file, edited);
    const again = vmlayout(["check", spec], { cwd: dir });
    expect(again.stderr).toMatch(/:53:\d+: error\[E0215\]/);
    expect(again.stderr).toContain("= note: from linux-mm.rst:51 (and 103)\n");
  });

  it("GayBSD: the `~ 1.6M TB` hole (10x off) and the recursive page-table row", () => {
    const { dir, spec } = importToDir("gaybsd-amd64.txt", true);
    const r = vmlayout(["check", spec], { cwd: dir });
    expect(r.status).toBe(1);
    expect([...new Set(errorLines(r.stderr))].sort()).toEqual([6, 7]);
  });

  it("Markdown: the kernel heap's size disagrees with its end; the offsets agree", () => {
    const { dir, spec } = importToDir("markdown-layout.md", true);
    const r = vmlayout(["check", spec], { cwd: dir });
    expect(errorLines(r.stderr)).toEqual([9]);
  });

  it("a wrong offset is reported at its line (E0215)", () => {
    const text = fixture("gaybsd-amd64.txt").replace("-8 TB fffffbff", "-9 TB fffffbff");
    const { spec } = importTable(text, { fileName: "gaybsd.txt", attributes: true }).value!;
    const { dir } = importToDir("gaybsd-amd64.txt", true);
    const file = path.join(dir, "wrong-offset.layout");
    writeFileSync(file, spec);
    const r = vmlayout(["check", "wrong-offset.layout"], { cwd: dir });
    expect(r.stderr).toMatch(
      /error\[E0215\]: `linear_physical_memory` starts at 0xfffff80000000000, offset -8 TiB, not the documented offset -9 TiB/,
    );
    expect(errorLines(r.stderr)).toContain(9);
  });
});
