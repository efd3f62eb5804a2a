/**
 * `vmlayout import <table-file>`: reads a layout table (Linux mm.rst, Markdown, GayBSD columns,
 * Emerald range lines) and prints a spec on stdout. Exit 2 when the file cannot be read, 1 when
 * it holds no layout table (E0501).
 */
import { readFileSync } from "node:fs";
import { diagnostic } from "../diagnostics/diagnostic.js";
import { SourceSet } from "../diagnostics/source.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, type CommandContext } from "./common.js";
import { report } from "./report.js";

export async function runImport(
  values: Record<string, unknown>,
  files: readonly string[],
  context: CommandContext,
): Promise<number> {
  if (files.length !== 1)
    throw new UsageError("give exactly one table file; usage: vmlayout import <table-file>");
  const file = files[0]!;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read \`${file}\`: ${(e as Error).message}`);
  }
  const { importTable, NoTableError } = await import("../import/index.js");
  const attributes =
    values.attributes === undefined ? undefined : parseAttributes(values.attributes);
  try {
    const imported = importTable(text, {
      fileName: file,
      ...(attributes === undefined ? {} : { attributes }),
    });
    process.stdout.write(imported.spec);
    return EXIT_OK;
  } catch (e) {
    if (!(e instanceof NoTableError)) throw e;
    const sources = new SourceSet();
    sources.add(file, text);
    const noTable = diagnostic(
      "E0501",
      `no layout table found in \`${file}\``,
      { file, start: 0, end: 0 },
      {
        help: "vmlayout reads Linux mm.rst ascii tables, Markdown pipe tables with Start, End and Size columns, GayBSD column tables and Emerald `START..END` lines",
      },
    );
    report([noTable], sources, "text", context);
    return EXIT_ERRORS;
  }
}

function parseAttributes(value: unknown): boolean {
  if (value === "yes") return true;
  if (value === "no") return false;
  throw new UsageError(`--attributes must be yes or no, not \`${String(value)}\``);
}
