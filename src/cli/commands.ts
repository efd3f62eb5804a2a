/**
 * The declared table of subcommands and their options. Each command's implementation is
 * imported lazily, so `vmlayout check` does not pay for the emitters or the runtime.
 */
import type { CommandContext } from "./common.js";

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

const variant: OptionSpec = { type: "string", description: "only this variant of the spec" };

export const commands: readonly Command[] = [
  {
    name: "check",
    synopsis: "check <spec>... [--variant V] [--format text|json|sarif] [--deny-warnings]",
    summary: "parse and verify specs; print diagnostics",
    options: {
      variant,
      format: { type: "string", description: "diagnostics as text (default), json or sarif" },
      "deny-warnings": { type: "boolean", description: "treat warnings as errors" },
    },
    run: async (v, p, c) => (await import("./check.js")).runCheck(v, p, c),
  },
  {
    name: "build",
    synopsis: "build <spec> --emit json [-o FILE] [--variant V] [--check]",
    summary: "generate an artefact from a verified spec",
    options: {
      emit: { type: "string", description: "what to generate: json" },
      output: { type: "string", short: "o", description: "write to FILE (atomically) instead of stdout" },
      variant,
      check: { type: "boolean", description: "compare with FILE; exit 1 if it is stale; never write" },
      "deny-warnings": { type: "boolean", description: "treat warnings as errors" },
    },
    run: async (v, p, c) => (await import("./build.js")).runBuild(v, p, c),
  },
  {
    name: "explain",
    synopsis: "explain [CODE]",
    summary: "print the long explanation of a diagnostic code (all codes without one)",
    options: {},
    run: async (_v, p) => (await import("./explain.js")).runExplain(p),
  },
];
