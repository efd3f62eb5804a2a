/**
 * Naming rules for imported regions and layouts:
 *
 * - a parenthesised C identifier with an underscore in the description names the region
 *   (`direct mapping of all physical memory (page_offset_base)` -> `page_offset_base`);
 * - otherwise the first three words of the description, leaving out parenthesised text and
 *   small words (`of`, `for`, `the`, ...), before any `,` `:` `;` `.` or ` - `, in snake_case:
 *   `LDT remap for PTI` -> `ldt_remap_pti`, `kernel text mapping, mapped to ...` ->
 *   `kernel_text_mapping`, `(kernel end) physical allocator low` -> `physical_allocator_low`;
 * - a guard region's name ends in `_guard` unless it says "guard" already;
 * - a name that starts with a digit or reads as a number gets `r_` in front, a reserved word
 *   gets `_area` after it;
 * - a name already taken in the same scope gets `_2`, `_3`, ...
 * - unused holes and the non-canonical range stay unnamed (the language names them
 *   `hole_<start>` / `noncanonical_<start>`).
 */

import { tokenMatcher } from "../../grammar/chevrotain.js";
import * as T from "../../grammar/tokens.js";

/**
 * How the grammar's own lexer reads `word`, so this never drifts from the language: a name, a
 * reserved word (a keyword or size unit: one token, not a name; attribute flags such as `user`
 * are names), or something else (`ffff_ff80_0000_0000tb` is a number and a name).
 */
function lexedAs(word: string): "name" | "reserved" | "other" {
  const { tokens, errors } = T.lexer.tokenize(word);
  if (errors.length > 0 || tokens.length !== 1 || tokens[0]!.image !== word) return "other";
  return tokenMatcher(tokens[0]!, T.Name) ? "name" : "reserved";
}

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

/** A C-ish identifier: lower case, `_` separated, not reserved, not starting with a digit. */
export function identifier(words: readonly string[]): string {
  let name = words
    .join("_")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
  if (name === "") name = "region";
  if (/^[0-9]/.test(name)) name = "r_" + name;
  const lexed = lexedAs(name);
  if (lexed === "reserved") name += "_area";
  else if (lexed === "other") name = "r_" + name;
  return name;
}

export function nameFromDescription(description: string, kind: string): string {
  const paren = /\(([A-Za-z_][A-Za-z0-9_]*_[A-Za-z0-9_]*)\)/.exec(description);
  let name: string;
  if (paren) name = identifier([paren[1]!]);
  else {
    const head = description.replace(/\([^)]*\)/g, " ").split(/[,(:;.]| - /)[0] ?? "";
    const words = head
      .split(/[^A-Za-z0-9_]+/)
      .filter((w) => w !== "" && !SMALL.has(w.toLowerCase()))
      .slice(0, 3);
    name = identifier(words);
  }
  if (kind === "guard" && !name.includes("guard")) name += "_guard";
  return name;
}

/** The layout's name from the file's name: `linux-mm.rst` -> `linux_mm`. */
export function layoutName(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, "").replace(/\..*$/, "");
  const name = identifier([base]);
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
