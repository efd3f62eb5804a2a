/**
 * What Prettier sees: a tree of nodes (the file, statements, their bodies, own-line comments,
 * blank lines), each with its source span, printed as a Doc of indents and line breaks.
 */
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import type { FormatNode } from "../../src/format/index.js";
import plugin, { SpecSyntaxError } from "../../src/prettier/index.js";

const TEXT = `layout t


// regions
0 +1TB heap { perm rw; user }
0x10000000000 +1TB stacks {
// one
+4KB guard g }
`;

async function tree(text: string): Promise<FormatNode> {
  const options = { printWidth: 100, tabWidth: 2, useTabs: false, filepath: "t.layout" };
  return plugin.parsers.vmlayout.parse(text, options as prettier.ParserOptions<FormatNode>);
}

/** Every node Prettier visits, as `type [start, end)`, depth first. */
function visit(node: FormatNode, depth = 0): string[] {
  const printer = plugin.printers.vmlayout;
  const children = printer.getVisitorKeys!(node, new Set()).flatMap((key) => {
    const child = (node as unknown as Record<string, FormatNode | FormatNode[]>)[key]!;
    return Array.isArray(child) ? child : [child];
  });
  return [
    `${"  ".repeat(depth)}${node.type} ${JSON.stringify(TEXT.slice(node.start, node.end))}`,
    ...children.flatMap((c) => visit(c, depth + 1)),
  ];
}

describe("the Prettier plugin", () => {
  it("parses to a tree of statements, bodies, comments and blank lines with their spans", async () => {
    expect(visit(await tree(TEXT))).toEqual([
      `file ${JSON.stringify(TEXT)}`,
      '  statement "layout t"',
      '  blank "\\n\\n\\n"',
      '  comment "// regions"',
      '  statement "0 +1TB heap { perm rw; user }"',
      '    body " perm rw; user "',
      '      statement "perm rw"',
      '      statement "user"',
      '  statement "0x10000000000 +1TB stacks {\\n// one\\n+4KB guard g }"',
      '    body "\\n// one\\n+4KB guard g "',
      '      comment "// one"',
      '      statement "+4KB guard g"',
    ]);
  });

  it("prints a body as an indented block of hard lines", async () => {
    // `__debug` is Prettier's internal entry point; its types do not declare it.
    const debug = (prettier as unknown as { __debug: { printToDoc: typeof prettier.format } })
      .__debug;
    const doc = await debug.printToDoc(TEXT, { parser: "vmlayout", plugins: [plugin] });
    const json = JSON.stringify(doc);
    expect(json).toContain('"type":"indent"');
    expect(json).toContain('"hard":true');
    expect(await prettier.format(TEXT, { parser: "vmlayout", plugins: [plugin] })).toBe(
      [
        "layout t",
        "",
        "// regions",
        "0             +1TB  heap { perm rw; user }",
        "0x10000000000 +1TB  stacks {",
        "  // one",
        "  +4KB  guard g",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("throws a syntax error as Prettier expects: a SyntaxError with `loc` and the coded errors", async () => {
    const text = "layout x\n0 +1TB foo {\n  perm rw\n";
    const error = await tree(text).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SpecSyntaxError);
    const syntax = error as SpecSyntaxError;
    expect(syntax.name).toBe("SyntaxError");
    expect(syntax.message).toBe("`{` is never closed [E0001] (2:12)");
    expect(syntax.loc).toEqual({ start: { line: 2, column: 12 }, end: { line: 2, column: 13 } });
    expect(syntax.diagnostics.map((d) => [d.code, d.span?.file])).toEqual([["E0001", "t.layout"]]);
  });
});
