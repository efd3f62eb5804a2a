/**
 * The one orchestration of the stages, used by the CLI, the fuzzers and the library:
 *
 *   checkSpec    load (with includes) -> parse -> resolve every variant -> verify each Layout
 *   emitSpec     checkSpec -> one emitter on the layouts it accepted
 *   installSpec  checkSpec -> pick the variant -> install -> audit the installed tables
 *
 * Later stages run only on input the earlier ones accepted, and each stage's findings are
 * returned beside its value: no stage throws on a user's mistake (a spec that cannot be read is
 * E0010 from the load stage), so whatever escapes is an internal bug. In `checkSpec`,
 * diagnostics about shared items are reported once; one that holds only in some variants says
 * which. Last, notes from the lines the diagnostics point at (an imported row's table line, a
 * decimal start: src/diagnostics/line-notes.ts).
 */
import {
  type Diagnostic,
  type Result,
  diagnostic,
  hasErrors,
  sortDiagnostics,
} from "./diagnostics/diagnostic.js";
import { capDiagnostics, diagnosticKey } from "./diagnostics/collector.js";
import { withLineNotes } from "./diagnostics/line-notes.js";
import type { SourceSet } from "./diagnostics/source.js";
import type { Layout } from "./model/layout.js";
import { assertNever } from "./model/collections.js";
import { type ReadFile, defaultReadFile, loadSpec } from "./compiler/load.js";
import { resolve } from "./compiler/resolve/index.js";
import type { BuildCommand, EmitRequest } from "./compiler/emit/emitter.js";
import { type EmitFormat, emitterOf } from "./compiler/emit/registry.js";
import { parseKernelMap } from "./compiler/emit/kernel-map.js";
import { type Installation, install } from "./runtime/install.js";
import type { BootParams } from "./runtime/install-plan.js";
import { type AuditReport, audit } from "./audit/checks.js";
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
  const hasVariants = file?.items.some((i) => i.kind === "variant" || i.kind === "axis") ?? false;
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

export interface EmitOptions extends CheckOptions {
  /** How the output was asked for (C and Rust banners repeat it). */
  readonly command?: BuildCommand | undefined;
  /**
   * A `--map` file's path and text: the kernel's names for the spec's values (c-check,
   * rust-check). Its mistakes are the emitter's diagnostics, at its lines.
   */
  readonly map?: { readonly path: string; readonly text: string } | undefined;
}

/**
 * Generates `format` from verified layouts: the variants of one spec, or one layout.
 * `everyVariant` (default: more than one layout) says the layouts are every variant of a spec
 * that declares variants, which each format holds in its own way (JSON: an array). A layout the
 * format cannot express (two things with one C name: E03xx) gives no text and diagnostics.
 */
export function emit(
  layouts: readonly Layout[],
  format: EmitFormat,
  options: { readonly command?: BuildCommand | undefined; readonly everyVariant?: boolean } = {},
): Result<string | undefined> {
  return emitterOf(format).emit(emitRequest(layouts, options));
}

function emitRequest(
  layouts: readonly Layout[],
  options: { readonly command?: BuildCommand | undefined; readonly everyVariant?: boolean },
): EmitRequest {
  return {
    layouts,
    everyVariant: options.everyVariant ?? layouts.length > 1,
    command: options.command,
  };
}

/** `checkSpec`, then `format` generated from what it accepted. */
export interface Emitted extends Result<string | undefined> {
  readonly checked: Checked;
  /** What the emitter was given (the regenerate command in a stale-file message repeats it). */
  readonly request: EmitRequest;
}

/**
 * Checks the spec and, when it has no error, generates `format`: every variant unless
 * `variant` picks one. `diagnostics` are the emitter's; the check's are in `checked`. No text
 * when either has an error.
 */
export function emitSpec(specPath: string, format: EmitFormat, options: EmitOptions = {}): Emitted {
  const checked = checkSpec(specPath, options);
  const map = options.map && parseKernelMap(options.map.path, options.map.text);
  if (options.map) checked.sources.add(options.map.path, options.map.text);
  const request: EmitRequest = {
    ...emitRequest(checked.layouts, {
      command: options.command,
      everyVariant: checked.hasVariants && options.variant === undefined,
    }),
    map: map?.value,
    sources: checked.sources,
  };
  if (hasErrors(checked.diagnostics))
    return { checked, request, value: undefined, diagnostics: [] };
  if (map && hasErrors(map.diagnostics))
    return { checked, request, value: undefined, diagnostics: map.diagnostics };
  return { checked, request, ...emitterOf(format).emit(request) };
}

/** Which one layout a later stage takes from a check. */
export type Picked =
  /** The check found errors (or no layout): nothing to take. */
  | { readonly kind: "none" }
  /** Several variants and none picked: their names (`--variant` picks one). */
  | { readonly kind: "several"; readonly variants: readonly string[] }
  | { readonly kind: "one"; readonly layout: Layout };

/** The one layout of a check that has no error, if it has exactly one. */
export function pickLayout(checked: Checked): Picked {
  if (hasErrors(checked.diagnostics) || checked.layouts.length === 0) return { kind: "none" };
  if (checked.layouts.length > 1)
    return { kind: "several", variants: checked.layouts.map((l) => l.variant ?? "") };
  return { kind: "one", layout: checked.layouts[0]! };
}

export interface InstallSpecOptions extends CheckOptions {
  /** The boot to install for (RAM, parameters, KASLR seed...). Default: the layout's defaults. */
  readonly boot?: BootParams;
  /** Audit the installed tables against the layout (default true). */
  readonly audit?: boolean;
}

/** Each stage's result, undefined for a stage not reached. */
export interface InstalledSpec {
  readonly checked: Checked;
  readonly picked: Picked;
  /** Reached when the check picked one layout. */
  readonly installed: Result<Installation | undefined> | undefined;
  /** Reached when the installation has no error (and `audit` was not false). */
  readonly audited: Result<AuditReport> | undefined;
}

/**
 * Checks the spec, picks its one layout (the variant `variant` names), installs it as page
 * tables for `boot` (at most the `tableFrames` limit of them) and audits them.
 */
export function installSpec(specPath: string, options: InstallSpecOptions = {}): InstalledSpec {
  const checked = checkSpec(specPath, options);
  const picked = pickLayout(checked);
  switch (picked.kind) {
    case "none":
    case "several":
      return { checked, picked, installed: undefined, audited: undefined };
    case "one": {
      const maxTableFrames = withLimits(options.limits).tableFrames;
      const installed = install(picked.layout, { maxTableFrames, ...options.boot });
      const installation = installed.value;
      const audited =
        installation === undefined || hasErrors(installed.diagnostics) || options.audit === false
          ? undefined
          : audit(installation);
      return { checked, picked, installed, audited };
    }
    default:
      return assertNever(picked, "pick");
  }
}
