/**
 * Chevrotain, through its public entry point (bundlers, Yarn PnP and `require` of this package
 * follow it). Every runtime use of Chevrotain goes through here. The CLI's cold start does not
 * pay for the entry point's ~700 modules: the package's `bin` is a one-file bundle
 * (scripts/bundle.ts).
 */
export {
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
} from "chevrotain";
