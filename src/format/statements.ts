/**
 * The layout of statements: one statement per line, bodies `{ ... }` one level deeper. A
 * region or `kaslr` body may stay on its statement's line (`{ user; per_process }`) when it
 * holds only attributes (or kaslr items), has no comment, and the source put its first item
 * on the line of the `{` (as Prettier does for objects); variant and repeat bodies are always
 * expanded. Blank lines are kept, a run of them collapsed to one, none at the start or end of
 * a block or of the file. `// prettier-ignore` on its own line keeps the next statement
 * exactly as written.
 */
import type { IToken } from "chevrotain";
import type { RegionDecl } from "../compiler/ast.js";
import { assertNever } from "../model/collections.js";
import { blockEntries, commentLines, trailingText, type BlockEntry } from "./comments.js";
import { TokenStream, type PreparedSpec, type Statement } from "./source.js";
import { Spacing } from "./spacing.js";
import { regionRows } from "./table.js";
import type { Entry, FormattedFile, FormattedStatement, VerbatimStatement } from "./tree.js";

/** Lays `spec` out as a tree of lines. */
export function layOut(spec: PreparedSpec): FormattedFile {
  const builder = new Builder(spec);
  const { entries } = builder.block(spec.ast.items, 0, spec.text.length, 0);
  return { type: "file", start: 0, end: spec.text.length, entries };
}

class Builder {
  private readonly stream: TokenStream;
  private readonly spacing: Spacing;

  constructor(spec: PreparedSpec) {
    this.stream = new TokenStream(spec);
    this.spacing = new Spacing(this.stream, spec.ast);
  }

  /**
   * The entries of the block holding `nodes` between offsets `from` and `to` (the inside of
   * the braces, or the whole file), and (`opener`) the comments that follow its `{` on the
   * same line.
   */
  block(
    nodes: readonly Statement[],
    from: number,
    to: number,
    depth: number,
  ): { entries: Entry[]; opener: IToken[] } {
    const entries = blockEntries(this.stream, nodes, from, to);
    const opener: IToken[] = [];
    while (from > 0 && entries[0]?.type === "comment") {
      const first = entries[0];
      if (this.stream.hasNewline(from, first.comment.startOffset)) break;
      opener.push(first.comment, ...first.trailing);
      entries.shift();
    }
    while (entries[0]?.type === "blank") entries.shift();
    const rows = regionRows(this.stream, this.spacing, entries);
    return { entries: entries.map((entry) => this.entry(entry, depth, rows)), opener };
  }

  private entry(entry: BlockEntry, depth: number, rows: Map<RegionDecl, string>): Entry {
    switch (entry.type) {
      case "blank":
        return entry;
      case "comment": {
        const { comment } = entry;
        return {
          type: "comment",
          start: comment.startOffset,
          end: comment.startOffset + comment.image.length,
          ...commentLines(comment),
          trailing: trailingText(entry.trailing),
        };
      }
      case "statement":
        return entry.verbatim
          ? this.verbatim(entry.node, entry.trailing)
          : this.statement(entry.node, entry.trailing, depth, rows);
      default:
        return assertNever(entry, "block entry");
    }
  }

  private verbatim(node: Statement, trailing: readonly IToken[]): VerbatimStatement {
    const { start, end } = node.span;
    const lines = this.stream.text.slice(start, end).split(/\r\n?|\n/);
    return { type: "verbatim", start, end, lines, trailing: trailingText(trailing) };
  }

  private statement(
    node: Statement,
    trailing: readonly IToken[],
    depth: number,
    rows: Map<RegionDecl, string>,
  ): FormattedStatement {
    const { start, end } = node.span;
    const braces = this.stream.braces(node);
    const header =
      (node.kind === "region" ? rows.get(node) : undefined) ??
      this.spacing.inline(this.stream.piecesIn(start, braces?.open.startOffset ?? end));
    const statement = { type: "statement", start, end, depth, header } as const;
    if (!braces) return { ...statement, body: undefined, trailing: trailingText(trailing) };

    const { open, close } = braces;
    const items = bodyOf(node);
    const inner = this.block(items, open.startOffset + 1, close.startOffset, depth + 1);
    const body = {
      type: "body",
      start: open.startOffset + 1,
      end: close.startOffset,
      opener: trailingText(inner.opener),
      entries: inner.entries,
      oneLine: this.oneLine(node, items, braces),
    } as const;
    return { ...statement, body, trailing: trailingText(trailing) };
  }

  /** The body on one line (`user; per_process`), if the source allows it. */
  private oneLine(
    node: Statement,
    items: readonly Statement[],
    { open, close }: { open: IToken; close: IToken },
  ): string | undefined {
    if (items.length === 0 || this.stream.commentsIn(open.startOffset, close.startOffset).length)
      return undefined;
    if (this.stream.hasNewline(open.startOffset, items[0]!.span.start)) return undefined;
    const attributes =
      node.kind === "kaslr" ||
      (node.kind === "region" && items.every((b) => b.kind.startsWith("attr-")));
    if (!attributes) return undefined;
    return items
      .map((b) => this.spacing.inline(this.stream.tokensIn(b.span.start, b.span.end)))
      .join("; ");
  }
}

/** The statements inside a statement's braces. */
function bodyOf(node: Statement): readonly Statement[] {
  switch (node.kind) {
    case "region":
      return node.body;
    case "variant":
    case "axis":
    case "when":
    case "repeat":
    case "kaslr":
      return node.items;
    case "layout":
    case "include":
    case "paging":
    case "const":
    case "fn":
    case "param":
    case "require":
    case "exclude":
    case "kaslr-range":
    case "kaslr-align":
    case "kaslr-members":
    case "kaslr-may-overlap":
    case "attr-map":
    case "attr-perm":
    case "attr-flag":
    case "attr-cache":
    case "attr-max-page":
    case "attr-align":
    case "attr-export":
    case "attr-documented":
    case "attr-allow":
      return [];
    default:
      return assertNever(node, "statement");
  }
}
