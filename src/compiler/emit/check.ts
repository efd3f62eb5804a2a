/**
 * `--emit c-check` and `--emit rust-check`: conformance of a kernel's existing header with the
 * spec. The output is a file of compile-time assertions, compiled inside the kernel's build
 * with its include paths: `_Static_assert`s (C11) comparing the kernel's own macros with the
 * spec's values, or `const _: () = { assert!(...); }` blocks comparing its Rust constants. Each
 * failing assertion names the macro, the value the spec gives and the spec's line.
 *
 * - The kernel's names come from a `--map` file (./kernel-map.ts) or, without one, are the
 *   names `--emit c` gives every value (a kernel that includes an older generated header, or
 *   adopted its names); without a map, a value that is not a compile-time constant (it depends
 *   on a parameter or a KASLR base) is left out, and said so.
 * - The file includes nothing but the map's `include` (`use`) lines: the kernel's build chooses
 *   the headers and their paths.
 * - Every variant: the values equal in every variant are checked once; the others need the
 *   map to say under which configuration each variant's checks hold (`[VARIANT] if EXPR` for C,
 *   `cfg PRED` for Rust), or to name each variant's own macros in its section (Linux has
 *   `__PAGE_OFFSET_BASE_L4` and `_L5` side by side). Otherwise `--variant` picks one.
 * - C compares `(unsigned long)(MACRO)`, so a macro that is a pointer or a signed constant
 *   compares as the address it is; Rust compares `NAME as u64`.
 */
import { type Span, diagnostic } from "../../diagnostics/diagnostic.js";
import { closest } from "../../diagnostics/suggest.js";
import { hex, list } from "../../model/format.js";
import type { Layout } from "../../model/layout.js";
import { cValue } from "./c-runtime.js";
import { type EmitRequest, type Emitter, regenerateCommand } from "./emitter.js";
import { ESCAPE_NOTE, Escapes, cComment, markdownText } from "./escape.js";
import type { MapEntry, MapSection } from "./kernel-map.js";
import { model, variablesOf } from "./model.js";
import { Names, Problems } from "./names.js";
import { address, rustHex, screaming } from "./rust.js";
import { WIDTH, blocks, specBaseName, wrap } from "./text.js";
import { type NamedValue, namedValues } from "./values.js";

type Language = "c" | "rust";

/** One assertion: the kernel's `name` must be `value`. */
interface Assertion {
  readonly name: string;
  readonly value: NamedValue & {
    readonly form: { readonly kind: "fixed"; readonly value: bigint };
  };
  /** `specs/linux-x86_64.layout:139`. */
  readonly where: string;
}

/** The assertions under one condition (none: always). */
interface Block {
  readonly title: string;
  readonly condition: string | undefined;
  readonly assertions: Assertion[];
  readonly names: Names;
}

export const emitCCheck: Emitter = (request) => emitCheck(request, "c");
export const emitRustCheck: Emitter = (request) => emitCheck(request, "rust");

function emitCheck(request: EmitRequest, language: Language): ReturnType<Emitter> {
  const problems = new Problems();
  const { blocks: planned, skipped } = plan(request, language, problems);
  const text =
    language === "c" ? cFile(request, planned, skipped) : rustFile(request, planned, skipped);
  return problems.result(text);
}

type Fixed = Assertion["value"];

const isFixed = (v: NamedValue | undefined): v is Fixed => v?.form?.kind === "fixed";

/** The spec's values of one layout by their map names, `.limit` (end + 1) included. */
function valuesByKey(l: Layout): Map<string, NamedValue> {
  const out = new Map<string, NamedValue>();
  for (const v of namedValues(model(l))) {
    out.set(v.key, v);
    // At the defaults of the parameters and KASLR bases it depends on: what a kernel built
    // with those values has as a constant (`MODULES_VADDR`).
    if (v.form !== undefined && v.form.kind !== "fixed")
      out.set(`${v.key}@default`, {
        ...v,
        key: `${v.key}@default`,
        form: { kind: "fixed", value: v.form.value },
        origin: `${v.origin} at the defaults of ${list([...variablesOf(v.form)])}`,
      });
    if (v.key.endsWith(".end") && !v.key.startsWith("kaslr.")) {
      const region = v.key.slice(0, -".end".length);
      const limit =
        v.form?.kind === "fixed" && v.form.value + 1n < 1n << 64n
          ? { kind: "fixed" as const, value: v.form.value + 1n }
          : v.form?.kind === "fixed"
            ? undefined
            : v.form;
      out.set(`${region}.limit`, {
        ...v,
        key: `${region}.limit`,
        name: `${v.name.slice(0, -"_END".length)}_LIMIT`,
        form: limit,
        origin: `the first address past region \`${region}\``,
      });
    }
  }
  return out;
}

function plan(
  request: EmitRequest,
  language: Language,
  problems: Problems,
): { blocks: Block[]; skipped: string[] } {
  const { layouts, map } = request;
  const what = `a ${language === "c" ? "C" : "Rust"} check for \`${layouts[0]!.name}\``;
  const newBlock = (title: string, condition?: string): Block => ({
    title,
    condition,
    assertions: [],
    names: new Names(what, problems),
  });
  const where = (v: NamedValue): string => {
    const l = layouts[0]!;
    const line = v.at && request.sources?.get(v.at.file)?.position(v.at.start).line;
    return line === undefined ? specBaseName(l) : `${specBaseName(l)}:${line}`;
  };
  const values = layouts.map(valuesByKey);
  const l0 = layouts[0]!;
  const common = newBlock(
    request.everyVariant
      ? "every variant"
      : l0.variant === null
        ? l0.name
        : `variant "${l0.variant}"`,
  );
  const kernelName = (v: NamedValue): string => (language === "c" ? v.name : screaming(v.name));
  const assert = (b: Block, name: string, v: Fixed, at: Span | undefined): void => {
    b.names.add(name, `the check of ${v.origin}`, at, "name each kernel macro once in the map");
    b.assertions.push({ name, value: v, where: where(v) });
  };

  if (!map) {
    const skipped: string[] = [];
    if (layouts.length > 1) {
      problems.report(
        "",
        diagnostic(
          "E0307",
          `cannot emit ${what}: its variants give one name different values`,
          layouts[1]!.variantSpan,
          {
            notes: [
              "without a --map, the kernel's names are the spec's, the same in every variant",
            ],
            help:
              "pick the variant the kernel builds with --variant, or give a --map that names each " +
              "variant's own macros or says which configuration selects it (`[VARIANT] if EXPR`)",
          },
        ),
      );
      return { blocks: [], skipped };
    }
    for (const v of namedValues(model(layouts[0]!))) {
      if (isFixed(v)) assert(common, kernelName(v), v, v.at);
      else skipped.push(kernelName(v));
    }
    return { blocks: [common], skipped };
  }

  const condition = (s: MapSection): string | undefined =>
    language === "c" ? s.cCondition : s.rustCondition;
  // One block per section of a variant this file holds, in the map's order; a variant may have
  // several (its own macros, always defined, and those under its configuration test).
  const sections = map.sections.slice(1).map((s) => ({
    s,
    variant: layouts.findIndex((l) => l.variant === s.variant),
    block: newBlock(
      `variant "${s.variant}"${condition(s) === undefined ? "" : ` (${condition(s)})`}`,
      condition(s),
    ),
  }));
  // Where a value that differs between variants is checked: each variant's first section
  // under a condition.
  const conditional = layouts.map(
    (_, i) => sections.find((x) => x.variant === i && x.block.condition !== undefined)?.block,
  );
  const resolve = (i: number, e: MapEntry): Fixed | undefined => {
    const v = values[i]!.get(e.value);
    if (isFixed(v)) return v;
    problems.report(
      e.value,
      diagnostic(
        "E0306",
        `\`${e.value}\` is not a compile-time constant${layouts[i]!.variant !== null ? ` in variant "${layouts[i]!.variant}"` : ""}`,
        e.valueSpan,
        {
          notes: [
            v?.form === undefined
              ? "the size is 2^64, past the largest 64-bit number"
              : "it depends on a parameter or a KASLR base, which the kernel sets at run time",
          ],
          help: `check it at the defaults (\`${e.value}@default\`), or a value that is fixed`,
        },
      ),
    );
    return undefined;
  };
  const known = (e: MapEntry, scope: readonly number[]): boolean => {
    if (scope.some((i) => values[i]!.has(e.value))) return true;
    const near = closest(e.value, new Set(scope.flatMap((i) => [...values[i]!.keys()])));
    problems.report(
      e.value,
      diagnostic("E0305", `the spec has no value \`${e.value}\``, e.valueSpan, {
        notes: [
          "a value is REGION.start, .end, .size or .limit, REGION.base, a constant's name, " +
            "PARAM.default, .min, .max or .align, or kaslr.GROUP.start, .end or .align; " +
            "`@default` after one takes it at the defaults",
        ],
        ...(near ? { help: `did you mean \`${near}\`?` } : {}),
      }),
    );
    return false;
  };

  const all = layouts.map((_, i) => i);
  for (const e of map.sections[0]!.entries) {
    if (!known(e, all)) continue;
    const present = all.filter((i) => values[i]!.has(e.value));
    const resolved = present.map((i) => resolve(i, e));
    if (resolved.some((v) => v === undefined)) continue;
    const fixed = resolved as Fixed[];
    if (present.length === all.length && fixed.every((v) => v.form.value === fixed[0]!.form.value))
      assert(common, e.kernelName, fixed[0]!, e.nameSpan);
    else if (present.every((i) => conditional[i] !== undefined))
      present.forEach((i, n) => assert(conditional[i]!, e.kernelName, fixed[n]!, e.nameSpan));
    else
      problems.report(
        e.value,
        diagnostic(
          "E0307",
          `\`${e.value}\` differs between variants, and \`${e.kernelName}\` is one macro`,
          e.nameSpan,
          {
            notes: present.map(
              (i, n) => `in variant "${layouts[i]!.variant}" it is ${hex(fixed[n]!.form.value)}`,
            ),
            help:
              `move it into each variant's section under the macro that variant has, or say which ` +
              `configuration selects each variant: \`[VARIANT] ${language === "c" ? "if EXPR" : "cfg PRED"}\``,
          },
        ),
      );
  }
  for (const { s, variant: i, block } of sections) {
    if (i < 0) {
      // With --variant, another variant's section is not this file's.
      if (!request.everyVariant && layouts[0]!.variant !== null) continue;
      const variants = layouts.map((l) => l.variant).filter((v) => v !== null);
      const near = closest(s.variant!, variants);
      problems.report(
        s.variant!,
        diagnostic("E0305", `the spec has no variant "${s.variant}"`, s.span, {
          notes: [
            variants.length > 0
              ? `its variants are ${list(variants.map((v) => `"${v}"`))}`
              : "it declares no variants",
          ],
          ...(near ? { help: `did you mean "${near}"?` } : {}),
        }),
      );
      continue;
    }
    for (const e of s.entries) {
      if (!known(e, [i])) continue;
      const v = resolve(i, e);
      if (v) assert(block, e.kernelName, v, e.nameSpan);
    }
  }
  return { blocks: [common, ...sections.map((x) => x.block)], skipped: [] };
}

// ---------------------------------------------------------------- text

/**
 * A message inside a C or Rust string literal: printable ASCII, quotes and backslashes escaped,
 * anything else (a control, bidi or other character from the spec's file name) `?`.
 */
const literal = (s: string): string =>
  s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, "?");

/** `MODULES_VADDR: the spec says 0xffffffffa0000000, the start of region `modules` (spec:139)`. */
const message = (a: Assertion): string =>
  literal(
    `${a.name}: the spec says ${cValue(a.value)!.replace(/UL$/, "")}, ${a.value.origin} (${a.where})`,
  );

/** Spec text in a comment of the language: C's `/* */ `, Rust's `; //`. */
const escaper =
  (language: Language, e: Escapes) =>
  (text: string): string =>
    language === "c" ? cComment(text, e) : markdownText(text, e);

/**
 * The banner's lines, spec text escaped; last, since the note on escapes must see the body's
 * (the block titles name variants).
 */
function about(
  request: EmitRequest,
  language: Language,
  skipped: readonly string[],
  e: Escapes,
): string[] {
  const l = request.layouts[0]!;
  const format = language === "c" ? "c-check" : "rust-check";
  const escape = escaper(language, e);
  const variant = !request.everyVariant && l.variant !== null ? `, variant "${l.variant}"` : "";
  const text = [
    `${escape(`${l.description ?? l.name}${variant}`)}: ` +
      `the kernel's own ${language === "c" ? "macros" : "constants"} checked against the spec.`,
    "",
    `Generated by vmlayout, do not edit. Source: ${escape(specBaseName(l))} (layout ${l.name}). Regenerate it with`,
    "",
    `  ${escape(regenerateCommand(format, request))}`,
    "",
    language === "c"
      ? "Compile it inside the kernel's build, with its include paths (C11 _Static_assert): a " +
        "macro that disagrees with the spec stops the build, naming the macro, the spec's value " +
        "and the spec's line."
      : "Compile it as a module of the kernel's crate (const assertions): a constant that " +
        "disagrees with the spec stops the build, naming the constant, the spec's value and " +
        "the spec's line.",
  ];
  if (skipped.length > 0)
    text.push(
      "",
      `Not checked, because they depend on a parameter or a KASLR base (or do not fit in 64 bits): ${list([...skipped])}.`,
    );
  if (e.used) text.push("", ESCAPE_NOTE);
  return text.flatMap((t) => (t === "" || t.startsWith("  ") ? [t] : wrap(t, WIDTH - 3)));
}

function cFile(
  request: EmitRequest,
  planned: readonly Block[],
  skipped: readonly string[],
): string {
  const e = new Escapes();
  const parts: string[][] = [];
  if (request.map && request.map.includes.length > 0)
    parts.push(request.map.includes.map((i) => `#include ${i}`));
  for (const b of planned) {
    if (b.assertions.length === 0) continue;
    const lines = [`/* ${cComment(b.title, e)} */`];
    if (b.condition !== undefined) lines.push(`#if ${b.condition}`);
    for (const a of b.assertions)
      lines.push(
        `_Static_assert((unsigned long)(${a.name}) == ${cValue(a.value)},`,
        `\t       "${message(a)}");`,
      );
    if (b.condition !== undefined) lines.push(`#endif /* ${cComment(b.condition, e)} */`);
    parts.push(lines);
  }
  const banner = about(request, "c", skipped, e).map((t) => (t === "" ? " *" : ` * ${t}`));
  return blocks([["/*", ...banner, " */"], ...parts]);
}

function rustFile(
  request: EmitRequest,
  planned: readonly Block[],
  skipped: readonly string[],
): string {
  const e = new Escapes();
  const parts: string[][] = [];
  if (request.map && request.map.uses.length > 0)
    parts.push(request.map.uses.map((u) => `#[allow(unused_imports)]\nuse ${u};`));
  for (const b of planned) {
    if (b.assertions.length === 0) continue;
    const lines = [`// ${markdownText(b.title, e)}`];
    if (b.condition !== undefined) lines.push(`#[cfg(${b.condition})]`);
    lines.push("const _: () = {");
    for (const a of b.assertions) {
      const v = a.value.form.value;
      const value =
        a.value.style === "address"
          ? address(v)
          : a.value.style === "count"
            ? v.toString()
            : rustHex(v);
      lines.push(
        `    assert!(`,
        `        ${a.name} as u64 == ${value},`,
        `        "${message(a)}"`,
        "    );",
      );
    }
    lines.push("};");
    parts.push(lines);
  }
  const banner = about(request, "rust", skipped, e).map((t) => (t === "" ? "//!" : `//! ${t}`));
  return blocks([banner, ...parts]);
}
