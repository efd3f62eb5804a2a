/**
 * Writing generated files: atomically (a temporary file in the same directory, then rename),
 * and `--check`, which compares with the existing file, says what differs and never writes.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { UsageError } from "./common.js";

export function writeAtomically(file: string, content: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // The temporary file was never created.
    }
    throw new UsageError(`cannot write \`${file}\`: ${(e as Error).message}`);
  }
}

/** Undefined when `file` holds exactly `expected`; otherwise a description of the difference. */
export function staleness(file: string, expected: string): string | undefined {
  let actual: string;
  try {
    actual = readFileSync(file, "utf8");
  } catch {
    return `\`${file}\` does not exist`;
  }
  if (actual === expected) return undefined;
  const a = actual.split("\n");
  const e = expected.split("\n");
  let line = 0;
  while (line < a.length && line < e.length && a[line] === e[line]) line++;
  const show = (s: string | undefined) => (s === undefined ? "(end of file)" : JSON.stringify(s));
  return [
    `\`${file}\` is stale: first difference at line ${line + 1}`,
    `  file:     ${show(a[line])}`,
    `  expected: ${show(e[line])}`,
  ].join("\n");
}
