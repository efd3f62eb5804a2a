/**
 * Notes that come from the text of the line a diagnostic points at, added after checking:
 *
 *   - **Provenance.** A spec written by `vmlayout import` names its table in its first line
 *     (`// Imported by \`vmlayout import\` from linux-mm.rst (...)`) and ends every region line
 *     with the table's line (`// line 51 (and 103)`); a diagnostic on such a line, or with a
 *     label on one, notes `from linux-mm.rst:51 (and 103)`. The comments are the whole
 *     mechanism, so a saved spec checked later, or edited, keeps them.
 *   - **Decimal starts.** A region line that starts with a run of 8 to 15 decimal digits
 *     (`80000000 +1GB`) is read as decimal: only `0x` numbers and runs of exactly 16 hex
 *     digits are hex (docs/language.md). A layout diagnostic on it notes the hex spelling.
 */
import { type Diagnostic, type Span } from "./diagnostic.js";
import type { SourceFile, SourceSet } from "./source.js";

/** The first line of an imported spec; group 1 is the table's file name. */
const IMPORT_HEADER = /^\/\/ Imported by `vmlayout import` from (.+?) \(/;
/** A region line's provenance comment; group 1 the line, group 2 the other lines, if any. */
const ROW_LINE = /\/\/ line (\d+)( \(and [\d, ]+\))?/;
/** A region line starting with a decimal address: not a GayBSD pair, no unit, no fraction. */
const DECIMAL_START = /^\s*(\d{8,15})\s*(?:\+|\.\.)/;

/** `diagnostics` with the notes their source lines call for. */
export function withLineNotes(
  diagnostics: readonly Diagnostic[],
  sources: SourceSet,
): Diagnostic[] {
  const tables = new Map<SourceFile, string | undefined>();
  const tableOf = (file: SourceFile): string | undefined => {
    if (!tables.has(file)) tables.set(file, IMPORT_HEADER.exec(file.lineText(1))?.[1]);
    return tables.get(file);
  };
  const lineOf = (span: Span): { file: SourceFile; text: string } | undefined => {
    const file = sources.get(span.file);
    return file && { file, text: file.lineText(file.position(span.start).line) };
  };
  return diagnostics.map((d) => {
    if (!d.span) return d;
    const notes: string[] = [];
    const primary = lineOf(d.span);
    const decimal = primary && DECIMAL_START.exec(primary.text)?.[1];
    if (decimal && !d.code.startsWith("E00")) notes.push(decimalNote(decimal));
    const rows = [d.span, ...d.labels.map((l) => l.span)].flatMap((span) => {
      const line = lineOf(span);
      const table = line && tableOf(line.file);
      const row = table === undefined ? null : ROW_LINE.exec(line!.text);
      return row ? [`${table}:${row[1]}${row[2] ?? ""}`] : [];
    });
    const distinct = [...new Set(rows)];
    if (distinct.length > 0) notes.push(`from ${distinct.join(" and ")}`);
    return notes.length === 0 ? d : { ...d, notes: [...d.notes, ...notes] };
  });
}

function decimalNote(digits: string): string {
  const value = BigInt(digits).toString(16);
  return `\`${digits}\` is read as decimal (0x${value}); an address in hex is written \`0x${digits}\` (or as exactly 16 hex digits, \`${digits.padStart(16, "0")}\`)`;
}
