#!/usr/bin/env node
/**
 * The `vmlayout` command: a thin shell over the pipeline stages. Exit status: 0 clean,
 * 1 the input has errors (diagnostics printed), 2 usage or I/O error. Diagnostics go to
 * stderr; colour only on a terminal and never when NO_COLOR is set.
 */
import module from "node:module";
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { commands, type Command } from "./commands.js";
import { EXIT_OK, EXIT_USAGE, UsageError } from "./common.js";

// Node 22.1+ keeps the compiled code of the modules loaded from here on between runs: a large
// part of a cold start. Earlier versions do not have it.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
  return pkg.version as string;
}

function usage(): string {
  const width = Math.max(...commands.map((c) => c.synopsis.length));
  return [
    "vmlayout: compile, verify and install virtual address-space layouts",
    "",
    "usage: vmlayout <command> [options]",
    "",
    ...commands.map((c) => `  ${c.synopsis.padEnd(width)}  ${c.summary}`),
    "",
    "  vmlayout --help | -h        this text; `vmlayout <command> --help` for one command",
    "  vmlayout --version",
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

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
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
    process.stderr.write(`vmlayout: unknown command \`${name}\`\n\n${usage()}`);
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
      color: !!process.stderr.isTTY && process.env.NO_COLOR === undefined,
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
