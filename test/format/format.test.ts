/**
 * The formatter as a library (src/format): `formatSpec` prints the bytes the Prettier plugin
 * prints (the plugin's tests hold the goldens), lays a spec out as a tree of lines, and
 * refuses a spec with syntax errors with its coded diagnostics.
 */
import { describe, expect, it } from "vitest";
import {
  formatSpec,
  layOut,
  prepareSpec,
  SpecSyntaxError,
  type Entry,
} from "../../src/format/index.js";
import { format, formatterTexts, readSpec, SPECS } from "../prettier/helpers.js";

/** The committed specs and the fixtures' inputs, with the fixture's options. */
const INPUTS = formatterTexts("input");

const OPTION_SETS = [{}, { printWidth: 40 }, { useTabs: true, tabWidth: 4 }, { printWidth: 200 }];

describe("formatSpec", () => {
  for (const [name, text, options] of INPUTS)
    it(`prints the Prettier plugin's bytes: ${name}`, async () => {
      for (const extra of OPTION_SETS) {
        const all = { ...options, ...extra };
        expect(formatSpec(text, all), JSON.stringify(all)).toBe(await format(text, all));
      }
    });

  it("reads CRLF line ends as LF", () => {
    const text = readSpec(SPECS[0]!);
    expect(formatSpec(text.replace(/\n/g, "\r\n"))).toBe(text);
  });

  it("refuses a spec with a syntax error: coded diagnostics, and Prettier's 1-based location", () => {
    const text = "layout x\n0 +1TB foo {\n  perm rw\n";
    let error: unknown;
    try {
      formatSpec(text, { path: "bad.layout" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecSyntaxError);
    const syntax = error as SpecSyntaxError;
    expect(syntax.diagnostics.map((d) => d.code)).toEqual(["E0001"]);
    expect(syntax.diagnostics[0]!.span?.file).toBe("bad.layout");
    expect(syntax.loc.start).toEqual({ line: 2, column: 12 });
    expect(syntax.message).toBe("`{` is never closed [E0001] (2:12)");
  });
});

describe("layOut", () => {
  const shape = (entries: readonly Entry[]): unknown[] =>
    entries.map((e) =>
      e.type === "statement" && e.body
        ? { [e.header]: shape(e.body.entries), oneLine: e.body.oneLine }
        : e.type === "statement"
          ? e.header
          : e.type === "comment"
            ? e.lines.join("|")
            : e.type === "verbatim"
              ? { verbatim: e.lines }
              : e.type,
    );

  it("gives the file's lines: statements with bodies, own-line comments, blank lines, verbatim statements", () => {
    const text = [
      "layout t // the name",
      "",
      "",
      "// regions",
      "0 +4KB guard g",
      "0x1000   +1MB heap { perm rw ; user }",
      "/* prettier-ignore */",
      "0x200000   +1MB  kept",
      "0x300000 ..< 0x400000 big {",
      "  perm rw",
      "}",
    ].join("\n");
    const tree = layOut(prepareSpec(text));
    expect(tree).toMatchObject({ type: "file", start: 0, end: text.length });
    expect(tree.entries[0]).toMatchObject({ type: "statement", trailing: " // the name" });
    expect(shape(tree.entries)).toEqual([
      "layout t",
      "blank",
      "// regions",
      // One table: the kinds padded, the size glued to its `+`, the ignored line left alone.
      "0        +4KB          guard g",
      { "0x1000   +1MB          heap": ["perm rw", "user"], oneLine: "perm rw; user" },
      "/* prettier-ignore */",
      { verbatim: ["0x200000   +1MB  kept"] },
      { "0x300000 ..< 0x400000  big": ["perm rw"], oneLine: undefined },
    ]);
  });

  it("re-indents a block comment whose lines start with `*`, and keeps other comments' lines", () => {
    const text = "layout t\n/* a\n       * b\n       */\n/* c\n   d */\n";
    const [, starred, other] = layOut(prepareSpec(text)).entries;
    expect(starred).toMatchObject({
      type: "comment",
      lines: ["/* a", " * b", " */"],
      reindented: true,
    });
    expect(other).toMatchObject({ type: "comment", lines: ["/* c", "   d */"], reindented: false });
  });
});
