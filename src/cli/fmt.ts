/**
 * `vmlayout fmt [--check] FILE...`: formats specs in place with the Prettier plugin
 * (src/prettier), through Prettier's API, with the Prettier configuration that applies to each
 * file (`.prettierrc`, `.editorconfig`; `printWidth`, `tabWidth`, `useTabs`).
 *
 *   - without `--check`: rewrites each file that changes, atomically, keeping its mode, and
 *     through a symlink (the link stays); prints nothing;
 *   - `--check`: writes nothing; prints a unified diff (`diff -u`) for each file that would
 *     change, then on stderr how many there are and the command that formats them.
 *
 * Exit status: 0 all formatted (or rewritten); 1 a file is not formatted (`--check`) or has
 * syntax errors or is not UTF-8 (printed as coded diagnostics; the file is left as it is);
 * 2 usage or I/O error. Every file is tried.
 */
import { readInputFile } from "../compiler/read.js";
import { DEFAULT_LIMITS } from "../limits.js";
import { SourceSet } from "../diagnostics/source.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError, type Run } from "./common.js";
import { writeOutput } from "./output.js";
import { unifiedDiff } from "./unified-diff.js";
import { report } from "./report.js";

type Prettier = typeof import("prettier");

async function loadPrettier(): Promise<Prettier> {
  try {
    return await import("prettier");
  } catch {
    throw new UsageError("`vmlayout fmt` needs Prettier 3: run `npm install --save-dev prettier`");
  }
}

export const runFmt: Run = async (values, files, context) => {
  if (files.length === 0)
    throw new UsageError("no file given; usage: vmlayout fmt [--check] FILE...");
  const check = values.check === true;
  const prettier = await loadPrettier();
  const plugin = (await import("../prettier/index.js")).default;

  let status = EXIT_OK;
  const fail = (code: number) => (status = Math.max(status, code));
  const unformatted: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      const read = readInputFile(file, DEFAULT_LIMITS.input);
      if ("refused" in read) {
        report([read.refused], read.sources, "text", context);
        fail(EXIT_ERRORS);
        continue;
      }
      text = read.text;
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
      process.stdout.write(unifiedDiff(text, formatted, file, `${file} (formatted)`));
      unformatted.push(file);
      fail(EXIT_ERRORS);
      continue;
    }
    try {
      writeOutput(file, formatted);
    } catch (e) {
      process.stderr.write(`vmlayout fmt: ${(e as Error).message}\n`);
      fail(EXIT_USAGE);
    }
  }
  if (unformatted.length > 0) {
    const [n, them] =
      unformatted.length === 1 ? ["1 file is", "it"] : [`${unformatted.length} files are`, "them"];
    process.stderr.write(
      `vmlayout fmt: ${n} not formatted; run \`vmlayout fmt ${unformatted.map(shellWord).join(" ")}\` to format ${them}\n`,
    );
  }
  return status;
};

/** `word` as a shell reads it back: single-quoted unless it is plainly safe. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
