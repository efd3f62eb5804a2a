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
 * `checkSpec` runs the front half on a file (with includes) the way `vmlayout check` does.
 */
import type { Layout } from "./model/layout.js";
import type { Result } from "./diagnostics/diagnostic.js";
import { emitAscii } from "./compiler/emit/ascii.js";
import { emitC } from "./compiler/emit/c.js";
import { emitJson } from "./compiler/emit/json.js";
import { emitMarkdown } from "./compiler/emit/markdown.js";
import { emitRust } from "./compiler/emit/rust.js";
import { emitSvg } from "./compiler/emit/svg.js";
import { type BuildCommand, EmitError } from "./compiler/emit/template.js";

export { parseSpec as parse, type ParsedSpec } from "./compiler/parse.js";
export { resolve, type ResolveOptions } from "./compiler/resolve/index.js";
export { verify, type VerifyOptions } from "./verifier/index.js";
export { install, type Installation, type BootParams } from "./runtime/install.js";
export { audit, type AuditReport } from "./audit/checks.js";
export { dumpInstallation } from "./runtime/dump.js";
export { checkSpec, type CheckOptions, type Checked } from "./pipeline.js";
export { loadSpec } from "./compiler/load.js";
export { DEFAULT_LIMITS, type Limits } from "./limits.js";

export type { Layout, Region, Param, Constant, KaslrGroup, Bound } from "./model/layout.js";
export type { BuildCommand } from "./compiler/emit/template.js";
export type { SpecFile } from "./compiler/ast.js";
export type { Diagnostic, Result, Span, Severity } from "./diagnostics/diagnostic.js";
export { CATALOGUE, type CatalogueEntry } from "./diagnostics/catalogue.js";
export { renderText, renderShort, renderJson } from "./diagnostics/render.js";
export { renderSarif } from "./diagnostics/sarif.js";
export { SourceFile, SourceSet } from "./diagnostics/source.js";

export type EmitFormat = "c" | "rust" | "md" | "ascii" | "svg" | "json";

const EMITTERS: Readonly<
  Record<EmitFormat, (l: readonly Layout[], asArray: boolean, command?: BuildCommand) => string>
> = {
  c: emitC,
  rust: emitRust,
  md: emitMarkdown,
  ascii: emitAscii,
  svg: emitSvg,
  json: emitJson,
};

/**
 * Generates `format` from verified layouts. With several layouts (the variants of one spec),
 * JSON is an array of documents; the other formats hold every variant in one output. A layout
 * the format cannot express (two things with one C name: E03xx) gives no text and a diagnostic.
 * `command` is how the output was asked for, which C and Rust banners repeat for regenerating it.
 */
export function emit(
  layouts: readonly Layout[],
  format: EmitFormat,
  command?: BuildCommand,
): Result<string | undefined> {
  try {
    return { value: EMITTERS[format](layouts, layouts.length > 1, command), diagnostics: [] };
  } catch (e) {
    if (!(e instanceof EmitError)) throw e;
    return { value: undefined, diagnostics: [e.diagnostic] };
  }
}
