/**
 * `vmlayout import <table-file>`: reads a layout table (Linux mm.rst, Markdown, GayBSD columns,
 * Emerald range lines) and prints a spec on stdout. Exit 2 when the file cannot be read, 1 when
 * it holds no layout table.
 */
import { readFileSync } from "node:fs";
import { EXIT_ERRORS, EXIT_OK, UsageError } from "./common.js";

export async function runImport(
  values: Record<string, unknown>,
  files: readonly string[],
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
  const { SpecSyntaxError } = await import("../prettier/index.js");
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
    if (e instanceof NoTableError) {
      // TODO: a catalogue code (E03xx/E05xx) for "no layout table found".
      process.stderr.write(`vmlayout import: no layout table found in ${file}\n`);
      return EXIT_ERRORS;
    }
    if (attributes === true && e instanceof SpecSyntaxError)
      throw new UsageError(
        "the language does not accept the `offset` / `size ~` attributes yet; use --attributes no",
      );
    throw e;
  }
}

function parseAttributes(value: unknown): boolean {
  if (value === "yes") return true;
  if (value === "no") return false;
  throw new UsageError(`--attributes must be yes or no, not \`${String(value)}\``);
}
