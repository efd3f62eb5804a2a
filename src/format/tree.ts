/**
 * A formatted spec before indentation and line width are applied: blocks of lines, with every
 * token, comment and table cell already spelled. What is left to decide depends on the
 * options only: the indentation (`tabWidth`, `useTabs`) and whether a short body stays on its
 * statement's line (`printWidth`, see `staysOnOneLine`). Two printers share it: `render.ts`
 * (text) and the Prettier plugin (Prettier's Doc builders). Every node has the source span
 * `[start, end)` it was formatted from.
 *
 * Text in a node holds a line break only inside a block comment; a line after such a break
 * starts in column 1 (the comment's lines are kept as written).
 */
/** A block's lines: the file, or the inside of a statement's braces. */
export type Entry = BlankLine | OwnLineComment | FormattedStatement | VerbatimStatement;

export interface FormattedFile {
  readonly type: "file";
  readonly start: number;
  readonly end: number;
  readonly entries: readonly Entry[];
}

/** Where the source has one or more blank lines (never at the start or end of a block). */
export interface BlankLine {
  readonly type: "blank";
  readonly start: number;
  readonly end: number;
}

/** A comment on its own line(s), indented with its block. */
export interface OwnLineComment {
  readonly type: "comment";
  readonly start: number;
  readonly end: number;
  /**
   * Its lines. The first follows the block's indentation; so do the others when `reindented`
   * (a `/* ... *\/` whose lines all start with `*`), otherwise they are kept as written.
   */
  readonly lines: readonly string[];
  readonly reindented: boolean;
  /** The comments after it on its last line, each after a space (or ""). */
  readonly trailing: string;
}

/** A statement: its header line and, if it has braces, its body. */
export interface FormattedStatement {
  readonly type: "statement";
  readonly start: number;
  readonly end: number;
  /** How many blocks enclose it (0 in the file). */
  readonly depth: number;
  /** The statement up to its `{` (a region's is its padded table row). */
  readonly header: string;
  readonly body: Body | undefined;
  /** The comments after its last line (after the `}` if it has a body). */
  readonly trailing: string;
}

/** The inside of a statement's braces. */
export interface Body {
  readonly type: "body";
  readonly start: number;
  readonly end: number;
  /** The comments on the line of the `{`, before any statement, each after a space (or ""). */
  readonly opener: string;
  readonly entries: readonly Entry[];
  /**
   * The body as one line (`user; per_process`) when the source allows that: attributes or
   * kaslr items only, no comment, the first on the line of the `{`. Whether it then stays on
   * the statement's line depends on the width (`staysOnOneLine`).
   */
  readonly oneLine: string | undefined;
}

/** A statement under `prettier-ignore`: its lines exactly as written. */
export interface VerbatimStatement {
  readonly type: "verbatim";
  readonly start: number;
  readonly end: number;
  /** The first line follows the block's indentation; the others are kept as written. */
  readonly lines: readonly string[];
  readonly trailing: string;
}

export type FormatNode = FormattedFile | Entry | Body;

/** `{}`: a body with nothing in it, not even a comment. */
export const isEmptyBody = (body: Body): boolean => body.entries.length === 0 && body.opener === "";

/** The line widths the printers apply. */
export interface LineOptions {
  readonly printWidth: number;
  readonly tabWidth: number;
}

/**
 * Whether `statement`'s one-line body stays on its line: the line (a tab counting `tabWidth`)
 * fits in `printWidth`, or the body `{ ... }` is at most half as wide. A region's line cannot
 * be broken, and a long description often overflows it anyway; a short body may still stay.
 */
export function staysOnOneLine(
  statement: FormattedStatement,
  oneLine: string,
  options: LineOptions,
): boolean {
  const braced = `{ ${oneLine} }`;
  const tab = " ".repeat(options.tabWidth);
  const lineWidth =
    statement.depth * options.tabWidth + width(`${statement.header} ${braced}`.replace(/\t/g, tab));
  return lineWidth <= options.printWidth || width(braced) <= Math.floor(options.printWidth / 2);
}

/** Display width: code points (East Asian wide characters are not expected in specs). */
export function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
