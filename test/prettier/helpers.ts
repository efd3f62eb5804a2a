/**
 * Shared by the formatter tests: formatting through Prettier's API with the plugin, and the
 * three ways of saying "means the same": the AST without spans, the compiled Layout as JSON,
 * and the comments.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";
import { expect } from "vitest";
import { tokenMatcher } from "../../grammar/chevrotain.js";
import { lexSpec, parseSpec, tokens as T } from "../../src/compiler/parse.js";
import { emit } from "../../src/index.js";
import { checkSpec } from "../../src/pipeline.js";
import plugin from "../../src/prettier/index.js";
import { ROOT } from "../cli-helpers.js";

export { ROOT };
export const SPECS_DIR = path.join(ROOT, "specs");
export const FIXTURES = path.join(ROOT, "test", "fixtures", "format");

/** The committed specs, by file name. */
export const SPECS = readdirSync(SPECS_DIR)
  .filter((f) => f.endsWith(".layout"))
  .sort();

export const readSpec = (name: string): string => readFileSync(path.join(SPECS_DIR, name), "utf8");

/** The formatter fixtures, by directory name. */
export const FIXTURE_CASES = readdirSync(FIXTURES).sort();

/** A fixture: its input, its expected output and its options (`options.json`, or none). */
export function readFixture(name: string): {
  input: string;
  output: string;
  outputPath: string;
  options: Record<string, unknown>;
} {
  const dir = path.join(FIXTURES, name);
  const optionsFile = path.join(dir, "options.json");
  const outputPath = path.join(dir, "output.layout");
  return {
    input: readFileSync(path.join(dir, "input.layout"), "utf8"),
    output: readFileSync(outputPath, "utf8"),
    outputPath,
    options: existsSync(optionsFile)
      ? (JSON.parse(readFileSync(optionsFile, "utf8")) as Record<string, unknown>)
      : {},
  };
}

/**
 * Texts to format, each with its name and options: the committed specs (formatted, default
 * options) and every fixture's input or output.
 */
export function formatterTexts(
  side: "input" | "output",
): [name: string, text: string, options: Record<string, unknown>][] {
  return [
    ...SPECS.map((s): [string, string, Record<string, unknown>] => [s, readSpec(s), {}]),
    ...FIXTURE_CASES.map((c): [string, string, Record<string, unknown>] => {
      const fixture = readFixture(c);
      return [c, fixture[side], fixture.options];
    }),
  ];
}

/** The Prettier options `npx prettier` uses for the specs: .prettierrc.json's, plugins aside. */
export async function specOptions(): Promise<prettier.Options> {
  const config = await prettier.resolveConfig(path.join(SPECS_DIR, "any.layout"));
  const { plugins: _plugins, ...options } = config ?? {};
  return options;
}

export function format(text: string, options: prettier.Options = {}): Promise<string> {
  return prettier.format(text, { ...options, parser: "vmlayout", plugins: [plugin] });
}

/** The parsed AST with every span (and the file path) removed, as comparable JSON. */
export function astWithoutSpans(text: string): unknown {
  const { value, diagnostics } = parseSpec(text, "spec.layout");
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return JSON.parse(
    JSON.stringify(value.ast.items, (key, v: unknown) =>
      key === "span" ? undefined : typeof v === "bigint" ? `${v}n` : v,
    ),
  );
}

/**
 * What the spec compiles to: the `--emit json` document when it verifies, and the codes and
 * messages of its diagnostics (their positions move when the text is reformatted).
 */
export function compiled(text: string): { json: string | null; diagnostics: string[] } {
  const file = path.join(ROOT, "spec-under-test.layout");
  const checked = checkSpec(file, {
    readFile: (f) => {
      if (f !== file) throw new Error(`unexpected read of ${f}`);
      return text;
    },
  });
  const hasErrors = checked.diagnostics.some((d) => d.severity === "error");
  return {
    json: hasErrors
      ? null
      : emit(checked.layouts, "json", { everyVariant: checked.hasVariants }).value!,
    diagnostics: checked.diagnostics.map((d) => `${d.code}: ${d.message}`),
  };
}

/** Comment images, in order. */
export function comments(text: string): string[] {
  return parseSpec(text, "spec.layout").value.comments.map((c) => c.image);
}

/** A stretch of whitespace between two tokens or comments (or the file's ends). */
export interface Gap {
  readonly start: number;
  readonly end: number;
  /** The token or comment before the gap (undefined at the start of the file). */
  readonly before: string | undefined;
  /** The token or comment after the gap (undefined at the end of the file). */
  readonly after: string | undefined;
}

/**
 * The stretches of `text` between tokens and comments: the only places whitespace may be
 * changed without changing a string, a comment or a GayBSD pair (`ffff8000 00000000`). A unit
 * glued to its number (`64TB`) or written apart (`0.5 TB`) is part of the literal's spelling,
 * so those gaps are left out too. Line breaks are statement ends, so a gap that has one must
 * keep at least one.
 */
export function gaps(text: string): Gap[] {
  const lexed = lexSpec(text, "spec.layout");
  const solid = [
    ...lexed.tokens.filter((t) => t.tokenType !== T.VirtualEnd && t.tokenType !== T.Newline),
    ...lexed.comments,
  ].sort((a, b) => a.startOffset - b.startOffset);
  const out: Gap[] = [];
  let at = 0;
  let previous: (typeof solid)[number] | undefined;
  for (const t of solid) {
    const unitGap =
      previous !== undefined &&
      tokenMatcher(t, T.Unit) &&
      (tokenMatcher(previous, T.Unit) || tokenMatcher(previous, T.NumberLiteral));
    if (!unitGap)
      out.push({ start: at, end: t.startOffset, before: previous?.image, after: t.image });
    at = t.startOffset + t.image.length;
    previous = t;
  }
  out.push({ start: at, end: text.length, before: previous?.image, after: undefined });
  return out;
}

/** `text` with each gap's whitespace replaced by `rewrite(gap text, gap)`. */
export function rewriteGaps(text: string, rewrite: (space: string, gap: Gap) => string): string {
  let out = "";
  let at = 0;
  for (const gap of gaps(text)) {
    out += text.slice(at, gap.start) + rewrite(text.slice(gap.start, gap.end), gap);
    at = gap.end;
  }
  return out + text.slice(at);
}

/** Whitespace-mangled copies of a formatted spec, each of which must format back to it. */
export const MANGLES: Record<string, (text: string) => string> = {
  "runs of spaces collapsed to one": (text) =>
    rewriteGaps(text, (space) => space.replace(/ {2,}/g, " ")),
  "indentation stripped": (text) => rewriteGaps(text, (space) => space.replace(/\n[ \t]+/g, "\n")),
  "trailing spaces added": (text) => rewriteGaps(text, (space) => space.replace(/\n/g, "  \t \n")),
  "blank lines added": (text) =>
    rewriteGaps(text, (space, gap) => {
      if (!space.includes("\n")) return space;
      // Blank lines at the edges of the file and of blocks are dropped; runs collapse to one.
      const edge = gap.before === undefined || gap.after === undefined;
      const block = gap.before === "{" || gap.after === "}";
      const blank = /\n[ \t]*\n/.test(space);
      return edge || block || blank ? space.replace("\n", "\n\n\n") : space;
    }),
  "tabs and spaces everywhere": (text) =>
    rewriteGaps(text, (space, gap) =>
      gap.before === undefined || gap.after === undefined
        ? space
        : space.replace(/^[ \t]*/, " \t ").replace(/\n[ \t]*/g, "\n\t  "),
    ),
  "spaces between glued tokens": (text) =>
    rewriteGaps(text, (space, gap) =>
      space === "" && gap.before !== undefined && gap.after !== undefined ? "  " : space,
    ),
  "CRLF line ends": (text) => text.replace(/\n/g, "\r\n"),
};
