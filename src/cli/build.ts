/** `vmlayout build <spec> --emit KIND [-o FILE] [--variant V] [--check]`. */
import { hasErrors } from "../diagnostics/diagnostic.js";
import * as path from "node:path";
import { closest } from "../diagnostics/suggest.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, unknownVariant, type CommandContext } from "./common.js";
import { limitsFrom, nonDefaultLimits } from "./limits.js";
import { checkSpecFile } from "./load-options.js";
import { staleness, writeOutput } from "./output.js";
import { report } from "./report.js";
import {
  type BuildCommand,
  type EmitRequest,
  regenerateCommand,
} from "../compiler/emit/emitter.js";
import { EMIT_FORMATS, emitterNamed } from "../compiler/emit/registry.js";

export async function runBuild(
  values: Record<string, unknown>,
  positionals: readonly string[],
  context: CommandContext,
): Promise<number> {
  if (positionals.length !== 1) throw new UsageError("build takes exactly one spec");
  const given = values.emit as string | undefined;
  const emitter = given === undefined ? undefined : emitterNamed(given);
  if (!emitter) {
    const near = given === undefined ? undefined : closest(given.toLowerCase(), EMIT_FORMATS);
    throw new UsageError(
      `${given === undefined ? "missing --emit" : `unknown --emit \`${given}\``}${near ? `; did you mean \`${near}\`?` : ""} (available: ${EMIT_FORMATS.join(", ")})`,
    );
  }
  const output = values.output as string | undefined;
  if (values.check && !output) throw new UsageError("--check needs -o FILE to compare with");
  const spec = positionals[0]!;
  const checked = await checkSpecFile(spec, values, {
    variant: values.variant as string | undefined,
    denyWarnings: values["deny-warnings"] === true,
  });
  const variant = unknownVariant(checked.diagnostics);
  if (variant) throw new UsageError(variant);
  report(checked.diagnostics, checked.sources, "text", context);
  if (hasErrors(checked.diagnostics)) return EXIT_ERRORS;
  // Relative and normalised (`./out.h` is `out.h`), so that `--check` from the same directory
  // regenerates the same banner however the paths are spelt.
  const relative = (p: string): string => path.relative(".", p) || p;
  // The banner's command says `-o FILE` whatever the output is, so that stdout and `-o` give
  // the same bytes and `--check` accepts a header made either way; `--check`'s help names it.
  const command: BuildCommand = {
    spec: relative(spec),
    variant: values.variant as string | undefined,
    limits: nonDefaultLimits(await limitsFrom(values)),
  };
  const request: EmitRequest = {
    layouts: checked.layouts,
    everyVariant: checked.hasVariants && values.variant === undefined,
    command,
  };
  const emitted = emitter.emit(request);
  if (emitted.value === undefined) {
    report(emitted.diagnostics, checked.sources, "text", context);
    return EXIT_ERRORS;
  }
  const content = emitted.value;
  if (!output) {
    process.stdout.write(content);
    return EXIT_OK;
  }
  if (values.check) {
    const stale = staleness(output, content);
    if (stale === undefined) return EXIT_OK;
    process.stderr.write(
      `${stale}\nhelp: regenerate it with \`${regenerateCommand(emitter.format, { ...request, command: { ...command, output: relative(output) } })}\`\n`,
    );
    return EXIT_ERRORS;
  }
  writeOutput(output, content, checked.sources.paths());
  return EXIT_OK;
}
