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

/** Columns of a source line shown; a longer line is shown around the mark, `...` at each cut. */
const SHOWN_COLUMNS = 240;
/** Columns shown before a mark on a long line. */
const COLUMNS_BEFORE = 60;
const CUT = "...";

/**
 * The part of a line shown for a mark at 0-based column `column`: the whole line if it is
 * short, else SHOWN_COLUMNS of it around the mark (a line can be megabytes long, and each
 * diagnostic on it would print all of it). `from`..`to` is the slice, `shift` what to subtract
 * from a column of the line to get its column in `text`.
 */
function window(
  line: string,
  column: number,
): { text: string; from: number; to: number; shift: number } {
  if (line.length <= SHOWN_COLUMNS) return { text: line, from: 0, to: line.length, shift: 0 };
  const from = Math.max(0, Math.min(column - COLUMNS_BEFORE, line.length - SHOWN_COLUMNS));
  const to = Math.min(line.length, from + SHOWN_COLUMNS);
  const text = (from > 0 ? CUT : "") + line.slice(from, to) + (to < line.length ? CUT : "");
  return { text, from, to, shift: from > 0 ? from - CUT.length : 0 };
}

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
  let shown = window("", 0);
  for (const mark of ordered) {
    const file = sources.get(mark.span.file);
    if (!file) continue;
    const start = file.position(mark.span.start);
    const column = start.column - 1;
    const key = lineKey(sources, mark.span);
    // A mark outside the part of a long line shown shows that line again, around itself.
    if (key !== previous || column < shown.from || column >= shown.to) {
      if (mark.span.file !== primaryFile)
        out.push(`${pad} --> ${mark.span.file}:${start.line}:${start.column}`);
      shown = window(file.lineText(start.line), column);
      out.push(`${String(start.line).padStart(gutter)} | ${shown.text.replace(/\t/g, " ")}`);
      previous = key;
    }
    const lineStart = file.lineStarts[start.line - 1]!;
    const end = Math.min(mark.span.end, lineStart + shown.to);
    const width = Math.max(1, end - mark.span.start);
    const underline = mark.marker.repeat(width) + (mark.message ? ` ${mark.message}` : "");
    out.push(`${pad} | ${" ".repeat(column - shown.shift)}${mark.color(underline)}`);
  }
  return out;
}

export function renderText(
  diagnostics: readonly Diagnostic[],
  sources: SourceSet,
  options: RenderOptions,
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
