/**
 * Every emitter, once: the format's name and aliases, what it writes, its file extension, what
 * it makes of a spec's variants, and the function. The library's `emit`, `vmlayout build`, its
 * help and the fuzzers read this list; adding an emitter is one entry here plus its own file.
 */
import { emitAscii } from "./ascii.js";
import { emitC } from "./c.js";
import { emitCCheck, emitRustCheck } from "./check.js";
import { emitCRuntime } from "./c-runtime.js";
import { emitJson } from "./json.js";
import { emitMarkdown } from "./markdown.js";
import { emitRust } from "./rust.js";
import { emitRustRuntime } from "./rust-runtime.js";
import { emitSvg } from "./svg.js";
import type { Emitter } from "./emitter.js";

/**
 * How one output holds every variant of a spec (`EmitRequest.everyVariant`, ./emitter.ts):
 *
 *   - `array`: one document per variant, in a JSON array (otherwise the one document);
 *   - `selectable`: one header holding every variant, the includer defines a macro to choose
 *     one (what every variant shares is written once);
 *   - `modules`: one module per variant, each complete;
 *   - `sections`: one table (or picture column) per variant, under the variant's name;
 *   - `runtime`: every variant's values, the variant chosen by a variable the kernel sets at boot
 *     (what every variant shares is written once);
 *   - `checks`: what every variant shares checked once, then a block per variant under the
 *     kernel's configuration test a `--map` gives (without one, a single variant only).
 */
export type VariantPolicy = "array" | "selectable" | "modules" | "sections" | "runtime" | "checks";

export interface EmitterEntry {
  /** The name `--emit` takes, and the library's `EmitFormat`. */
  readonly format: string;
  /** Other names `--emit` accepts (`h`, `mm.rst`); case does not matter. */
  readonly aliases: readonly string[];
  /** What it writes, for `vmlayout build --help`. */
  readonly description: string;
  /** The usual file name extension of its output, without the dot. */
  readonly extension: string;
  readonly variants: VariantPolicy;
  readonly emit: Emitter;
}

/** In the order the documentation lists them. */
export const EMITTERS = [
  {
    format: "c",
    aliases: ["h", "header"],
    description: "C header for C and assembler, with static asserts",
    extension: "h",
    variants: "selectable",
    emit: emitC,
  },
  {
    format: "c-runtime",
    aliases: [],
    description: "C header of every variant, chosen at boot by a variable the kernel sets",
    extension: "h",
    variants: "runtime",
    emit: emitCRuntime,
  },
  {
    format: "rust",
    aliases: ["rs"],
    description: "Rust module of `pub const` items and `const fn`s",
    extension: "rs",
    variants: "modules",
    emit: emitRust,
  },
  {
    format: "rust-runtime",
    aliases: [],
    description: "Rust module of every variant, a `Variant` enum and a `Layout` per variant",
    extension: "rs",
    variants: "runtime",
    emit: emitRustRuntime,
  },
  {
    format: "c-check",
    aliases: [],
    description: "C11 static asserts of the kernel's own macros against the spec (see --map)",
    extension: "c",
    variants: "checks",
    emit: emitCCheck,
  },
  {
    format: "rust-check",
    aliases: [],
    description: "Rust const asserts of the kernel's own constants against the spec (see --map)",
    extension: "rs",
    variants: "checks",
    emit: emitRustCheck,
  },
  {
    format: "md",
    aliases: ["markdown"],
    description: "Markdown tables in the columns of Linux's mm.rst",
    extension: "md",
    variants: "sections",
    emit: emitMarkdown,
  },
  {
    format: "ascii",
    aliases: ["rst", "mm.rst"],
    description: "the plain-text tables of Linux's mm.rst (an rST document)",
    extension: "txt",
    variants: "sections",
    emit: emitAscii,
  },
  {
    format: "svg",
    aliases: [],
    description: "a picture of the address space",
    extension: "svg",
    variants: "sections",
    emit: emitSvg,
  },
  {
    format: "json",
    aliases: [],
    description: "the versioned interchange format (schema vmlayout/2)",
    extension: "json",
    variants: "array",
    emit: emitJson,
  },
] as const satisfies readonly EmitterEntry[];

export type EmitFormat = (typeof EMITTERS)[number]["format"];

/** Every format, in the registry's order. */
export const EMIT_FORMATS: readonly EmitFormat[] = EMITTERS.map((e) => e.format);

/** The emitter `--emit NAME` means: by format or alias, in any case. */
export function emitterNamed(
  name: string,
): (EmitterEntry & { readonly format: EmitFormat }) | undefined {
  const lower = name.toLowerCase();
  return EMITTERS.find((e: EmitterEntry) => e.format === lower || e.aliases.includes(lower));
}

/** The emitter of a format. */
export function emitterOf(format: EmitFormat): EmitterEntry {
  return EMITTERS.find((e) => e.format === format)!;
}
