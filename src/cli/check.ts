/** `vmlayout check <spec>...`: parse and verify; exit 1 when any spec has errors. */
import { readFileSync } from "node:fs";
import { hasErrors, type Diagnostic } from "../diagnostics/diagnostic.js";
import { SourceSet } from "../diagnostics/source.js";
import { checkSpec } from "../pipeline.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, type CommandContext } from "./common.js";
import { limitsFrom } from "./limits.js";
import { parseFormat, report } from "./report.js";

export async function runCheck(
  values: Record<string, unknown>,
  specs: readonly string[],
  context: CommandContext,
): Promise<number> {
  const format = parseFormat(values.format);
  if (specs.length === 0) throw new UsageError("no spec given; usage: vmlayout check <spec>...");
  const limits = await limitsFrom(values);
  const all: Diagnostic[] = [];
  const sources = new SourceSet();
  for (const spec of specs) {
    const checked = checkSpec(spec, {
      variant: values.variant as string | undefined,
      denyWarnings: values["deny-warnings"] === true,
      limits,
      readFile: (file) => {
        try {
          const text = readFileSync(file, "utf8");
          sources.add(file, text);
          return text;
        } catch (e) {
          if (file === spec)
            throw new UsageError(`cannot read \`${spec}\`: ${(e as Error).message}`);
          throw e;
        }
      },
    });
    all.push(...checked.diagnostics);
  }
  report(all, sources, format, context);
  return hasErrors(all) ? EXIT_ERRORS : EXIT_OK;
}
