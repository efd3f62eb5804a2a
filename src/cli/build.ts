/** `vmlayout build <spec> --emit KIND [-o FILE] [--variant V] [--check]`. */
import { hasErrors } from "../diagnostics/diagnostic.js";
import * as path from "node:path";
import { closest } from "../diagnostics/suggest.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, unknownVariant, type CommandContext } from "./common.js";
import { limitsFrom, nonDefaultLimits } from "./limits.js";
import { checkSpecFile } from "./load-options.js";
import { staleness, writeOutput } from "./output.js";
import { report } from "./report.js";
import type { Layout } from "../model/layout.js";
import { type BuildCommand, EmitError, regenerateCommand } from "../compiler/emit/template.js";

type Emitter = (layouts: readonly Layout[], asArray: boolean, command: BuildCommand) => string;

const EMITTERS: Readonly<Record<string, () => Promise<Emitter>>> = {
  json: async () => (await import("../compiler/emit/json.js")).emitJson,
  c: async () => (await import("../compiler/emit/c.js")).emitC,
  rust: async () => (await import("../compiler/emit/rust.js")).emitRust,
  md: async () => (await import("../compiler/emit/markdown.js")).emitMarkdown,
  ascii: async () => (await import("../compiler/emit/ascii.js")).emitAscii,
  svg: async () => (await import("../compiler/emit/svg.js")).emitSvg,
};

/** Other names people give the emitters (`h`, `C`, `markdown`, `mm.rst`); case does not matter. */
const ALIASES: Readonly<Record<string, string>> = {
  h: "c",
  header: "c",
  rs: "rust",
  markdown: "md",
  rst: "ascii",
  "mm.rst": "ascii",
};

function emitKind(given: string): string {
  const lower = given.toLowerCase();
  return ALIASES[lower] ?? lower;
}

export async function runBuild(
  values: Record<string, unknown>,
  positionals: readonly string[],
  context: CommandContext,
): Promise<number> {
  if (positionals.length !== 1) throw new UsageError("build takes exactly one spec");
  const given = values.emit as string | undefined;
  const kind = given === undefined ? undefined : emitKind(given);
  const emitter = kind === undefined ? undefined : EMITTERS[kind];
  if (!emitter) {
    const near =
      given === undefined ? undefined : closest(given.toLowerCase(), Object.keys(EMITTERS));
    throw new UsageError(
      `${given === undefined ? "missing --emit" : `unknown --emit \`${given}\``}${near ? `; did you mean \`${near}\`?` : ""} (available: ${Object.keys(EMITTERS).join(", ")})`,
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
  const asArray = checked.hasVariants && values.variant === undefined;
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
  let content: string;
  try {
    content = (await emitter())(checked.layouts, asArray, command);
  } catch (e) {
    if (!(e instanceof EmitError)) throw e;
    report([e.diagnostic], checked.sources, "text", context);
    return EXIT_ERRORS;
  }
  if (!output) {
    process.stdout.write(content);
    return EXIT_OK;
  }
  if (values.check) {
    const stale = staleness(output, content);
    if (stale === undefined) return EXIT_OK;
    process.stderr.write(
      `${stale}\nhelp: regenerate it with \`${regenerateCommand(kind!, checked.layouts[0]!, asArray, { ...command, output: relative(output) })}\`\n`,
    );
    return EXIT_ERRORS;
  }
  writeOutput(output, content, checked.sources.paths());
  return EXIT_OK;
}
