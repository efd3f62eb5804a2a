/**
 * A table's end convention, settled once per table (per section, where a document heads
 * sections of one table) instead of guessed per row: are its ends inclusive (the last byte,
 * `...fff`) or exclusive (the next range's first byte, `...000`)?
 *
 * Each row votes by its own evidence: an exact size that is end - start + 1 (inclusive) or
 * end - start (exclusive), else its end's low 12 bits (all ones: inclusive, all zeros:
 * exclusive). Rows whose document marks the end's kind (`..<`, a placeholder end) and rows
 * without evidence do not vote. The majority is the convention (a tie: inclusive, the
 * kernels' documents' usual way), and every unmarked row with a literal end gets it. A row
 * whose evidence disagrees is W0502 at the row's line, and is imported with the convention's
 * end, so that `check` says what the row's own size makes of it (E0206). In an inclusive
 * table, a row that starts on the last byte of the row above is W0502 too, and starts on
 * the byte after it.
 */
import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import { type Document, type Item, type ReadContext, type Row, rowsOf } from "./model.js";

type Convention = "inclusive" | "exclusive";

function evidence(row: Row): Convention | undefined {
  if (row.endMarked || row.end?.type !== "literal") return undefined;
  const end = row.end.value;
  const size = row.size?.approx === false ? row.size.value : undefined;
  if (row.start?.type === "literal" && size !== undefined) {
    const span = end - row.start.value;
    if (span + 1n === size) return "inclusive";
    if (span === size) return "exclusive";
  }
  const low = end & 0xfffn;
  return low === 0xfffn ? "inclusive" : low === 0n ? "exclusive" : undefined;
}

/** `items` with each row (and child) replaced by `f` of it (the row as read) and its new children. */
function mapRows(items: readonly Item[], f: (row: Row, children: Item[]) => Row): Item[] {
  return items.map((it) => (it.type === "row" ? f(it, mapRows(it.children, f)) : it));
}

/** The section runs of `items`: split before each section heading. */
function sections(items: readonly Item[]): Item[][] {
  const out: Item[][] = [[]];
  for (const it of items) {
    if (it.type === "note" && it.section) out.push([]);
    out[out.length - 1]!.push(it);
  }
  return out;
}

function settleSection(
  items: readonly Item[],
  context: ReadContext,
  diagnostics: Diagnostic[],
): Item[] {
  const rows = rowsOf(items);
  const votes = rows.map(evidence);
  const inclusive = votes.filter((v) => v === "inclusive").length;
  const exclusive = votes.filter((v) => v === "exclusive").length;
  if (inclusive + exclusive === 0) return [...items];
  const convention: Convention = exclusive > inclusive ? "exclusive" : "inclusive";
  const tally = `${Math.max(inclusive, exclusive)} of its ${inclusive + exclusive} rows with a telling end`;
  rows.forEach((row, k) => {
    const vote = votes[k];
    if (vote === undefined || vote === convention || row.end?.type !== "literal") return;
    diagnostics.push(
      diagnostic(
        "W0502",
        `the row at line ${row.line} ends at \`${row.end.text}\` as an ${vote} end, but its table's ends are ${convention}`,
        context.lineSpan(row.line),
        {
          notes: [
            `the table's convention is that of ${tally}`,
            `imported with an ${convention} end, like the rest of the table`,
          ],
          help: "correct the document's row, or the imported spec's end if this row is right",
        },
      ),
    );
  });
  // In an inclusive table, a start on the row above's last byte repeats that end: it is
  // read as the byte after it, as the convention has it.
  const startAfter = new Map<Row, bigint>();
  if (convention === "inclusive") {
    const top = items.filter((it): it is Row => it.type === "row");
    top.forEach((row, k) => {
      const above = top[k - 1];
      if (
        above?.end?.type !== "literal" ||
        above.endMarked ||
        row.start?.type !== "literal" ||
        row.start.value !== above.end.value
      )
        return;
      const next = row.start.value + 1n;
      startAfter.set(row, next);
      diagnostics.push(
        diagnostic(
          "W0502",
          `the row at line ${row.line} starts at \`${row.start.text}\`, the last byte of the row above (line ${above.line})`,
          context.lineSpan(row.line),
          {
            notes: [
              `the table's ends are inclusive (${tally}): a row starts on the byte after the end above`,
              `imported as starting at ${spellLike(row.start.text, next)}`,
            ],
            help: "correct the document's start",
          },
        ),
      );
    });
  }
  return mapRows(items, (row, children) => {
    const start = startAfter.get(row);
    return {
      ...row,
      children,
      ...(start === undefined
        ? {}
        : {
            start: {
              type: "literal" as const,
              text: spellLike(row.start!.text, start),
              value: start,
            },
          }),
      ...(row.endMarked || row.end?.type !== "literal"
        ? {}
        : { endExclusive: convention === "exclusive" }),
    };
  });
}

/** `value` spelt as `text` is: `0x` or not, upper or lower case, `_` groups or GayBSD halves. */
function spellLike(text: string, value: bigint): string {
  const hex = value.toString(16).padStart(16, "0");
  const cased = /[A-F]/.test(text) ? hex.toUpperCase() : hex;
  const grouped = text.includes("_")
    ? cased.match(/.{4}/g)!.join("_")
    : text.includes(" ")
      ? `${cased.slice(0, 8)} ${cased.slice(8)}`
      : cased;
  return text.startsWith("0x") ? `0x${grouped}` : grouped;
}

/**
 * `doc` with every table's (every section's) end convention applied to its unmarked rows,
 * and W0502 for each row that disagrees with it.
 */
export function settleEndConventions(
  doc: Document,
  context: ReadContext,
): { value: Document; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const tables = doc.tables.map((table) => ({
    ...table,
    items: sections(table.items).flatMap((s) => settleSection(s, context, diagnostics)),
  }));
  return { value: { ...doc, tables }, diagnostics };
}
