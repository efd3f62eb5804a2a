/**
 * `vmlayout import <table-file>`: reads a layout table (Linux mm.rst, Markdown, GayBSD columns,
 * Emerald range lines) and prints a spec on stdout. Exit 2 when the file cannot be read, 1 when
 * it holds no layout table (E0501), is not UTF-8 (E0009) or is over the input limit (E0007).
 */
import { readInputFile } from "../compiler/read.js";
import { withLimits } from "../limits.js";
import { limitsFrom } from "./limits.js";
import { type Span, diagnostic } from "../diagnostics/diagnostic.js";
import { type SourceFile, SourceSet } from "../diagnostics/source.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, type CommandContext } from "./common.js";
import { report } from "./report.js";
import { clipQuote } from "../diagnostics/render.js";

export async function runImport(
  values: Record<string, unknown>,
  files: readonly string[],
  context: CommandContext,
): Promise<number> {
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
    const source = sources.add(file, text);
    const help =
      "vmlayout reads Linux mm.rst ascii tables, Markdown pipe tables with Start, End and Size columns, GayBSD column tables and Emerald `START..END` lines";
    const first = e.unread[0];
    const noTable =
      first === undefined
        ? diagnostic(
            "E0501",
            `no layout table found in \`${file}\``,
            { file, start: 0, end: 0 },
            { help },
          )
        : diagnostic(
            "E0501",
            `found a table in \`${file}\`, but none of its rows could be read`,
            lineSpan(source, first.line),
            {
              notes: [
                ...e.unread.slice(1, 6).map((u) => `also line ${u.line}: ${clipQuote(u.text)}`),
                ...(e.unread.length > 6 ? [`and ${e.unread.length - 6} more lines`] : []),
              ],
              help: "a row needs an address for its start, and numbers (`128 TB`, `~ 0.5 MB`) for its offset and size; a size has no sign",
            },
          );
    report([noTable], sources, "text", context);
    return EXIT_ERRORS;
  }
}

/** The span of 1-based line `line` of `source`, without its line break. */
function lineSpan(source: SourceFile, line: number): Span {
  const start = source.lineStarts[line - 1]!;
  return { file: source.path, start, end: start + source.lineText(line).length };
}

function parseAttributes(value: unknown): boolean {
  if (value === "yes") return true;
  if (value === "no") return false;
  throw new UsageError(`--attributes must be yes or no, not \`${String(value)}\``);
}
