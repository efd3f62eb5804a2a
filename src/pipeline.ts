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
import { type Limits, withLimits } from "./limits.js";
import { firstShown, verify } from "./verifier/index.js";

export interface CheckOptions {
  readonly variant?: string | undefined;
  readonly denyWarnings?: boolean;
  readonly readFile?: ReadFile;
  /** Default: DEFAULT_LIMITS (src/limits.ts). */
  readonly limits?: Partial<Limits> | undefined;
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
  const limits = withLimits(options.limits);
  const { layouts, hasVariants, sources, diagnostics: front } = compile(specPath, options, limits);
  const max = limits.diagnostics;
  if (layouts.length === 0)
    return { layouts, hasVariants, sources, diagnostics: capped(sortDiagnostics(front), 0, max) };

  // With one layout, the verifier writes only the diagnostics the cap keeps (a layout can have
  // hundreds of thousands of findings). With several, every variant's diagnostics are needed to
  // merge them, and the cap applies to the merged list.
  const single = layouts.length === 1;
  let omitted = 0;
  const perVariant = layouts.map((layout) => {
    const verified = verify(layout, {
      denyWarnings: options.denyWarnings ?? false,
      ...(single ? { maxDiagnostics: max } : {}),
    });
    omitted += verified.omitted;
    return { layout, diagnostics: verified.diagnostics };
  });
  return {
    layouts,
    hasVariants,
    sources,
    diagnostics: capped(sortDiagnostics([...front, ...mergeVariants(perVariant)]), omitted, max),
  };
}

/**
 * Load (with includes), parse and resolve; no layouts when any of it failed. A function of its
 * own so that the AST, which is large for a large spec, is garbage once it returns: the
 * verifier needs only the layouts.
 */
function compile(specPath: string, options: CheckOptions, limits: Limits): Checked {
  const loaded = loadSpec(specPath, options.readFile ?? defaultReadFile, limits);
  const { sources, file } = loaded.value;
  const hasVariants = file?.items.some((i) => i.kind === "variant") ?? false;
  if (!file || hasErrors(loaded.diagnostics))
    return { layouts: [], hasVariants, sources, diagnostics: loaded.diagnostics };
  const resolved = resolve(file, { variant: options.variant, limits });
  const diagnostics = [...loaded.diagnostics, ...resolved.diagnostics];
  if (hasErrors(diagnostics)) return { layouts: [], hasVariants, sources, diagnostics };
  return { layouts: resolved.value, hasVariants, sources, diagnostics };
}

/**
 * Keeps the first `max`; errors are never dropped in favour of warnings. `omitted` diagnostics
 * were already left out (by the verifier, with the same rule; see `firstShown`).
 */
function capped(diagnostics: readonly Diagnostic[], omitted: number, max: number): Diagnostic[] {
  const total = diagnostics.length + omitted;
  if (total <= max) return [...diagnostics];
  const kept = firstShown(diagnostics, max, (d) => d.severity === "error");
  const last = kept[kept.length - 1]!;
  const left = total - kept.length;
  kept[kept.length - 1] = diagnostic(last.code, last.message, last.span, {
    labels: last.labels,
    notes: [...last.notes, `${left} more diagnostic${left > 1 ? "s" : ""} not shown`],
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
