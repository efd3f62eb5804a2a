import type { Layout } from "../../src/model/layout.js";
import { type Code, catalogueEntry } from "../../src/diagnostics/catalogue.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { type VerifyOptions, verify } from "../../src/verifier/index.js";
import { type LayoutDesc, build } from "./build.js";

export const run = (desc: LayoutDesc, options?: VerifyOptions): Diagnostic[] =>
  runLayout(build(desc), options);

export const runLayout = (layout: Layout, options?: VerifyOptions): Diagnostic[] => [
  ...verify(layout, options).diagnostics,
];

/** A check's name as the catalogue spells it (what `allow NAME` takes). */
export const name = (code: string): string => catalogueEntry(code as Code).name;

export const codes = (ds: readonly Diagnostic[]): string[] => ds.map((d) => d.code);

/** The single diagnostic with `code`; fails the test when there is not exactly one. */
export function one(ds: readonly Diagnostic[], code: string): Diagnostic {
  const found = ds.filter((d) => d.code === code);
  if (found.length !== 1) {
    throw new Error(`expected one ${code}, got ${found.length}: ${JSON.stringify(ds, null, 1)}`);
  }
  return found[0]!;
}

/** All notes, labels, message and help of a diagnostic as one string (for `toContain`). */
export const text = (d: Diagnostic): string =>
  [d.message, ...d.notes, ...d.labels.map((l) => l.message), d.help ?? ""].join("\n");
