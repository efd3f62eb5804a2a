/**
 * The vmlayout formatter: valid spec text in, formatted spec text out. The Prettier plugin
 * (index.ts) is a thin wrapper around `formatSpec`.
 *
 * The language is line oriented (a statement ends at a newline or `;`), so the formatter
 * prints from the TOKEN stream, which keeps every literal and comment exactly as written, and
 * takes the statement structure (which tokens form a region's placement, kind, name,
 * description and body) from the AST's spans. The rules:
 *
 *   - One statement per line; bodies `{ ... }` are indented by one level (`tabWidth`, 2).
 *   - Within a block (the file, a region body, a variant, a repeat) the region lines form one
 *     table, whose columns are aligned with spaces:
 *         START SIZE/END  KIND NAME  "description" { body }
 *     `KIND NAME` is one column (a phrase): the kinds of a run of consecutive lines that all
 *     have one are padded to the run's widest, and a line without a kind starts its name where
 *     the kinds start, so one `hole` does not push every other line's name to the right.
 *     Blank lines, comments and ignored statements between region lines do not break the
 *     table; any other statement does. Empty columns take no room.
 *   - A region or `kaslr` body stays on one line, `{ user; per_process }`, when it holds only
 *     attributes (or kaslr items), has no comment, the source put its first item on the line
 *     of the `{` (as Prettier does for objects), and either the line fits in `printWidth` or
 *     the body `{ ... }` is at most half as wide (a region's line cannot be broken, and its
 *     description often overflows it anyway). Otherwise it is expanded, one statement per
 *     line. Variant and repeat bodies are always expanded.
 *   - Within a statement: one space between tokens, except none inside `( )`, before `,` and
 *     `:`, around the `.` of `r.start`, before the `(` of a call, after a unary `-` and after
 *     the `+` of a placement size (`+64TB`), and after the `~` and sign of a documented value
 *     (`size ~0.5MB`, `offset +128TB`). A unit keeps its spacing from the number, as
 *     written (`64TB`, `0.5 TB`). Literals, names and strings are printed as written.
 *   - Blank lines are kept, a run of them collapsed to one; none at the start or end of a
 *     block or of the file.
 *   - Comments are kept: an own-line comment stays on its own line (indented with its block),
 *     a comment after code stays at the end of that line (one space before it), a comment
 *     inside a statement stays between the same tokens. A block comment whose lines all start
 *     with `*` is re-indented; other multi-line block comments are kept verbatim.
 *   - `// prettier-ignore` (or `/* prettier-ignore *\/`) on its own line keeps the next
 *     statement exactly as written.
 *
 * The result is idempotent, and `formatSpec` checks its own output: the output must parse to
 * the same AST (spans aside) with the same comments, or it throws instead of changing meaning.
 */
import type { IToken } from "chevrotain";
import { tokenMatcher } from "../../grammar/chevrotain.js";
import { lexSpec, parseSpec, tokens as T } from "../compiler/parse.js";
import type { Item, KaslrItem, RegionDecl, SpecFile } from "../compiler/ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";

export interface FormatOptions {
  /** The line width a one-line body must fit in (default 100, as the plugin's). */
  readonly printWidth?: number;
  /** Spaces per indentation level (default 2). */
  readonly tabWidth?: number;
  /** Indent with tabs instead of spaces (alignment inside a line always uses spaces). */
  readonly useTabs?: boolean;
  /** Recorded in diagnostics. */
  readonly path?: string;
}

/** The spec has syntax errors; `diagnostics` holds them, coded (E0001 ...). */
export class SpecSyntaxError extends SyntaxError {
  /** Prettier's error location: 1-based line and column. */
  readonly loc: {
    start: { line: number; column: number };
    end: { line: number; column: number };
  };
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    text: string,
  ) {
    const first = diagnostics[0]!;
    const start = lineColumn(text, first.span?.start ?? 0);
    const end = lineColumn(text, first.span?.end ?? first.span?.start ?? 0);
    super(`${first.message} [${first.code}] (${start.line}:${start.column})`);
    this.name = "SyntaxError";
    this.loc = { start, end };
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  return { line, column: Math.min(offset, text.length) - lineStart + 1 };
}

/** A parsed spec, ready to print: what the Prettier parser hands to the printer. */
export interface PreparedSpec {
  readonly text: string;
  readonly ast: SpecFile;
  /** Real tokens in source order: statement ends (newline, `;`, virtual) removed. */
  readonly tokens: readonly IToken[];
  readonly commentTokens: readonly IToken[];
}

/** Parses `text`; throws SpecSyntaxError when it has errors. */
export function prepareSpec(text: string, path = "<input>"): PreparedSpec {
  const parsed = parseSpec(text, path);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new SpecSyntaxError(errors, text);
  const lexed = lexSpec(text, path);
  return {
    text,
    ast: parsed.value.ast,
    tokens: lexed.tokens.filter((t) => !tokenMatcher(t, T.End)),
    commentTokens: parsed.value.comments,
  };
}

/** Formats a spec; throws SpecSyntaxError when it does not parse. */
export function formatSpec(text: string, options: FormatOptions = {}): string {
  return printSpec(prepareSpec(text.replace(/\r\n?/g, "\n"), options.path), options);
}

/** Prints a prepared spec and checks that the output means the same. */
export function printSpec(spec: PreparedSpec, options: FormatOptions = {}): string {
  const out = new Printer(spec, options).print();
  checkSameMeaning(spec, out, options.path ?? "<input>");
  return out;
}

// ---------------------------------------------------------------- the printer

/** A statement of some block: an item, or a `kaslr` item. */
type Node = Item | KaslrItem;

type Entry =
  | { readonly type: "blank" }
  | { readonly type: "comment"; readonly comment: IToken; readonly trailing: IToken[] }
  | {
      readonly type: "node";
      readonly node: Node;
      readonly trailing: IToken[];
      /** Under `prettier-ignore`: printed as written. */
      readonly verbatim: boolean;
    };

/** A region line in a table: its columns (start, size/end, `KIND NAME`, description). */
interface TableRow {
  readonly columns: readonly string[];
  /** The table's column widths. */
  readonly widths: readonly number[];
}

/** The five cells of a region line. */
const START = 0;
const EXTENT = 1;
const KIND = 2;
const NAME = 3;
const DESCRIPTION = 4;

const isIgnoreComment = (c: IToken): boolean =>
  /^(\/\/\s*prettier-ignore\s*|\/\*\s*prettier-ignore\s*\*\/)$/.test(c.image);

class Printer {
  private readonly text: string;
  private readonly tokens: readonly IToken[];
  private readonly comments: readonly IToken[];
  private readonly width: number;
  private readonly tabWidth: number;
  private readonly indentUnit: string;
  /**
   * Token offsets after which no space is printed: unary `-`, placement `+`, and the `~` and
   * sign of a documented value (`offset ~-11MB`, `offset +128TB`).
   */
  private readonly glueAfter = new Set<number>();
  /** Token offsets before which no space is printed: the `(` of a call. */
  private readonly glueBefore = new Set<number>();
  /** Each region's cells: the table's widths and the region's line both need them. */
  private readonly cells = new Map<RegionDecl, string[]>();

  constructor(
    private readonly spec: PreparedSpec,
    options: FormatOptions,
  ) {
    this.text = spec.text;
    this.tokens = spec.tokens;
    this.comments = spec.commentTokens;
    this.width = options.printWidth ?? 100;
    this.tabWidth = options.tabWidth ?? 2;
    this.indentUnit = options.useTabs ? "\t" : " ".repeat(this.tabWidth);
    this.collectGlue(spec.ast);
  }

  print(): string {
    const lines = this.block(this.spec.ast.items, 0, this.text.length, 0).lines;
    return lines.length === 0 ? "" : lines.join("\n") + "\n";
  }

  // ------------------------------------------------------------ structure from the AST

  /** Finds unary minus, call parentheses and documented-value prefixes anywhere in the AST. */
  private collectGlue(node: unknown): void {
    if (Array.isArray(node)) {
      for (const child of node) this.collectGlue(child);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const n = node as {
      kind?: string;
      span?: { start: number };
      callee?: { span: { end: number } };
      value?: { span: { start: number } };
    };
    if (n.kind === "neg" && n.span) this.glueAfter.add(n.span.start);
    if (n.kind === "attr-documented" && n.span && n.value) {
      // The tokens between the word and the value: `~` and `+`.
      for (let i = this.tokenIndex(n.span.start) + 1; ; i++) {
        const t = this.tokens[i];
        if (!t || t.startOffset >= n.value.span.start) break;
        this.glueAfter.add(t.startOffset);
      }
    }
    if (n.kind === "call" && n.callee) {
      const paren = this.tokenAtOrAfter(n.callee.span.end);
      if (paren) this.glueBefore.add(paren.startOffset);
    }
    for (const [key, value] of Object.entries(node))
      if (key !== "span" && typeof value === "object") this.collectGlue(value);
  }

  /** Index of the first token starting at or after `offset`. */
  private tokenIndex(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.startOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private tokenAtOrAfter(offset: number): IToken | undefined {
    return this.tokens[this.tokenIndex(offset)];
  }

  /** Tokens starting in `[start, end)`. */
  private tokensIn(start: number, end: number): IToken[] {
    const out: IToken[] = [];
    for (let i = this.tokenIndex(start); i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (t.startOffset >= end) break;
      out.push(t);
    }
    return out;
  }

  /** Comments starting in `[start, end)`. */
  private commentsIn(start: number, end: number): IToken[] {
    let lo = 0;
    let hi = this.comments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.comments[mid]!.startOffset < start) lo = mid + 1;
      else hi = mid;
    }
    const out: IToken[] = [];
    for (let i = lo; i < this.comments.length && this.comments[i]!.startOffset < end; i++)
      out.push(this.comments[i]!);
    return out;
  }

  /** The `{` and `}` of a statement's body, if it has one. */
  private braces(node: Node): { open: IToken; close: IToken } | undefined {
    const inSpan = this.tokensIn(node.span.start, node.span.end);
    const open = inSpan.find((t) => t.tokenType === T.LCurly);
    const close = inSpan[inSpan.length - 1];
    if (!open || !close || close.tokenType !== T.RCurly) return undefined;
    return { open, close };
  }

  private hasNewline(start: number, end: number): boolean {
    return /[\n\r]/.test(this.text.slice(start, end));
  }

  private newlines(start: number, end: number): number {
    return (this.text.slice(start, end).match(/\r\n?|\n/g) ?? []).length;
  }

  // ------------------------------------------------------------ blocks

  /**
   * The lines of a block: the statements `nodes` and the comments between `from` and `to`
   * (the inside of the braces, or the whole file). `opener` receives the comments that follow
   * the `{` on its line.
   */
  private block(
    nodes: readonly Node[],
    from: number,
    to: number,
    depth: number,
  ): { lines: string[]; opener: IToken[] } {
    const entries = this.entries(nodes, from, to);
    // In a body, comments on the line of the `{` (before any statement) follow the `{`.
    const opener: IToken[] = [];
    while (from > 0 && entries[0]?.type === "comment") {
      const first = entries[0];
      if (this.hasNewline(from, first.comment.startOffset)) break;
      opener.push(first.comment, ...first.trailing);
      entries.shift();
    }
    while (entries[0]?.type === "blank") entries.shift();

    const widths = this.tableWidths(entries);
    const indent = this.indentUnit.repeat(depth);
    const lines: string[] = [];
    for (const entry of entries) {
      if (entry.type === "blank") lines.push("");
      else if (entry.type === "comment") {
        const printed = this.commentLines(entry.comment, indent);
        printed[printed.length - 1] += this.trailing(entry.trailing);
        for (const line of printed) lines.push(line); // no spread: a comment can be huge
      } else
        for (const line of this.statement(entry, depth, widths.get(entry.node))) lines.push(line);
    }
    return { lines, opener };
  }

  /**
   * Statements, own-line comments and blank lines of a block, in order. A comment that
   * follows code on the same line is attached to it as a trailing comment.
   */
  private entries(nodes: readonly Node[], from: number, to: number): Entry[] {
    type Piece = { start: number; end: number; node?: Node; comment?: IToken };
    const pieces: Piece[] = nodes.map((node) => ({
      start: node.span.start,
      end: node.span.end,
      node,
    }));
    // Comments inside a statement belong to it; the others are the block's.
    let n = 0;
    for (const comment of this.commentsIn(from, to)) {
      const start = comment.startOffset;
      while (n < nodes.length && nodes[n]!.span.end <= start) n++;
      if (n < nodes.length && nodes[n]!.span.start <= start) continue;
      pieces.push({ start, end: start + comment.image.length, comment });
    }
    pieces.sort((a, b) => a.start - b.start);

    const entries: Entry[] = [];
    let previous: Exclude<Entry, { type: "blank" }> | undefined;
    let previousEnd = from;
    for (const piece of pieces) {
      const sameLine = !this.hasNewline(previousEnd, piece.start);
      if (piece.comment && sameLine && previous) previous.trailing.push(piece.comment);
      else {
        if (previous && this.newlines(previousEnd, piece.start) >= 2)
          entries.push({ type: "blank" });
        const ignored = previous?.type === "comment" && isIgnoreComment(previous.comment);
        previous = piece.comment
          ? { type: "comment", comment: piece.comment, trailing: [] }
          : { type: "node", node: piece.node!, trailing: [], verbatim: ignored };
        entries.push(previous);
      }
      previousEnd = piece.end;
    }
    return entries;
  }

  private trailing(comments: readonly IToken[]): string {
    return comments.map((c) => " " + this.commentText(c, "")).join("");
  }

  /** A comment on its own line(s), indented with its block. */
  private commentLines(comment: IToken, indent: string): string[] {
    return this.commentText(comment, indent)
      .split("\n")
      .map((line, i) => (i === 0 ? indent + line : line));
  }

  /**
   * A comment's text. A multi-line block comment whose continuation lines all start with `*`
   * is re-indented to `indent` (plus one space, under the first `*`); others stay verbatim.
   * Trailing spaces are removed from every line.
   */
  private commentText(comment: IToken, indent: string): string {
    const lines = comment.image.split(/\r\n?|\n/).map((l) => l.trimEnd());
    if (lines.length > 1 && lines.slice(1).every((l) => /^\s*\*/.test(l)))
      return lines.map((l, i) => (i === 0 ? l : `${indent} ${l.trimStart()}`)).join("\n");
    return lines.join("\n");
  }

  // ------------------------------------------------------------ tables

  /**
   * The columns (start, size/end, `KIND NAME`, description) of every region line that is part
   * of a table, and the table's column widths.
   */
  private tableWidths(entries: readonly Entry[]): Map<Node, TableRow> {
    const out = new Map<Node, TableRow>();
    let table: Node[] = [];
    const close = () => {
      const cells = table.map((node) => this.regionCells(node as RegionDecl));
      // The kind's width over each run of consecutive lines that have a kind.
      const kindWidths = cells.map(() => 0);
      for (let i = 0; i < cells.length;) {
        let end = i;
        while (end < cells.length && cells[end]![KIND] !== "") end++;
        const run = Math.max(0, ...cells.slice(i, end).map((c) => width(c[KIND]!)));
        for (let j = i; j < end; j++) kindWidths[j] = run;
        i = Math.max(end, i + 1);
      }
      const columns = cells.map((c, i) => {
        const kind = c[NAME] === "" ? c[KIND]! : pad(c[KIND]!, kindWidths[i]!);
        const phrase = [kind, c[NAME]!].filter((x) => x !== "").join(" ");
        return [c[START]!, c[EXTENT]!, phrase, c[DESCRIPTION]!];
      });
      const widths = [0, 0, 0, 0];
      for (const row of columns)
        row.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, width(cell))));
      table.forEach((node, i) => out.set(node, { columns: columns[i]!, widths }));
      table = [];
    };
    for (const entry of entries) {
      // A statement under `prettier-ignore` keeps its own spacing and does not end a table.
      if (entry.type !== "node" || entry.verbatim) continue;
      if (entry.node.kind === "region") table.push(entry.node);
      else close();
    }
    close();
    return out;
  }

  /** The cells of a region's line: start, size/end, kind, name, description. */
  private regionCells(region: RegionDecl): string[] {
    let cells = this.cells.get(region);
    if (!cells) this.cells.set(region, (cells = this.computeCells(region)));
    return cells;
  }

  private computeCells(region: RegionDecl): string[] {
    const braces = this.braces(region);
    const headerEnd = braces ? braces.open.startOffset : region.span.end;
    const tokens = this.tokensIn(region.span.start, headerEnd);
    const cellOf = new Map<IToken, number>();
    const placement = tokens.filter((t) => t.startOffset < region.placement.span.end);
    // The start is one term (or `align A`), so the size's `+` or the range operator is the
    // first of them outside parentheses; the `+` prints glued to the size (`+64TB`).
    let depth = 0;
    let cell = START;
    for (const t of placement) {
      if (t.tokenType === T.LParen) depth++;
      else if (t.tokenType === T.RParen) depth--;
      else if (
        depth === 0 &&
        cell === START &&
        (t.tokenType === T.Plus || tokenMatcher(t, T.RangeOperator))
      ) {
        cell = EXTENT;
        if (t.tokenType === T.Plus) this.glueAfter.add(t.startOffset);
      }
      cellOf.set(t, cell);
    }
    for (const t of tokens) {
      if (cellOf.has(t)) continue;
      if (region.name && t.startOffset === region.name.span.start) cellOf.set(t, NAME);
      else if (region.description && t.startOffset === region.description.span.start)
        cellOf.set(t, DESCRIPTION);
      else cellOf.set(t, KIND);
    }
    const cells: IToken[][] = [[], [], [], [], []];
    let last = START;
    const pieces = [...tokens, ...this.commentsIn(region.span.start, headerEnd)].sort(
      (a, b) => a.startOffset - b.startOffset,
    );
    // A comment goes with the token before it (or the first token).
    const firstCell = cellOf.get(tokens[0]!) ?? START;
    for (const piece of pieces) {
      const c = cellOf.get(piece) ?? (piece === pieces[0] ? firstCell : last);
      cells[c]!.push(piece);
      last = c;
    }
    return cells.map((c) => this.inline(c));
  }

  // ------------------------------------------------------------ statements

  /** The lines of one statement, trailing comments included. */
  private statement(
    entry: Extract<Entry, { type: "node" }>,
    depth: number,
    tableRow: TableRow | undefined,
  ): string[] {
    const { node } = entry;
    const indent = this.indentUnit.repeat(depth);
    if (entry.verbatim) {
      const lines = this.text.slice(node.span.start, node.span.end).split(/\r\n?|\n/);
      lines[0] = indent + lines[0];
      lines[lines.length - 1] += this.trailing(entry.trailing);
      return lines;
    }
    const braces = this.braces(node);
    const headerEnd = braces ? braces.open.startOffset : node.span.end;
    let header: string;
    if (node.kind === "region" && tableRow) {
      header = this.row(tableRow);
    } else {
      const pieces = [
        ...this.tokensIn(node.span.start, headerEnd),
        ...this.commentsIn(node.span.start, headerEnd),
      ].sort((a, b) => a.startOffset - b.startOffset);
      header = this.inline(pieces);
    }
    if (!braces) return [indent + header + this.trailing(entry.trailing)];

    const body = bodyOf(node);
    const { open, close } = braces;
    const inner = this.block(body, open.startOffset + 1, close.startOffset, depth + 1);
    const bodyComments = this.commentsIn(open.startOffset, close.startOffset);
    if (body.length === 0 && bodyComments.length === 0)
      return [indent + header + " {}" + this.trailing(entry.trailing)];

    const oneLine = this.oneLineBody(node, body, bodyComments, open);
    if (oneLine !== undefined) {
      // A region's cells cannot be broken, and a long description often overflows the line
      // already; a short body may still stay on it.
      const braced = `{ ${oneLine} }`;
      const line = `${indent}${header} ${braced}`;
      const lineWidth = width(line.replace(/\t/g, " ".repeat(this.tabWidth)));
      if (lineWidth <= this.width || width(braced) <= Math.floor(this.width / 2))
        return [line + this.trailing(entry.trailing)];
    }
    return [
      indent + header + " {" + this.trailing(inner.opener),
      ...inner.lines,
      indent + "}" + this.trailing(entry.trailing),
    ];
  }

  /**
   * A region's line, its cells padded to the table's column widths. Columns no line of the
   * table uses take no room; nothing follows the last cell of this line.
   */
  private row({ columns, widths }: TableRow): string {
    let last = columns.length - 1;
    while (last > 0 && columns[last] === "") last--;
    let out = "";
    let previous = -1;
    for (let i = 0; i <= last; i++) {
      if (widths[i] === 0) continue;
      // `START SIZE` reads as one phrase; two spaces between the other columns.
      if (previous >= 0) out += previous === START && i === EXTENT ? " " : "  ";
      out += i === last ? columns[i]! : pad(columns[i]!, widths[i]!);
      previous = i;
    }
    return out;
  }

  /** The body on one line (`user; per_process`), if the rules allow it. */
  private oneLineBody(
    node: Node,
    body: readonly Node[],
    bodyComments: readonly IToken[],
    open: IToken,
  ): string | undefined {
    if (bodyComments.length > 0 || body.length === 0) return undefined;
    if (this.hasNewline(open.startOffset, body[0]!.span.start)) return undefined;
    const attributes =
      node.kind === "kaslr" ||
      (node.kind === "region" && body.every((b) => b.kind.startsWith("attr-")));
    if (!attributes) return undefined;
    return body.map((b) => this.inline(this.tokensIn(b.span.start, b.span.end))).join("; ");
  }

  // ------------------------------------------------------------ within a line

  /** Tokens and comments on one line, with the spacing rules of the module comment. */
  private inline(pieces: readonly IToken[]): string {
    let out = "";
    let previous: IToken | undefined;
    for (const piece of pieces) {
      const isComment = this.isComment(piece);
      const image = isComment ? this.commentText(piece, "") : piece.image;
      if (previous !== undefined && this.spaceBetween(previous, piece))
        out += separator(out, image);
      out += image;
      previous = piece;
    }
    return out;
  }

  private isComment(t: IToken): boolean {
    return t.tokenType === T.LineComment || t.tokenType === T.BlockComment;
  }

  private spaceBetween(a: IToken, b: IToken): boolean {
    if (this.isComment(a) || this.isComment(b)) return true;
    if (tokenMatcher(b, T.Unit) && (tokenMatcher(a, T.NumberLiteral) || tokenMatcher(a, T.Unit)))
      return this.text.slice(a.startOffset + a.image.length, b.startOffset) !== "";
    if (a.tokenType === T.LParen || b.tokenType === T.RParen) return false;
    if (b.tokenType === T.Comma || b.tokenType === T.Colon) return false;
    if (a.tokenType === T.Dot || b.tokenType === T.Dot) return false;
    if (this.glueAfter.has(a.startOffset) || this.glueBefore.has(b.startOffset)) return false;
    return true;
  }
}

/** The statements inside a statement's braces. */
function bodyOf(node: Node): readonly Node[] {
  switch (node.kind) {
    case "region":
      return node.body;
    case "variant":
    case "repeat":
    case "kaslr":
      return node.items;
    default:
      return [];
  }
}

/**
 * One space, or two where one would glue two 8-digit hex words into one GayBSD address
 * (`members deadbeef  cafebabe` must not become the number `deadbeef cafebabe`).
 */
function separator(left: string, right: string): string {
  return /(?:^|[^0-9A-Za-z_])[0-9A-Fa-f]{8}$/.test(left) &&
    /^[0-9A-Fa-f]{8}(?![0-9A-Fa-f_])/.test(right)
    ? "  "
    : " ";
}

const pad = (s: string, to: number): string => s + " ".repeat(Math.max(0, to - width(s)));

/** Display width: code points (East Asian wide characters are not expected in specs). */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// ---------------------------------------------------------------- self-check

/** The AST without spans (and the file path): what the spec means. */
export function meaning(ast: SpecFile): string {
  return JSON.stringify(ast.items, (key, value: unknown) =>
    key === "span" ? undefined : typeof value === "bigint" ? `${value}n` : value,
  );
}

/**
 * Comments as the formatter may print them: without the spaces at the start and end of each
 * line (it re-indents block comments and drops trailing spaces).
 */
export function commentWords(comments: readonly IToken[]): string[] {
  return comments.map((c) =>
    c.image
      .split(/\r\n?|\n/)
      .map((line) => line.trim())
      .join("\n"),
  );
}

function checkSameMeaning(spec: PreparedSpec, out: string, path: string): void {
  const again = parseSpec(out, path);
  const problem = again.diagnostics.some((d) => d.severity === "error")
    ? "the output does not parse"
    : meaning(again.value.ast) !== meaning(spec.ast)
      ? "the output means something else"
      : JSON.stringify(commentWords(again.value.comments)) !==
          JSON.stringify(commentWords(spec.commentTokens))
        ? "the output lost or changed a comment"
        : undefined;
  if (problem)
    throw new Error(`vmlayout formatter bug: ${problem} (${path}); the file was left as it was`);
}
