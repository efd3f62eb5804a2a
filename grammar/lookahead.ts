/**
 * Chevrotain's LL(k) lookahead with the paths computed ahead of time.
 *
 * Building a parser computes, for every OR, OPTION and MANY, the token sequences that select
 * each alternative. That analysis is most of the cost of starting the CLI, and its result
 * depends only on the grammar, so scripts/gen-grammar.ts records it in
 * grammar/generated/lookahead.ts (token types by name) and the parser reads it from there.
 * A production missing from the table (the grammar changed, the table was not regenerated;
 * test/grammar/artifacts.test.ts fails then) is analysed as Chevrotain would, so the table can
 * make a start slow but never a parse wrong.
 *
 * The functions built from the paths decide as Chevrotain's own do: alternatives in order,
 * gates first, the first alternative with a matching path wins; when every path is one token
 * and there are no gates, a table from token type to alternative.
 */
import type {
  IOrAlt,
  IToken,
  LookaheadProductionType,
  LookaheadSequence,
  OptionalProductionType,
  Rule,
  TokenType,
} from "chevrotain";
import { EOF, LLkLookaheadStrategy, getLookaheadPaths } from "./chevrotain.js";

/** Paths by production key (`rule/Alternation/0`): per alternative, its token name paths. */
export type LookaheadTable = Readonly<Record<string, readonly (readonly (readonly string[])[])[]>>;

/** What a lookahead function is called on: the parser. */
interface Lookahead {
  LA(howMuch: number): IToken;
}

export class PrecomputedLookahead extends LLkLookaheadStrategy {
  /** Every production's paths as used, by key: what scripts/gen-grammar.ts writes out. */
  readonly used = new Map<string, LookaheadSequence[]>();
  private readonly types: ReadonlyMap<string, TokenType>;

  constructor(
    private readonly table: LookaheadTable,
    tokenTypes: readonly TokenType[],
  ) {
    super();
    this.types = new Map([...tokenTypes, EOF].map((t) => [t.name, t]));
  }

  override buildLookaheadForAlternation(options: {
    prodOccurrence: number;
    rule: Rule;
    maxLookahead: number;
    hasPredicates: boolean;
  }): (orAlts?: IOrAlt<unknown>[]) => number | undefined {
    const alts = this.paths(
      options.rule,
      "Alternation",
      options.prodOccurrence,
      options.maxLookahead,
    );
    return chooseAlternative(alts, options.hasPredicates);
  }

  override buildLookaheadForOptional(options: {
    prodOccurrence: number;
    prodType: OptionalProductionType;
    rule: Rule;
    maxLookahead: number;
  }): () => boolean {
    // [paths into the production, paths past it]: only the first decides.
    const [inside] = this.paths(
      options.rule,
      options.prodType,
      options.prodOccurrence,
      options.maxLookahead,
    );
    return enterOptional(inside!);
  }

  private paths(
    rule: Rule,
    prodType: LookaheadProductionType,
    occurrence: number,
    maxLookahead: number,
  ): LookaheadSequence[] {
    const key = `${rule.name}/${prodType}/${occurrence}`;
    const paths =
      this.fromTable(key) ?? getLookaheadPaths({ occurrence, rule, prodType, maxLookahead });
    this.used.set(key, paths);
    return paths;
  }

  private fromTable(key: string): LookaheadSequence[] | undefined {
    const alts = this.table[key];
    if (alts === undefined) return undefined;
    const out: LookaheadSequence[] = [];
    for (const alt of alts) {
      const paths: TokenType[][] = [];
      for (const path of alt) {
        const types: TokenType[] = [];
        for (const name of path) {
          const type = this.types.get(name);
          if (type === undefined) return undefined;
          types.push(type);
        }
        paths.push(types);
      }
      out.push(paths);
    }
    return out;
  }
}

/** The table's form of `used`: token type names. */
export function lookaheadTable(used: ReadonlyMap<string, LookaheadSequence[]>): LookaheadTable {
  const table: Record<string, string[][][]> = {};
  for (const [key, alts] of [...used].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    table[key] = alts.map((paths) => paths.map((path) => path.map((t) => t.name)));
  return table;
}

/**
 * A path as tables: `accepts[i][idx]` when a token of type index `idx` matches the path's
 * `i`-th type, itself or one of the token types in its category.
 */
type CompiledPath = readonly (readonly boolean[])[];

function compilePath(path: readonly TokenType[]): CompiledPath {
  return path.map((type) => {
    const accepts: boolean[] = [];
    for (const index of [type.tokenTypeIdx!, ...(type.categoryMatches ?? [])])
      accepts[index] = true;
    return accepts;
  });
}

function pathMatches(parser: Lookahead, path: CompiledPath): boolean {
  for (let i = 0; i < path.length; i++)
    if (path[i]![parser.LA(i + 1).tokenTypeIdx] !== true) return false;
  return true;
}

function chooseAlternative(
  alts: LookaheadSequence[],
  hasPredicates: boolean,
): (this: Lookahead, orAlts?: IOrAlt<unknown>[]) => number | undefined {
  if (!hasPredicates && alts.every((paths) => paths.every((path) => path.length === 1))) {
    // One token decides: the first alternative that token (or a category of it) starts.
    const choice: number[] = [];
    alts.forEach((paths, alt) => {
      for (const [type] of paths)
        for (const index of [type!.tokenTypeIdx!, ...(type!.categoryMatches ?? [])])
          choice[index] ??= alt;
    });
    return function (this: Lookahead) {
      return choice[this.LA(1).tokenTypeIdx];
    };
  }
  const compiled = alts.map((paths) => paths.map(compilePath));
  return function (this: Lookahead, orAlts?: IOrAlt<unknown>[]) {
    for (let alt = 0; alt < compiled.length; alt++) {
      const gate = hasPredicates ? orAlts![alt]!.GATE : undefined;
      if (gate !== undefined && !gate.call(this)) continue;
      const paths = compiled[alt]!;
      for (let j = 0; j < paths.length; j++) if (pathMatches(this, paths[j]!)) return alt;
    }
    return undefined;
  };
}

function enterOptional(paths: TokenType[][]): (this: Lookahead) => boolean {
  if (paths.every((path) => path.length === 1)) {
    // One token decides: the types that start the production, as one table.
    const accepts = compilePath(paths.flat());
    const starts: boolean[] = [];
    for (const table of accepts) table.forEach((yes, index) => (starts[index] = yes));
    return function (this: Lookahead) {
      return starts[this.LA(1).tokenTypeIdx] === true;
    };
  }
  const compiled = paths.map(compilePath);
  return function (this: Lookahead) {
    for (let j = 0; j < compiled.length; j++) if (pathMatches(this, compiled[j]!)) return true;
    return false;
  };
}
