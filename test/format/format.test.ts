/**
 * The formatter as a library (src/format): `formatSpec` prints the bytes the Prettier plugin
 * prints (the plugin's tests hold the goldens), lays a spec out as a tree of lines, and
 * returns the coded errors of a spec with syntax errors instead of text.
 */
import { describe, expect, it } from "vitest";
import { formatSpec, layOut, prepareSpec, type Entry } from "../../src/format/index.js";
import { format, formatterTexts, readSpec, SPECS } from "../prettier/helpers.js";

/** The committed specs and the fixtures' inputs, with the fixture's options. */
const INPUTS = formatterTexts("input");

const OPTION_SETS = [{}, { printWidth: 40 }, { useTabs: true, tabWidth: 4 }, { printWidth: 200 }];

describe("formatSpec", () => {
  for (const [name, text, options] of INPUTS)
    it(`prints the Prettier plugin's bytes: ${name}`, async () => {
      for (const extra of OPTION_SETS) {
        const all = { ...options, ...extra };
        const formatted = formatSpec(text, all);
        expect(formatted.diagnostics).toEqual([]);
        expect(formatted.value, JSON.stringify(all)).toBe(await format(text, all));
      }
    });

  it("reads CRLF line ends as LF", () => {
    const text = readSpec(SPECS[0]!);
    expect(formatSpec(text.replace(/\n/g, "\r\n")).value).toBe(text);
  });

  it("gives no text for a spec with a syntax error, and its coded errors", () => {
    const formatted = formatSpec("layout x\n0 +1TB foo {\n  perm rw\n", { path: "bad.layout" });
    expect(formatted.value).toBeUndefined();
    expect(formatted.diagnostics.map((d) => [d.code, d.span?.file, d.span?.start])).toEqual([
      ["E0001", "bad.layout", 20],
    ]);
  });
});

describe("layOut", () => {
  const laidOut = (text: string) => layOut(prepareSpec(text).value!);
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
    const tree = laidOut(text);
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
    const [, starred, other] = laidOut(text).entries;
    expect(starred).toMatchObject({
      type: "comment",
      lines: ["/* a", " * b", " */"],
      reindented: true,
    });
    expect(other).toMatchObject({ type: "comment", lines: ["/* c", "   d */"], reindented: false });
  });
});
