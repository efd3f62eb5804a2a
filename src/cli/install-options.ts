/**
 * The options `install`, `translate` and `dump` share: which layout to install and the boot
 * parameters to install it with. Numbers are read as the spec language writes them
 * (numbers.ts).
 *
 * Only the option table is loaded with the command table; the parser and the pipeline are
 * imported when a command runs.
 */
import { type OptionSpec, EXIT_ERRORS, UsageError, type CommandContext } from "./common.js";
import type { AuditReport } from "../audit/checks.js";
import type { Result } from "../diagnostics/diagnostic.js";
import { assertNever } from "../model/collections.js";
import type { Layout } from "../model/layout.js";
import type { Checked, Picked } from "../pipeline.js";
import type { Installation } from "../runtime/install.js";
import type { BootParams } from "../runtime/install-plan.js";
import type { RamRange } from "../runtime/ram.js";
import { loadOptions, refuseCommandLineProblems } from "./load-options.js";
import { type NumberParser, numberParser } from "./numbers.js";
import { type Format, report } from "./report.js";

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
      "RAM: a size from the RAM base (`4GB`, the default) or ranges `A..<B,C..D` with holes between",
  },
  "ram-base": {
    type: "string",
    description:
      "ADDR: where RAM begins and what `map ram` maps first (default: x86-64 0, RISC-V 0x80000000 as on QEMU virt)",
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
  readonly installation: Installation;
  /** The audit of the installed tables, when asked for. */
  readonly audited: Result<AuditReport> | undefined;
  /** The address space selected with `--process` (0: the kernel's). */
  readonly process: number;
}

/**
 * `installSpec` with the command line's boot parameters and options. Returns the exit status
 * instead when the spec or the installation has errors (diagnostics printed).
 */
export async function prepareInstall(
  values: Record<string, unknown>,
  spec: string,
  context: CommandContext,
  options: { readonly audit: boolean },
): Promise<Prepared | number> {
  const boot = bootParams(values, await numberParser());
  const loading = await loadOptions(values);
  const { installSpec } = await import("../pipeline.js");
  const { hasErrors } = await import("../diagnostics/diagnostic.js");
  const { report } = await import("./report.js");
  const result = installSpec(spec, {
    ...loading,
    variant: values.variant as string | undefined,
    boot,
    audit: options.audit,
  });
  const { checked, installed, audited } = result;
  if (pickedLayout(result.picked, checked, context, "pick one with --variant") === undefined)
    return EXIT_ERRORS;
  const diagnostics = [...checked.diagnostics, ...(installed?.diagnostics ?? [])];
  report(diagnostics, checked.sources, "text", context);
  if (!installed?.value || hasErrors(installed.diagnostics)) return EXIT_ERRORS;
  return { checked, installation: installed.value, audited, process: boot.processes ?? 0 };
}

/**
 * The layout a command works on; undefined when the check has errors (then printed). The spec
 * not read, `--variant` naming none of its variants, or several variants and no `--variant`
 * are usage errors (`pick` says what to do).
 */
export function pickedLayout(
  picked: Picked,
  checked: Checked,
  context: CommandContext,
  pick: string,
  format: Format = "text",
): Layout | undefined {
  refuseCommandLineProblems(checked.diagnostics);
  switch (picked.kind) {
    case "none":
      report(checked.diagnostics, checked.sources, format, context);
      return undefined;
    case "several": {
      const names = picked.variants.map((v) => `"${v}"`).join(", ");
      throw new UsageError(`the spec has variants ${names}; ${pick}`);
    }
    case "one":
      return picked.layout;
    default:
      return assertNever(picked, "pick");
  }
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
  if (values["ram-base"] !== undefined)
    boot.ramBase = parseNumber(values["ram-base"] as string, "--ram-base", "size");
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
