/** Printing diagnostics for a command, in the format the user chose. */
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { renderJson, renderText } from "../diagnostics/render.js";
import { renderSarif, type SarifRun } from "../diagnostics/sarif.js";
import type { SourceSet } from "../diagnostics/source.js";
import { assertNever } from "../model/collections.js";
import { UsageError, type CommandContext } from "./common.js";

export type Format = "text" | "json" | "sarif";

export function parseFormat(value: unknown): Format {
  const format = (value as string | undefined) ?? "text";
  if (format !== "text" && format !== "json" && format !== "sarif")
    throw new UsageError(`unknown format \`${format}\`; use text, json or sarif`);
  return format;
}

/**
 * Text goes to stderr with a summary line; json and sarif go to stdout (machine readers).
 * `failures` (files that could not be read) go into SARIF's invocation; the caller prints them.
 */
export function report(
  diagnostics: readonly Diagnostic[],
  sources: SourceSet,
  format: Format,
  context: CommandContext,
  failures: SarifRun["failures"] = [],
): void {
  switch (format) {
    case "json":
      process.stdout.write(renderJson(diagnostics, sources));
      return;
    case "sarif":
      process.stdout.write(renderSarif(diagnostics, sources, context.version, { failures }));
      return;
    case "text": {
      if (diagnostics.length === 0) return;
      process.stderr.write(renderText(diagnostics, sources, { color: context.color }));
      const errors = diagnostics.filter((d) => d.severity === "error").length;
      const warnings = diagnostics.length - errors;
      const parts = [
        errors ? `${errors} error${errors > 1 ? "s" : ""}` : "",
        warnings ? `${warnings} warning${warnings > 1 ? "s" : ""}` : "",
      ].filter(Boolean);
      process.stderr.write(`${parts.join(", ")} emitted\n`);
      return;
    }
    default:
      assertNever(format, "format");
  }
}
