/**
 * Hostile strings (issue #11): every string a spec can hold (the layout's, regions', a
 * parameter's and a constant's descriptions, variant names) and the spec's path, `-o` target and
 * `--variant` in the banner's regenerate command are filled with control characters, bidi
 * marks, comment and fence openers, line splices, trigraphs, `-->`, `]]>`, Markdown, HTML and
 * reStructuredText constructs and a marker (`PWNED`). Every emitter's output must still parse
 * and hold no construct the spec did not mean:
 *
 *   - C: gcc compiles every header as C99 and C11 with `-trigraphs` and as GNU11 (where `linux`
 *     and `unix` are macros), `-Wall -Wextra -Werror -pedantic`; preprocessed (`-E -dD`, which
 *     keeps every `#define` and drops comments) no header holds the marker: no spec text
 *     escaped its comment;
 *   - Rust: rustc compiles every module warning-free, rustdoc finds no doctest in it (no code
 *     block survives in a doc comment), and the marker is only ever in a comment;
 *   - Markdown: every line is the banner, a heading of ours, a table row with its own number of
 *     cells, or a paragraph of ours; no unescaped bracket, angle bracket, `&` or backtick fence;
 *   - reStructuredText (`--emit ascii`): the title is not a directive, comment or list, its
 *     underline is long enough, and everything else is in the literal block; docutils, when
 *     python3 has it, parses the whole file to a title, a literal block and our note only;
 *   - SVG: well-formed XML 1.0 (a strict checker below), with the marker only in text;
 *   - and every character outside printable ASCII, space and the characters the emitters draw
 *     with (`↳`, `×`, `·`, ...) that reaches an output is written `U+XXXX`, with the note saying so.
 *
 * In-process checks run on `fuzzRuns(60)` specs; the compilers run once on a batch of
 * `fuzzRuns(12)` (all headers in one gcc call per standard, all modules in one crate).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { emit, type BuildCommand, type EmitFormat } from "../../src/index.js";
import { checkSpec } from "../../src/pipeline.js";
import { ESCAPE_NOTE } from "../../src/compiler/emit/escape.js";
import { FUZZ_TIMEOUT, fuzz, fuzzRuns } from "./sandbox.js";

// ---------------------------------------------------------------- hostile strings

const MARKER = "PWNED";

const CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).filter((c) => c !== "\r"),
  "\x7f",
  "\x85",
  "\x9b",
];
const UNICODE = [
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
  "\u200e",
  "\u200f",
  "\u061c",
  "\u2028",
  "\u2029",
  "\ufeff",
  "\ufffe",
  "\uffff",
  "\ue000",
  "\u00a0",
  "é",
  "↳",
  "\u{1f600}",
];
const CONSTRUCTS = [
  "/*",
  "*/",
  "//",
  "*\\\n/",
  "\\\n",
  "\\",
  "??/",
  "??/\n",
  "???/",
  "??=",
  "??(",
  "??'",
  `\n#define ${MARKER} 1\n`,
  `*/ int ${MARKER}; /*`,
  `*/\n#define ${MARKER} 1\n/*`,
  `\n\`\`\`\n${MARKER}();\n\`\`\`\n`,
  `\n~~~rust\n${MARKER}();\n~~~\n`,
  `\n\n    ${MARKER}();\n`,
  "```",
  "~~~",
  "\n# heading\n",
  "\n===\n",
  "\n---\n",
  "\n- item\n",
  "\n1. item\n",
  "\n> quote\n",
  "\n| a | b |\n",
  `\n.. raw:: html\n\n   <script>${MARKER}()</script>\n`,
  ".. ",
  "::",
  "`x <javascript:alert(1)>`_",
  "name_",
  "|sub|",
  `<script>${MARKER}()</script>`,
  "<!--",
  "-->",
  "--",
  "]]>",
  "<![CDATA[",
  "&#x202E;",
  "&amp;",
  "&",
  "![i](http://example.com/i.png)",
  "[l](javascript:alert(1))",
  "<http://example.com>",
  '"',
  "'",
  "`",
  "$(x)",
  "<",
  ">",
  "*",
  "_",
  "#",
  "|",
  "{",
  "}",
  "%s",
  " ",
  "\t",
];

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...CONSTRUCTS) },
  { weight: 2, arbitrary: fc.constantFrom(...CONTROLS, ...UNICODE) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom("a", "word", MARKER) },
);
const hostile = fc.array(piece, { maxLength: 8 }).map((p) => p.join(""));
/** A file name: no `/` or NUL; at least one character. */
const fileName = hostile.map((s) => `${s.replace(/[/\0]/g, "")}x.layout`);

interface Case {
  readonly strings: readonly string[];
  readonly file: string;
  readonly output: string;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  strings: fc.array(hostile, { minLength: 8, maxLength: 8 }),
  file: fileName,
  output: fileName,
});

/** A spec string literal holding `s` (the escapes are `\"`, `\\`, `\n`, `\t`). */
const literal = (s: string): string =>
  `"${s.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : "\\" + c))}"`;

function specText(c: Case): string {
  const [layout, param, constant, outer, inner, sized, v0, v1] = c.strings.map(literal);
  return [
    `layout hostile ${layout}`,
    "paging 4",
    `param p: size = 4KB in 4KB .. 8KB align 4KB ${param}`,
    `const c = 0x1000 + p export CONST_C ${constant}`,
    `ffff800000000000 +1TB r0 ${outer} {`,
    `  ffff800000000000 +4KB r1 ${inner}`,
    "}",
    `ffff810000000000 +p r2 ${sized}`,
    // Variant names start with a letter each, so their C and Rust names stay distinct.
    `variant ${literal("a" + c.strings[6])} { ffff820000000000 +1TB r3 ${v0} }`,
    `variant ${literal("b" + c.strings[7])} { ffff830000000000 +1TB r4 ${v1} }`,
    "",
  ].join("\n");
}

interface Outputs {
  readonly c: string;
  readonly rust: string;
  readonly md: string;
  readonly ascii: string;
  readonly svg: string;
  /** The first variant alone, as with `--variant`. */
  readonly cOne: string;
  readonly rustOne: string;
}

function emitAll(c: Case): Outputs {
  const text = specText(c);
  const checked = checkSpec(c.file, { readFile: () => text });
  expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(checked.layouts).toHaveLength(2);
  const command: BuildCommand = { spec: c.file, output: c.output };
  const one = checked.layouts[0]!;
  const run = (format: EmitFormat, single = false): string => {
    const r = single
      ? emit([one], format, { command: { ...command, variant: one.variant! } })
      : emit(checked.layouts, format, { command });
    expect(r.diagnostics).toEqual([]);
    return r.value!;
  };
  return {
    c: run("c"),
    rust: run("rust"),
    md: run("md"),
    ascii: run("ascii"),
    svg: run("svg"),
    cOne: run("c", true),
    rustOne: run("rust", true),
  };
}

// ---------------------------------------------------------------- in-process checks

/** Characters of `text` that should have been written `U+XXXX` (tab: the C header's own). */
const stray = (text: string): string[] =>
  [...text.matchAll(/[\p{C}\p{Zl}\p{Zp}]/gu)].map((m) => m[0]).filter((c) => !"\n\t".includes(c));

/** The marker as a word of its own (`VMLAYOUT_X_PWNED_H`, derived from a name, is not one). */
const INJECTED = new RegExp(`\\b${MARKER}\\b`);

/** Whether `text` has a match of `pattern` with an even number of backslashes before it. */
function unescaped(text: string, pattern: RegExp): boolean {
  for (const m of text.matchAll(pattern)) {
    let n = 0;
    for (let i = m.index - 1; i >= 0 && text[i] === "\\"; i--) n++;
    if (n % 2 === 0) return true;
  }
  return false;
}

/** Markdown text without its code spans (`` `...` ``, whose content is literal). */
function withoutCode(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") out += text[i]! + (text[++i] ?? "");
    else if (text[i] === "`" && text.indexOf("`", i + 1) > i) i = text.indexOf("`", i + 1);
    else out += text[i];
  }
  return out;
}

/** A Markdown line that opens a block (CommonMark 0.31, GFM tables). */
const BLOCK_START =
  /^ {0,3}(#{1,6}(\s|$)|[<>|]|[-+*](\s|$)|\d{1,9}[.)](\s|$)|([-*_])(\s*\5){2,}\s*$|[=-]+\s*$|`{3}|~{3})/;

/** Cells of a Markdown table row: unescaped pipes split it. */
function cells(row: string): number {
  let n = 0;
  for (let i = 0; i < row.length; i++) {
    if (row[i] === "\\") i++;
    else if (row[i] === "|") n++;
  }
  return n - 1;
}

function checkMarkdown(md: string): void {
  const lines = md.split("\n");
  expect(lines[0]).toMatch(/^<!-- Generated by vmlayout from .*: do not edit\. -->$/);
  expect(lines[0]!.slice(4, -3)).not.toMatch(/--|[<>]/);
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const what = `markdown line ${JSON.stringify(line)}`;
    const ours =
      /^#{1,2} /.test(line) ||
      /^\|.*\|$/.test(line) ||
      /^(`|Values marked|KASLR group|U\+XXXX stands)/.test(line);
    expect(ours, what).toBe(true);
    if (line.startsWith("|")) expect([5, 6], what).toContain(cells(line));
    expect(unescaped(withoutCode(line), /[<>[\]&`]/g), what).toBe(false);
  }
}

function checkRst(ascii: string, variants: number): void {
  const lines = ascii.split("\n");
  let titles = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const next = lines[i + 1];
    if (line === "" || line.startsWith("  ") || line === "::" || line.startsWith(ESCAPE_NOTE))
      continue;
    if (/^=+$/.test(line)) continue;
    // A title: underlined, not an explicit markup block, list, field or line block.
    titles++;
    expect(next, `underline of ${line}`).toMatch(/^=+$/);
    expect(next!.length).toBeGreaterThanOrEqual([...line].length);
    expect(line, "rST title").not.toMatch(/^(\.\.|[-+*•|:>]|\s)/);
    expect(unescaped(line, /[`*|[\]]/g), `rST title ${line}`).toBe(false);
  }
  expect(titles).toBe(variants);
}

/** A strict XML 1.0 well-formedness check of what the SVG emitter writes. */
function checkXml(xml: string): void {
  const name = "[A-Za-z_][\\w.-]*(?::[\\w.-]+)?";
  const attr = `\\s+${name}="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*"`;
  const token = new RegExp(
    `<!--(?:(?!--)[\\s\\S])*-->|<(${name})(?:${attr})*\\s*(/?)>|</(${name})\\s*>|[^<&]+|&(?:amp|lt|gt|quot|apos|#\\d+|#x[0-9a-fA-F]+);`,
    "y",
  );
  expect(xml).not.toMatch(/[\0-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udfff]/u);
  const open: string[] = [];
  let roots = 0;
  while (token.lastIndex < xml.length) {
    const at = token.lastIndex;
    const m = token.exec(xml);
    expect(m, `XML at ${at}: ${JSON.stringify(xml.slice(at, at + 60))}`).not.toBeNull();
    if (m![1] !== undefined && m![2] !== "/") {
      if (open.length === 0) roots++;
      open.push(m![1]);
    } else if (m![1] !== undefined && open.length === 0) roots++;
    else if (m![3] !== undefined) expect(open.pop()).toBe(m![3]);
    else if (open.length === 0 && !m![0].startsWith("<!--")) expect(m![0].trim()).toBe("");
  }
  expect(open).toEqual([]);
  expect(roots).toBe(1);
}

function checkInProcess(o: Outputs): void {
  for (const [format, text] of Object.entries(o)) {
    const odd = stray(text);
    expect(odd, `${format}: characters not written as U+XXXX`).toEqual([]);
  }
  // What the spec's strings may not do in C comments or doc comments, checked as text here and
  // by the compilers in the batch below.
  for (const header of [o.c, o.cOne]) {
    const comments = header.match(/\/\*[\s\S]*?\*\//g) ?? [];
    for (const comment of comments) expect(comment.slice(2, -2)).not.toMatch(/\/\*|\?\?|\\/);
    expect(header.replace(/\/\*[\s\S]*?\*\//g, "")).not.toMatch(INJECTED);
  }
  for (const module of [o.rust, o.rustOne]) {
    const lines = module.split("\n");
    for (const line of lines) if (!line.trim().startsWith("//")) expect(line).not.toMatch(INJECTED);
    // Doc comments, paragraph by paragraph (a code span may run over lines).
    const docs = lines.map((line) => /^\s*\/\/[/!](?: (.*))?$/.exec(line)?.[1] ?? "");
    for (const line of docs) expect(line, "doc line").not.toMatch(BLOCK_START);
    for (const paragraph of docs.join("\n").split(/\n\n+/))
      expect(unescaped(withoutCode(paragraph), /[<>[\]&`]/g), paragraph).toBe(false);
  }
  checkMarkdown(o.md);
  checkRst(o.ascii, 2);
  checkXml(o.svg);
  expect(o.svg.replace(/<[^>]*>/g, "")).not.toMatch(/<|>/);
}

describe("hostile strings in every string a spec holds", () => {
  test(
    "every emitter escapes them (checked in process)",
    async () => {
      await fuzz(caseArb, 60, (c) => checkInProcess(emitAll(c)));
    },
    FUZZ_TIMEOUT,
  );

  test("the escaping note appears exactly when something was escaped", () => {
    const clean: Case = { strings: Array(8).fill("plain words"), file: "a.layout", output: "o" };
    const dirty: Case = { ...clean, strings: ["bidi \u202e here", ...clean.strings.slice(1)] };
    for (const [format, text] of Object.entries(emitAll(clean)))
      expect(text, format).not.toContain("U+XXXX");
    for (const [format, text] of Object.entries(emitAll(dirty))) {
      expect(text, format).toContain("U+202E");
      expect(text.replace(/\n(\/\/!|\s\*) ?/g, " "), format).toContain("U+XXXX stands for");
    }
  });
});

// ---------------------------------------------------------------- the compilers, on a batch

function run(cmd: string, args: readonly string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}
const has = (cmd: string, ...args: string[]): boolean => run(cmd, args).status === 0;
const GCC = has("gcc", "--version");
const RUSTC = has("rustc", "--version");
const RUSTDOC = has("rustdoc", "--version");
/** A Python with docutils: the one on PATH, or Debian's (`python3-docutils`, which .ci/run installs). */
const PYTHON = ["python3", "/usr/bin/python3"].find((p) => has(p, "-c", "import docutils"));
const DOCUTILS = PYTHON !== undefined;
for (const [tool, ok] of Object.entries({ GCC, RUSTC, RUSTDOC, DOCUTILS }))
  if (!ok) console.warn(`test/fuzz/hostile-strings.test.ts: no ${tool}; its checks are skipped`);

describe("hostile strings, through the real compilers", () => {
  const seed = Number(process.env.VMLAYOUT_FUZZ_SEED || 0) || (Math.random() * 2 ** 31) | 0;
  const cases = fc.sample(caseArb, { numRuns: fuzzRuns(12), seed });
  const outputs = cases.map(emitAll);
  const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-hostile-"));
  const where = `(VMLAYOUT_FUZZ_SEED=${seed}; files in ${dir})`;

  (GCC ? test : test.skip)(
    "gcc compiles every header as C99 and C11 with trigraphs and as GNU11, and no spec text leaves a comment",
    () => {
      // Each header alone; one that holds every variant with the first selected.
      const sources = outputs.flatMap((o, i) => {
        const selector = /#if defined\((VMLAYOUT_\w+)\) \+/.exec(o.c)![1]!;
        writeFileSync(path.join(dir, `h${i}.h`), o.c);
        writeFileSync(path.join(dir, `h${i}-one.h`), o.cOne);
        writeFileSync(path.join(dir, `c${i}.c`), `#define ${selector} 1\n#include "h${i}.h"\n`);
        writeFileSync(path.join(dir, `c${i}-one.c`), `#include "h${i}-one.h"\n`);
        return [`c${i}.c`, `c${i}-one.c`];
      });
      const flags = (std: string) => [
        std,
        "-trigraphs",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
      ];
      for (const std of ["-std=c99", "-std=c11", "-std=gnu11"]) {
        const compiled = run("gcc", [...flags(std), "-fsyntax-only", ...sources], dir);
        expect(compiled.stderr, `${std} ${where}`).toBe("");
        expect(compiled.status, `${std} ${where}`).toBe(0);
      }
      // Splices and trigraphs are the same in every standard under -trigraphs: one run.
      const expanded = run("gcc", [...flags("-std=gnu11"), "-E", "-P", "-dD", ...sources], dir);
      expect(expanded.status, `-E ${where}`).toBe(0);
      expect(expanded.stdout, `-E ${where}`).not.toMatch(INJECTED);
    },
    FUZZ_TIMEOUT,
  );

  (RUSTC ? test : test.skip)(
    "rustc compiles every module warning-free, and rustdoc finds no doctest in them",
    () => {
      const mods = outputs.flatMap((o, i) => {
        writeFileSync(path.join(dir, `m${i}.rs`), o.rust);
        writeFileSync(path.join(dir, `m${i}_one.rs`), o.rustOne);
        return [`m${i}`, `m${i}_one`];
      });
      writeFileSync(path.join(dir, "lib.rs"), mods.map((m) => `pub mod ${m};\n`).join(""));
      const lib = run(
        "rustc",
        ["--crate-type", "lib", "--edition", "2021", "--crate-name", "hostile", "lib.rs"],
        dir,
      );
      expect(lib.stderr, where).toBe("");
      expect(lib.status, where).toBe(0);
      if (!RUSTDOC) return;
      const doc = run(
        "rustdoc",
        ["--test", "--edition", "2021", "--crate-type", "lib", "--crate-name", "hostile", "lib.rs"],
        dir,
      );
      expect(doc.status, `${doc.stdout}${doc.stderr} ${where}`).toBe(0);
      expect(doc.stdout, where).toMatch(/running 0 tests/);
    },
    FUZZ_TIMEOUT,
  );

  (DOCUTILS ? test : test.skip)(
    "docutils reads every --emit ascii file as titles, literal blocks and our note only",
    () => {
      const files = outputs.map((o, i) => {
        writeFileSync(path.join(dir, `t${i}.rst`), o.ascii);
        return `t${i}.rst`;
      });
      const script = [
        "import sys, docutils.core, docutils.nodes as n",
        "ok = (n.document, n.section, n.title, n.Text, n.literal_block, n.paragraph)",
        "for f in sys.argv[1:]:",
        "    t = docutils.core.publish_doctree(open(f, encoding='utf-8').read(),",
        "        settings_overrides={'report_level': 5, 'halt_level': 5})",
        "    for node in t.traverse():",
        "        if isinstance(node, n.system_message) and node['level'] < 2: continue",
        "        if isinstance(node, n.system_message) or not isinstance(node, ok):",
        "            print(f, type(node).__name__, node.astext()[:200])",
      ].join("\n");
      const r = run(PYTHON!, ["-c", script, ...files], dir);
      expect(r.stderr, where).toBe("");
      expect(r.stdout, where).toBe("");
    },
    FUZZ_TIMEOUT,
  );
});
