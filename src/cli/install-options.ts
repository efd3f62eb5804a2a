/**
 * The options `install`, `translate` and `dump` share: which layout to install and the boot
 * parameters to install it with. Numbers are read as the spec language writes them
 * (numbers.ts).
 *
 * Only the option table is loaded with the command table; the parser and the pipeline are
 * imported when a command runs.
 */
import type { Layout } from "../model/layout.js";
import type { Checked } from "../pipeline.js";
import type { Installation } from "../runtime/install.js";
import type { BootParams } from "../runtime/install-plan.js";
import type { RamRange } from "../runtime/ram.js";
import type { OptionSpec } from "./common.js";
import { EXIT_ERRORS, UsageError, unknownVariant, type CommandContext } from "./common.js";
import { type NumberParser, numberParser } from "./numbers.js";

/** Declared options, shared by the three commands. */
export const INSTALL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  variant: {
    type: "string",
    description: "the variant to install (required when the spec has several)",
  },
  param: {
    type: "string",
    multiple: true,
    description: "NAME=VALUE: a parameter's value on this boot (repeatable)",
  },
  ram: {
    type: "string",
    description:
      "RAM: a size from physical 0 (`4GB`, the default) or ranges `A..<B,C..D` with holes between",
  },
  load: {
    type: "string",
    description: "ADDR: physical load address of the kernel (relocates `map phys`)",
  },
  "kaslr-seed": {
    type: "string",
    description: "N: randomise the KASLR groups as Linux does, seeded with N",
  },
  process: {
    type: "string",
    description: "N: build N process address spaces and use process N's (default: the kernel's)",
  },
};

/** `--ram`: a size, or comma-separated ranges `A..B` (inclusive) / `A..<B` (half-open). */
export function parseRam(text: string, parseNumber: NumberParser): bigint | RamRange[] {
  if (!text.includes("..")) return parseNumber(text, "--ram", "size");
  return text.split(",").map((part) => {
    const half = part.includes("..<");
    const [a, b] = part.split(half ? "..<" : "..");
    if (a === undefined || b === undefined || b.includes("..")) {
      throw new UsageError(`--ram range \`${part}\` is not \`START..END\` or \`START..<END\``);
    }
    const start = parseNumber(a.trim(), "--ram start", "size");
    const end = parseNumber(b.trim(), "--ram end", "size") + (half ? 0n : 1n);
    return { start, end };
  });
}

export interface Prepared {
  readonly checked: Checked;
  readonly layout: Layout;
  readonly installation: Installation;
  /** The address space selected with `--process` (0: the kernel's). */
  readonly process: number;
  /** The boot parameters used. */
  readonly boot: BootParams;
}

/**
 * Checks the spec, picks the variant, reads the boot parameters and installs. Returns the exit
 * status instead when the spec or the installation has errors (diagnostics printed).
 */
export async function prepareInstall(
  values: Record<string, unknown>,
  spec: string,
  context: CommandContext,
): Promise<Prepared | number> {
  const { limitsFrom } = await import("./limits.js");
  const limits = await limitsFrom(values);
  const boot = {
    ...bootParams(values, await numberParser()),
    ...(limits?.tableFrames !== undefined ? { maxTableFrames: limits.tableFrames } : {}),
  };
  const { checkSpecFile } = await import("./load-options.js");
  const { hasErrors } = await import("../diagnostics/diagnostic.js");
  const { report } = await import("./report.js");
  const checked = await checkSpecFile(spec, values, {
    variant: values.variant as string | undefined,
  });
  const unknown = unknownVariant(checked.diagnostics);
  if (unknown) throw new UsageError(unknown);
  if (hasErrors(checked.diagnostics)) {
    report(checked.diagnostics, checked.sources, "text", context);
    return EXIT_ERRORS;
  }
  if (checked.layouts.length > 1) {
    const names = checked.layouts.map((l) => `"${l.variant}"`).join(", ");
    throw new UsageError(`the spec has variants ${names}; pick one with --variant`);
  }
  const layout = checked.layouts[0];
  if (!layout) throw new UsageError(`\`${spec}\` has no layout to install`);
  const { install } = await import("../runtime/install.js");
  const installed = install(layout, boot);
  const diagnostics = [...checked.diagnostics, ...installed.diagnostics];
  report(diagnostics, checked.sources, "text", context);
  if (!installed.value || hasErrors(installed.diagnostics)) return EXIT_ERRORS;
  return { checked, layout, installation: installed.value, process: boot.processes ?? 0, boot };
}

export function bootParams(values: Record<string, unknown>, parseNumber: NumberParser): BootParams {
  const params = new Map<string, bigint>();
  for (const p of (values.param as string[] | undefined) ?? []) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param \`${p}\` is not NAME=VALUE`);
    const name = p.slice(0, eq).trim();
    if (params.has(name)) throw new UsageError(`--param ${name} is given twice`);
    params.set(name, parseNumber(p.slice(eq + 1).trim(), `--param ${name}`, "address"));
  }
  const boot: {
    -readonly [K in keyof BootParams]: BootParams[K];
  } = { params };
  if (values.ram !== undefined) boot.ram = parseRam(values.ram as string, parseNumber);
  if (values.load !== undefined)
    boot.kernelLoad = parseNumber(values.load as string, "--load", "size");
  if (values["kaslr-seed"] !== undefined) {
    boot.kaslrSeed = parseNumber(values["kaslr-seed"] as string, "--kaslr-seed", "address");
  }
  if (values.process !== undefined) {
    const n = parseNumber(values.process as string, "--process", "count");
    if (n > 64n) throw new UsageError(`--process ${n}: at most 64 process address spaces`);
    boot.processes = Number(n);
  }
  return boot;
}
