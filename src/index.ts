/**
 * vmlayout's public API: the pipeline stages, in pipeline order. Each stage returns a value
 * together with its diagnostics (`Result<T>`); a user's mistake never throws.
 *
 *   parse   spec text -> AST                     (grammar/)
 *   resolve AST -> Layout per variant            (src/compiler/resolve.ts)
 *   verify  Layout -> diagnostics                (src/verifier/)
 *   emit    Layouts -> C, Rust, Markdown, ascii table, SVG or JSON text
 *   install Layout + boot parameters -> page tables in an emulated MMU (src/runtime/)
 *   audit   installed page tables <-> Layout     (src/audit/checks.ts)
 *
 * `checkSpec` runs the front half on a file (with includes) the way `vmlayout check` does.
 */
import type { Layout } from "./model/layout.js";
import type { Result } from "./diagnostics/diagnostic.js";
import { type BuildCommand } from "./compiler/emit/emitter.js";
import { type EmitFormat, emitterOf } from "./compiler/emit/registry.js";

export { parseSpec as parse, type ParsedSpec } from "./compiler/parse.js";
export { resolve, type ResolveOptions } from "./compiler/resolve.js";
export { verify, type VerifyOptions } from "./verifier/index.js";
export { install, type Installation, type BootParams } from "./runtime/install.js";
export { audit, type AuditReport } from "./audit/checks.js";
export { dumpInstallation } from "./runtime/dump.js";
export { checkSpec, type CheckOptions, type Checked } from "./pipeline.js";
export { loadSpec } from "./compiler/load.js";
export { DEFAULT_LIMITS, type Limits } from "./limits.js";

export type { Layout, Region, Param, Constant, KaslrGroup, Bound } from "./model/layout.js";
export type { BuildCommand } from "./compiler/emit/emitter.js";
export { EMIT_FORMATS, type EmitFormat } from "./compiler/emit/registry.js";
export type { SpecFile } from "./compiler/ast.js";
export type { Diagnostic, Result, Span, Severity } from "./diagnostics/diagnostic.js";
export { CATALOGUE, type CatalogueEntry } from "./diagnostics/catalogue.js";
export { renderText, renderShort, renderJson } from "./diagnostics/render.js";
export { renderSarif } from "./diagnostics/sarif.js";
export { SourceFile, SourceSet } from "./diagnostics/source.js";

export interface EmitOptions {
  /** How the output was asked for, which C and Rust banners repeat for regenerating it. */
  readonly command?: BuildCommand | undefined;
  /**
   * Whether `layouts` are every variant of a spec that declares variants (none picked), which
   * each format holds in its own way (`VariantPolicy`): JSON, for one, is then an array.
   * Default: when there is more than one layout.
   */
  readonly everyVariant?: boolean | undefined;
}

/**
 * Generates `format` from verified layouts: the variants of one spec, or one layout. A layout
 * the format cannot express (two things with one C name: E03xx) gives no text and diagnostics.
 */
export function emit(
  layouts: readonly Layout[],
  format: EmitFormat,
  options: EmitOptions = {},
): Result<string | undefined> {
  return emitterOf(format).emit({
    layouts,
    everyVariant: options.everyVariant ?? layouts.length > 1,
    command: options.command,
  });
}
