/**
 * What every command that loads specs shares: `--limit` and `--include-root`, read into the
 * pipeline's options, and the findings of a check that are the command line's to report.
 */
import { type OptionSpec, UsageError } from "./common.js";
import { statSync } from "node:fs";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { CheckOptions } from "../pipeline.js";
import { LIMIT_OPTION, limitsFrom } from "./limits.js";

export const LOAD_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  limit: LIMIT_OPTION,
  "include-root": {
    type: "string",
    description: "DIR: includes must lie inside DIR (default: the spec's directory)",
  },
};

/** The pipeline options `--limit` and `--include-root` give (a usage error if DIR is not one). */
export async function loadOptions(
  values: Record<string, unknown>,
): Promise<Pick<CheckOptions, "limits" | "includeRoot">> {
  const includeRoot = values["include-root"] as string | undefined;
  if (includeRoot !== undefined && !isDirectory(includeRoot))
    throw new UsageError(`--include-root \`${includeRoot}\` is not a directory`);
  return { limits: await limitsFrom(values), includeRoot };
}

/**
 * Whether `d` is a usage or I/O error on the command line (exit 2), not an error in a spec:
 * the spec cannot be read (E0010), `--variant` names no variant of it (E0106).
 */
export function isCommandLineProblem(d: Diagnostic): boolean {
  return d.code === "E0010" || d.code === "E0106";
}

/** A diagnostic's message and help in one line, for a usage error. */
export function oneLine(d: Diagnostic): string {
  return d.help === undefined ? d.message : `${d.message}; ${d.help}`;
}

/** Throws the first command-line problem among `diagnostics` as a UsageError. */
export function refuseCommandLineProblems(diagnostics: readonly Diagnostic[]): void {
  const refused = diagnostics.find(isCommandLineProblem);
  if (refused !== undefined) throw new UsageError(oneLine(refused));
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
