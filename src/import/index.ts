/**
 * `vmlayout import`: reads a document's layout table and writes a spec. Formats, detected in
 * this order (the first that finds a table wins):
 *
 * - pipe tables: Linux `mm.rst` ascii tables, and Markdown tables with Start / End / Size /
 *   Description columns in any order (Offset and Name optional);
 * - range lines: Emerald's `A .. B - description` and indented `A..B  description`;
 * - space-separated columns: GayBSD's `ffff8000 00000000 -128 TB ffff8040 20100fff ~ 0.25 TB ...`.
 *
 * The spec is formatted with the project's formatter (src/format), like the committed specs.
 */
import { formatSpec } from "../format/index.js";
import { buildSpec } from "./build.js";
import { parseColumnTable } from "./columns.js";
import { parseRangeLines } from "./emerald.js";
import type { Document, FormatName } from "./model.js";
import { hasRows, parsePipeTables } from "./pipe.js";

export type { Document, FormatName } from "./model.js";

export interface ImportOptions {
  /** The document's file name: names the layout (`linux-mm.rst` -> `linux_mm`). */
  readonly fileName: string;
  /**
   * Write the document's offsets and approximate sizes as `offset` / `size ~` attributes,
   * checked by the verifier (true, the default), or as comments (false).
   */
  readonly attributes?: boolean;
}

export interface Imported {
  readonly format: FormatName;
  /** Formatted spec text. */
  readonly spec: string;
}

/**
 * No layout table in the document, or (`unread`) a table none of whose rows could be read: the
 * 1-based lines of those rows, with what the importer made of each.
 */
export class NoTableError extends Error {
  constructor(
    message: string,
    readonly unread: readonly { readonly line: number; readonly text: string }[] = [],
  ) {
    super(message);
  }
}

/** The document's tables; a pipe table with no readable row only when no format finds rows. */
export function readDocument(text: string): Document | undefined {
  const normalised = text.replace(/\r\n?/g, "\n").replace(/\t/g, "    ");
  const pipe = parsePipeTables(normalised);
  if (pipe?.tables.some(hasRows)) return pipe;
  return parseRangeLines(normalised) ?? parseColumnTable(normalised) ?? pipe;
}

export function importTable(text: string, options: ImportOptions): Imported {
  const doc = readDocument(text);
  if (doc === undefined) throw new NoTableError(`no layout table found in ${options.fileName}`);
  if (!doc.tables.some(hasRows)) {
    const unread = doc.tables.flatMap((t) =>
      t.items.flatMap((it) =>
        it.type === "note" && it.unread ? [{ line: it.line, text: it.text }] : [],
      ),
    );
    throw new NoTableError(`no row of the table in ${options.fileName} could be read`, unread);
  }
  const raw = buildSpec(doc, {
    fileName: options.fileName,
    attributes: options.attributes ?? true,
  });
  const spec = formatSpec(raw, { path: options.fileName + ".layout" });
  // The builder writes valid specs: a syntax error in one is an internal error.
  if (spec.value === undefined)
    throw new Error(
      `internal error: imported spec does not parse: ${spec.diagnostics[0]!.message}`,
    );
  return { format: doc.format, spec: spec.value };
}
