/**
 * Spec text in generated files. A string in a spec (a description, a variant name) may hold any
 * character but a raw line break: escapes give newline and tab, and control, format and bidi
 * characters (U+0000, U+001B, U+202E) pass the lexer as they are. So may the spec's path. One
 * function per output language here makes such text safe where the emitter puts it:
 *
 *   - no character of it ends the comment, string or block it is in, joins or splits a line, or
 *     starts a construct of the language (a C trigraph, line splice or nested comment opener; a
 *     Markdown fence, heading, link, image or HTML tag; a reStructuredText directive or
 *     reference; an XML tag or entity);
 *   - tab and newline become a space (the emitters wrap text themselves);
 *   - a control, format (bidi), surrogate, private-use or unassigned code point, a line or
 *     paragraph separator, and any character the language cannot carry as it is, becomes
 *     `U+XXXX` (no backslash, which would itself be a hazard in C and Markdown); the `Escapes`
 *     that did it remembers, so the file can say so with `ESCAPE_NOTE`.
 *
 * Every emitter passes every string from a spec through one of these, never through as it is.
 */

import type { Layout } from "../../model/layout.js";

/** What a generated file says when it wrote a character of the spec as `U+XXXX`. */
export const ESCAPE_NOTE =
  "U+XXXX stands for a character of the spec that cannot be written here as it is.";

/** Code points no generated text carries as they are. */
const UNSAFE = String.raw`\p{C}\p{Zl}\p{Zp}`;

/** `U+202E`. */
export const codePoint = (ch: string): string =>
  "U+" + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");

/** Records whether any character was written as `U+XXXX`, for the file's note. */
export class Escapes {
  used = false;

  /** `text` with tab and newline as spaces and every character `unsafe` matches as `U+XXXX`. */
  replace(text: string, unsafe: RegExp): string {
    return text.replace(/[\t\n]/g, " ").replace(unsafe, (ch) => {
      this.used = true;
      return codePoint(ch);
    });
  }

  /** `[ESCAPE_NOTE]` when a character was replaced, else nothing. */
  note(): string[] {
    return this.used ? [ESCAPE_NOTE] : [];
  }
}

/** Text in a generated file with no other syntax around it (the ascii table's rows). */
const PLAIN = new RegExp(`[${UNSAFE}]`, "gu");
export const plainText = (text: string, e: Escapes): string => e.replace(text, PLAIN);

/**
 * `layouts` with every string the spec wrote (descriptions, variant names, the file's path)
 * passed through `escape`, for an emitter that writes them all as one kind of text. Names are
 * identifiers and need nothing.
 */
export function withSpecText(
  layouts: readonly Layout[],
  escape: (text: string) => string,
): Layout[] {
  const optional = (s: string | undefined): string | undefined =>
    s === undefined ? undefined : escape(s);
  return layouts.map((l) => ({
    ...l,
    description: optional(l.description),
    variant: l.variant === null ? null : escape(l.variant),
    file: escape(l.file),
    params: l.params.map((p) => ({ ...p, description: optional(p.description) })),
    constants: l.constants.map((c) => ({ ...c, description: optional(c.description) })),
    regions: l.regions.map((r) => ({ ...r, description: optional(r.description) })),
  }));
}

// ---------------------------------------------------------------- C

/**
 * In C a backslash before a line break splices lines, and so does the trigraph `??/` under
 * `-trigraphs` (C99, C11); `/*` inside a block comment is `-Wcomment` and `*` `/` ends it.
 * So a backslash, and a `?` right after a `?`, are written `U+XXXX`, and `/*` and `*` `/` get
 * a space.
 */
const C_UNSAFE = new RegExp(`[${UNSAFE}\\\\]|(?<=\\?)\\?`, "gu");
export const cComment = (text: string, e: Escapes): string =>
  e.replace(text, C_UNSAFE).replace(/\/(?=\*)|\*(?=\/)/g, "$& ");

// ---------------------------------------------------------------- Markdown

/**
 * Markdown text in a paragraph or a table cell: a backslash and every character of `special`
 * get a backslash, so none of them starts markup. `[`, `]`, `<`, `>` and `&` are always
 * special (links, images, HTML and character references, which could spell a bidi
 * character), and so is a backtick (code spans and fences).
 */
export function markdownText(text: string, e: Escapes, special = ""): string {
  const chars = new Set(["\\", "[", "]", "<", ">", "&", "`", ...special]);
  return [...plainText(text, e)].map((c) => (chars.has(c) ? "\\" + c : c)).join("");
}

/** Inline code (`` `text` ``): a backtick would end it, and escapes do not work inside. */
const CODE_UNSAFE = new RegExp(`[${UNSAFE}\`]`, "gu");
export const markdownCode = (text: string, e: Escapes): string =>
  "`" + e.replace(text, CODE_UNSAFE) + "`";

/**
 * A line of a Markdown paragraph that wrapping may have started with spec text, or with a word
 * of a code span (block structure is read before code spans): a line that would open a block
 * (a heading, quote, HTML block, list item, thematic break, setext underline, fence or table
 * row) gets a backslash. Text is never indented, so it never starts an indented code block.
 */
export const markdownLine = (line: string): string =>
  line
    .replace(/^(?=#{1,6}(\s|$)|[<>|]|[-+*](\s|$)|([-*_])(\s*\2){2,}\s*$|[=-]+\s*$|`{3}|~{3})/, "\\")
    .replace(/^(\d{1,9})(?=[.)](\s|$))/, "$1\\");

/** An HTML comment (`<!-- ... -->`): no `--` in it, which would end it or is invalid. */
const HTML_COMMENT_UNSAFE = new RegExp(`[${UNSAFE}<>]|(?<=-)-`, "gu");
export const htmlComment = (text: string, e: Escapes): string =>
  e.replace(text, HTML_COMMENT_UNSAFE);

// ---------------------------------------------------------------- reStructuredText

/**
 * A reStructuredText section title. Inline markup (`*`, `` ` ``, `|`, `[`, `]`, a backslash)
 * is escaped everywhere, `_` where it would end a reference (`name_`), `:` before a non-space
 * and `@` (a bare URI or e-mail address is a link: `javascript:alert(1)`), and the first
 * character when it is punctuation, so that the title cannot be a directive (`.. raw::`), a
 * list, a table or a comment.
 */
export function rstTitle(text: string, e: Escapes): string {
  const escaped = plainText(text, e)
    .trim()
    .replace(/[\\*`|[\]@]|_(?![A-Za-z0-9])|:(?=\S)/g, (c) => "\\" + c);
  return /^[!-/:-@[-`{-~]/.test(escaped) && !escaped.startsWith("\\") ? "\\" + escaped : escaped;
}

/** Columns a title underline must cover: a non-ASCII character counts two (wide ones do). */
export const rstWidth = (title: string): number =>
  [...title].reduce((n, c) => n + (c.codePointAt(0)! > 0x7f ? 2 : 1), 0);

// ---------------------------------------------------------------- XML

/**
 * XML character data or an attribute value: `&`, `<`, `>` and `"` as references; what XML 1.0
 * forbids (C0 controls, U+FFFE, U+FFFF, lone surrogates: all in the unsafe set) as `U+XXXX`.
 */
const XML_ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
};
export const xmlText = (text: string, e: Escapes): string => xmlEntities(plainText(text, e));

/** `&`, `<`, `>` and `"` as references: text already safe otherwise (`plainText`) as XML. */
export const xmlEntities = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => XML_ENTITIES[c]!);
