/**
 * Reads a spec and everything it includes, and splices each `include` in place, so the
 * resolver sees one item list whose spans still point into the file each item came from.
 *
 * An include path is relative to the including file, or absolute. Either way the file must lie
 * inside the include root (default: the root spec's directory tree), symlinks resolved (E0120).
 * Files are told apart by their real path, so a cycle through a directory symlink is E0105.
 * Every include must be a regular file (E0104); all the text spliced together, each file counted
 * each time it is included, is at most the `input` limit, and at most `includes` files are
 * spliced (E0007). An included file with syntax errors is one E0121 at the `include`, quoting
 * only the first error's line up to that error: the file may not be a spec at all.
 */
import * as path from "node:path";
import { realpathSync } from "node:fs";
import { parseLimits, parseSpec } from "./parse.js";
import { DEFAULT_LIMITS, type Limits } from "../limits.js";
import {
  type Diagnostic,
  type Result,
  type Span,
  diagnostic,
  hasErrors,
} from "../diagnostics/diagnostic.js";
import { SourceSet } from "../diagnostics/source.js";
import { TEXT } from "../diagnostics/catalogue.js";
import { moreNotShown } from "../diagnostics/collector.js";
import type { Item, SpecFile } from "./ast.js";
import {
  InputTooLarge,
  NotUtf8,
  UnreadableFile,
  type ReadOptions,
  describeBytes,
  notUtf8Diagnostic,
  readSourceFile,
  tooLargeDiagnostic,
} from "./read.js";

/**
 * Reads a file's text; throws InputTooLarge, NotUtf8 or UnreadableFile (src/compiler/read.ts)
 * or a Node.js error (ENOENT, EISDIR, ...) when it cannot. Anything else it throws is a bug,
 * and goes through `loadSpec` as one.
 */
export type ReadFile = (file: string, options: ReadOptions) => string;

export const defaultReadFile: ReadFile = readSourceFile;

export interface LoadOptions {
  /** Includes must lie inside this directory tree. Default: the root spec's directory. */
  readonly includeRoot?: string | undefined;
}

/** Whether `e` says a file could not be read (a Node.js error, or an UnreadableFile). */
export function isReadFailure(e: unknown): e is Error {
  return e instanceof UnreadableFile || typeof (e as NodeJS.ErrnoException)?.code === "string";
}

/** Why a file could not be read, in a few words (`no such file`), for a message. */
export function describeReadError(e: unknown): string {
  const reasons: Readonly<Record<string, string>> = {
    ENOENT: "no such file",
    EACCES: "permission denied",
    EISDIR: "it is a directory",
  };
  return reasons[(e as NodeJS.ErrnoException).code ?? ""] ?? (e as Error).message;
}

export interface Loaded {
  /**
   * The root file with every include spliced in; undefined when the root is over the `input`
   * limit or not UTF-8 (the diagnostics say which).
   */
  readonly file: SpecFile | undefined;
  readonly sources: SourceSet;
}

type Include = Extract<Item, { kind: "include" }>;

/**
 * Loads `root` and its includes. Never throws on a file that cannot be read: a root that
 * cannot be opened is E0010 (no span: there is no text to point into), an include E0104.
 */
export function loadSpec(
  root: string,
  readFile: ReadFile = defaultReadFile,
  limits: Limits = DEFAULT_LIMITS,
  options: LoadOptions = {},
): Result<Loaded> {
  const forParse = parseLimits(limits);
  const diagnostics: Diagnostic[] = [];
  const sources = new SourceSet();
  const includeRoot = realPath(options.includeRoot ?? path.dirname(root));
  /** Real paths of the files being included, outermost first. */
  const stack: string[] = [];
  /** Each file parsed once, by real path; undefined when it has errors (reported once). */
  const parsed = new Map<string, SpecFile | undefined>();
  let spliced = 0;
  let files = 0;
  let exhausted = false;

  const load = (file: string, from: Include | undefined): SpecFile | undefined => {
    const key = realPath(file);
    if (from) {
      if (exhausted) return undefined;
      if (!isInside(includeRoot, key)) {
        diagnostics.push(outsideRoot(from, key, includeRoot));
        return undefined;
      }
      if (stack.includes(key)) {
        diagnostics.push(cycle(from, [...stack.slice(stack.indexOf(key)), key]));
        return undefined;
      }
      if (++files > limits.includes) {
        exhausted = true;
        diagnostics.push(
          diagnostic("E0007", `more than ${limits.includes} files are included`, from.path.span, {
            notes: ["a file counts each time it is included"],
            help: TEXT.raiseLimit("include each shared file once", "includes"),
          }),
        );
        return undefined;
      }
    }
    if (!parsed.has(key)) parsed.set(key, parse(file, from));
    const ast = parsed.get(key);
    if (!ast) return undefined;
    spliced += ast.span.end;
    // A root file over the limit on its own is the parser's E0007 already.
    if (spliced > limits.input && from !== undefined) {
      exhausted = true;
      const message = `the spec and its includes are larger than the input limit (${describeBytes(limits.input)})`;
      diagnostics.push(
        diagnostic("E0007", message, from?.path.span, {
          notes: ["a file counts each time it is included"],
          help: TEXT.raiseLimit("include each shared file once", "input"),
        }),
      );
      return undefined;
    }
    stack.push(key);
    // An include in a variant's body belongs to that variant; the resolver refuses one
    // anywhere else below top level.
    const splice = (from: readonly Item[]): Item[] => {
      const items: Item[] = [];
      for (const item of from) {
        if (item.kind === "variant") items.push({ ...item, items: splice(item.items) });
        else if (item.kind !== "include") items.push(item);
        else {
          const target = item.path.value;
          const included = load(
            path.isAbsolute(target) ? target : path.join(path.dirname(file), target),
            item,
          );
          if (included) for (const i of included.items) items.push(i); // no spread: files can be huge
        }
      }
      return items;
    };
    const items = splice(ast.items);
    stack.pop();
    return { ...ast, items };
  };

  /** Reads and parses `file`; its diagnostics go to `diagnostics`. Undefined when unusable. */
  const parse = (file: string, from: Include | undefined): SpecFile | undefined => {
    let text: string;
    let unreadable: Diagnostic | undefined;
    try {
      text = readFile(file, { maxBytes: limits.input, regularOnly: from !== undefined });
    } catch (e) {
      if (e instanceof NotUtf8) {
        text = e.text;
        unreadable = notUtf8Diagnostic(file, e);
      } else if (e instanceof InputTooLarge) {
        diagnostics.push(
          tooLargeDiagnostic(file, e, from?.path.span ?? { file, start: 0, end: 0 }),
        );
        return undefined;
      } else if (!isReadFailure(e)) {
        throw e;
      } else {
        const reason = describeReadError(e);
        diagnostics.push(
          from
            ? diagnostic(
                "E0104",
                `cannot read included file \`${from.path.value}\`: ${reason}`,
                from.path.span,
              )
            : diagnostic("E0010", `cannot read \`${file}\`: ${reason}`, undefined),
        );
        return undefined;
      }
    }
    const result = unreadable ? undefined : parseSpec(text, file, forParse);
    const found = unreadable ? [unreadable] : result!.diagnostics;
    if (from && hasErrors(found)) {
      const first = found.find((d) => d.severity === "error")!;
      const at = first.span ?? { file, start: 0, end: 0 };
      sources.add(file, quotableUpTo(text, at));
      diagnostics.push(invalidInclude(from, file, first, at, found.length - 1));
      return undefined;
    }
    sources.add(file, text);
    diagnostics.push(...found);
    return result?.value.ast;
  };

  return { value: { file: load(root, undefined), sources }, diagnostics };
}

/** The real path of `file`; its absolute path when it does not exist (or is not on disk). */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return !path.isAbsolute(relative) && relative !== ".." && !relative.startsWith(`..${path.sep}`);
}

const shown = (file: string) => path.relative(process.cwd(), file) || file;

function outsideRoot(from: Include, file: string, root: string): Diagnostic {
  return diagnostic(
    "E0120",
    `included file \`${from.path.value}\` is outside the include root`,
    from.path.span,
    {
      notes: [`the file is \`${shown(file)}\`; the include root is \`${shown(root)}/\``],
      help: "move the file under the include root, or name a directory that holds both with `--include-root DIR`",
    },
  );
}

function cycle(from: Include, chain: readonly string[]): Diagnostic {
  return diagnostic("E0105", `\`${from.path.value}\` is already being included`, from.path.span, {
    notes: [`include cycle: ${chain.map(shown).join(" -> ")}`],
    help: "move the shared part into a file that neither includes the other",
  });
}

/** E0121 at `from`, labelled at `at`, where the file's `first` error is. */
function invalidInclude(
  from: Include,
  file: string,
  first: Diagnostic,
  at: Span,
  more: number,
): Diagnostic {
  return diagnostic(
    "E0121",
    `included file \`${from.path.value}\` is not a valid spec`,
    from.path.span,
    {
      labels: [{ span: at, message: `error[${first.code}]: ${first.message}` }],
      notes: more > 0 ? [moreNotShown(more, "included-file")] : [],
      help: `an included file is quoted only up to its first error; \`vmlayout check ${file}\` shows them all`,
    },
  );
}

/**
 * `text` with only the line `span` starts on, up to the span's first character, left to quote
 * (the message names the token, shortened): the lines before are emptied, so that positions
 * stay right, and the rest is dropped.
 */
function quotableUpTo(text: string, span: Span): string {
  const lineStart = span.start === 0 ? 0 : text.lastIndexOf("\n", span.start - 1) + 1;
  const lineEnd = text.indexOf("\n", span.start);
  const end = Math.min(span.start + 1, lineEnd < 0 ? text.length : lineEnd);
  return text.slice(0, lineStart).replace(/[^\n]/g, "") + text.slice(lineStart, end);
}
