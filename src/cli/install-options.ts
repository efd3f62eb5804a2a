/**
 * The options `install`, `translate` and `dump` share: which layout to install and the boot
 * parameters to install it with. Numbers are read with the spec language's own literal syntax
 * (`0xffff_8880_0000_0000`, `ffff888000000000`, `0xFFFFFFFF.FB800000`, `-2GB`, `4GB`,
 * `0.5TB`, `32 * 4KB`): the text is parsed and evaluated as a constant expression.
 *
 * Only the option table is loaded with the command table; the parser and the pipeline are
 * imported when a command runs.
 */
import type { Layout } from "../compiler/layout.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Checked } from "../pipeline.js";
import type { Installation } from "../runtime/install.js";
import type { BootParams } from "../runtime/install-plan.js";
import type { RamRange } from "../runtime/ram.js";
import type { OptionSpec } from "./commands.js";
import { EXIT_ERRORS, UsageError, unknownVariant, type CommandContext } from "./common.js";

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

const FORBIDDEN = /[\n\r;{}"]|\/\/|\/\*/;

/** Reads one number: `address` values may be negative (they count down from 2^64). */
export type NumberParser = (
  text: string,
  what: string,
  kind?: "address" | "size" | "count",
) => bigint;

/** Names a number on the command line may use (`kernel_text.start`, `KERNBASE`), with values. */
export type ArgumentNames = ReadonlyMap<string, bigint>;

/**
 * A parser for numbers written as the spec language writes them: the text is parsed as the
 * value of a `const` statement and evaluated by the compiler's evaluator, with `names` as its
 * only names. `address` values may be negative (they count down from 2^64); sizes and counts
 * must not be. The parser throws a UsageError naming `what` for anything else.
 */
export async function numberParser(names: ArgumentNames = new Map()): Promise<NumberParser> {
  const { parseSpec } = await import("../../grammar/index.js");
  const { Evaluator, EvaluationFailed, valueOf } = await import("../compiler/evaluate.js");
  const { rat } = await import("../compiler/rational.js");
  const { closest } = await import("../diagnostics/suggest.js");
  return (text, what, kind = "address") => {
    const bad = (why: string): never => {
      throw new UsageError(`${what} \`${text}\` ${why}`);
    };
    if (text.trim() === "" || FORBIDDEN.test(text) || text.length > 200) bad("is not a number");
    const parsed = parseSpec(`const value = ${text}\n`, "<argument>");
    const [item, extra] = parsed.value.ast.items;
    const alone = item?.kind === "const" && !item.exportName && !item.description && !extra;
    const expr = alone ? item.value : undefined;
    if (parsed.diagnostics.length > 0 || expr === undefined)
      bad(`is not a number${parsed.diagnostics[0] ? `: ${parsed.diagnostics[0].message}` : ""}`);
    const found: Diagnostic[] = [];
    const evaluator = new Evaluator((d) => found.push(d));
    let exact;
    try {
      exact = evaluator.evaluate(expr!, {
        domains: new Map(),
        lookup: (name) => {
          const path = name.path.map((p) => p.name).join(".");
          const value = names.get(path);
          if (value !== undefined) return valueOf(rat(value));
          const near = closest(path, [...names.keys()]);
          return evaluator.fail(
            "E0101",
            `cannot find \`${path}\`${near ? `; did you mean \`${near}\`?` : ""}`,
            name.span,
          );
        },
      }).exact;
    } catch (e) {
      if (!(e instanceof EvaluationFailed)) throw e;
      return bad(`is not a number: ${found[0]?.message ?? e.message}`);
    }
    if (exact.den !== 1n) bad("is not a whole number");
    let v = exact.num;
    if (kind === "address") {
      if (v < 0n) v += 1n << 64n;
      if (v < 0n || v >= 1n << 64n) bad("is outside the 64-bit address space");
    } else if (v < 0n) {
      bad("is negative");
    } else if (v >= 1n << 64n) {
      bad("does not fit in 64 bits");
    }
    return v;
  };
}

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
