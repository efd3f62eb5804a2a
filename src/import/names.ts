/**
 * Naming rules for imported regions and layouts:
 *
 * - a parenthesised C identifier with an underscore in the description names the region
 *   (`direct mapping of all physical memory (page_offset_base)` -> `page_offset_base`);
 * - otherwise the first three words of the description, leaving out parenthesised text and
 *   small words (`of`, `for`, `the`, ...) and sizes (`4TB`), before any `,` `:` `;` `.` or
 *   ` - `, in snake_case: `LDT remap for PTI` -> `ldt_remap_pti`, `4TB direct map` ->
 *   `direct_map`, `kernel text mapping, mapped to ...` -> `kernel_text_mapping`,
 *   `(kernel end) physical allocator low` -> `physical_allocator_low`;
 * - a guard region's name ends in `_guard` unless it says "guard" already;
 * - a name that starts with a digit gets `r_` in front; one that the language does not read as a
 *   name there gets `_area` after it (a keyword: `region_area`) or else `r_` in front;
 * - a name already taken in the same scope gets `_2`, `_3`, ...
 * - unused holes and the non-canonical range stay unnamed (the language names them
 *   `hole_<start>` / `noncanonical_<start>`).
 */

import { parseSpec } from "../compiler/parse.js";

/** Where the importer writes a name, as a spec that declares `w` there and refers to it. */
const USES = {
  region: (w: string) => `0 +4KB ${w}\nconst c = ${w}\n`,
  param: (w: string) => `param ${w}: address = 0 in 0 .. 0\nconst c = ${w}\n`,
  layout: (w: string) => `layout ${w}\n`,
} as const;

/**
 * True when the language reads `word` as a name where the importer writes it (`use`): asked of
 * its own parser, so this never drifts from it. Keywords and size units are not names, nor is
 * what reads as a number (`a000000000000000`, `ffff_ff80_0000_0000tb`) or as a mistyped address
 * (`fffffff00000000`); attribute flags such as `user` name regions but not parameters.
 */
function isName(word: string, use: keyof typeof USES): boolean {
  return parseSpec(USES[use](word), "<name>").diagnostics.length === 0;
}

/** A size written as one word (`4TB`, `512GB`): it says how big, not what. */
const SIZE_WORD = /^\d+(?:[KMGTPE]i?B|kB)$/;

const SMALL = new Set([
  "a",
  "an",
  "the",
  "of",
  "for",
  "to",
  "in",
  "on",
  "at",
  "by",
  "from",
  "with",
  "and",
  "or",
  "all",
  "per",
  "up",
  "is",
]);

/**
 * A C-ish identifier for a region (or a parameter, or a layout: `use`): lower case, `_`
 * separated, not reserved, not starting with a digit.
 */
export function identifier(words: readonly string[], use: keyof typeof USES = "region"): string {
  let name = words
    .join("_")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
  if (name === "") name = "region";
  if (/^[0-9]/.test(name)) name = "r_" + name;
  return [name, `${name}_area`, `r_${name}`].find((n) => isName(n, use)) ?? `r_${name}`;
}

export function nameFromDescription(description: string, kind: string): string {
  const paren = /\(([A-Za-z_][A-Za-z0-9_]*_[A-Za-z0-9_]*)\)/.exec(description);
  let name: string;
  if (paren) name = identifier([paren[1]!]);
  else {
    const head = description.replace(/\([^)]*\)/g, " ").split(/[,(:;.]| - /)[0] ?? "";
    const words = head
      .split(/[^A-Za-z0-9_]+/)
      .filter((w) => w !== "" && !SMALL.has(w.toLowerCase()) && !SIZE_WORD.test(w))
      .slice(0, 3);
    name = identifier(words);
  }
  if (kind === "guard" && !name.includes("guard")) name += "_guard";
  return name;
}

/**
 * The layout's name from the file's name (or a title): `linux-mm.rst` -> `linux_mm`. Only a
 * last extension that is a word goes, so a version keeps its dots' places:
 * `linux-2.6.24.txt` and `Linux 2.6.24` -> `linux_2_6_24`.
 */
export function layoutName(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, "").replace(/\.[A-Za-z][A-Za-z0-9]*$/, "");
  const name = identifier([base], "layout");
  return /^r_/.test(name) ? "layout_" + name.slice(2) : name;
}

/** Hands out unique names within a scope. */
export class Names {
  private readonly used: Set<string>;
  constructor(used: Iterable<string> = []) {
    this.used = new Set(used);
  }
  take(name: string): string {
    let unique = name;
    for (let n = 2; this.used.has(unique); n++) unique = `${name}_${n}`;
    this.used.add(unique);
    return unique;
  }
  fork(): Names {
    return new Names(this.used);
  }
}
