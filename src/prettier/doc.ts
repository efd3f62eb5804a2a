/**
 * The Doc commands the printer uses, built as Prettier's `doc.builders` build them and typed by
 * Prettier's own declarations (so a change of the Doc format fails to compile). They are not
 * imported from `prettier/doc` because Prettier is an optional peer: the CLI bundle inlines
 * this plugin (`vmlayout fmt` loads it), and a static import of Prettier there would make
 * every command need Prettier to start.
 */
import type { doc } from "prettier";

export type Doc = doc.builders.Doc;

const breakParent: doc.builders.BreakParent = { type: "break-parent" };

/** A line break, indented to the enclosing `indent`; trailing spaces before it are trimmed. */
export const hardline: doc.builders.Hardline = [{ type: "line", hard: true }, breakParent];

/** A line break to column 1, whatever the indentation. */
export const literalline: doc.builders.LiteralLine = [
  { type: "line", hard: true, literal: true },
  breakParent,
];

export const indent = (contents: Doc): doc.builders.Indent => ({ type: "indent", contents });

export const join = (separator: Doc, docs: readonly Doc[]): Doc[] =>
  docs.flatMap((d, i) => (i === 0 ? [d] : [separator, d]));
