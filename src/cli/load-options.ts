/** What every command that loads specs shares: `--limit`, `--include-root`, and the loading. */
import { statSync } from "node:fs";
import { describeReadError } from "../compiler/load.js";
import type { Checked, CheckOptions } from "../pipeline.js";
import type { OptionSpec } from "./common.js";
import { UsageError } from "./common.js";
import { LIMIT_OPTION, limitsFrom } from "./limits.js";

export const LOAD_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  limit: LIMIT_OPTION,
  "include-root": {
    type: "string",
    description: "DIR: includes must lie inside DIR (default: the spec's directory)",
  },
};

/**
 * `checkSpec` with the command line's limits and include root; a spec that cannot be opened
 * is an I/O error (exit 2).
 */
export async function checkSpecFile(
  spec: string,
  values: Record<string, unknown>,
  options: Pick<CheckOptions, "variant" | "denyWarnings" | "readFile"> = {},
): Promise<Checked> {
  const includeRoot = values["include-root"] as string | undefined;
  if (includeRoot !== undefined && !isDirectory(includeRoot))
    throw new UsageError(`--include-root \`${includeRoot}\` is not a directory`);
  const limits = await limitsFrom(values);
  const { checkSpec } = await import("../pipeline.js"); // not loaded for `explain` or `fmt`
  try {
    return checkSpec(spec, { ...options, limits, includeRoot });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === undefined) throw e;
    throw new UsageError(`cannot read \`${spec}\`: ${describeReadError(e)}`);
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
