/**
 * The formatter's view of a spec: its AST, for the statement structure, and its token stream,
 * which keeps every literal and comment exactly as written. Offsets are UTF-16 code units
 * into the text with `\n` line ends (the caller normalises `\r\n`).
 */
import type { IToken } from "chevrotain";
import { tokenMatcher } from "../../grammar/chevrotain.js";
import { lexSpec, parseSpec, tokens as T } from "../compiler/parse.js";
import type { Item, KaslrItem, SpecFile } from "../compiler/ast.js";
import type { Result } from "../diagnostics/diagnostic.js";
import { partitionPoint } from "../model/collections.js";

/** A parsed spec, ready to print. */
export interface PreparedSpec {
  readonly text: string;
  readonly ast: SpecFile;
  /** Real tokens in source order: statement ends (newline, `;`, virtual) removed. */
  readonly tokens: readonly IToken[];
  readonly commentTokens: readonly IToken[];
}

/** A statement of some block: an item, or a `kaslr` item. */
export type Statement = Item | KaslrItem;

/**
 * Parses `text` for formatting. A spec with errors (E0001 ...) gives no value and those errors;
 * a spec without gives no diagnostics (its warnings are the checker's to report).
 */
export function prepareSpec(text: string, path = "<input>"): Result<PreparedSpec | undefined> {
  const parsed = parseSpec(text, path);
  const errors = parsed.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { value: undefined, diagnostics: errors };
  const lexed = lexSpec(text, path);
  const value = {
    text,
    ast: parsed.value.ast,
    tokens: lexed.tokens.filter((t) => !tokenMatcher(t, T.End)),
    commentTokens: parsed.value.comments,
  };
  return { value, diagnostics: [] };
}

export const isComment = (t: IToken): boolean =>
  t.tokenType === T.LineComment || t.tokenType === T.BlockComment;

/** Lookups by offset into a prepared spec's tokens and comments (both sorted by offset). */
export class TokenStream {
  readonly text: string;
  readonly tokens: readonly IToken[];
  readonly comments: readonly IToken[];

  constructor(spec: PreparedSpec) {
    this.text = spec.text;
    this.tokens = spec.tokens;
    this.comments = spec.commentTokens;
  }

  /** Index of the first token starting at or after `offset`. */
  tokenIndex(offset: number): number {
    return firstAtOrAfter(this.tokens, offset);
  }

  tokenAtOrAfter(offset: number): IToken | undefined {
    return this.tokens[this.tokenIndex(offset)];
  }

  /** Tokens starting in `[start, end)`. */
  tokensIn(start: number, end: number): IToken[] {
    return startingIn(this.tokens, start, end);
  }

  /** Comments starting in `[start, end)`. */
  commentsIn(start: number, end: number): IToken[] {
    return startingIn(this.comments, start, end);
  }

  /** Tokens and comments starting in `[start, end)`, in source order. */
  piecesIn(start: number, end: number): IToken[] {
    return [...this.tokensIn(start, end), ...this.commentsIn(start, end)].sort(
      (a, b) => a.startOffset - b.startOffset,
    );
  }

  /** The `{` and `}` of a statement's body, if it has one. */
  braces(node: Statement): { open: IToken; close: IToken } | undefined {
    const inSpan = this.tokensIn(node.span.start, node.span.end);
    const open = inSpan.find((t) => t.tokenType === T.LCurly);
    const close = inSpan[inSpan.length - 1];
    if (!open || !close || close.tokenType !== T.RCurly) return undefined;
    return { open, close };
  }

  /** Where a statement's header ends: at its `{`, or with the statement. */
  headerEnd(node: Statement): number {
    return this.braces(node)?.open.startOffset ?? node.span.end;
  }

  hasNewline(start: number, end: number): boolean {
    return /[\n\r]/.test(this.text.slice(start, end));
  }

  newlines(start: number, end: number): number {
    return (this.text.slice(start, end).match(/\r\n?|\n/g) ?? []).length;
  }
}

function firstAtOrAfter(sorted: readonly IToken[], offset: number): number {
  return partitionPoint(sorted.length, (i) => sorted[i]!.startOffset >= offset);
}

function startingIn(sorted: readonly IToken[], start: number, end: number): IToken[] {
  const out: IToken[] = [];
  for (let i = firstAtOrAfter(sorted, start); i < sorted.length; i++) {
    const t = sorted[i]!;
    if (t.startOffset >= end) break;
    out.push(t);
  }
  return out;
}
