/**
 * The readers of layout tables, in the order they are tried; the first that finds a table it
 * can import wins. A new format is a file exporting `reader: Reader` (model.ts) and one entry
 * below.
 */
import {
  type Diagnostic,
  type Result,
  compareDiagnostics,
  diagnostic,
  hasErrors,
} from "../diagnostics/diagnostic.js";
import { SourceFile } from "../diagnostics/source.js";
import { list } from "../model/format.js";
import { reader as columns } from "./columns.js";
import { settleEndConventions } from "./convention.js";
import { reader as dashRanges } from "./dashes.js";
import { reader as boxDiagrams } from "./illumos.js";
import { reader as rangeLines } from "./emerald.js";
import type { Document, Item, ReadContext, Reader } from "./model.js";
import { reader as memoryRst } from "./memory-rst.js";
import { reader as pipeTables } from "./pipe.js";

export const READERS: readonly Reader[] = [
  pipeTables,
  rangeLines,
  dashRanges,
  // Before `columns`, which would read a memory.rst table's first rows as GayBSD's.
  memoryRst,
  columns,
  boxDiagrams,
];

/** W0501 for each row of the document's tables that its reader could not read. */
function unreadRows(doc: Document, context: ReadContext): Diagnostic[] {
  const unread = (items: readonly Item[]): Diagnostic[] =>
    items.flatMap((it) =>
      it.type === "row"
        ? unread(it.children)
        : it.unread === undefined
          ? []
          : [
              diagnostic(
                "W0501",
                `line ${it.line} of the table cannot be read: ${it.unread}`,
                context.lineSpan(it.line),
                { help: "the row is kept as a comment in the spec; correct it in the document" },
              ),
            ],
    );
  return doc.tables.flatMap((t) => unread(t.items));
}

/**
 * The document's tables, as the first reader that finds importable ones reads them; else none,
 * with the first reader's refusal (E0501: a table none of whose rows could be read), or E0501:
 * no table at all.
 */
export function readDocument(text: string, file: string): Result<Document | undefined> {
  const normalised = text.replace(/\r\n?/g, "\n").replace(/\t/g, "    ");
  const source = new SourceFile(file, text);
  const context: ReadContext = {
    file,
    lineSpan: (line) => {
      const start = source.lineStarts[line - 1]!;
      return { file, start, end: start + source.lineText(line).length };
    },
  };
  let refusal: readonly Diagnostic[] | undefined;
  for (const reader of READERS) {
    const read = reader.read(normalised, context);
    if (read.value === undefined) continue;
    if (!hasErrors(read.diagnostics)) {
      const settled = settleEndConventions(read.value, context);
      return {
        value: settled.value,
        diagnostics: [
          ...read.diagnostics,
          ...unreadRows(settled.value, context),
          ...settled.diagnostics,
        ].sort(compareDiagnostics),
      };
    }
    if (reader.conclusive) return { value: undefined, diagnostics: read.diagnostics };
    refusal ??= read.diagnostics;
  }
  return { value: undefined, diagnostics: refusal ?? [noTable(file)] };
}

function noTable(file: string): Diagnostic {
  return diagnostic(
    "E0501",
    `no layout table found in \`${file}\``,
    { file, start: 0, end: 0 },
    { help: `vmlayout reads ${list(READERS.map((r) => r.reads))}` },
  );
}
