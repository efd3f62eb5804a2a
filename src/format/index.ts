/**
 * The vmlayout formatter: valid spec text in, formatted spec text out. `vmlayout fmt` (through
 * Prettier, for its configuration), `vmlayout import` and the Prettier plugin (src/prettier)
 * use it.
 *
 * The language is line oriented (a statement ends at a newline or `;`), so the formatter
 * prints from the TOKEN stream, which keeps every literal and comment exactly as written, and
 * takes the statement structure (which tokens form a region's placement, kind, name,
 * description and body) from the AST's spans. It works in two steps:
 *
 *   1. `layOut` (statements.ts) builds a tree of lines (tree.ts) that does not depend on the
 *      options: statements and their bodies (statements.ts), comments attached to them
 *      (comments.ts), the spacing within a line (spacing.ts), region lines aligned as a table
 *      (table.ts);
 *   2. a printer applies the indentation and the line width: `render` (render.ts) to text, or
 *      the Prettier plugin with Prettier's Doc builders; both give the same bytes.
 *
 * Comments are kept: an own-line comment stays on its own line (indented with its block), a
 * comment after code stays at the end of that line (one space before it), a comment inside a
 * statement stays between the same tokens. A block comment whose lines all start with `*` is
 * re-indented; other multi-line block comments are kept verbatim.
 *
 * A spec with syntax errors is not formatted: `formatSpec` returns its errors, like every
 * stage. The result is idempotent, and the formatter checks its own output (check.ts): the
 * output must parse to the same AST (spans aside) with the same comments, or it throws (an
 * internal error) instead of changing meaning.
 */
import type { Result } from "../diagnostics/diagnostic.js";
import { checkSameMeaning } from "./check.js";
import { render, type FormatOptions } from "./render.js";
import { prepareSpec, type PreparedSpec } from "./source.js";
import { layOut } from "./statements.js";
import type { FormattedFile } from "./tree.js";

export type { FormatOptions } from "./render.js";
export { prepareSpec, type PreparedSpec } from "./source.js";
export { layOut } from "./statements.js";
export * from "./tree.js";

/**
 * Formats a spec. One with syntax errors gives no text and its errors (E0001 ...); one that
 * parses gives its text and no diagnostics. Throws only on a formatter bug (check.ts).
 */
export function formatSpec(text: string, options: FormatOptions = {}): Result<string | undefined> {
  const prepared = prepareSpec(text.replace(/\r\n?/g, "\n"), options.path);
  if (prepared.value === undefined) return { value: undefined, diagnostics: prepared.diagnostics };
  return { value: formatPrepared(prepared.value, options).text, diagnostics: [] };
}

/**
 * Lays out a prepared spec and prints it as text, after checking that the text means the same
 * (a formatter bug throws, before anything is written).
 */
export function formatPrepared(
  spec: PreparedSpec,
  options: FormatOptions = {},
): { tree: FormattedFile; text: string } {
  const tree = layOut(spec);
  const text = render(tree, options);
  checkSameMeaning(spec, text, options.path ?? "<input>");
  return { tree, text };
}
