/**
 * Prettier plugin for vmlayout specs (`*.layout`), published as `vmlayout/prettier`:
 *
 *     // .prettierrc.json
 *     { "plugins": ["vmlayout/prettier"] }
 *
 * or programmatically:
 *
 *     import * as prettier from "prettier";
 *     import vmlayout from "vmlayout/prettier";
 *     await prettier.format(text, { parser: "vmlayout", plugins: [vmlayout] });
 *
 * It adapts the formatter (src/format) to Prettier. The parser checks the spec (a syntax
 * error is thrown as a SyntaxError with `loc`, which Prettier reports with a code frame, and
 * with the coded `diagnostics`) and hands Prettier the formatter's tree of lines: the file,
 * statements, their bodies, own-line comments, blank lines, statements under
 * `prettier-ignore` (tree.ts); print.ts prints it as a Doc. Comments are nodes of that tree,
 * attached by the formatter (src/format/comments.ts), so the tree has no `comments` for
 * Prettier's own attachment. Options used: `printWidth` (default 100 for specs), `tabWidth`,
 * `useTabs`. Nothing here is imported from Prettier at run time (doc.ts says why).
 */
import type { Parser, Plugin, Printer, SupportLanguage } from "prettier";
import { formatPrepared, prepareSpec, type FormatNode } from "../format/index.js";
import { getVisitorKeys, print } from "./print.js";
import { SpecSyntaxError } from "./syntax-error.js";

export { formatSpec, type FormatOptions } from "../format/index.js";
export { SpecSyntaxError };

export const languages: SupportLanguage[] = [
  {
    name: "vmlayout",
    parsers: ["vmlayout"],
    extensions: [".layout"],
    vscodeLanguageIds: ["vmlayout"],
  },
];

const parser: Parser<FormatNode> = {
  astFormat: "vmlayout",
  // The formatter's self-check runs here, on its text with these options: the Doc printed
  // from the tree is the same text.
  parse: (text, options) => {
    const path = options.filepath ?? "<input>";
    const prepared = prepareSpec(text, path);
    if (prepared.value === undefined) throw new SpecSyntaxError(prepared.diagnostics, text);
    return formatPrepared(prepared.value, {
      printWidth: options.printWidth,
      tabWidth: options.tabWidth,
      useTabs: options.useTabs,
      path,
    }).tree;
  },
  locStart: (node) => node.start,
  locEnd: (node) => node.end,
};

export const parsers = { vmlayout: parser };

/**
 * For `prettier --debug-check`, which compares the trees of the input and of its formatting:
 * the same once the source spans are left out, since the tree holds the formatted text.
 */
const massageAstNode = Object.assign(() => undefined, {
  ignoredProperties: new Set(["start", "end"]),
});

const printer: Printer<FormatNode> = { print, getVisitorKeys, massageAstNode };

export const printers = { vmlayout: printer };

/**
 * A spec's region lines are table rows, wider than code: 100 columns unless the Prettier
 * configuration says otherwise (so a spec formats the same with or without a `.prettierrc`).
 */
export const defaultOptions = { printWidth: 100 };

const plugin = { languages, parsers, printers, defaultOptions } satisfies Plugin<FormatNode>;
export default plugin;
