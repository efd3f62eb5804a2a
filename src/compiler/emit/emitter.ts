/**
 * The contract of an emitter (src/compiler/emit/registry.ts lists them): what it is given, what
 * it returns, and the command line its output repeats so that a reader can regenerate it.
 */
import type { Result } from "../../diagnostics/diagnostic.js";
import type { SourceSet } from "../../diagnostics/source.js";
import type { Layout } from "../../model/layout.js";
import type { KernelMap } from "./kernel-map.js";
import { shellWord, specBaseName } from "./text.js";

/**
 * What an emitter is given: the layouts of one spec, in the spec's variant order, and whether
 * they are all its variants (the spec declares variants and no `--variant` picked one).
 */
export interface EmitRequest {
  /** At least one. */
  readonly layouts: readonly Layout[];
  /**
   * True: `layouts` are every variant of the spec, and the output holds them all, as the
   * emitter's `VariantPolicy` says. False: one layout (a spec without variants, or the one
   * variant picked), and the output is about it alone.
   */
  readonly everyVariant: boolean;
  /** How the output was asked for, which banners repeat for regenerating it. */
  readonly command?: BuildCommand | undefined;
  /** `--map`: the kernel's names for the spec's values (c-check, rust-check). */
  readonly map?: KernelMap | undefined;
  /** The spec's text, for outputs that cite the spec's lines (c-check, rust-check). */
  readonly sources?: SourceSet | undefined;
}

/**
 * A format's text for the request. A layout the format cannot express (two things with one C
 * name, a C keyword: E03xx) gives no text and every such diagnostic; an emitter never throws
 * on a user's spec.
 */
export type Emitter = (request: EmitRequest) => Result<string | undefined>;

/**
 * How a generated file was asked for, so that its banner can say exactly how to regenerate it
 * (`vmlayout build specs/linux.layout --emit c --variant 4-level -o memory_layout.h`).
 */
export interface BuildCommand {
  /** The spec's path as given on the command line, relative to the working directory. */
  readonly spec: string;
  /** `-o`; undefined when the output went to standard output. */
  readonly output?: string | undefined;
  /** `--variant`, when given. */
  readonly variant?: string | undefined;
  /** `NAME=N` of each `--limit` whose value is not the default. */
  readonly limits?: readonly string[] | undefined;
  /** `--map`, when given. */
  readonly map?: string | undefined;
}

/**
 * The command line that writes `format` again, each word quoted for a POSIX shell; `FILE` stands
 * for an output that is not named (the banner's: the reader knows which file it is). Without
 * `command` (the library's emit): the spec's base name, and the layout's variant unless the
 * output holds every variant.
 */
export function regenerateCommand(format: string, request: EmitRequest): string {
  const { command } = request;
  const layout = request.layouts[0]!;
  const variant = command
    ? command.variant
    : request.everyVariant
      ? undefined
      : (layout.variant ?? undefined);
  const words = ["vmlayout", "build", pathWord(command?.spec ?? specBaseName(layout))];
  words.push("--emit", format);
  if (variant !== undefined) words.push("--variant", shellWord(variant));
  for (const limit of command?.limits ?? []) words.push("--limit", shellWord(limit));
  if (command?.map !== undefined) words.push("--map", pathWord(command.map));
  words.push("-o", command?.output === undefined ? "FILE" : pathWord(command.output));
  return words.join(" ");
}

/** A path as a shell word that no command reads as an option (`./-x.layout`). */
const pathWord = (p: string): string => shellWord(p.startsWith("-") ? `./${p}` : p);
