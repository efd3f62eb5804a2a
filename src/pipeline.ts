/**
 * The front half of the pipeline in one call: load (with includes) -> parse -> resolve every
 * variant -> verify each Layout. Later stages run only on input the earlier ones accepted.
 * Diagnostics about shared items are reported once; one that holds only in some variants
 * says which. Last, notes from the lines the diagnostics point at (an imported row's table
 * line, a decimal start: src/diagnostics/line-notes.ts).
 */
import {
  type Diagnostic,
  diagnostic,
  hasErrors,
  sortDiagnostics,
} from "./diagnostics/diagnostic.js";
import { capDiagnostics, diagnosticKey } from "./diagnostics/collector.js";
import { withLineNotes } from "./diagnostics/line-notes.js";
import type { SourceSet } from "./diagnostics/source.js";
import type { Layout } from "./model/layout.js";
import { type ReadFile, defaultReadFile, loadSpec } from "./compiler/load.js";
import { resolve } from "./compiler/resolve/index.js";
import { type Limits, withLimits } from "./limits.js";
import { verify } from "./verifier/index.js";

export interface CheckOptions {
  readonly variant?: string | undefined;
  readonly denyWarnings?: boolean;
  readonly readFile?: ReadFile;
  /** Default: DEFAULT_LIMITS (src/limits.ts). */
  readonly limits?: Partial<Limits> | undefined;
  /** Includes must lie inside this directory tree (E0120). Default: the spec's directory. */
  readonly includeRoot?: string | undefined;
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
    return {
      layouts,
      hasVariants,
      sources,
      diagnostics: withLineNotes(capDiagnostics(sortDiagnostics(front), max), sources),
    };

  // The verifier writes only the diagnostics the cap keeps (a layout can have hundreds of
  // thousands of findings). That is enough to merge variants too: a merged diagnostic that the
  // cap keeps is kept by the cap in every variant that has it, since fewer diagnostics come
  // before it there (see `firstShown`, diagnostics/collector.ts). How many the variants have
  // together is then known exactly only when no variant left any out; otherwise, at least as
  // many as the most any one variant found.
  let found = 0;
  let exact = true;
  const perVariant = layouts.map((layout) => {
    const verified = verify(layout, {
      denyWarnings: options.denyWarnings ?? false,
      maxDiagnostics: max,
    });
    found = Math.max(found, verified.diagnostics.length + verified.omitted);
    if (verified.omitted > 0 && layouts.length > 1) exact = false;
    return { layout, diagnostics: verified.diagnostics };
  });
  const merged = mergeVariants(perVariant);
  const total = front.length + Math.max(merged.length, found);
  return {
    layouts,
    hasVariants,
    sources,
    diagnostics: withLineNotes(
      capDiagnostics(sortDiagnostics([...front, ...merged]), max, { total, exact }),
      sources,
    ),
  };
}

/**
 * Load (with includes), parse and resolve; no layouts when any of it failed. A function of its
 * own so that the AST, which is large for a large spec, is garbage once it returns: the
 * verifier needs only the layouts.
 */
function compile(specPath: string, options: CheckOptions, limits: Limits): Checked {
  const loaded = loadSpec(specPath, options.readFile ?? defaultReadFile, limits, {
    includeRoot: options.includeRoot,
  });
  const { sources, file } = loaded.value;
  const hasVariants = file?.items.some((i) => i.kind === "variant") ?? false;
  if (!file || hasErrors(loaded.diagnostics))
    return { layouts: [], hasVariants, sources, diagnostics: loaded.diagnostics };
  const resolved = resolve(file, { variant: options.variant, limits });
  const diagnostics = [...loaded.diagnostics, ...resolved.diagnostics];
  if (hasErrors(diagnostics)) return { layouts: [], hasVariants, sources, diagnostics };
  return { layouts: resolved.value, hasVariants, sources, diagnostics };
}

/** Keeps one copy of a diagnostic found in several variants; notes the variants when not all. */
function mergeVariants(
  perVariant: readonly { layout: Layout; diagnostics: readonly Diagnostic[] }[],
): Diagnostic[] {
  const merged = new Map<string, { d: Diagnostic; variants: string[] }>();
  for (const { layout, diagnostics } of perVariant)
    for (const d of diagnostics) {
      const key = diagnosticKey(d);
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
