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
 * The parser checks the spec (a syntax error is thrown as a SyntaxError with `loc`, which
 * Prettier reports with a code frame, and with the coded `diagnostics`); the printer lays the
 * spec out as src/format describes. Options used: `printWidth` (default 100 for specs),
 * `tabWidth`, `useTabs`.
 * Nothing here is imported from Prettier at run time.
 */
import type { Parser, Plugin, Printer, SupportLanguage } from "prettier";
import { prepareSpec, printSpec, type PreparedSpec } from "../format/index.js";

export { formatSpec, SpecSyntaxError, type FormatOptions } from "../format/index.js";

/** The whole file is one node: the printer works from its tokens and statement spans. */
export interface SpecRoot {
  readonly type: "vmlayout-file";
  readonly start: number;
  readonly end: number;
  readonly spec: PreparedSpec;
}

export const languages: SupportLanguage[] = [
  {
    name: "vmlayout",
    parsers: ["vmlayout"],
    extensions: [".layout"],
    vscodeLanguageIds: ["vmlayout"],
  },
];

const parser: Parser<SpecRoot> = {
  astFormat: "vmlayout",
  parse: (text, options) => ({
    type: "vmlayout-file",
    start: 0,
    end: text.length,
    spec: prepareSpec(text, options.filepath ?? "<input>"),
  }),
  locStart: (node) => node.start,
  locEnd: (node) => node.end,
};

export const parsers = { vmlayout: parser };

const printer: Printer<SpecRoot> = {
  print: (path, options) =>
    printSpec(path.node.spec, {
      printWidth: options.printWidth,
      tabWidth: options.tabWidth,
      useTabs: options.useTabs,
      path: options.filepath ?? "<input>",
    }),
  // One node, no children to visit (and no `comments` property for Prettier to attach).
  getVisitorKeys: () => [],
};

export const printers = { vmlayout: printer };

/**
 * A spec's region lines are table rows, wider than code: 100 columns unless the Prettier
 * configuration says otherwise (so a spec formats the same with or without a `.prettierrc`).
 */
export const defaultOptions = { printWidth: 100 };

const plugin = { languages, parsers, printers, defaultOptions } satisfies Plugin<SpecRoot>;
export default plugin;
