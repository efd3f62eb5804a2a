/**
 * The one way diagnostics are collected: deduplicated under one key, capped by one rule (errors
 * before warnings, then position), and the last one kept says how many more there are.
 *
 * Every stage that caps or deduplicates goes through here: the parser (per file), the loader
 * (an included file's errors), the resolver (shared items resolved once per variant), the
 * verifier (findings written only if shown), `checkSpec` (variants merged, the report capped)
 * and the audit (per code).
 */
import type { Diagnostic, Span } from "./diagnostic.js";

/**
 * Two diagnostics with the same key are one report: same code, same span, same message. A
 * shared item resolved or verified once per variant yields one per variant; one is shown.
 */
export function diagnosticKey(d: {
  readonly code: string;
  readonly span: Span | undefined;
  readonly message: string;
}): string {
  return `${d.code}|${d.span?.file}|${d.span?.start}|${d.span?.end}|${d.message}`;
}

/** `sorted` without the repeats of a key (the first of each is kept); order unchanged. */
export function dedupe(sorted: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return sorted.filter((d) => {
    const key = diagnosticKey(d);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * What a report capped at `max` shows of `sorted` (diagnostics in their sorted order): every
 * error while there are fewer than `max`, then the earliest warnings, `max` in all; in sorted
 * order. Errors are never dropped in favour of warnings.
 *
 * Keeping this selection in two steps gives the same result as in one: `verify` keeps its
 * first `max` errors and first `max - errors` warnings, so whatever a caller adding only
 * warnings of its own keeps of the union was kept by `verify` too.
 */
export function firstShown<T>(sorted: readonly T[], max: number, isError: (d: T) => boolean): T[] {
  if (sorted.length <= max) return [...sorted];
  let errors = 0;
  for (const d of sorted) if (isError(d)) errors++;
  let errorRoom = Math.min(errors, max);
  let warningRoom = max - errorRoom;
  const shown: T[] = [];
  for (const d of sorted) {
    if (isError(d) ? errorRoom-- > 0 : warningRoom-- > 0) shown.push(d);
  }
  return shown;
}

/**
 * What was left out, for the note on the last diagnostic kept: a whole report's diagnostics,
 * a parsed file's, an included file's, or an audit's findings of one code.
 */
export type Omitted = "report" | "this-file" | "included-file" | "findings-of-kind";

/**
 * The note saying how many were left out: `[at least ]N more diagnostic[s] not shown`, with
 * the scope where it is narrower than the report. `exact` is false when `count` is a lower
 * bound. (A parsed file's note keeps its older wording, which tests pin.)
 */
export function moreNotShown(count: number, omitted: Omitted = "report", exact = true): string {
  const many = `${exact ? "" : "at least "}${count} more`;
  const s = count > 1 ? "s" : "";
  switch (omitted) {
    case "report":
      return `${many} diagnostic${s} not shown`;
    case "this-file":
      return `${many} diagnostics in this file are not shown`;
    case "included-file":
      return `${many} diagnostic${s} in the file not shown`;
    case "findings-of-kind":
      return `${many} finding${s} of this kind not shown`;
  }
}

/** `d` with `notes` added after its own. */
export function withNotes(d: Diagnostic, notes: readonly string[]): Diagnostic {
  return notes.length === 0 ? d : { ...d, notes: [...d.notes, ...notes] };
}

export interface CapOptions {
  /** How many diagnostics there were in all, `sorted` included (default: its length). */
  readonly total?: number;
  /** False when `total` is a lower bound. */
  readonly exact?: boolean;
  /** What the note counts. */
  readonly omitted?: Omitted;
  /** Further notes for the last diagnostic kept, after the count (e.g. "parsing stopped"). */
  readonly notes?: readonly string[];
}

/**
 * The first `max` of `sorted` by `firstShown`, the last of them noting how many of `total`
 * were left out (and carrying `notes`).
 */
export function capDiagnostics(
  sorted: readonly Diagnostic[],
  max: number,
  options: CapOptions = {},
): Diagnostic[] {
  const kept = firstShown(sorted, max, (d) => d.severity === "error");
  const left = (options.total ?? sorted.length) - kept.length;
  const notes = [
    ...(left > 0 ? [moreNotShown(left, options.omitted, options.exact)] : []),
    ...(options.notes ?? []),
  ];
  const last = kept.length - 1;
  if (last >= 0) kept[last] = withNotes(kept[last]!, notes);
  return kept;
}
