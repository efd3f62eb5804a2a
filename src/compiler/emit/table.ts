/**
 * The table model of the layout, shared by `--emit ascii`, `--emit md` and `--emit svg`: every
 * region in the layout's order with the gaps among them (addresses no region covers), grouped
 * as Linux's mm.rst groups its rows (the lower canonical half, the non-canonical hole, the upper
 * half under a banner, the rows all variants share under an "Identical layout" banner), and
 * each row's cells: addresses, offsets and sizes in the document's notation.
 */
import { integer, isConstant, minus, plus } from "../../model/affine.js";
import { groupBy } from "../../model/collections.js";
import { hexDigits } from "../../model/format.js";
import {
  ADDRESS_SPACE_END,
  type Bound,
  type Layout,
  type Param,
  type Region,
  type RegionKind,
} from "../../model/layout.js";
import { offsetQuantity, sizeQuantity, type Quantity, type Unit } from "./units.js";
import { capital, halfName } from "./text.js";

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
  const byParent = groupBy(layout.regions, (r) => r.parent);
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
        : `${capital(halfName(layout, 1))}:`;
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

const UNNAMED: Readonly<Record<RegionKind, string>> = {
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

/** The parameters a table's `~` cells depend on, in declaration order: its notes list them. */
export function notedParams(layout: Layout): Param[] {
  const used = new Set(layout.regions.flatMap((r) => r.dependsOn));
  return layout.params.filter((p) => used.has(p.name));
}
