/** Exit statuses and the usage error shared by the CLI commands. */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;

/** A usage or I/O problem: printed as `vmlayout <command>: message`, exit 2. */
export class UsageError extends Error {}

export interface CommandContext {
  readonly version: string;
  /** Colour diagnostics (stderr is a terminal and NO_COLOR is unset). */
  readonly color: boolean;
}
