/** `vmlayout explain CODE`: the long explanation from docs/diagnostics/CODE.md. */
import { readFileSync } from "node:fs";
import { CATALOGUE, explanationUrl, findCheck } from "../diagnostics/catalogue.js";
import { EXIT_OK, UsageError } from "./common.js";

export async function runExplain(positionals: readonly string[]): Promise<number> {
  if (positionals.length === 0) {
    const width = Math.max(...CATALOGUE.map((e) => e.name.length));
    for (const e of CATALOGUE)
      process.stdout.write(
        `${e.code}  ${e.name.padEnd(width)}  ${e.severity.padEnd(7)}  ${e.title}\n`,
      );
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError("explain takes one code");
  const entry = findCheck(positionals[0]!);
  if (!entry)
    throw new UsageError(
      `no diagnostic \`${positionals[0]}\`; run \`vmlayout explain\` for the list`,
    );
  process.stdout.write(readFileSync(explanationUrl(entry.code), "utf8"));
  return EXIT_OK;
}
