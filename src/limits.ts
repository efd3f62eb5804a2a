/**
 * Resource limits: an input that asks for absurd work gets a diagnostic, quickly, instead of a
 * hang or exhausted memory. Each limit can be changed for one run: `--limit NAME=VALUE` on the
 * command line (names as in `LIMIT_NAMES`), `limits` in the library's options.
 */
export interface Limits {
  /**
   * Size of one spec: bytes of a file read (of any input file), UTF-16 code units of a text
   * parsed; also of a spec and its includes spliced together (E0007).
   */
  readonly input: number;
  /** Files spliced into one spec by `include`, each counted each time it is included (E0007). */
  readonly includes: number;
  /** Tokens of one spec file, comments and line ends included (E0007). */
  readonly tokens: number;
  /** Depth of nested brackets and braces (E0008). */
  readonly nesting: number;
  /** Regions, repeats expanded (E0007). */
  readonly regions: number;
  /** The count of one `repeat` (E0115). */
  readonly repeat: number;
  /**
   * Steps of repeat expansion: each iteration counts the statements of its body (at least one),
   * nested repeats multiplied out (E0007).
   */
  readonly iterations: number;
  /** Diagnostics reported per spec; the last one says how many more there were. */
  readonly diagnostics: number;
  /** Page-table frames one installation may allocate (E0411). */
  readonly tableFrames: number;
  /** Characters of the table file `import` reads (E0007). */
  readonly table: number;
}

export const DEFAULT_LIMITS: Limits = {
  input: 4 * 1024 * 1024,
  includes: 10_000,
  tokens: 250_000,
  nesting: 64,
  regions: 10_000,
  repeat: 100_000,
  iterations: 100_000,
  diagnostics: 200,
  tableFrames: 65_536,
  table: 256 * 1024,
};

/** Command-line names: `--limit table-frames=1M`. */
export const LIMIT_NAMES: Readonly<Record<string, keyof Limits>> = {
  input: "input",
  includes: "includes",
  tokens: "tokens",
  nesting: "nesting",
  regions: "regions",
  repeat: "repeat",
  iterations: "iterations",
  diagnostics: "diagnostics",
  "table-frames": "tableFrames",
  table: "table",
};

/** The defaults with `changes` applied. */
export function withLimits(changes: Partial<Limits> | undefined): Limits {
  return changes === undefined ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, ...changes };
}

/** `n` (bytes or characters) in KiB below 1 MiB, else in MiB, rounded up: `512 KiB`, `5 MiB`. */
export const roughSize = (n: number): string =>
  n <= 2 ** 20 ? `${Math.ceil(n / 2 ** 10)} KiB` : `${Math.ceil(n / 2 ** 20)} MiB`;
