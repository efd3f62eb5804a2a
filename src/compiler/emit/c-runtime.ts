/**
 * `--emit c-runtime`: one C header holding every variant, the variant chosen at boot, the way
 * Linux chooses 4- or 5-level paging (`pgtable_l5_enabled()`, `page_offset_base`).
 *
 * - The variants are an enum, `enum vmlayout_<layout>_variant`, and the kernel defines the
 *   variable `vmlayout_<layout>_variant` and sets it once, early in boot, before anything reads
 *   a value that differs between variants.
 * - A value equal in every variant is a plain macro, as in `--emit c` (`MODULES_START`). One that
 *   differs has a macro per variant, the variant's name appended (`VMALLOC_END_4_LEVEL`), and the
 *   macro itself reads the variable (`VMALLOC_END` is `VMLAYOUT_LINUX_X86_64_SELECT(...)`), so
 *   code written against `--emit c` compiles unchanged. A value some variant lacks has its
 *   per-variant macros only.
 * - Parameters and KASLR bases stay variables the kernel defines, one for all variants (a
 *   parameter's value is the kernel's, whichever variant runs); their `P_DEFAULT` .. `P_ALIGN`
 *   and `R_BASE_DEFAULT` are values like any other, selected when the variants differ.
 * - The macros that read the variable are C only; the header refuses assembler (use `--emit c`
 *   with `--variant` there).
 *
 * A spec without variants gives the same header without the enum: every value is plain.
 */
import type { Span } from "../../diagnostics/diagnostic.js";
import type { Layout } from "../../model/layout.js";
import { hex, list, shortHex } from "../../model/format.js";
import { CNames, bannerHead, cExpression, comment, para } from "./c.js";
import { ESCAPE_NOTE, Escapes, cComment } from "./escape.js";
import { type Emitter, regenerateCommand } from "./emitter.js";
import { model, variablesOf } from "./model.js";
import { Problems, upperIdent } from "./names.js";
import { blocks, columns, pagingText } from "./text.js";
import { type NamedValue, namedValues } from "./values.js";

/** A value as C writes it (`0xffff888000000000UL`, `(vmalloc_base + 0x1fffffffffff)`). */
export function cValue(v: NamedValue): string | undefined {
  const f = v.form;
  if (f === undefined || f.kind === "opaque") return undefined;
  if (f.kind === "linear") return cExpression(f);
  if (v.style === "address") return `${hex(f.value)}UL`;
  return v.style === "count" || f.value < 10n ? `${f.value}UL` : `${shortHex(f.value)}UL`;
}

/** Why a value has no C text. */
export function whyNoValue(v: NamedValue): string {
  if (v.form === undefined) return "the size is 2^64, which no 64-bit number holds";
  return (
    `it depends on ${list(variablesOf(v.form))} through align_up, align_down, min or max, ` +
    "or with a fraction, which no C expression here computes exactly"
  );
}

/** The variant selection of one layout's runtime header: enum, variable and select macro. */
interface Selection {
  readonly enumName: string;
  readonly variable: string;
  readonly select: string;
  /** Per variant: its enum constant and the suffix of its macros. */
  readonly constants: readonly string[];
  readonly suffixes: readonly string[];
}

export const emitCRuntime: Emitter = (request) => {
  const problems = new Problems();
  const { layouts, everyVariant } = request;
  const first = layouts[0]!;
  const L = upperIdent(first.name);
  const guard = `VMLAYOUT_${L}_RUNTIME_H`;
  const models = layouts.map(model);
  const e = new Escapes();
  const names = new CNames(first, problems);
  names.macro(guard, "the include guard", undefined);
  const selection: Selection | undefined = everyVariant
    ? {
        enumName: `vmlayout_${L.toLowerCase()}_variant`,
        variable: `vmlayout_${L.toLowerCase()}_variant`,
        select: `VMLAYOUT_${L}_SELECT`,
        constants: layouts.map((l) => `VMLAYOUT_${L}_VARIANT_${upperIdent(l.variant ?? "")}`),
        suffixes: layouts.map((l) => upperIdent(l.variant ?? "")),
      }
    : undefined;
  const parts: string[][] = [[`#ifndef ${guard}`, `#define ${guard}`]];
  parts.push([
    "#ifdef __ASSEMBLER__",
    `#error "${guard.slice(0, -2).toLowerCase()}: C only; assembler includes a header from --emit c --variant V"`,
    "#endif",
    "",
    `_Static_assert(sizeof(unsigned long) == 8, "vmlayout headers need a 64-bit unsigned long");`,
  ]);
  if (selection) parts.push(selectionLines(selection, layouts, names, e));
  const variables = variableLines(models, names);
  if (variables.length > 0) parts.push(variables);
  for (const block of valueBlocks(
    models.map((m) => namedValues(m)),
    selection,
    layouts,
    names,
    e,
  ))
    parts.push(block);
  parts.push([`#endif /* ${guard} */`]);
  const body = blocks(parts);
  const text = blocks([banner(layouts, selection, regenerateCommand("c-runtime", request), e)]);
  return problems.result(text + "\n" + body);
};

function banner(
  layouts: readonly Layout[],
  selection: Selection | undefined,
  regenerate: string,
  e: Escapes,
): string[] {
  const l = layouts[0]!;
  const single = selection === undefined && l.variant !== null;
  const text: string[] = [
    ...bannerHead(l, single, regenerate, e),
    ...para(
      "C11 and later (it reads a variable, so it is C only). Every name is the one --emit c " +
        "defines: R_START, R_END (inclusive) and R_SIZE of every region R, every exported " +
        "constant, P_DEFAULT, P_MIN, P_MAX and P_ALIGN of every parameter P (a variable the " +
        "kernel defines, one for every variant), R_BASE_DEFAULT of every KASLR base.",
      e,
    ),
    "",
  ];
  if (!selection) text.push(...para(`${pagingText(l)}.`, e));
  else {
    text.push(
      ...para(
        `The layout is chosen at boot: the kernel defines ${selection.variable} and sets it ` +
          "once, before reading any value, to one of",
        e,
      ),
      "",
      ...columns(
        layouts.map((v, i) => [
          `  ${selection.constants[i]}`,
          `"${cComment(v.variant ?? "", e)}": ${pagingText(v)}`,
        ]),
        2,
      ),
      "",
      ...para(
        "A value equal in every variant is a plain macro. One that differs has a macro per " +
          `variant, the variant's name appended (R_START_${selection.suffixes[0]}), and R_START ` +
          `itself reads ${selection.variable}. A value only some variants have has only its ` +
          "per-variant macros.",
        e,
      ),
    );
  }
  if (e.used) text.push("", ...para(ESCAPE_NOTE, e));
  return ["/*", ...text.map((t) => (t === "" ? " *" : ` * ${t}`)), " */"];
}

function selectionLines(
  s: Selection,
  layouts: readonly Layout[],
  names: CNames,
  e: Escapes,
): string[] {
  layouts.forEach((l, i) =>
    names.macro(s.constants[i]!, `the enum constant of variant "${l.variant}"`, l.variantSpan),
  );
  names.macro(s.select, "vmlayout's select macro", undefined);
  names.variable(s.variable, "the variable that selects the variant", layouts[0]!.variantSpan!);
  const args = s.suffixes.map((_, i) => `v${i}`);
  // The first variant is the last alternative, so that each variant's test is one comparison.
  const tests = args
    .slice(1)
    .map((a, i) => `${s.variable} == ${s.constants[i + 1]} ? (${a}) : `)
    .join("");
  return [
    comment(e, "The variant the kernel runs, set once at boot"),
    `enum ${s.enumName} {`,
    ...columns(
      layouts.map((l, i) => [
        `\t${s.constants[i]}${i === 0 ? " = 0" : ""},`,
        `/* "${cComment(l.variant ?? "", e)}" */`,
      ]),
    ),
    "};",
    `extern enum ${s.enumName} ${s.variable};`,
    "",
    `#define ${s.select}(${args.join(", ")}) \\`,
    `\t(${tests}(${args[0]}))`,
  ];
}

/** The kernel's variables: every parameter and KASLR base of any variant, once. */
function variableLines(models: readonly ReturnType<typeof model>[], names: CNames): string[] {
  const seen = new Map<string, { origin: string; at: Span }>();
  for (const m of models) {
    for (const p of m.params)
      if (!seen.has(p.name))
        seen.set(p.name, { origin: `the variable of parameter \`${p.name}\``, at: p.param.span });
    for (const k of m.kaslr)
      for (const mem of k.members)
        if (!seen.has(mem.name))
          seen.set(mem.name, {
            origin: `the base variable of \`${mem.region.name}\``,
            at: mem.region.nameSpan,
          });
  }
  if (seen.size === 0) return [];
  const lines = ["/* Variables the kernel defines: parameters and KASLR bases */"];
  for (const [name, { origin, at }] of seen) {
    names.variable(name, origin, at);
    lines.push(`extern unsigned long ${name};`);
  }
  return lines;
}

/**
 * The values, grouped by what they belong to (a region, a parameter), in the first variant's
 * order and then each later variant's new ones.
 */
function valueBlocks(
  perVariant: readonly (readonly NamedValue[])[],
  s: Selection | undefined,
  layouts: readonly Layout[],
  names: CNames,
  e: Escapes,
): string[][] {
  const byName = perVariant.map((vs) => new Map(vs.map((v) => [v.name, v])));
  const order: NamedValue[] = [];
  const seen = new Set<string>();
  for (const vs of perVariant)
    for (const v of vs)
      if (!seen.has(v.name)) {
        seen.add(v.name);
        order.push(v);
      }
  const out: string[][] = [];
  let owner: string | undefined;
  let block: string[] = [];
  for (const v of order) {
    if (v.owner !== owner) {
      if (block.length > 0) out.push(block);
      owner = v.owner;
      block = [comment(e, v.owner)];
    }
    const values = byName.map((m) => m.get(v.name));
    const texts = values.map((x) => (x === undefined ? undefined : cValue(x)));
    const [t0] = texts;
    if (t0 !== undefined && texts.every((t) => t === t0)) {
      names.macro(v.name, v.origin, v.at);
      block.push(`#define ${v.name} ${t0}`);
      continue;
    }
    if (!s) {
      block.push(`/* ${v.name} is not defined: ${cComment(whyNoValue(v), e)} */`);
      names.macro(v.name, v.origin, v.at);
      continue;
    }
    const missing: string[] = [];
    texts.forEach((t, i) => {
      const variant = layouts[i]!.variant ?? "";
      if (t === undefined) {
        const x = values[i];
        missing.push(`"${variant}"${x ? ` (${whyNoValue(x)})` : ""}`);
        return;
      }
      const name = `${v.name}_${s.suffixes[i]}`;
      names.macro(name, `${v.origin} in variant "${variant}"`, values[i]!.at);
      block.push(`#define ${name} ${t}`);
    });
    names.macro(v.name, v.origin, v.at);
    if (missing.length === 0)
      block.push(
        `#define ${v.name} ${s.select}(${s.suffixes.map((x) => `${v.name}_${x}`).join(", ")})`,
      );
    else
      block.push(...comment(e, `${v.name} is not defined in variant ${list(missing)}`).split("\n"));
  }
  if (block.length > 0) out.push(block);
  return out.map((b) => b.flatMap((line) => line.split("\n")));
}
