/** `vmlayout build <spec> --emit KIND [-o FILE] [--variant V] [--map FILE] [--check]`. */
import { hasErrors } from "../diagnostics/diagnostic.js";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { closest } from "../diagnostics/suggest.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, onlySpec, type Run } from "./common.js";
import { nonDefaultLimits } from "./limits.js";
import { loadOptions, refuseCommandLineProblems } from "./load-options.js";
import { staleness, writeOutput } from "./output.js";
import { report } from "./report.js";
import { type BuildCommand, regenerateCommand } from "../compiler/emit/emitter.js";
import { EMIT_FORMATS, emitterNamed } from "../compiler/emit/registry.js";

export const runBuild: Run = async (values, positionals, context) => {
  const spec = onlySpec("build", positionals);
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
  const variant = values.variant as string | undefined;
  const mapPath = values.map as string | undefined;
  if (mapPath !== undefined && emitter.variants !== "checks")
    throw new UsageError(`--map is for --emit c-check and rust-check, not \`${emitter.format}\``);
  const map = mapPath === undefined ? undefined : { path: mapPath, text: readMap(mapPath) };
  const loading = await loadOptions(values);
  // Relative and normalised (`./out.h` is `out.h`), so that `--check` from the same directory
  // regenerates the same banner however the paths are spelt.
  const relative = (p: string): string => path.relative(".", p) || p;
  // The banner's command says `-o FILE` whatever the output is, so that stdout and `-o` give
  // the same bytes and `--check` accepts a header made either way; `--check`'s help names it.
  const command: BuildCommand = {
    spec: relative(spec),
    variant,
    limits: nonDefaultLimits(loading.limits),
    map: mapPath === undefined ? undefined : relative(mapPath),
  };
  const { emitSpec } = await import("../pipeline.js");
  const emitted = emitSpec(spec, emitter.format, {
    ...loading,
    variant,
    denyWarnings: values["deny-warnings"] === true,
    command,
    map,
  });
  const { checked } = emitted;
  refuseCommandLineProblems(checked.diagnostics);
  report(checked.diagnostics, checked.sources, "text", context);
  if (hasErrors(checked.diagnostics)) return EXIT_ERRORS;
  report(emitted.diagnostics, checked.sources, "text", context);
  const content = emitted.value;
  if (content === undefined) return EXIT_ERRORS;
  if (!output) {
    process.stdout.write(content);
    return EXIT_OK;
  }
  if (values.check) {
    const stale = staleness(output, content);
    if (stale === undefined) return EXIT_OK;
    process.stderr.write(
      `${stale}\nhelp: regenerate it with \`${regenerateCommand(emitter.format, { ...emitted.request, command: { ...command, output: relative(output) } })}\`\n`,
    );
    return EXIT_ERRORS;
  }
  writeOutput(output, content, checked.sources.paths());
  return EXIT_OK;
};

/** The `--map` file's text (a usage error when it cannot be read). */
function readMap(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(
      `cannot read --map \`${file}\`: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
}
