/**
 * Renders diagnostics. Text: `file:line:col: error[E0201]: message`, then the source line
 * with a caret span, secondary labels, notes and help. Colour only when asked (the CLI asks
 * on a TTY without NO_COLOR). JSON: one object per diagnostic with 1-based positions.
 */
import { catalogueEntry } from "./catalogue.js";
import type { Diagnostic, Span } from "./diagnostic.js";
import type { SourceSet } from "./source.js";

export interface RenderOptions {
  readonly color: boolean;
}

const paint = (on: boolean, code: string, s: string): string =>
  on ? `\x1b[${code}m${s}\x1b[0m` : s;

function location(sources: SourceSet, span: Span | undefined): string {
  if (!span) return "";
  const file = sources.get(span.file);
  if (!file) return `${span.file}: `;
  const { line, column } = file.position(span.start);
  return `${span.file}:${line}:${column}: `;
}

interface Mark {
  readonly span: Span;
  readonly marker: string;
  readonly message: string;
  readonly color: (s: string) => string;
}

const lineKey = (sources: SourceSet, span: Span): string =>
  `${span.file}:${sources.get(span.file)?.position(span.start).line ?? 0}`;

/**
 * Each source line the marks fall on, once, followed by one underline row per mark on it
 * (first line of a multi-line span only). A mark in another file is introduced by `-->`.
 * The primary mark's line comes first; the others follow in the order given.
 */
function snippets(sources: SourceSet, marks: readonly Mark[], gutter: number): string[] {
  const pad = " ".repeat(gutter);
  const primaryFile = marks[0]?.span.file;
  const first = marks[0] ? lineKey(sources, marks[0].span) : "";
  const ordered = [
    ...marks.filter((m) => lineKey(sources, m.span) === first),
    ...marks.filter((m) => lineKey(sources, m.span) !== first),
  ];
  const out: string[] = [];
  let previous = "";
  let shown: Excerpt = { text: "", from: 0, to: 0, shift: 0 };
  for (const mark of ordered) {
    const file = sources.get(mark.span.file);
    if (!file) continue;
    const start = file.position(mark.span.start);
    const key = lineKey(sources, mark.span);
    if (key !== previous) {
      const line = file.lineText(start.line).replace(/\t/g, " ");
      shown = excerpt(line, start.column - 1);
      if (mark.span.file !== primaryFile)
        out.push(`${pad} --> ${mark.span.file}:${start.line}:${start.column}`);
      out.push(`${String(start.line).padStart(gutter)} | ${shown.text}`);
      previous = key;
    }
    // Columns (0-based) of the mark on the line, clamped to the part shown.
    const lineStart = file.lineStarts[start.line - 1]!;
    const from = Math.min(Math.max(start.column - 1, shown.from), shown.to);
    const to = Math.min(mark.span.end - lineStart, shown.to);
    const underline =
      mark.marker.repeat(Math.max(1, to - from)) + (mark.message ? ` ${mark.message}` : "");
    out.push(`${pad} | ${" ".repeat(from - shown.shift)}${mark.color(underline)}`);
  }
  return out;
}

/** Columns of a source line a diagnostic quotes at most: a long line is cut around the mark. */
export const QUOTED_COLUMNS = 200;

interface Excerpt {
  /** What is printed: `line[from, to)`, with `...` where the line was cut. */
  readonly text: string;
  readonly from: number;
  readonly to: number;
  /** Column of `line` that printed column 0 stands for (negative when `...` leads). */
  readonly shift: number;
}

/** At most QUOTED_COLUMNS columns of `line`, starting a little before `column`. */
function excerpt(line: string, column: number): Excerpt {
  if (line.length <= QUOTED_COLUMNS) return { text: line, from: 0, to: line.length, shift: 0 };
  const from = Math.max(0, Math.min(column - 20, line.length - QUOTED_COLUMNS));
  const to = from + QUOTED_COLUMNS;
  const head = from > 0 ? "..." : "";
  const tail = to < line.length ? "..." : "";
  return { text: head + line.slice(from, to) + tail, from, to, shift: from - head.length };
}

/** `text` cut to QUOTED_COLUMNS columns (for notes that quote an input's line). */
export function clipQuote(text: string): string {
  return text.length <= QUOTED_COLUMNS ? text : `${text.slice(0, QUOTED_COLUMNS)}...`;
}

/** Diagnostics as `vmlayout check` prints them; without `options`, no colour. */
export function renderText(
  diagnostics: readonly Diagnostic[],
  sources: SourceSet,
  options: RenderOptions = { color: false },
): string {
  const out: string[] = [];
  for (const d of diagnostics) {
    const sev =
      d.severity === "error"
        ? paint(options.color, "1;31", "error")
        : paint(options.color, "1;33", "warning");
    out.push(
      `${location(sources, d.span)}${sev}[${d.code}]: ${paint(options.color, "1", d.message)}`,
    );
    const spans = [d.span, ...d.labels.map((l) => l.span)].filter((s): s is Span => !!s);
    const lines = spans.map((s) => sources.get(s.file)?.position(s.start).line ?? 0);
    const gutter = Math.max(1, ...lines.map((l) => String(l).length));
    const primaryColor = (s: string) =>
      paint(options.color, d.severity === "error" ? "31" : "33", s);
    const labelColor = (s: string) => paint(options.color, "34", s);
    out.push(
      ...snippets(
        sources,
        [
          ...(d.span ? [{ span: d.span, marker: "^", message: "", color: primaryColor }] : []),
          ...d.labels.map((l) => ({
            span: l.span,
            marker: "-",
            message: l.message,
            color: labelColor,
          })),
        ],
        gutter,
      ),
    );
    for (const note of d.notes) out.push(`${" ".repeat(gutter)} = note: ${note}`);
    if (d.help) out.push(`${" ".repeat(gutter)} = ${paint(options.color, "1", "help")}: ${d.help}`);
    out.push("");
  }
  return out.join("\n");
}

/** `file:line:col: error[CODE]: message`, one line each (for editors and grep). */
export function renderShort(diagnostics: readonly Diagnostic[], sources: SourceSet): string {
  return diagnostics
    .map((d) => `${location(sources, d.span)}${d.severity}[${d.code}]: ${d.message}\n`)
    .join("");
}

interface JsonLocation {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

function jsonLocation(sources: SourceSet, span: Span | undefined): JsonLocation | null {
  if (!span) return null;
  const file = sources.get(span.file);
  const start = file?.position(span.start) ?? { line: 1, column: 1 };
  const end = file?.position(span.end) ?? start;
  return {
    file: span.file,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
  };
}

export function renderJson(diagnostics: readonly Diagnostic[], sources: SourceSet): string {
  const items = diagnostics.map((d) => ({
    code: d.code,
    name: catalogueEntry(d.code).name,
    severity: d.severity,
    message: d.message,
    location: jsonLocation(sources, d.span),
    labels: d.labels.map((l) => ({ message: l.message, location: jsonLocation(sources, l.span) })),
    notes: d.notes,
    help: d.help ?? null,
  }));
  return JSON.stringify(items, null, 2) + "\n";
}

export { jsonLocation };
