/**
 * Prints a laid-out spec as text: what `formatSpec` returns. The Prettier plugin prints the
 * same tree as a Doc (src/prettier/print.ts), to the same bytes.
 */
import { assertNever } from "../model/collections.js";
import {
  isEmptyBody,
  staysOnOneLine,
  type Entry,
  type FormattedFile,
  type LineOptions,
} from "./tree.js";

export interface FormatOptions {
  /** The line width a one-line body must fit in (default 100, as the plugin's). */
  readonly printWidth?: number;
  /** Spaces per indentation level (default 2). */
  readonly tabWidth?: number;
  /** Indent with tabs instead of spaces (alignment inside a line always uses spaces). */
  readonly useTabs?: boolean;
  /** Recorded in diagnostics. */
  readonly path?: string;
}

function lineOptions(options: FormatOptions): LineOptions {
  return { printWidth: options.printWidth ?? 100, tabWidth: options.tabWidth ?? 2 };
}

/** The file's text: its lines, each ended by `\n` (none for an empty file). */
export function render(file: FormattedFile, options: FormatOptions): string {
  const line = lineOptions(options);
  const indentUnit = options.useTabs ? "\t" : " ".repeat(line.tabWidth);
  const lines: string[] = [];
  const block = (entries: readonly Entry[], depth: number) => {
    const indent = indentUnit.repeat(depth);
    for (const entry of entries) {
      switch (entry.type) {
        case "blank":
          lines.push("");
          break;
        case "comment":
        case "verbatim": {
          const reindented = entry.type === "comment" && entry.reindented;
          const last = entry.lines.length - 1;
          // No spread: a comment can be huge.
          entry.lines.forEach((text, i) =>
            lines.push(
              (i === 0 || reindented ? indent : "") + text + (i === last ? entry.trailing : ""),
            ),
          );
          break;
        }
        case "statement": {
          const { header, body, trailing } = entry;
          if (body === undefined) lines.push(indent + header + trailing);
          else if (isEmptyBody(body)) lines.push(`${indent}${header} {}${trailing}`);
          else if (body.oneLine !== undefined && staysOnOneLine(entry, body.oneLine, line))
            lines.push(`${indent}${header} { ${body.oneLine} }${trailing}`);
          else {
            lines.push(`${indent}${header} {${body.opener}`);
            block(body.entries, depth + 1);
            lines.push(`${indent}}${trailing}`);
          }
          break;
        }
        default:
          assertNever(entry, "entry");
      }
    }
  };
  block(file.entries, 0);
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
