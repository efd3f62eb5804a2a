/** `vmlayout check <spec>...`: parse and verify; exit 1 when any spec has errors. */
import { hasErrors, type Diagnostic } from "../diagnostics/diagnostic.js";
import { SourceSet } from "../diagnostics/source.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, type CommandContext } from "./common.js";
import { checkSpecFile } from "./load-options.js";
import { parseFormat, report } from "./report.js";

export async function runCheck(
  values: Record<string, unknown>,
  specs: readonly string[],
  context: CommandContext,
): Promise<number> {
  const format = parseFormat(values.format);
  if (specs.length === 0) throw new UsageError("no spec given; usage: vmlayout check <spec>...");
  const all: Diagnostic[] = [];
  const sources = new SourceSet();
  for (const spec of specs) {
    const checked = await checkSpecFile(spec, values, {
      variant: values.variant as string | undefined,
      denyWarnings: values["deny-warnings"] === true,
    });
    sources.addAll(checked.sources);
    all.push(...checked.diagnostics);
  }
  report(all, sources, format, context);
  return hasErrors(all) ? EXIT_ERRORS : EXIT_OK;
}
