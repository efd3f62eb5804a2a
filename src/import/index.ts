/**
 * `vmlayout import`: reads a document's layout table and writes a spec. Formats, detected in
 * this order (the first that finds a table wins):
 *
 * - pipe tables: Linux `mm.rst` ascii tables, and Markdown tables with Start / End / Size /
 *   Description columns in any order (Offset and Name optional; `--emit md`'s nesting, kind
 *   tags and names read back);
 * - range lines: Emerald's `A .. B - description` and indented `A..B  description`;
 * - dash range lines: Linux 2.6's mm.txt (`A - B (=46 bits) description`) and FreeBSD's
 *   vmparam.h comment table (` * 0xA - 0xB   description`);
 * - Linux arm64's memory.rst: `Start End Size Use` tables, a variant each with the AArch64
 *   paging its heading gives, bracketed rows nested in the row that holds them;
 * - space-separated columns: GayBSD's `ffff8000 00000000 -128 TB ffff8040 20100fff ~ 0.25 TB ...`;
 * - box diagrams: illumos' startup.c (`0xFFFFFFFF.C0000000 |-----|- core_base`).
 *
 * Each is a reader in readers.ts. Every table's inclusive or exclusive end convention is then
 * settled once (convention.ts: W0502 on a row that disagrees), and each row a reader could not
 * read is W0501; the import goes on with warnings and stops only at errors (E0501, and
 * memory.rst's E0504, E0505).
 * The spec is formatted with the project's formatter (src/format), like the committed specs.
 */
import type { Result } from "../diagnostics/diagnostic.js";
import { formatSpec } from "../format/index.js";
import { buildSpec } from "./build.js";
import type { FormatName } from "./model.js";
import { readDocument } from "./readers.js";

export type { Document, FormatName, Reader } from "./model.js";
export { READERS, readDocument } from "./readers.js";

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
 * The spec for the document's layout table; no spec and E0501 when the document holds no
 * table, or none of whose rows could be read.
 */
export function importTable(text: string, options: ImportOptions): Result<Imported | undefined> {
  const read = readDocument(text, options.fileName);
  const doc = read.value;
  if (doc === undefined) return { value: undefined, diagnostics: read.diagnostics };
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
  return { value: { format: doc.format, spec: spec.value }, diagnostics: read.diagnostics };
}
