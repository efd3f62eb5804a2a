/**
 * Text helpers of the emitters: the spec's words for a region's attributes, word wrapping,
 * column alignment and the joining of blocks that keep generated files tidy.
 */
import { shortHex, size } from "../../model/format.js";
import type { Layout, Region } from "../../model/layout.js";
import { archOf } from "../../arch/registry.js";

/** Line width the emitters wrap comments to. */
export const WIDTH = 100;

/** The region's attributes in the spec's words: `map ram, rw, global, max_page 1 GiB`. */
export function attributes(r: Region): string[] {
  const out: string[] = [];
  // Not for `hole_ffffc88000000000` or `non_canonical`, whose names say it already.
  if (r.kind !== "region" && !r.name.replace(/_/g, "").startsWith(r.kind))
    out.push(r.kind === "noncanonical" ? "non-canonical" : r.kind);
  if (r.map)
    out.push(r.map.kind === "phys" ? `map phys ${shortHex(r.map.base)}` : `map ${r.map.kind}`);
  if (r.perm) out.push(r.perm);
  if (r.cache) out.push(`cache ${r.cache}`);
  if (r.user) out.push("user");
  if (r.global) out.push("global");
  if (r.perProcess) out.push("per process");
  if (r.maxPage !== undefined) out.push(`max_page ${size(r.maxPage)}`);
  if (r.align) out.push(`align ${size(r.align.value)}`);
  return out;
}

/**
 * `4-level paging, 48-bit virtual addresses` (x86-64), `Sv39, 39-bit virtual addresses`
 * (RISC-V), `AArch64 4K granule, 48-bit virtual addresses per half`.
 */
export const pagingText = (l: Layout, separator = ", "): string =>
  archOf(l.paging).title.join(separator);

/**
 * The name of the lower (0) or upper (1) half: `lower canonical half`, or on AArch64 the
 * register whose tables translate it, `TTBR1_EL1 half`.
 */
export function halfName(l: Layout, half: 0 | 1): string {
  const roots = archOf(l.paging).halfRoots;
  return roots ? `${roots[half]} half` : `${half === 0 ? "lower" : "upper"} canonical half`;
}

/** `s` with its first letter in upper case. */
export const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The spec file's base name. */
export const specBaseName = (l: Layout): string => l.file.split(/[\\/]/).pop() ?? l.file;

/** A word the shell reads back as `s`: as it is when that is safe, else in single quotes. */
export const shellWord = (s: string): string =>
  /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;

/**
 * Greedy word wrap to `width` (columns, or what `measure` counts: the picture's pixels); lines
 * after the first start with `indent`. A word longer than a line gets a line of its own; no
 * words, no lines.
 */
export function wrap(
  text: string,
  width: number,
  indent = "",
  measure: (line: string) => number = (line) => line.length,
): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line === "") line = (lines.length === 0 ? "" : indent) + word;
    else if (measure(line + " " + word) <= width) line += " " + word;
    else {
      lines.push(line);
      line = indent + word;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** Pads every column but the last to its widest cell; trailing spaces are trimmed. */
export function columns(rows: readonly (readonly string[])[], gap = 1): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row
      .map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]! + gap) : cell))
      .join("")
      .trimEnd(),
  );
}

/**
 * Joins blocks of lines with one blank line between blocks, and makes sure the text ends with
 * exactly one newline.
 */
export function blocks(parts: readonly (readonly string[])[]): string {
  return (
    parts
      .filter((p) => p.length > 0)
      .map((p) => p.join("\n"))
      .join("\n\n")
      .replace(/[ \t]+$/gm, "") + "\n"
  );
}
