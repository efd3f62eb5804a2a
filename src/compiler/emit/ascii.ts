/**
 * `--emit ascii`: the layout as the plain-text table of Linux's mm.rst
 * (Documentation/arch/x86/x86_64/mm.rst), one table per variant:
 *
 *     ========================================================================================================================
 *         Start addr    |   Offset   |     End addr     |  Size   | VM area description
 *     ========================================================================================================================
 *      ffff888000000000 | -119.5  TB | ffffc87fffffffff |   64 TB | direct mapping of all physical memory (page_offset_base)
 *
 * Each table is an rST literal block under a section title, so the output can be pasted into
 * a `.rst` file as it is. Rows are grouped like the document's: the lower canonical half, the
 * non-canonical hole, the upper half under a banner, and, in a spec with variants, the rows all
 * variants share under an "Identical layout" banner. Holes, guards and the non-canonical range
 * are written `... description`; nested regions are indented two spaces per level. Addresses
 * that no region covers (between siblings, or between a parent's edges and its children) are
 * rows too, `... not in any region`, so the rows tile the space as the document's do. A bound that
 * depends on a parameter is shown at the parameter's default and marked `~` (a bound that *is*
 * a parameter shows the parameter's C name, like the document's `FIXADDR_START`), and the
 * parameters are listed under the table.
 *
 * The table model (rows, gaps, groups, cells) is table.ts, shared with `--emit md` and `--emit svg`.
 */
import { hexDigits, list } from "../../model/format.js";
import type { Layout } from "../../model/layout.js";
import type { Emitter } from "./emitter.js";
import { Escapes, plainText, rstTitle, rstWidth, withSpecText } from "./escape.js";
import {
  type RowCells,
  describe,
  layoutTitle,
  notedParams,
  rowCells,
  tableGroups,
} from "./table.js";
import { wrap } from "./text.js";
import { formatSize, halfSize, topUnit, type Unit } from "./units.js";

/** Notes under a table: the parameters its `~` cells depend on and the KASLR groups. */
function tableNotes(layout: Layout, unit: Unit): string[] {
  const notes: string[] = [];
  const params = notedParams(layout);
  if (params.length > 0) {
    notes.push(
      "~ marks a value that is rounded or depends on a parameter; parameters are at their defaults:",
    );
    for (const p of params) {
      // A count is a number of things, never bytes (`lm_ents = 8`).
      const value = (v: bigint): string =>
        p.type === "address"
          ? hexDigits(v)
          : p.type === "count"
            ? v.toString()
            : formatSize(v, unit);
      const step = p.type === "count" ? p.align.toString() : formatSize(p.align, unit);
      const range = `${value(p.min)}..${value(p.max)}`;
      notes.push(
        `  ${p.name} (${p.exportName}) = ${value(p.default)}, in ${range}` +
          (p.align > 1n ? `, align ${step}` : "") +
          (p.description ? `: ${p.description}` : ""),
      );
    }
  }
  for (const k of layout.kaslr) {
    notes.push(
      `KASLR ${k.name}: ${list(k.members.map((m) => m.name))} move, in this order, within ${hexDigits(k.rangeStart)}..${hexDigits(k.rangeEnd)}` +
        `, ${formatSize(k.align, unit)} aligned` +
        (k.mayOverlap.length > 0
          ? `; may overlap ${k.mayOverlap.map((m) => m.name).join(", ")}`
          : "") +
        ".",
    );
  }
  return notes;
}

// --- The ascii table ------------------------------------------------------------------------

/** The document's column widths; a column grows if a cell needs more. */
const MIN = { start: 18, offset: 12, end: 18, size: 9 };
const DESCRIPTION_WIDTH = 58;
const INDENT = "  ";
/** The document's table is 120 columns wide; the notes under it wrap there too. */
const NOTES_WIDTH = 120;

const centre = (text: string, width: number): string => {
  const left = Math.floor((width - text.length) / 2);
  return (" ".repeat(left) + text).padEnd(width);
};

function renderTable(layout: Layout, all: readonly Layout[]): string[] {
  const unit = topUnit(halfSize(layout.paging));
  const groups = tableGroups(layout, all);
  const cells = new Map(
    groups.flatMap((g) => g.rows).map((r) => [r, rowCells(r, layout, unit)] as const),
  );

  // Offset: sign and integer part right-aligned, fraction left-aligned, then the unit.
  const offsetInt = (c: RowCells): string =>
    `${c.offset.approx || c.startVaries ? "~" : ""}${c.offset.sign}${c.offset.int}`;
  const sizeNumber = (c: RowCells): string =>
    `${c.size.approx || c.sizeVaries ? "~" : ""}${c.size.int}${c.size.frac}`;
  const hexCell = (text: string, varies: boolean): string =>
    varies && /^[0-9a-f]{16}$/.test(text) ? "~" + text : text;
  // Like the document's `-2048    MB`, a long whole number may take the leading space and the
  // fraction's place; the column only grows when that is not enough.
  // The widest of `width(c)` over every row, at least `least` (a loop: a table can have a
  // million rows, too many to spread into Math.max's arguments).
  const widest = (least: number, width: (c: RowCells) => number): number => {
    let w = least;
    for (const c of cells.values()) w = Math.max(w, width(c));
    return w;
  };
  const fracW = widest(3, (c) => c.offset.frac.length);
  const intW = widest(5, (c) => offsetInt(c).length - (c.offset.frac === "" ? fracW : 0));
  const unitW = 2;
  const sizeW = widest(5, (c) => sizeNumber(c).length);
  const w = {
    start: widest(MIN.start, (c) => hexCell(c.start, c.startVaries).length + 1),
    offset: Math.max(MIN.offset, intW + fracW + 1 + unitW + 1),
    end: widest(MIN.end, (c) => hexCell(c.end, c.endVaries).length + 1),
    size: Math.max(MIN.size, sizeW + 1 + unitW + 1),
  };
  const offsetCell = (c: RowCells): string =>
    (offsetInt(c).padStart(intW) + c.offset.frac).padEnd(intW + fracW) +
    " " +
    c.offset.unit.padEnd(unitW) +
    " ";
  const lead = w.start + 1 + w.offset + 1 + w.end + 1 + w.size;
  const total = lead + 1 + 1 + DESCRIPTION_WIDTH;

  const line = (a: string, b: string, c: string, d: string, text: string): string =>
    `${INDENT}${a}|${b}|${c}|${d}|${text === "" ? "" : " " + text}`;
  const blank = (text = ""): string =>
    line(" ".repeat(w.start), " ".repeat(w.offset), " ".repeat(w.end), " ".repeat(w.size), text);
  const separator = (): string =>
    line("_".repeat(w.start), "_".repeat(w.offset), "_".repeat(w.end), "_".repeat(w.size), "") +
    "_".repeat(total - lead - 1);
  const rule = INDENT + "=".repeat(total);

  const out: string[] = [
    rule,
    line(
      centre("Start addr", w.start),
      centre("Offset", w.offset),
      centre("End addr", w.end),
      centre("Size", w.size),
      "VM area description",
    ),
    rule,
  ];
  for (const group of groups) {
    if (group.banner !== undefined) {
      out.push(`${INDENT}${" ".repeat(lead)}|`);
      out.push(`${INDENT}${" ".repeat(lead)}| ${group.banner}`);
      out.push(`${INDENT}${"_".repeat(lead)}|${"_".repeat(total - lead - 1)}`);
    }
    out.push(blank());
    for (const r of group.rows) {
      const c = cells.get(r)!;
      const depth = INDENT.repeat(r.depth);
      const hanging = r.kind === "region" ? "" : "    ";
      const lines = wrap(describe(r), DESCRIPTION_WIDTH - depth.length, hanging).map(
        (l) => depth + l,
      );
      // An auto-named region has no description: an empty cell.
      if (lines.length === 0) lines.push("");
      const start = hexCell(c.start, c.startVaries);
      const end = hexCell(c.end, c.endVaries);
      const offset = offsetCell(c);
      const size = sizeNumber(c).padStart(sizeW) + " " + c.size.unit.padEnd(unitW) + " ";
      out.push(
        line(
          start.padStart(w.start - 1) + " ",
          offset,
          end.padStart(w.end - 1) + " ",
          size,
          lines[0]!,
        ),
      );
      for (const more of lines.slice(1)) out.push(blank(more));
    }
    out.push(separator());
  }
  return out;
}

/**
 * Every variant (variant policy `sections`): a section per variant, and the rows all variants
 * end with under an "Identical layout" banner. A section's title names its variant, so one
 * layout alone (a spec without variants, or the one picked) is the same section.
 */
export const emitAscii: Emitter = ({ layouts: specLayouts }) => {
  // Rows and notes are inside the literal block: spec text needs only its unsafe characters
  // escaped there. The title is reStructuredText.
  const e = new Escapes();
  const layouts = withSpecText(specLayouts, (t) => plainText(t, e));
  const out: string[] = [];
  for (const layout of layouts) {
    const unit = topUnit(halfSize(layout.paging));
    const title = rstTitle(layoutTitle(layout), e) || layout.name;
    if (out.length > 0) out.push("", "");
    out.push(title, "=".repeat(rstWidth(title)), "", "::", "");
    for (const line of renderTable(layout, layouts)) out.push(line);
    const notes = tableNotes(layout, unit);
    if (notes.length > 0) out.push("");
    for (const note of notes) {
      const lead = /^ */.exec(note)![0];
      const lines = wrap(note.trimStart(), NOTES_WIDTH - lead.length, "    ");
      out.push(...lines.map((l) => INDENT + lead + l));
    }
  }
  if (e.used) out.push("", ...e.note());
  return { value: out.map((l) => l.trimEnd()).join("\n") + "\n", diagnostics: [] };
};
