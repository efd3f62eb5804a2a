/**
 * Byte-level mutations of every committed spec (specs/*.layout, test/fuzz/mutations.ts). Both
 * `checkSpec` (then, for a mutant without errors, every emitter, the installer, the audit and
 * the page-table dump) and the formatter must answer every mutant with catalogued diagnostics
 * whose spans lie inside the text, without an exception or a hang; the formatter's output,
 * formatted again, must not change.
 */
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { mutated, mutations } from "./mutations.js";
import { FUZZ_TIMEOUT, type Files, Sandbox, fuzz, problems } from "./sandbox.js";

const SPECS = fileURLToPath(new URL("../../specs", import.meta.url));
const specs = readdirSync(SPECS)
  .filter((f) => f.endsWith(".layout"))
  .sort();

/** Fragments of the language worth splicing in. */
const TOKENS = [
  "{",
  "}",
  "(",
  ")",
  "..",
  "..<",
  "+",
  "-",
  "*",
  "/",
  ",",
  ".",
  ":",
  "=",
  ";",
  "\n",
  " ",
  "//",
  "/*",
  "*/",
  '"',
  "\\",
  "0x",
  "_",
  "ffffffff 00000000",
  "0xFFFFFFFF.FB800000",
  "ffff888000000000",
  "4KB",
  "16M TB",
  "0.5",
  "-2GB",
  "1e3",
  "KB",
  "region",
  "hole",
  "guard",
  "noncanonical",
  "layout x",
  "paging 5",
  "paging 3",
  'include "x.layout"',
  "const c = 1",
  "param p: size = 4KB in 0 .. 8KB align 4KB",
  'variant "v" {',
  "kaslr k {",
  "range 0 ..< 1TB",
  "members",
  "may_overlap",
  "repeat 3 as i {",
  "repeat 100000 {",
  "map ram",
  "map phys 0",
  "map recursive",
  "map none",
  "perm rwx",
  "cache uc",
  "max_page 1GB",
  "align 4KB",
  "export X",
  'allow overlap "r"',
  "offset ~-11MB",
  "size ~",
  "user",
  "global",
  "per_process",
  "shared",
  "exhaustive",
  ".start",
  ".end",
  ".size",
  ".limit",
  "align_up(",
  "div(",
  "min(",
  "max(",
  "((((((((((",
  "\u0000",
  "\uFEFF",
  "é",
  "\u{1F600}",
] as const;

const sandbox = new Sandbox();
afterAll(() => sandbox.close());

/** What is wrong with checking (and building) and formatting `files[name]`. */
const checkAndFormat = (files: Files, name: string): string[] => [
  ...problems(files, sandbox.run(files, name, "emit")),
  ...problems(files, sandbox.run(files, name, "format")).map((p) => `formatter: ${p}`),
];

describe("mutated committed specs", () => {
  test.each(specs)(
    "%s",
    async (spec) => {
      const original = readFileSync(path.join(SPECS, spec));
      const name = `specs/${spec}`;
      // The unmutated spec first: it must be clean of broken invariants too.
      expect(checkAndFormat({ [name]: original.toString("utf8") }, name)).toEqual([]);
      await fuzz(mutations(TOKENS), 300, (ms) => {
        const files = { [name]: mutated(original, ms) };
        const found = checkAndFormat(files, name);
        if (found.length > 0) throw new Error(`${found.join("\n")}\n--- input ---\n${files[name]}`);
      });
    },
    FUZZ_TIMEOUT,
  );
});
