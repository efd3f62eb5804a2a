/**
 * `vmlayout check <spec>...`: parse and verify. A directory stands for the `*.layout` files
 * under it (sorted, recursively); `-` is standard input (includes are relative to the working
 * directory). Every spec that can be read is checked and reported; one that cannot be read, or
 * has no variant `--variant` names, is named on stderr (and in SARIF's invocation) and makes
 * the exit status 2, else 1 when any spec has errors.
 */
import { readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { describeReadError } from "../compiler/load.js";
import { hasErrors, type Diagnostic } from "../diagnostics/diagnostic.js";
import { SourceSet, STDIN_NAME } from "../diagnostics/source.js";
import { readSourceFile, readStandardInput } from "../compiler/read.js";
import type { ReadFile } from "../compiler/load.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError, type Run } from "./common.js";
import { isCommandLineProblem, loadOptions, oneLine } from "./load-options.js";
import { parseFormat, report } from "./report.js";

interface Failure {
  readonly file: string;
  readonly message: string;
}

export const runCheck: Run = async (values, args, context) => {
  const format = parseFormat(values.format);
  if (args.length === 0)
    throw new UsageError("no spec given; usage: vmlayout check <spec|directory|->...");
  const failures: Failure[] = [];
  const specs = args.flatMap((a) => expand(a, failures));
  const all: Diagnostic[] = [];
  const sources = new SourceSet();
  const { checkSpec } = await import("../pipeline.js"); // not loaded for `explain` or `fmt`
  const options = {
    ...(await loadOptions(values)),
    variant: values.variant as string | undefined,
    denyWarnings: values["deny-warnings"] === true,
  };
  let stdin: string | undefined;
  // Standard input is read once, bounded like any file.
  const readFile: ReadFile = (file, read) =>
    file === STDIN_NAME ? (stdin ??= readStandardInput(read)) : readSourceFile(file, read);
  for (const spec of specs) {
    const checked = checkSpec(spec, { ...options, readFile });
    sources.addAll(checked.sources);
    // Only the spec itself is refused: an unreadable include is E0104.
    const refused = checked.diagnostics.find(isCommandLineProblem);
    if (refused !== undefined) {
      const named = refused.code === "E0010" ? "" : `\`${spec}\`: `; // E0010 names the file
      failures.push({ file: spec, message: named + oneLine(refused) });
    }
    all.push(...checked.diagnostics.filter((d) => !isCommandLineProblem(d)));
  }
  report(all, sources, format, context, failures);
  for (const f of failures) process.stderr.write(`vmlayout check: ${f.message}\n`);
  return failures.length > 0 ? EXIT_USAGE : hasErrors(all) ? EXIT_ERRORS : EXIT_OK;
};

/** The specs an argument names: `-` is stdin, a directory the `*.layout` files under it. */
function expand(arg: string, failures: Failure[]): string[] {
  if (arg === "-") return [STDIN_NAME];
  let isDirectory: boolean;
  try {
    isDirectory = statSync(arg).isDirectory();
  } catch {
    return [arg]; // reading it reports why
  }
  if (!isDirectory) return [arg];
  let specs: string[];
  try {
    specs = readdirSync(arg, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".layout"))
      .map((f) => path.join(arg, f))
      .sort();
  } catch (e) {
    failures.push({ file: arg, message: `cannot list \`${arg}\`: ${describeReadError(e)}` });
    return [];
  }
  if (specs.length === 0)
    failures.push({ file: arg, message: `no \`.layout\` file under \`${arg}\`` });
  return specs;
}
