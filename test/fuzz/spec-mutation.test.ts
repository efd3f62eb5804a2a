/**
 * Byte-level mutations of every committed spec (specs/*.layout): random bytes inserted, deleted
 * and replaced (decoded as UTF-8, as the CLI reads files), lines swapped and duplicated, the
 * file truncated, spec tokens spliced in. `checkSpec` must answer every mutant with catalogued
 * diagnostics whose spans lie inside the text, without an exception or a hang.
 */
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { FUZZ_TIMEOUT, Sandbox, fuzz, problems } from "./sandbox.js";

const SPECS = fileURLToPath(new URL("../../specs", import.meta.url));
const specs = readdirSync(SPECS)
  .filter((f) => f.endsWith(".layout"))
  .sort();

/** Fragments of the language worth splicing in: they reach deeper than random bytes. */
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
  "min(",
  "max(",
  "((((((((((",
  "\u0000",
  "\uFEFF",
  "é",
  "\u{1F600}",
] as const;

type Mutation =
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "replace"; at: number; bytes: Uint8Array }
  | { kind: "token"; at: number; token: string }
  | { kind: "swap-lines"; a: number; b: number }
  | { kind: "dup-line"; line: number }
  | { kind: "truncate"; at: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("insert" as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant("delete" as const),
    at: position,
    length: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({
    kind: fc.constant("replace" as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant("token" as const),
    at: position,
    token: fc.constantFrom(...TOKENS),
  }),
  fc.record({ kind: fc.constant("swap-lines" as const), a: position, b: position }),
  fc.record({ kind: fc.constant("dup-line" as const), line: position }),
  fc.record({ kind: fc.constant("truncate" as const), at: position }),
);

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

function splice(buf: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(buf.length - remove + insert.length);
  out.set(buf.subarray(0, at), 0);
  out.set(insert, at);
  out.set(buf.subarray(at + remove), at + insert.length);
  return out;
}

/** Applies one mutation to the file's bytes. Positions are fractions of the current length. */
export function mutate(buf: Uint8Array, m: Mutation): Uint8Array {
  const at = (f: number): number => Math.floor(f * (buf.length + 1));
  switch (m.kind) {
    case "insert":
      return splice(buf, at(m.at), 0, m.bytes);
    case "delete": {
      const i = at(m.at);
      return splice(buf, i, Math.min(m.length, buf.length - i), new Uint8Array());
    }
    case "replace": {
      const i = at(m.at);
      return splice(buf, i, Math.min(m.bytes.length, buf.length - i), m.bytes);
    }
    case "token":
      return splice(buf, at(m.at), 0, encoder.encode(m.token));
    case "truncate":
      return buf.subarray(0, at(m.at));
    case "swap-lines":
    case "dup-line": {
      const lines = decoder.decode(buf).split("\n");
      const pick = (f: number): number => Math.floor(f * lines.length);
      if (m.kind === "dup-line") {
        const i = pick(m.line);
        lines.splice(i, 0, lines[i]!);
      } else {
        const a = pick(m.a);
        const b = pick(m.b);
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      }
      return encoder.encode(lines.join("\n"));
    }
  }
}

const sandbox = new Sandbox();
afterAll(() => sandbox.close());

describe("mutated committed specs", () => {
  test.each(specs)(
    "%s",
    async (spec) => {
      const original = readFileSync(path.join(SPECS, spec));
      const name = `specs/${spec}`;
      // The unmutated spec first: it must be clean of broken invariants too.
      const text = original.toString("utf8");
      expect(problems({ [name]: text }, sandbox.run({ [name]: text }, name))).toEqual([]);
      await fuzz(fc.array(mutation, { minLength: 1, maxLength: 6 }), 300, (mutations) => {
        let bytes: Uint8Array = new Uint8Array(original);
        for (const m of mutations) bytes = mutate(bytes, m);
        const files = { [name]: decoder.decode(bytes) };
        const found = problems(files, sandbox.run(files, name));
        if (found.length > 0) throw new Error(`${found.join("\n")}\n--- input ---\n${files[name]}`);
      });
    },
    FUZZ_TIMEOUT,
  );
});
