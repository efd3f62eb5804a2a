/**
 * Chevrotain, loaded from its single-file ESM bundle. The package's entry point is a tree of
 * ~700 modules (mostly lodash-es) that costs ~0.3 s at every CLI start; the bundle is the same
 * code in one file. The package exports only its entry point, so the bundle is found next to
 * it. Types still come from "chevrotain". Every runtime use of Chevrotain goes through here,
 * so there is one copy of it in a process.
 */
import type * as Api from "chevrotain";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const entry = pathToFileURL(createRequire(import.meta.url).resolve("chevrotain")); // <package>/lib/src/api.js
const chevrotain = (await import(new URL("../chevrotain.mjs", entry).href)) as typeof Api;

export const {
  Alternation,
  Alternative,
  NonTerminal,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionMandatoryWithSeparator,
  RepetitionWithSeparator,
  Terminal,
  CstParser,
  EOF,
  LLkLookaheadStrategy,
  Lexer,
  createSyntaxDiagramsCode,
  createToken,
  createTokenInstance,
  generateCstDts,
  getLookaheadPaths,
  tokenMatcher,
} = chevrotain;
