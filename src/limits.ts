/**
 * Resource limits: an input that asks for absurd work gets a diagnostic, quickly, instead of a
 * hang or exhausted memory. Each limit can be changed for one run: `--limit NAME=VALUE` on the
 * command line (names as in `LIMIT_NAMES`), `limits` in the library's options.
 */
export interface Limits {
  /** Characters (UTF-16 code units) of one spec file (E0007). */
  readonly input: number;
  /** Tokens of one spec file, comments and line ends included (E0007). */
  readonly tokens: number;
  /** Depth of nested brackets and braces (E0008). */
  readonly nesting: number;
  /** Regions, repeats expanded (E0007). */
  readonly regions: number;
  /** The count of one `repeat` (E0115). */
  readonly repeat: number;
  /** Iterations of all repeats together, nested ones multiplied out (E0007). */
  readonly iterations: number;
  /** Diagnostics reported per spec; the last one says how many more there were. */
  readonly diagnostics: number;
  /** Page-table frames one installation may allocate (E0411). */
  readonly tableFrames: number;
}

export const DEFAULT_LIMITS: Limits = {
  input: 4 * 1024 * 1024,
  tokens: 250_000,
  nesting: 64,
  regions: 10_000,
  repeat: 100_000,
  iterations: 100_000,
  diagnostics: 200,
  tableFrames: 65_536,
};

/** Command-line names: `--limit table-frames=1M`. */
export const LIMIT_NAMES: Readonly<Record<string, keyof Limits>> = {
  input: "input",
  tokens: "tokens",
  nesting: "nesting",
  regions: "regions",
  repeat: "repeat",
  iterations: "iterations",
  diagnostics: "diagnostics",
  "table-frames": "tableFrames",
};

/** The defaults with `changes` applied. */
export function withLimits(changes: Partial<Limits> | undefined): Limits {
  return changes === undefined ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, ...changes };
}
