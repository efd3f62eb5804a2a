/** Layouts for the installer, audit and QEMU tests: committed specs, the fixture, inline text. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { Layout } from "../../../src/model/layout.js";
import { checkSpec } from "../../../src/pipeline.js";

export const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
export const KiB = 1024n;
export const MiB = 1024n * KiB;
export const GiB = 1024n * MiB;
export const TiB = 1024n * GiB;

/** The verified layout of a committed spec (one variant). */
export function specLayout(name: string, variant?: string): Layout {
  const c = checkSpec(path.join(ROOT, "specs", `${name}.layout`), { variant });
  const errors = c.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || c.layouts.length !== 1) {
    throw new Error(`${name}: ${errors.map((d) => d.message).join("; ") || "not one layout"}`);
  }
  return c.layouts[0]!;
}

/** The differential-test fixture with every kind of mapping. */
export function mixedLayout(): Layout {
  const c = checkSpec(path.join(ROOT, "test", "runtime", "qemu", "fixtures", "mixed.layout"));
  if (c.diagnostics.some((d) => d.severity === "error")) throw new Error("mixed.layout has errors");
  return c.layouts[0]!;
}

/** A layout from inline spec text (must verify without errors). */
export function inlineLayout(text: string): Layout {
  const file = path.join(ROOT, "inline-test.layout");
  const c = checkSpec(file, { readFile: (f) => (f === file ? text : readFileSync(f, "utf8")) });
  const errors = c.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join("\n"));
  return c.layouts[0]!;
}
