/**
 * Issue #11, resources: inputs that once overflowed the stack or took seconds and gigabytes.
 * Each is now answered with the right result or a coded diagnostic, generated in memory or in
 * a temporary directory (no big files are committed).
 */
import { mkdtempSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { lexer } from "../../grammar/tokens.js";
import { diagnostic } from "../../src/diagnostics/diagnostic.js";
import { renderText } from "../../src/diagnostics/render.js";
import { SourceSet } from "../../src/diagnostics/source.js";
import { DEFAULT_LIMITS } from "../../src/limits.js";
import { checkSpec } from "../../src/pipeline.js";
import { vmlayout } from "../cli-helpers.js";

describe("tokens as long as the input", () => {
  // The patterns once repeated a group per character, which V8's regex engine backtracks
  // through with a stack entry each: a 9-million-character token threw a RangeError.
  const N = 9_000_000;
  it.each([
    ["string", `"${"x".repeat(N)}"`, "StringLiteral"],
    ["string of escapes", `"${"\\x".repeat(N / 2)}"`, "StringLiteral"],
    ["decimal", "1".repeat(N), "DecimalLiteral"],
    ["decimal with `_`", `${"1_".repeat(N / 2)}1.5`, "DecimalLiteral"],
    ["hex", `0x${"f".repeat(N)}`, "HexLiteral"],
  ])("%s: one token", (_, text, kind) => {
    const { tokens, groups } = lexer.tokenize(text);
    expect(tokens.map((t) => [t.tokenType.name, t.image.length])).toEqual([[kind, text.length]]);
    expect(groups["errors"] ?? []).toEqual([]);
  });

  it.each([
    ["block comment of `*`s", `/*${"*a".repeat(N / 2)}*/`, "comments", "BlockComment"],
    ["unclosed string", `"${"x".repeat(N)}\\`, "errors", "UnterminatedString"],
    ["unclosed string of escapes", `"${"\\x".repeat(N / 2)}`, "errors", "UnterminatedString"],
  ])("%s: one token in its group", (_, text, group, kind) => {
    const { tokens, groups } = lexer.tokenize(text);
    expect(tokens).toEqual([]);
    const found = groups[group]!.map((t) => [t.tokenType.name, t.image.length]);
    expect(found).toEqual([[kind, text.length]]);
  });

  it("strings and comments end where they did", () => {
    const images = (text: string) =>
      lexer.tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);
    expect(images('"a\\"b" "c\\\\" 1_000.5_0 0x1_f')).toEqual([
      'StringLiteral:"a\\"b"',
      'StringLiteral:"c\\\\"',
      "DecimalLiteral:1_000.5_0",
      "HexLiteral:0x1_f",
    ]);
    expect(images("1__0 1. 0x_1")).toEqual([
      "DecimalLiteral:1",
      "Identifier:__0",
      "DecimalLiteral:1",
      "Dot:.",
      "DecimalLiteral:0",
      "Identifier:x_1",
    ]);
    const open = lexer.tokenize('"ab\\\n"cd\n');
    expect(open.groups["errors"]!.map((t) => t.image)).toEqual(['"ab\\', '"cd']);
    expect(lexer.tokenize("/* a */ b */").groups["comments"]!.map((t) => t.image)).toEqual([
      "/* a */",
    ]);
  });
});

describe("the default limits refuse absurd work before doing it", () => {
  const HEAD = "layout t\npaging 4\nffff800000000000 +4KB z\n";
  /** The diagnostics of checking `text` in memory with the default limits. */
  const check = (text: string) =>
    checkSpec("generated.layout", { readFile: () => text }).diagnostics.map(
      (d) => `${d.code} ${d.message}`,
    );

  it.each([
    [
      "input past 4 MiB",
      "x".repeat(DEFAULT_LIMITS.input + 1),
      "input is too large (5 MiB, limit 4 MiB)",
    ],
    [
      "4 MiB of blank lines",
      HEAD + "\n".repeat(DEFAULT_LIMITS.input - 64),
      "input has more than 250000 tokens",
    ],
    [
      "4 MiB of short comments",
      HEAD + "//\n".repeat(1_300_000),
      "input has more than 250000 tokens",
    ],
    [
      "4 MiB of `;`",
      HEAD + ";".repeat(DEFAULT_LIMITS.input - 64),
      "input has more than 250000 tokens",
    ],
    [
      "nested repeats of regions",
      HEAD + "repeat 100000 { repeat 100000 { +4KB a } }",
      "repeat makes more than 10000 regions (at least 10000000001 in all)",
    ],
    [
      "a repeat of one region too many",
      HEAD + `repeat ${DEFAULT_LIMITS.regions} { +4KB a }`,
      "repeat makes more than 10000 regions (at least 10001 in all)",
    ],
    [
      "nested repeats of nothing",
      HEAD + "repeat 100000 { repeat 100000 { } }",
      "repeats expand to more than 100000 iterations (at least 10000100000)",
    ],
    [
      "a repeat of many statements",
      HEAD + `repeat 100 {\n${"repeat 1 { }\n".repeat(1001)}}`,
      "repeats expand to more than 100000 iterations (at least 200200)",
    ],
  ])("%s: one E0007", (_, text, message) => {
    const prefixes = check(text).map((d) => d.slice(0, `E0007 ${message}`.length));
    expect(prefixes).toEqual([`E0007 ${message}`]);
  });

  it("a repeat in a repeat whose count is computed: refused when the expansion gets there", () => {
    // The outer body makes no region the check up front can count: the 100th inner repeat
    // would pass the limit.
    const text = HEAD + "const n = 100\nrepeat 200 { repeat n { +4KB a } }";
    expect(check(text)).toEqual([
      "E0007 repeat makes more than 10000 regions (at least 10001 in all)",
    ]);
  });
});

describe("files too large to read", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-bounds-"));
  /** A sparse file: its size costs no disk. */
  const sparse = (name: string, bytes: number): string => {
    const file = path.join(dir, name);
    writeFileSync(file, "");
    truncateSync(file, bytes);
    return file;
  };
  const huge = sparse("huge.layout", 600 * 2 ** 20);

  it("a 600 MB spec: E0007 after reading the limit + 1 bytes, for check, build and include", () => {
    for (const args of [
      ["check", huge],
      ["build", huge, "--emit", "c"],
    ]) {
      const r = vmlayout(args);
      expect(r.stderr).toMatch(
        /error\[E0007\]: `\S*huge\.layout` is larger than the input limit \(4 MiB\)/,
      );
      expect(r.status).toBe(1);
    }
    const including = path.join(dir, "including.layout");
    writeFileSync(including, 'layout t\npaging 4\ninclude "huge.layout"\n');
    const r = vmlayout(["check", including]);
    expect(r.stderr).toMatch(
      /including\.layout:3:9: error\[E0007\]: `\S*huge\.layout` is larger than the input limit/,
    );
  });

  it("fmt: the same E0007, nothing written", () => {
    const r = vmlayout(["fmt", huge]);
    expect(r.stderr).toMatch(
      /error\[E0007\]: `\S*huge\.layout` is larger than the input limit \(4 MiB\)/,
    );
    expect(r.status).toBe(1);
    expect(statSync(huge).size).toBe(600 * 2 ** 20);
  });

  it("import: E0007 past the table limit, before the importer runs", () => {
    const table = sparse("table.md", DEFAULT_LIMITS.table * 3 + 1);
    const r = vmlayout(["import", table]);
    expect(r.stderr).toContain("is larger than the input limit (256 KiB)");
    expect(r.stderr).toContain("`--limit table=N`");
    expect(r.status).toBe(1);
    // Longer than the limit: refused before its rows are read.
    const text = path.join(dir, "long.md");
    writeFileSync(text, "| Start | End | Size |\n".repeat(DEFAULT_LIMITS.table / 16));
    expect(vmlayout(["import", text]).stderr).toContain("larger than the input limit (256 KiB)");
    expect(vmlayout(["import", text, "--limit", "table=1000000"]).stderr).toContain("E0501");
  });
});

describe("a diagnostic on a long line", () => {
  it("shows 200 columns around its mark, not the whole line (was: each one printed all of it)", () => {
    const line = "x".repeat(500_000) + "%" + "y".repeat(500_000);
    const sources = new SourceSet();
    sources.add("long.layout", `layout t\n${line}\n`);
    const at = "layout t\n".length + 500_000;
    const d = diagnostic("E0004", "invalid character `%`", {
      file: "long.layout",
      start: at,
      end: at + 1,
    });
    const shown = renderText([d], sources, { color: false }).split("\n");
    expect(shown[0]).toBe("long.layout:2:500001: error[E0004]: invalid character `%`");
    expect(shown[1]).toBe(`2 | ...${"x".repeat(20)}%${"y".repeat(179)}...`);
    expect(shown[2]).toBe(`  | ${" ".repeat(23)}^`);
  });
});
