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
 * The table model here (groups, banners, cells) is shared with `--emit md`.
 */
import { integer, isConstant, minus, plus } from "../../model/affine.js";
import { hexDigits } from "../../model/format.js";
import {
  ADDRESS_SPACE_END,
  type Bound,
  type Layout,
  type Param,
  type Region,
} from "../../model/layout.js";
import type { Emitter } from "./emitter.js";
import { Escapes, plainText, rstTitle, rstWidth, withSpecText } from "./escape.js";
import { wrap } from "./text.js";
import {
  formatSize,
  offsetQuantity,
  sizeQuantity,
  topUnit,
  type Quantity,
  type Unit,
} from "./units.js";

/**
 * Addresses between siblings, or between a parent's start or end and its children, that no
 * sibling covers. At top level they are in no region at all; inside a parent, in the parent
 * only. Its bounds are its neighbours' (`prev.end + 1`, `next.start - 1`), so they vary with
 * the same parameters. A non-canonical range is a region, never a gap.
 */
export interface Gap {
  readonly kind: "gap";
  /** The enclosing region's name, or null at top level. */
  readonly parent: string | null;
  readonly depth: number;
  readonly start: Bound;
  /** Inclusive. */
  readonly end: Bound;
  readonly size: Bound;
  /** Parameters any bound depends on, sorted. */
  readonly dependsOn: readonly string[];
}

/** A table row: a region, or a gap between regions. */
export type Row = Region | Gap;

export interface TableGroup {
  /** Text of the banner row above the group (the document's "Kernel-space virtual memory..."). */
  readonly banner: string | undefined;
  readonly rows: readonly Row[];
}

const rowKey = (r: Row): string =>
  r.kind === "gap"
    ? ["", r.kind, r.parent, r.start.value, r.end.value].join("\u0000")
    : [r.name, r.kind, r.parent, r.start.value, r.end.value, r.description].join("\u0000");

const ONE = integer(1n);

function gap(parent: string | null, depth: number, start: Bound, end: Bound): Gap {
  const size = { value: end.value - start.value + 1n, sym: plus(minus(end.sym, start.sym), ONE) };
  const params = new Set([...start.sym.terms.keys(), ...end.sym.terms.keys()]);
  return { kind: "gap", parent, depth, start, end, size, dependsOn: [...params].sort() };
}

/**
 * Every region in the layout's order (by start, parents before children) with the gaps among
 * them: before, between and after each parent's children, and over the whole 64-bit space at
 * top level.
 */
export function rowsWithGaps(layout: Layout): Row[] {
  const byParent = new Map<string | null, Region[]>();
  for (const r of layout.regions) {
    const list = byParent.get(r.parent) ?? [];
    list.push(r);
    byParent.set(r.parent, list);
  }
  const rows: Row[] = [];
  const visit = (parent: Region | null, lo: Bound, hi: Bound): void => {
    const depth = parent === null ? 0 : parent.depth + 1;
    const name = parent?.name ?? null;
    // The first address not yet covered: `at.value` and its symbolic form.
    let at = lo;
    for (const r of byParent.get(name) ?? []) {
      if (r.start.value > at.value)
        rows.push(
          gap(name, depth, at, { value: r.start.value - 1n, sym: minus(r.start.sym, ONE) }),
        );
      rows.push(r);
      if (byParent.has(r.name)) visit(r, r.start, r.end);
      if (r.end.value + 1n > at.value) at = { value: r.end.value + 1n, sym: plus(r.end.sym, ONE) };
    }
    if (at.value <= hi.value) rows.push(gap(name, depth, at, hi));
  };
  const last = ADDRESS_SPACE_END - 1n;
  visit(null, { value: 0n, sym: integer(0n) }, { value: last, sym: integer(last) });
  return rows;
}

/** True when the region was given no name: the resolver called it `<kind>_<start>`. */
export const isAutoNamed = (r: Region): boolean =>
  r.name === `${r.kind}_${hexDigits(r.start.value)}`;

export const dependsOnParams = (b: Bound): boolean => !isConstant(b.sym);

/** The parameter a bound is exactly (coefficient 1, no constant, no slack), if any. */
export function pureParam(b: Bound, params: readonly Param[]): Param | undefined {
  const { sym } = b;
  if (sym.terms.size !== 1 || sym.constant.num !== 0n) return undefined;
  if (sym.slackLo.num !== 0n || sym.slackHi.num !== 0n) return undefined;
  const [name, coeff] = [...sym.terms][0]!;
  if (coeff.num !== 1n || coeff.den !== 1n) return undefined;
  return params.find((p) => p.name === name);
}

/** Names of the other variants, for the "Identical layout to the ... one" banner. */
function othersPhrase(layout: Layout, all: readonly Layout[]): string {
  const others = all.filter((l) => l !== layout).map((l) => l.variant ?? l.name);
  if (others.length === 1) return `the ${others[0]} one`;
  return `the ${others.slice(0, -1).join(", ")} and ${others[others.length - 1]} ones`;
}

/**
 * The rows of one layout in the document's groups. `all` is every layout emitted together:
 * with more than one, the trailing rows they all share get an "Identical layout" banner.
 */
export function tableGroups(layout: Layout, all: readonly Layout[]): TableGroup[] {
  const rows = rowsWithGaps(layout);
  const top = layout.regions.filter((r) => r.parent === null);
  const nc = top.filter((r) => r.kind === "noncanonical");

  // Trailing rows identical in every layout.
  let shared = 0;
  if (all.length > 1) {
    const keys = all.map((l) => rowsWithGaps(l).map(rowKey));
    const own = rows.map(rowKey);
    while (
      shared < own.length &&
      keys.every(
        (k) => k.length > shared && k[k.length - 1 - shared] === own[own.length - 1 - shared],
      )
    )
      shared++;
    // Start the shared part at a top-level region.
    while (shared > 0 && rows[rows.length - shared]!.parent !== null) shared--;
  }
  const sharedFrom = rows.length - shared;

  const groups: TableGroup[] = [];
  let current: Row[] = [];
  let banner: string | undefined;
  const flush = (): void => {
    if (current.length > 0) groups.push({ banner, rows: current });
    current = [];
    banner = undefined;
  };
  const firstUpper = nc.length > 0 ? nc[nc.length - 1]!.end.value + 1n : undefined;
  rows.forEach((r, i) => {
    if (r.parent === null && r.kind === "noncanonical") {
      flush();
      current.push(r);
      flush();
      return;
    }
    if (i === sharedFrom && i > 0) {
      flush();
      banner = `Identical layout to ${othersPhrase(layout, all)} from here on:`;
    } else if (r.parent === null && firstUpper !== undefined && r.start.value === firstUpper) {
      flush();
      const upper = top.filter((t) => t.start.value >= firstUpper);
      const kernelOnly = upper.every((t) => !t.perProcess);
      banner = kernelOnly
        ? "Kernel-space virtual memory, shared between all processes:"
        : "Upper canonical half:";
    }
    current.push(r);
  });
  flush();
  return groups;
}

/** One row's cells, shared by the ascii and Markdown tables. */
export interface RowCells {
  /** 16 hex digits, or a parameter's C name when the start is exactly that parameter. */
  readonly start: string;
  readonly startVaries: boolean;
  readonly offset: Quantity;
  readonly end: string;
  readonly endVaries: boolean;
  readonly size: Quantity;
  readonly sizeVaries: boolean;
  /** Parameters any bound depends on. */
  readonly params: readonly string[];
}

export function rowCells(r: Row, layout: Layout, unit: Unit): RowCells {
  const startParam = pureParam(r.start, layout.params);
  const endParam = pureParam(r.end, layout.params);
  return {
    start: startParam ? startParam.exportName : hexDigits(r.start.value),
    startVaries: dependsOnParams(r.start),
    offset: offsetQuantity(r.start.value, unit),
    end: endParam ? endParam.exportName : hexDigits(r.end.value),
    endVaries: dependsOnParams(r.end),
    size: sizeQuantity(r.size.value, unit),
    sizeVaries: dependsOnParams(r.size),
    params: r.dependsOn,
  };
}

const UNNAMED: Readonly<Record<string, string>> = {
  region: "",
  hole: "unused hole",
  guard: "guard hole",
  noncanonical: "non-canonical addresses",
};

/** What a gap is, in words: `not in any region`, `not in any region within kernel`. */
export const gapText = (g: Gap, name: (s: string) => string = (s) => s): string =>
  g.parent === null ? "not in any region" : `not in any region within ${name(g.parent)}`;

/** The description as the document writes it: `... unused hole` for what is not mapped. */
export function describe(r: Row): string {
  if (r.kind === "gap") return `... ${gapText(r)}`;
  const text = r.description ?? (isAutoNamed(r) ? UNNAMED[r.kind] : r.name);
  return r.kind === "region" ? text : `... ${text}`;
}

export const layoutTitle = (layout: Layout): string =>
  `${layout.description ?? layout.name}${layout.variant === null ? "" : `: ${layout.variant}`}`;

/** Notes under a table: the parameters its `~` cells depend on and the KASLR groups. */
export function tableNotes(layout: Layout, unit: Unit): string[] {
  const notes: string[] = [];
  const used = new Set(layout.regions.flatMap((r) => r.dependsOn));
  const params = layout.params.filter((p) => used.has(p.name));
  if (params.length > 0) {
    notes.push(
      "~ marks a value that is rounded or depends on a parameter; parameters are at their defaults:",
    );
    for (const p of params) {
      const value = (v: bigint): string =>
        p.type === "address" ? hexDigits(v) : formatSize(v, unit);
      const range = `${value(p.min)}..${value(p.max)}`;
      notes.push(
        `  ${p.name} (${p.exportName}) = ${value(p.default)}, in ${range}` +
          (p.align > 1n ? `, align ${formatSize(p.align, unit)}` : "") +
          (p.description ? `: ${p.description}` : ""),
      );
    }
  }
  for (const k of layout.kaslr) {
    const members = k.members.map((m) => m.name);
    const list =
      members.length === 1
        ? members[0]!
        : `${members.slice(0, -1).join(", ")} and ${members.at(-1)}`;
    notes.push(
      `KASLR ${k.name}: ${list} move, in this order, within ${hexDigits(k.rangeStart)}..${hexDigits(k.rangeEnd)}` +
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
  const unit = topUnit(layout.paging.vaBits);
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
    const unit = topUnit(layout.paging.vaBits);
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
