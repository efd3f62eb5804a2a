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
  for (const mark of ordered) {
    const file = sources.get(mark.span.file);
    if (!file) continue;
    const start = file.position(mark.span.start);
    const text = file.lineText(start.line).replace(/\t/g, " ");
    const key = lineKey(sources, mark.span);
    if (key !== previous) {
      if (mark.span.file !== primaryFile)
        out.push(`${pad} --> ${mark.span.file}:${start.line}:${start.column}`);
      out.push(`${String(start.line).padStart(gutter)} | ${text}`);
      previous = key;
    }
    const lineEnd = file.lineStarts[start.line - 1]! + text.length;
    const width = Math.max(1, Math.min(mark.span.end, lineEnd) - mark.span.start);
    const underline = mark.marker.repeat(width) + (mark.message ? ` ${mark.message}` : "");
    out.push(`${pad} | ${" ".repeat(start.column - 1)}${mark.color(underline)}`);
  }
  return out;
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
