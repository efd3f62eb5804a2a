/**
 * Comments attached to the statements of a block. An own-line comment is an entry of its
 * block; a comment after code on the same line trails that statement (or comment); a comment
 * inside a statement belongs to the statement and is printed between the same tokens.
 */
import type { IToken } from "chevrotain";
import type { Statement, TokenStream } from "./source.js";

/** A block's statements, own-line comments and blank lines, in source order. */
export type BlockEntry =
  | { readonly type: "blank"; readonly start: number; readonly end: number }
  | { readonly type: "comment"; readonly comment: IToken; readonly trailing: IToken[] }
  | {
      readonly type: "statement";
      readonly node: Statement;
      readonly trailing: IToken[];
      /** Under `prettier-ignore`: printed as written. */
      readonly verbatim: boolean;
    };

const isIgnoreComment = (c: IToken): boolean =>
  /^(\/\/\s*prettier-ignore\s*|\/\*\s*prettier-ignore\s*\*\/)$/.test(c.image);

/**
 * The entries of the block holding `nodes` between offsets `from` and `to` (the inside of the
 * braces, or the whole file). A run of blank lines is one `blank` entry; none precedes the
 * first piece.
 */
export function blockEntries(
  stream: TokenStream,
  nodes: readonly Statement[],
  from: number,
  to: number,
): BlockEntry[] {
  type Piece = { start: number; end: number; node?: Statement; comment?: IToken };
  const pieces: Piece[] = nodes.map((node) => ({
    start: node.span.start,
    end: node.span.end,
    node,
  }));
  // Comments inside a statement belong to it; the others are the block's.
  let n = 0;
  for (const comment of stream.commentsIn(from, to)) {
    const start = comment.startOffset;
    while (n < nodes.length && nodes[n]!.span.end <= start) n++;
    if (n < nodes.length && nodes[n]!.span.start <= start) continue;
    pieces.push({ start, end: start + comment.image.length, comment });
  }
  pieces.sort((a, b) => a.start - b.start);

  const entries: BlockEntry[] = [];
  let previous: Exclude<BlockEntry, { type: "blank" }> | undefined;
  let previousEnd = from;
  for (const piece of pieces) {
    const sameLine = !stream.hasNewline(previousEnd, piece.start);
    if (piece.comment && sameLine && previous) previous.trailing.push(piece.comment);
    else {
      if (previous && stream.newlines(previousEnd, piece.start) >= 2)
        entries.push({ type: "blank", start: previousEnd, end: piece.start });
      const ignored = previous?.type === "comment" && isIgnoreComment(previous.comment);
      previous = piece.comment
        ? { type: "comment", comment: piece.comment, trailing: [] }
        : { type: "statement", node: piece.node!, trailing: [], verbatim: ignored };
      entries.push(previous);
    }
    previousEnd = piece.end;
  }
  return entries;
}

/**
 * A comment's lines, trailing spaces removed. A multi-line block comment whose continuation
 * lines all start with `*` is `reindented`: those lines become ` *...` and are printed after
 * the indentation of the comment's block (the `*`s line up under the first); other comments'
 * lines are kept as written.
 */
export function commentLines(comment: IToken): { lines: string[]; reindented: boolean } {
  const lines = comment.image.split(/\r\n?|\n/).map((l) => l.trimEnd());
  if (lines.length > 1 && lines.slice(1).every((l) => /^\s*\*/.test(l)))
    return { lines: lines.map((l, i) => (i === 0 ? l : ` ${l.trimStart()}`)), reindented: true };
  return { lines, reindented: false };
}

/** A comment inside or after a line of code: its continuation lines start in column 1. */
export function inlineComment(comment: IToken): string {
  return commentLines(comment).lines.join("\n");
}

/** Comments trailing a line: one space before each. */
export function trailingText(comments: readonly IToken[]): string {
  return comments.map((c) => " " + inlineComment(c)).join("");
}
