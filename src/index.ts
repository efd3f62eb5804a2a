/**
 * vmlayout's public API: the pipeline stages, in pipeline order. Each stage returns a value
 * together with its diagnostics (`Result<T>`); a user's mistake never throws.
 *
 *   parse   spec text -> AST                     (grammar/)
 *   resolve AST -> Layout per variant            (src/compiler/resolve/)
 *   verify  Layout -> diagnostics                (src/verifier/)
 *   emit    Layouts -> C, Rust, Markdown, ascii table, SVG or JSON text
 *   install Layout + boot parameters -> page tables in an emulated MMU (src/runtime/)
 *   audit   installed page tables <-> Layout     (src/audit/checks.ts)
 *
 * `checkSpec`, `emitSpec` and `installSpec` (src/pipeline.ts) run the stages on a file (with
 * includes) the way `vmlayout check`, `build` and `install` do.
 */
export { parseSpec as parse, type ParsedSpec } from "./compiler/parse.js";
export { resolve, type ResolveOptions } from "./compiler/resolve/index.js";
export { verify, type VerifyOptions } from "./verifier/index.js";
export { install, type Installation, type BootParams } from "./runtime/install.js";
export { audit, type AuditReport } from "./audit/checks.js";
export { dumpInstallation } from "./runtime/dump.js";
export {
  checkSpec,
  emit,
  emitSpec,
  installSpec,
  pickLayout,
  type CheckOptions,
  type Checked,
  type EmitOptions,
  type Emitted,
  type InstallSpecOptions,
  type InstalledSpec,
  type Picked,
} from "./pipeline.js";
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
