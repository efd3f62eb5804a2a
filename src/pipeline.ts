/**
 * The front half of the pipeline in one call: load (with includes) -> parse -> resolve every
 * variant -> verify each Layout. Later stages run only on input the earlier ones accepted.
 * Diagnostics about shared items are reported once; one that holds only in some variants
 * says which.
 */
import {
  type Diagnostic,
  diagnostic,
  hasErrors,
  sortDiagnostics,
} from "./diagnostics/diagnostic.js";
import type { SourceSet } from "./diagnostics/source.js";
import type { Layout } from "./compiler/layout.js";
import { type ReadFile, defaultReadFile, loadSpec } from "./compiler/load.js";
import { resolve } from "./compiler/resolve.js";
import { verify } from "./verifier/index.js";

/** Diagnostics reported per spec; past this, the last one says how many were left out. */
export const MAX_DIAGNOSTICS = 200;

export interface CheckOptions {
  readonly variant?: string | undefined;
  readonly denyWarnings?: boolean;
  readonly readFile?: ReadFile;
}

export interface Checked {
  /** Resolved layouts, one per selected variant (empty when resolution failed). */
  readonly layouts: readonly Layout[];
  /** True when the spec declares variants (JSON output is then an array). */
  readonly hasVariants: boolean;
  readonly sources: SourceSet;
  readonly diagnostics: readonly Diagnostic[];
}

export function checkSpec(specPath: string, options: CheckOptions = {}): Checked {
  const loaded = loadSpec(specPath, options.readFile ?? defaultReadFile);
  const { sources, file } = loaded.value;
  const hasVariants = file?.items.some((i) => i.kind === "variant") ?? false;
  if (!file || hasErrors(loaded.diagnostics))
    return { layouts: [], hasVariants, sources, diagnostics: sortDiagnostics(loaded.diagnostics) };

  const resolved = resolve(file, { variant: options.variant });
  const front = [...loaded.diagnostics, ...resolved.diagnostics];
  if (hasErrors(front) || resolved.value.length === 0)
    return { layouts: [], hasVariants, sources, diagnostics: sortDiagnostics(front) };

  const perVariant = resolved.value.map((layout) => ({
    layout,
    diagnostics: verify(layout, { denyWarnings: options.denyWarnings ?? false }).diagnostics,
  }));
  return {
    layouts: resolved.value,
    hasVariants,
    sources,
    diagnostics: capped(sortDiagnostics([...front, ...mergeVariants(perVariant)])),
  };
}

/** Keeps the first MAX_DIAGNOSTICS; errors are never dropped in favour of warnings. */
function capped(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= MAX_DIAGNOSTICS) return [...diagnostics];
  const errors = diagnostics.filter((d) => d.severity === "error");
  const warnings = diagnostics.filter((d) => d.severity !== "error");
  const kept = sortDiagnostics(
    [...errors, ...warnings.slice(0, Math.max(0, MAX_DIAGNOSTICS - errors.length))].slice(
      0,
      MAX_DIAGNOSTICS,
    ),
  );
  const last = kept[kept.length - 1]!;
  const omitted = diagnostics.length - kept.length;
  kept[kept.length - 1] = diagnostic(last.code, last.message, last.span, {
    labels: last.labels,
    notes: [...last.notes, `${omitted} more diagnostic${omitted > 1 ? "s" : ""} not shown`],
    ...(last.help !== undefined ? { help: last.help } : {}),
    severity: last.severity,
  });
  return kept;
}

/** Keeps one copy of a diagnostic found in several variants; notes the variants when not all. */
function mergeVariants(
  perVariant: readonly { layout: Layout; diagnostics: readonly Diagnostic[] }[],
): Diagnostic[] {
  const merged = new Map<string, { d: Diagnostic; variants: string[] }>();
  for (const { layout, diagnostics } of perVariant)
    for (const d of diagnostics) {
      const key = `${d.code}|${d.span?.file}|${d.span?.start}|${d.span?.end}|${d.message}`;
      const entry = merged.get(key) ?? { d, variants: [] };
      if (layout.variant !== null) entry.variants.push(layout.variant);
      merged.set(key, entry);
    }
  return [...merged.values()].map(({ d, variants }) =>
    variants.length === 0 || variants.length === perVariant.length
      ? d
      : diagnostic(d.code, d.message, d.span, {
          labels: d.labels,
          notes: [
            ...d.notes,
            `in variant${variants.length > 1 ? "s" : ""} ${variants.map((v) => `"${v}"`).join(", ")}`,
          ],
          ...(d.help !== undefined ? { help: d.help } : {}),
          severity: d.severity,
        }),
  );
}
