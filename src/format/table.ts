/**
 * Region lines as a table. Within a block, the region lines form one table whose columns are
 * aligned with spaces:
 *
 *     START SIZE/END  KIND NAME  "description" { body }
 *
 * `KIND NAME` is one column (a phrase): the kinds of a run of consecutive lines that all have
 * one are padded to the run's widest, and a line without a kind starts its name where the
 * kinds start, so one `hole` does not push every other line's name to the right. Blank lines,
 * comments and statements under `prettier-ignore` do not break the table; any other statement
 * does. Empty columns take no room.
 */
import type { IToken } from "chevrotain";
import { tokenMatcher } from "../../grammar/chevrotain.js";
import { tokens as T } from "../compiler/parse.js";
import type { RegionDecl } from "../compiler/ast.js";
import type { BlockEntry } from "./comments.js";
import type { Spacing } from "./spacing.js";
import type { TokenStream } from "./source.js";
import { width } from "./tree.js";

/** The five cells of a region line. */
const START = 0;
const EXTENT = 1;
const KIND = 2;
const NAME = 3;
const DESCRIPTION = 4;

/** A region line's columns (start, size/end, `KIND NAME`, description) and its table's widths. */
interface TableRow {
  readonly columns: readonly string[];
  readonly widths: readonly number[];
}

/**
 * The header line of every region that is part of a table in `entries` (one block): its cells
 * padded to the table's column widths.
 */
export function regionRows(
  stream: TokenStream,
  spacing: Spacing,
  entries: readonly BlockEntry[],
): Map<RegionDecl, string> {
  const out = new Map<RegionDecl, string>();
  let table: RegionDecl[] = [];
  const close = () => {
    const rows = tableRows(table.map((region) => regionCells(stream, spacing, region)));
    table.forEach((region, i) => out.set(region, printRow(rows[i]!)));
    table = [];
  };
  for (const entry of entries) {
    // A statement under `prettier-ignore` keeps its own spacing and does not end a table.
    if (entry.type !== "statement" || entry.verbatim) continue;
    if (entry.node.kind === "region") table.push(entry.node);
    else close();
  }
  close();
  return out;
}

/** One table's rows from its lines' cells. */
function tableRows(cells: readonly string[][]): TableRow[] {
  // The kind's width over each run of consecutive lines that have a kind.
  const kindWidths = cells.map(() => 0);
  for (let i = 0; i < cells.length;) {
    let end = i;
    while (end < cells.length && cells[end]![KIND] !== "") end++;
    const run = Math.max(0, ...cells.slice(i, end).map((c) => width(c[KIND]!)));
    for (let j = i; j < end; j++) kindWidths[j] = run;
    i = Math.max(end, i + 1);
  }
  const columns = cells.map((c, i) => {
    const kind = c[NAME] === "" ? c[KIND]! : pad(c[KIND]!, kindWidths[i]!);
    const phrase = [kind, c[NAME]!].filter((x) => x !== "").join(" ");
    return [c[START]!, c[EXTENT]!, phrase, c[DESCRIPTION]!];
  });
  const widths = [0, 0, 0, 0];
  for (const row of columns)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, width(cell))));
  return columns.map((row) => ({ columns: row, widths }));
}

/** The cells of a region's line: start, size/end, kind, name, description. */
function regionCells(stream: TokenStream, spacing: Spacing, region: RegionDecl): string[] {
  const headerEnd = stream.headerEnd(region);
  const tokens = stream.tokensIn(region.span.start, headerEnd);
  const cellOf = new Map<IToken, number>();
  const placement = tokens.filter((t) => t.startOffset < region.placement.span.end);
  // The start is one term (or `align A`), so the size's `+` or the range operator is the
  // first of them outside parentheses; the `+` prints glued to the size (`+64TB`).
  let depth = 0;
  let cell = START;
  for (const t of placement) {
    if (t.tokenType === T.LParen) depth++;
    else if (t.tokenType === T.RParen) depth--;
    else if (
      depth === 0 &&
      cell === START &&
      (t.tokenType === T.Plus || tokenMatcher(t, T.RangeOperator))
    ) {
      cell = EXTENT;
      if (t.tokenType === T.Plus) spacing.glue(t);
    }
    cellOf.set(t, cell);
  }
  for (const t of tokens) {
    if (cellOf.has(t)) continue;
    if (region.name && t.startOffset === region.name.span.start) cellOf.set(t, NAME);
    else if (region.description && t.startOffset === region.description.span.start)
      cellOf.set(t, DESCRIPTION);
    else cellOf.set(t, KIND);
  }
  const cells: IToken[][] = [[], [], [], [], []];
  let last = START;
  const pieces = stream.piecesIn(region.span.start, headerEnd);
  // A comment goes with the token before it (or the first token).
  const firstCell = cellOf.get(tokens[0]!) ?? START;
  for (const piece of pieces) {
    const c = cellOf.get(piece) ?? (piece === pieces[0] ? firstCell : last);
    cells[c]!.push(piece);
    last = c;
  }
  return cells.map((c) => spacing.inline(c));
}

/**
 * A region's line, its cells padded to the table's column widths. Columns no line of the
 * table uses take no room; nothing follows the last cell of this line.
 */
function printRow({ columns, widths }: TableRow): string {
  let last = columns.length - 1;
  while (last > 0 && columns[last] === "") last--;
  let out = "";
  let previous = -1;
  for (let i = 0; i <= last; i++) {
    if (widths[i] === 0) continue;
    // `START SIZE` reads as one phrase; two spaces between the other columns.
    if (previous >= 0) out += previous === START && i === EXTENT ? " " : "  ";
    out += i === last ? columns[i]! : pad(columns[i]!, widths[i]!);
    previous = i;
  }
  return out;
}

const pad = (s: string, to: number): string => s + " ".repeat(Math.max(0, to - width(s)));
