/**
 * The printer: the formatter's tree of lines (src/format/tree.ts) as a Prettier Doc. Blocks
 * are `indent`s, lines end with `hardline`s, and the continuation lines of a block comment
 * kept as written with `literalline`s; the output is byte for byte `render`'s (the tests
 * check it).
 *
 * Two things are decided here rather than left to a `group`, because a group would change
 * bytes: whether a one-line body stays on its statement's line (`staysOnOneLine` also accepts
 * a line that overflows when the body is short, and counts code points where Prettier counts
 * East Asian widths), and the table columns, whose padding is already spelled in a region's
 * header (a table row is one unbreakable string).
 */
import type { AstPath, ParserOptions } from "prettier";
import { assertNever } from "../model/collections.js";
import { isEmptyBody, staysOnOneLine, type FormatNode } from "../format/index.js";
import { hardline, indent, join, literalline, type Doc } from "./doc.js";

/** Text that may hold a block comment's line breaks: its next lines start in column 1. */
const text = (s: string): Doc => (s.includes("\n") ? join(literalline, s.split("\n")) : s);

export function print(
  path: AstPath<FormatNode>,
  options: ParserOptions<FormatNode>,
  print: (selector?: string | AstPath<FormatNode>) => Doc,
): Doc {
  const { node } = path;
  switch (node.type) {
    case "file":
      return node.entries.length === 0
        ? ""
        : [join(hardline, path.map(print, "entries")), hardline];
    case "body":
      return node.entries.length === 0
        ? ""
        : indent([hardline, join(hardline, path.map(print, "entries"))]);
    case "blank":
      return "";
    case "comment":
      return [join(node.reindented ? hardline : literalline, node.lines), text(node.trailing)];
    case "verbatim":
      return [join(literalline, node.lines), text(node.trailing)];
    case "statement": {
      const { header, body, trailing } = node;
      if (body === undefined) return text(header + trailing);
      if (isEmptyBody(body)) return text(`${header} {}${trailing}`);
      if (body.oneLine !== undefined && staysOnOneLine(node, body.oneLine, options))
        return text(`${header} { ${body.oneLine} }${trailing}`);
      return [text(`${header} {${body.opener}`), print("body"), hardline, text("}" + trailing)];
    }
    default:
      return assertNever(node, "node");
  }
}

/** The children `print` visits. */
export function getVisitorKeys(node: FormatNode): string[] {
  switch (node.type) {
    case "file":
    case "body":
      return ["entries"];
    case "statement":
      return node.body === undefined ? [] : ["body"];
    case "blank":
    case "comment":
    case "verbatim":
      return [];
    default:
      return assertNever(node, "node");
  }
}
