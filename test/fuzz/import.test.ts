/**
 * The importer on hostile documents: byte-level mutations of the import fixtures (the seeds'
 * tables, test/fuzz/mutations.ts), and random tables in each format it reads, built from cells
 * that are mostly plausible. `importTable` must either find no table (E0501) or write a
 * spec that the formatter accepted and that `checkSpec` answers with catalogued diagnostics
 * whose spans lie inside it: never an exception, never a hang.
 */
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { mutated, mutations } from "./mutations.js";
import { FUZZ_TIMEOUT, type Files, type RunResult, Sandbox, fuzz, problems } from "./sandbox.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/import", import.meta.url));
const documents = readdirSync(FIXTURES).sort();

/** Fragments of the tables' formats worth splicing in. */
const TOKENS = [
  "|",
  "||",
  "+---+",
  "|---|---|",
  "=====",
  "::",
  "..",
  " - ",
  "~",
  "+",
  "-",
  "`",
  "\\",
  "\n",
  "\t",
  " ",
  "0x",
  "_",
  ".",
  "ffff888000000000",
  "ffffffff 80000000",
  "FFFF_FF80_0000_0000",
  "0000000000000000",
  "ffffffffffffffff",
  "128 TB",
  "~16M TB",
  "0.5 TB",
  "-2 GB",
  "1.6M TB",
  "4 kB",
  "KB",
  "EB",
  "Start",
  "End",
  "Size",
  "Offset",
  "Description",
  "Name",
  "start address",
  "| Start | End | Size | Description |",
  "4-level",
  "5-level",
  "layout",
  "region",
  '"',
  "{",
  "}",
  "//",
  "\u0000",
  "\uFEFF",
  "é",
] as const;

// --- random tables -----------------------------------------------------------------------------

const hex16 = fc
  .bigInt({ min: 0n, max: 2n ** 64n - 1n })
  .map((v) => v.toString(16).padStart(16, "0"));
/** Addresses near the interesting ones: page-aligned starts and their last bytes. */
const address = fc.oneof(
  hex16,
  fc
    .tuple(
      fc.constantFrom(0n, 0xffff800000000000n, 0xffff888000000000n, 0xffffffff80000000n),
      fc.nat(1 << 20),
    )
    .map(([base, pages]) => (base + BigInt(pages) * 4096n) % 2n ** 64n)
    .chain((start) =>
      fc
        .constantFrom(start, (start + 2n ** 64n - 1n) % 2n ** 64n)
        .map((v) => v.toString(16).padStart(16, "0")),
    ),
);
const unit = fc.constantFrom("B", "KB", "kB", "MB", "GB", "TB", "PB", "EB", "M TB", "K PB", "");
const quantity = fc
  .tuple(
    fc.constantFrom("", "~", "~ ", "+", "-"),
    fc.oneof(fc.nat(4096).map(String), fc.constantFrom("0.5", "1.6", "119.75", "15.99", "16")),
    fc.constantFrom(" ", ""),
    unit,
  )
  .map((parts) => parts.join(""));
const description = fc.oneof(
  fc.constantFrom(
    "direct map",
    "vmalloc",
    "unused hole",
    "kernel text",
    "... hole",
    "`x` area",
    "",
  ),
  fc.string({ maxLength: 24 }),
);
const cell = fc.oneof(
  { weight: 3, arbitrary: address },
  { weight: 2, arbitrary: quantity },
  { weight: 2, arbitrary: description },
);

interface Row {
  readonly start: string;
  readonly offset: string;
  readonly end: string;
  readonly size: string;
  readonly description: string;
}
const row: fc.Arbitrary<Row> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      start: address,
      offset: quantity,
      end: address,
      size: quantity,
      description,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ start: cell, offset: cell, end: cell, size: cell, description: cell }),
  },
);

/** GayBSD's columns: `ffff8000 00000000 -128 TB ffff8040 20100fff ~ 0.25 TB description`. */
const split = (a: string): string => (a.length === 16 ? `${a.slice(0, 8)} ${a.slice(8)}` : a);

const table = fc.oneof(
  // Markdown, columns in any order.
  fc
    .tuple(
      fc.array(row, { maxLength: 12 }),
      fc.shuffledSubarray(["Start", "End", "Size", "Description", "Offset", "Name"], {
        minLength: 2,
      }),
    )
    .map(([rows, columns]) => {
      const value = (r: Row, c: string): string =>
        ({
          Start: r.start,
          End: r.end,
          Size: r.size,
          Description: r.description,
          Offset: r.offset,
          Name: "",
        })[c] ?? "";
      return [
        "# Layout",
        "",
        `| ${columns.join(" | ")} |`,
        `|${columns.map(() => "---").join("|")}|`,
        ...rows.map((r) => `| ${columns.map((c) => value(r, c)).join(" | ")} |`),
      ].join("\n");
    }),
  // mm.rst's ascii table.
  fc
    .array(fc.oneof({ weight: 5, arbitrary: row }, { weight: 1, arbitrary: fc.constant(null) }), {
      maxLength: 12,
    })
    .map((rows) =>
      [
        "Complete virtual memory map with 4-level page tables",
        "",
        "::",
        "",
        "  " + "=".repeat(80),
        "      Start addr    |   Offset   |     End addr     |  Size   | VM area description",
        "  " + "=".repeat(80),
        ...rows.map((r) =>
          r === null
            ? "  __________________|____________|__________________|_________|_______________"
            : `   ${r.start} | ${r.offset} | ${r.end} | ${r.size} | ${r.description}`,
        ),
        "  " + "=".repeat(80),
      ].join("\n"),
    ),
  // Emerald's range lines.
  fc
    .array(fc.tuple(address, address, description, quantity), { maxLength: 10 })
    .map((rows) =>
      ["Layout", "", ...rows.map(([a, b, d, q]) => `${a} .. ${b} - ${d} (${q})`)].join("\n"),
    ),
  // GayBSD's columns.
  fc
    .array(row, { maxLength: 10 })
    .map((rows) =>
      [
        "start address offset end address size description",
        ...rows.map(
          (r) => `${split(r.start)} ${r.offset} ${split(r.end)} ${r.size} ${r.description}`,
        ),
      ].join("\n"),
    ),
  // Linux 2.6's mm.txt lines, `(=NN bits)` or a quantity, prose between.
  fc
    .array(fc.oneof({ weight: 4, arbitrary: row }, { weight: 1, arbitrary: fc.constant(null) }), {
      maxLength: 10,
    })
    .chain((rows) =>
      fc.tuple(
        fc.constant(rows),
        fc.array(fc.nat(70), { minLength: rows.length, maxLength: rows.length }),
      ),
    )
    .map(([rows, bits]) =>
      [
        "Virtual memory map with 4 level page tables:",
        "",
        ...rows.map((r, k) =>
          r === null
            ? "... unused hole ..."
            : `${r.start} - ${r.end} (=${k % 2 ? `${bits[k]} bits` : r.size}) ${r.description}`,
        ),
      ].join("\n"),
    ),
  // FreeBSD's vmparam.h comment table, markers after it.
  fc
    .tuple(
      fc.array(row, { maxLength: 10 }),
      fc.array(fc.tuple(address, description), { maxLength: 3 }),
    )
    .map(([rows, markers]) =>
      [
        "/*",
        " * amd64 virtual address map:",
        " *",
        ...rows.map((r) => ` * 0x${r.start} - 0x${r.end}   ${r.size} ${r.description}`),
        " *",
        ...markers.map(([a, d]) => ` * 0x${a}                        ${d}`),
        " */",
      ].join("\n"),
    ),
  // illumos' startup.c box diagram: boundaries with an address, a placeholder or none, names
  // fixed, floating or lowered, labels between.
  fc
    .array(
      fc.tuple(
        fc.oneof(
          address.map((a) => `0x${a.slice(0, 8)}.${a.slice(8)}`),
          fc.constantFrom("0xFFFFFXXX.XXX00000", "---", "", "0xFFFFFFFF.FB8000000"),
        ),
        fc.constantFrom("", "- KERNELBASE (lower if >256GB)", "- segkp_base (floating)", "- a / b"),
        fc.array(description, { maxLength: 2 }),
      ),
      { maxLength: 10 },
    )
    .map((boundaries) =>
      [
        "/*",
        " *\t\t64-bit Kernel's Virtual memory layout.",
        " *\t\t\t+-----------------------+",
        ...boundaries.flatMap(([a, name, labels]) => [
          ...labels.map((l) => ` *\t\t\t|   ${l}\t|`),
          ` * ${a.padEnd(20)} |-----------------------|${name}`,
        ]),
        " * 0x00000000.00000000\t+-----------------------+",
        " */",
      ].join("\n"),
    ),
);

// --- the tests ---------------------------------------------------------------------------------

const sandbox = new Sandbox();
afterAll(() => sandbox.close());

/** Imports `files[name]`; throws with the input when an invariant breaks. */
function importChecked(files: Files, name: string): RunResult {
  const result = sandbox.run(files, name, "import");
  const found = problems(files, result);
  if (found.length > 0) throw new Error(`${found.join("\n")}\n--- input ---\n${files[name]}`);
  return result;
}

describe("the importer", () => {
  test.each(documents)(
    "on mutations of %s",
    async (document) => {
      const original = readFileSync(path.join(FIXTURES, document));
      const name = `test/fixtures/import/${document}`;
      importChecked({ [name]: original.toString("utf8") }, name);
      await fuzz(mutations(TOKENS), 200, (ms) => {
        importChecked({ [name]: mutated(original, ms) }, name);
      });
    },
    FUZZ_TIMEOUT,
  );

  test(
    "on random tables in every format it reads",
    async () => {
      let imported = 0;
      let runs = 0;
      await fuzz(table, 1000, (text) => {
        const r = importChecked({ "table.md": text }, "table.md");
        runs++;
        if (r.ok === true && r.produced !== undefined) imported++;
      });
      // The generator must reach the spec writer, not only "no table found".
      expect(imported).toBeGreaterThan(runs / 4);
    },
    FUZZ_TIMEOUT,
  );
});
