/** Exit statuses, the usage error and helpers shared by the CLI commands. */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;

/** A usage or I/O problem: printed as `vmlayout <command>: message`, exit 2. */
export class UsageError extends Error {}

export interface CommandContext {
  readonly version: string;
  /** Colour diagnostics (`--color`, FORCE_COLOR, NO_COLOR, stderr a terminal). */
  readonly color: boolean;
}

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  readonly description: string;
}

/** What a command does with its options and positionals; resolves to the exit status. */
export type Run = (
  values: Record<string, unknown>,
  positionals: readonly string[],
  context: CommandContext,
) => Promise<number>;

export interface Command {
  readonly name: string;
  readonly synopsis: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly run: Run;
}

/** The one spec `command` takes (`vmlayout build <spec> ...`); a usage error otherwise. */
export function onlySpec(command: string, positionals: readonly string[]): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one spec`);
  return positionals[0]!;
}
