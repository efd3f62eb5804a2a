/**
 * `vmlayout fmt [--check] FILE...`: formats specs in place with the Prettier plugin
 * (src/prettier), through Prettier's API, with the Prettier configuration that applies to each
 * file (`.prettierrc`, `.editorconfig`; `printWidth`, `tabWidth`, `useTabs`).
 *
 *   - without `--check`: rewrites each file that changes, atomically; prints nothing;
 *   - `--check`: writes nothing; prints `FILE: not formatted` for each file that would change.
 *
 * Exit status: 0 all formatted (or rewritten); 1 a file is not formatted (`--check`) or has
 * syntax errors (printed as coded diagnostics); 2 usage or I/O error. Every file is tried.
 */
import { readFileSync } from "node:fs";
import { SourceSet } from "../diagnostics/source.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError, type CommandContext } from "./common.js";
import { writeAtomically } from "./output.js";
import { report } from "./report.js";
import { DEFAULT_LIMITS, roughSize, tooLargeToRead } from "../limits.js";

type Prettier = typeof import("prettier");

async function loadPrettier(): Promise<Prettier> {
  try {
    return await import("prettier");
  } catch {
    throw new UsageError("`vmlayout fmt` needs Prettier 3: run `npm install --save-dev prettier`");
  }
}

export async function runFmt(
  values: Record<string, unknown>,
  files: readonly string[],
  context: CommandContext,
): Promise<number> {
  if (files.length === 0)
    throw new UsageError("no file given; usage: vmlayout fmt [--check] FILE...");
  const check = values.check === true;
  const prettier = await loadPrettier();
  const plugin = (await import("../prettier/index.js")).default;

  let status = EXIT_OK;
  const fail = (code: number) => (status = Math.max(status, code));
  for (const file of files) {
    const bytes = tooLargeToRead(file, DEFAULT_LIMITS.input);
    if (bytes !== undefined) {
      process.stderr.write(
        `vmlayout fmt: \`${file}\` is too large (${roughSize(bytes)}, limit ${roughSize(DEFAULT_LIMITS.input)})\n`,
      );
      fail(EXIT_USAGE);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      process.stderr.write(`vmlayout fmt: cannot read \`${file}\`: ${(e as Error).message}\n`);
      fail(EXIT_USAGE);
      continue;
    }
    let formatted: string;
    try {
      const config = (await prettier.resolveConfig(file, { editorconfig: true })) ?? {};
      // The configuration may name the plugin by path; this command brings its own.
      const { plugins: _plugins, parser: _parser, ...options } = config;
      formatted = await prettier.format(text, {
        ...options,
        filepath: file,
        parser: "vmlayout",
        plugins: [plugin],
      });
    } catch (e) {
      const diagnostics = (e as { diagnostics?: readonly Diagnostic[] }).diagnostics;
      if (!diagnostics) {
        process.stderr.write(`vmlayout fmt: \`${file}\`: ${(e as Error).message}\n`);
        fail(EXIT_USAGE);
        continue;
      }
      // Prettier hands the parser the text without a BOM and with `\n` line ends.
      const sources = new SourceSet();
      sources.add(file, text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n"));
      report(diagnostics, sources, "text", context);
      fail(EXIT_ERRORS);
      continue;
    }
    if (formatted === text) continue;
    if (check) {
      process.stdout.write(`${file}: not formatted\n`);
      fail(EXIT_ERRORS);
      continue;
    }
    try {
      writeAtomically(file, formatted);
    } catch (e) {
      process.stderr.write(`vmlayout fmt: ${(e as Error).message}\n`);
      fail(EXIT_USAGE);
    }
  }
  return status;
}
