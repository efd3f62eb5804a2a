/**
 * `vmlayout import <table-file>`: reads a layout table (Linux mm.rst, Markdown, GayBSD columns,
 * Emerald range lines) and prints a spec on stdout. Exit 2 when the file cannot be read, 1 when
 * it holds no layout table (E0501), is not UTF-8 (E0009) or is over the input limit (E0007).
 */
import { readInputFile } from "../compiler/read.js";
import { withLimits } from "../limits.js";
import { limitsFrom } from "./limits.js";
import { SourceSet } from "../diagnostics/source.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, type Run } from "./common.js";
import { report } from "./report.js";

export const runImport: Run = async (values, files, context) => {
  if (files.length !== 1)
    throw new UsageError("give exactly one table file; usage: vmlayout import <table-file>");
  const file = files[0]!;
  let read: ReturnType<typeof readInputFile>;
  try {
    // Refused before the importer's work, which grows with the rows.
    read = readInputFile(
      file,
      withLimits(await limitsFrom(values)).table,
      "a layout table is a few KiB: import the part that holds the table, or raise the limit (`--limit table=N`)",
    );
  } catch (e) {
    throw new UsageError(`cannot read \`${file}\`: ${(e as Error).message}`);
  }
  if ("refused" in read) {
    report([read.refused], read.sources, "text", context);
    return EXIT_ERRORS;
  }
  const text = read.text;
  const { importTable } = await import("../import/index.js");
  const attributes =
    values.attributes === undefined ? undefined : parseAttributes(values.attributes);
  const imported = importTable(text, {
    fileName: file,
    ...(attributes === undefined ? {} : { attributes }),
  });
  if (imported.value === undefined) {
    const sources = new SourceSet();
    sources.add(file, text);
    report(imported.diagnostics, sources, "text", context);
    return EXIT_ERRORS;
  }
  process.stdout.write(imported.value.spec);
  return EXIT_OK;
};

function parseAttributes(value: unknown): boolean {
  if (value === "yes") return true;
  if (value === "no") return false;
  throw new UsageError(`--attributes must be yes or no, not \`${String(value)}\``);
}
