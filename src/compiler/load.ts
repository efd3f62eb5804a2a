/**
 * Reads a spec and everything it includes, and splices each `include` in place, so the
 * resolver sees one item list whose spans still point into the file each item came from.
 * Include paths are relative to the including file; a cycle is E0105, a missing file E0104.
 */
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { parseLimits, parseSpec } from "../../grammar/index.js";
import { DEFAULT_LIMITS, type Limits, roughSize, tooLargeToRead } from "../limits.js";
import { type Diagnostic, type Result, diagnostic } from "../diagnostics/diagnostic.js";
import { SourceSet } from "../diagnostics/source.js";
import type { Item, SpecFile } from "./ast.js";

/** Reads a file's text; throws a Node.js error (ENOENT, EISDIR, ...) when it cannot. */
export type ReadFile = (file: string) => string;

export const defaultReadFile: ReadFile = (file) => readFileSync(file, "utf8");

export interface Loaded {
  /** The root file with every include spliced in (undefined if the root cannot be read). */
  readonly file: SpecFile | undefined;
  readonly sources: SourceSet;
}

export function loadSpec(
  root: string,
  readFile: ReadFile = defaultReadFile,
  limits: Limits = DEFAULT_LIMITS,
): Result<Loaded> {
  const forParse = parseLimits(limits);
  const diagnostics: Diagnostic[] = [];
  const sources = new SourceSet();
  const stack: string[] = [];

  const load = (
    file: string,
    from: Extract<Item, { kind: "include" }> | undefined,
  ): SpecFile | undefined => {
    const key = path.resolve(file);
    if (stack.includes(key)) {
      const chain = [...stack.slice(stack.indexOf(key)), key].map(
        (f) => path.relative(process.cwd(), f) || f,
      );
      diagnostics.push(
        diagnostic("E0105", `\`${from!.path.value}\` is already being included`, from!.path.span, {
          notes: [`include cycle: ${chain.join(" -> ")}`],
          help: "move the shared part into a file that neither includes the other",
        }),
      );
      return undefined;
    }
    const bytes = tooLargeToRead(file, limits.input);
    if (bytes !== undefined) {
      sources.add(file, "");
      const message = `\`${from?.path.value ?? file}\` is too large (${roughSize(bytes)}, limit ${roughSize(limits.input)})`;
      const help =
        "split the spec into several files joined with `include`, or raise the limit (`--limit input=N`)";
      const span = from?.path.span ?? { file, start: 0, end: 0 };
      diagnostics.push(diagnostic("E0007", message, span, { help }));
      return undefined;
    }
    let text: string;
    try {
      text = readFile(file);
    } catch (e) {
      const reason =
        (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
      if (from)
        diagnostics.push(
          diagnostic(
            "E0104",
            `cannot read included file \`${from.path.value}\`: ${reason}`,
            from.path.span,
          ),
        );
      else throw e;
      return undefined;
    }
    sources.add(file, text);
    const parsed = parseSpec(text, file, forParse);
    diagnostics.push(...parsed.diagnostics);
    stack.push(key);
    const items: Item[] = [];
    for (const item of parsed.value.ast.items) {
      if (item.kind !== "include") {
        items.push(item);
        continue;
      }
      const target = path.join(path.dirname(file), item.path.value);
      const included = load(target, item);
      if (included) for (const i of included.items) items.push(i); // no spread: files can be huge
    }
    stack.pop();
    return { ...parsed.value.ast, items };
  };

  return { value: { file: load(root, undefined), sources }, diagnostics };
}
