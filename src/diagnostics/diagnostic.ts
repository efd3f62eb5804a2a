/**
 * A diagnostic is data: a stable code, a severity, a message and where it applies.
 * Rendering (text, JSON, SARIF) is separate; see render.ts and sarif.ts.
 */
import { type Code, type Severity, catalogueEntry } from "./catalogue.js";

export type { Code, Severity };

/** A half-open byte range `[start, end)` of UTF-16 code units in one source file. */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/** A secondary location with its own short message ("previous region ends here"). */
export interface Label {
  readonly span: Span;
  readonly message: string;
}

export interface Diagnostic {
  readonly code: Code;
  readonly severity: Severity;
  /** Lowercase, no final period, identifiers in backticks; makes sense without the span. */
  readonly message: string;
  readonly span: Span | undefined;
  readonly labels: readonly Label[];
  readonly notes: readonly string[];
  readonly help: string | undefined;
}

/** Every pipeline stage returns its value together with the diagnostics it produced. */
export interface Result<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}

export interface DiagnosticExtras {
  labels?: readonly Label[];
  notes?: readonly string[];
  help?: string;
  /** Override the catalogue severity (used by `--deny-warnings`). */
  severity?: Severity;
}

/** Builds a diagnostic whose severity comes from the catalogue entry of `code`. */
export function diagnostic(
  code: Code,
  message: string,
  span: Span | undefined,
  extras: DiagnosticExtras = {},
): Diagnostic {
  const entry = catalogueEntry(code);
  return {
    code,
    severity: extras.severity ?? entry.severity,
    message,
    span,
    labels: extras.labels ?? [],
    notes: extras.notes ?? [],
    help: extras.help,
  };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** The order of diagnostics (or of anything with a span and a code): file, position, code. */
export function compareDiagnostics(
  a: { readonly span: Span | undefined; readonly code: string },
  b: { readonly span: Span | undefined; readonly code: string },
): number {
  const fa = a.span?.file ?? "";
  const fb = b.span?.file ?? "";
  if (fa !== fb) return fa < fb ? -1 : 1;
  const sa = a.span?.start ?? -1;
  const sb = b.span?.start ?? -1;
  if (sa !== sb) return sa - sb;
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}

/** Orders diagnostics by file, then position, then code, so output is deterministic. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(compareDiagnostics);
}
