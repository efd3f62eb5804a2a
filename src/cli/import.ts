/**
 * `vmlayout import <table-file>`: reads a layout table (Linux mm.rst and 2.6 mm.txt, arm64
 * memory.rst, FreeBSD vmparam.h, illumos startup.c, Markdown, GayBSD columns, Emerald range
 * lines) and prints a spec on stdout, the document's warnings (W05xx) on stderr. Exit 2 when
 * the file cannot be read, 1 when it holds no layout table (E0501) or one that contradicts
 * itself (E0504, E0505), is not UTF-8 (E0009) or is over the input limit (E0007).
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
  // The document's problems (W05xx: unread rows, ends against the table's convention) go to
  // stderr at the document's lines; the spec, when there is one, to stdout.
  const sources = new SourceSet();
  sources.add(file, text);
  report(imported.diagnostics, sources, "text", context);
  if (imported.value === undefined) return EXIT_ERRORS;
  process.stdout.write(imported.value.spec);
  return EXIT_OK;
};

function parseAttributes(value: unknown): boolean {
  if (value === "yes") return true;
  if (value === "no") return false;
  throw new UsageError(`--attributes must be yes or no, not \`${String(value)}\``);
}
