/** Exit statuses, the usage error and helpers shared by the CLI commands. */
import type { Diagnostic } from "../diagnostics/diagnostic.js";

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

/**
 * `--variant` naming no variant of the spec (E0106) is a usage error, not an error in the
 * spec: the E0106 message and help on one line, or undefined.
 */
export function unknownVariant(diagnostics: readonly Diagnostic[]): string | undefined {
  const d = diagnostics.find((x) => x.code === "E0106");
  return d && `${d.message}; ${d.help}`;
}

export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly multiple?: boolean;
  readonly description: string;
}

export interface Command {
  readonly name: string;
  readonly synopsis: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly run: (
    values: Record<string, unknown>,
    positionals: readonly string[],
    context: CommandContext,
  ) => Promise<number>;
}
