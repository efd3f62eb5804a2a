/**
 * Spacing within a line: one space between tokens, except none inside `( )`, before `,` and
 * `:`, around the `.` of `r.start`, before the `(` of a call or of a `fn` declaration's
 * parameters, after a unary `-` or `~`, after the `+` of a placement size (`+64TB`), and after
 * the `~` and sign of a documented value (`size ~0.5MB`, `offset +128TB`). A unit keeps its spacing from the number, as written
 * (`64TB`, `0.5 TB`). Literals, names, strings and comments are printed as written.
 */
import type { IToken } from "chevrotain";
import { tokenMatcher } from "../../grammar/chevrotain.js";
import { tokens as T } from "../compiler/parse.js";
import type { SpecFile } from "../compiler/ast.js";
import { inlineComment } from "./comments.js";
import { isComment, type TokenStream } from "./source.js";

export class Spacing {
  /** Token offsets after which no space is printed. */
  private readonly glueAfter = new Set<number>();
  /** Token offsets before which no space is printed: the `(` of a call. */
  private readonly glueBefore = new Set<number>();

  constructor(
    private readonly stream: TokenStream,
    ast: SpecFile,
  ) {
    this.collectGlue(ast);
  }

  /** No space after `token` (a placement's `+`, which only the table knows). */
  glue(token: IToken): void {
    this.glueAfter.add(token.startOffset);
  }

  /** Tokens and comments on one line. */
  inline(pieces: readonly IToken[]): string {
    let out = "";
    let previous: IToken | undefined;
    for (const piece of pieces) {
      const image = isComment(piece) ? inlineComment(piece) : piece.image;
      if (previous !== undefined && this.spaceBetween(previous, piece))
        out += separator(out, image);
      out += image;
      previous = piece;
    }
    return out;
  }

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
      name?: { span: { end: number } };
      value?: { span: { start: number } };
    };
    if ((n.kind === "neg" || n.kind === "not") && n.span) this.glueAfter.add(n.span.start);
    if (n.kind === "attr-documented" && n.span && n.value) {
      // The tokens between the word and the value: `~` and `+`.
      const tokens = this.stream.tokens;
      for (let i = this.stream.tokenIndex(n.span.start) + 1; ; i++) {
        const t = tokens[i];
        if (!t || t.startOffset >= n.value.span.start) break;
        this.glueAfter.add(t.startOffset);
      }
    }
    const callee = n.kind === "call" ? n.callee : n.kind === "fn" ? n.name : undefined;
    if (callee) {
      const paren = this.stream.tokenAtOrAfter(callee.span.end);
      if (paren) this.glueBefore.add(paren.startOffset);
    }
    for (const [key, value] of Object.entries(node))
      if (key !== "span" && typeof value === "object") this.collectGlue(value);
  }

  private spaceBetween(a: IToken, b: IToken): boolean {
    if (isComment(a) || isComment(b)) return true;
    if (tokenMatcher(b, T.Unit) && (tokenMatcher(a, T.NumberLiteral) || tokenMatcher(a, T.Unit)))
      return this.stream.text.slice(a.startOffset + a.image.length, b.startOffset) !== "";
    if (a.tokenType === T.LParen || b.tokenType === T.RParen) return false;
    if (b.tokenType === T.Comma || b.tokenType === T.Colon) return false;
    if (a.tokenType === T.Dot || b.tokenType === T.Dot) return false;
    if (this.glueAfter.has(a.startOffset) || this.glueBefore.has(b.startOffset)) return false;
    return true;
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
