#!/usr/bin/env node
/**
 * The `vmlayout` command: a thin shell over the pipeline stages. Exit status: 0 clean,
 * 1 the input has errors (diagnostics printed), 2 usage or I/O error. Diagnostics go to
 * stderr, coloured as `--color auto|always|never` says (anywhere on the line; default auto:
 * with FORCE_COLOR, else not with NO_COLOR, else when stderr is a terminal).
 */
import module from "node:module";
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { commands } from "./commands.js";
import { closest } from "../diagnostics/suggest.js";
import { type Command, EXIT_OK, EXIT_USAGE, UsageError } from "./common.js";

// Node 22.1+ keeps the compiled code of the modules loaded from here on between runs: a large
// part of a cold start. Earlier versions do not have it.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
  return pkg.version as string;
}

/** Each command's synopsis, its summary indented below it (synopses are long). */
function usage(): string {
  return [
    "vmlayout: compile, verify and install virtual address-space layouts",
    "",
    "usage: vmlayout <command> [options]",
    "",
    ...commands.flatMap((c) => [`  ${c.synopsis}`, `      ${c.summary}`]),
    "",
    "  vmlayout --help | -h        this text; `vmlayout <command> --help` for one command",
    "  vmlayout --version",
    "  --color auto|always|never   colour diagnostics (auto: FORCE_COLOR, NO_COLOR, a terminal)",
    "",
    "exit status: 0 clean, 1 the input has errors, 2 usage or I/O error",
    "",
  ].join("\n");
}

function commandHelp(c: Command): string {
  const lines = [`usage: vmlayout ${c.synopsis}`, "", c.summary, ""];
  for (const [name, o] of Object.entries(c.options)) {
    const flag = `--${name}${o.short ? `, -${o.short}` : ""}${o.type === "string" ? " VALUE" : ""}`;
    lines.push(`  ${flag.padEnd(24)} ${o.description}`);
  }
  return lines.join("\n") + "\n";
}

const SHORT_USAGE = "usage: vmlayout <command> [options]; `vmlayout --help` lists the commands";

/** Whether to colour stderr: `--color`, else FORCE_COLOR (not `0`/`false`), NO_COLOR, a TTY. */
function colorWanted(choice: string | undefined): boolean {
  if (choice === "always") return true;
  if (choice === "never") return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  if (process.env.NO_COLOR) return false;
  return !!process.stderr.isTTY;
}

/** Takes `--color WHEN` / `--color=WHEN` out of `argv` (it applies to every command). */
function takeColor(argv: readonly string[]): { args: string[]; color: string | undefined } {
  const args: string[] = [];
  let color: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i));
      break;
    }
    if (a === "--color") color = argv[++i] ?? "";
    else if (a.startsWith("--color=")) color = a.slice("--color=".length);
    else args.push(a);
  }
  if (color !== undefined && !["auto", "always", "never"].includes(color))
    throw new UsageError(
      color === ""
        ? "option `--color` needs a value: auto, always or never"
        : `unknown --color \`${color}\`; use auto, always or never`,
    );
  return { args, color };
}

export async function main(argv: readonly string[]): Promise<number> {
  let taken;
  try {
    taken = takeColor(argv);
  } catch (e) {
    process.stderr.write(`vmlayout: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  const color = colorWanted(taken.color);
  const [name, ...rest] = taken.args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === "--version" || name === "-V") {
    process.stdout.write(version() + "\n");
    return EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const near = closest(
      name,
      commands.map((c) => c.name),
    );
    const hint = near ? `; did you mean \`${near}\`?` : "";
    process.stderr.write(`vmlayout: unknown command \`${name}\`${hint}\n${SHORT_USAGE}\n`);
    return EXIT_USAGE;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(commandHelp(command));
    return EXIT_OK;
  }
  try {
    const options = Object.fromEntries(
      Object.entries(command.options).map(([k, o]) => [
        k,
        { type: o.type, multiple: o.multiple ?? false, ...(o.short ? { short: o.short } : {}) },
      ]),
    );
    // A negative address (`-2GB`, `-0x1000`) is a value, not an option: hide it from
    // parseArgs and put it back afterwards, in place.
    const negatives: string[] = [];
    const args = rest.map((a) => (/^-[0-9.]/.test(a) ? `\0${negatives.push(a) - 1}` : a));
    const restore = (v: unknown): unknown =>
      typeof v === "string" && v.startsWith("\0")
        ? negatives[Number(v.slice(1))]
        : Array.isArray(v)
          ? v.map(restore)
          : v;
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    const values = Object.fromEntries(
      Object.entries(parsed.values).map(([k, v]) => [k, restore(v)]),
    );
    return await command.run(values, parsed.positionals.map(restore) as string[], {
      version: version(),
      color,
    });
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(
        `vmlayout ${name}: ${usageMessage(name, e as Error & { code?: string })}\n`,
      );
      return EXIT_USAGE;
    }
    throw e;
  }
}

/** parseArgs' messages, shortened: the option in backticks and where the options are listed. */
function usageMessage(command: string, e: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(e.message)?.[1];
  if (option === undefined) return e.message;
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
    return `unknown option \`${option}\` (\`vmlayout ${command} --help\` lists the options)`;
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
    return `option \`${option}\` ${/missing/.test(e.message) ? "needs a value" : "takes no value"}`;
  return e.message;
}

// A closed pipe (`vmlayout explain | head`) ends the output quietly, as Unix tools do; any
// other failure to write (ENOSPC on /dev/full) is an I/O error, said in one line if stderr can.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    if (stream === process.stdout)
      process.stderr.write(`vmlayout: cannot write to stdout: ${e.message}\n`);
    process.exit(EXIT_USAGE);
  });

const code = await main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(
    `vmlayout: internal error (please report): ${(e as Error)?.stack ?? String(e)}\n`,
  );
  return EXIT_USAGE;
});
process.exitCode = code;
