/**
 * `--emit c`: one header, `memory_layout.h`, for C (C99 and later) and for assembler.
 *
 * Linux's trick (`include/uapi/linux/const.h`): `_AC(X, Y)` pastes a suffix in C and drops it
 * under `__ASSEMBLER__`, so `#define __PAGE_OFFSET _AC(0xffff810000000000, UL)` serves both.
 * The header has its own `VMLAYOUT_AC`, so it never clashes with a kernel's `_AC`.
 *
 * - Every region R gives `R_START`, `R_END` (inclusive) and `R_SIZE`, R being its export name;
 *   every constant its export name. Fixed values are `VMLAYOUT_AC(0x..., UL)`.
 * - A parameter is a variable the kernel defines (`extern unsigned long kernel_end;`) with
 *   `P_DEFAULT`, `P_MIN`, `P_MAX` and `P_ALIGN` (the values the layout is verified for). A
 *   KASLR member starts at a base variable (`page_offset_base`, as Linux names them: the
 *   member's export name + `_base`) with `R_BASE_DEFAULT`; it and its children move with it.
 *   Bounds over these variables are C expressions (`(kernel_end - 1)`), defined in C only.
 * - Static asserts (C11 `_Static_assert`, a negative array size before C11) re-check, for the
 *   fixed bounds, what the verifier proved: extent, alignment, canonicality, containment and
 *   sibling order. They are C only.
 * - A spec with variants and no `--variant` gives one header holding every variant, selected
 *   by defining exactly one `VMLAYOUT_<LAYOUT>_<VARIANT>`; what all variants share is written
 *   once.
 */
import { type Span, diagnostic } from "../../diagnostics/diagnostic.js";
import type { Layout } from "../../model/layout.js";
import { archOf } from "../../arch/registry.js";
import { ESCAPE_NOTE, Escapes, cComment } from "./escape.js";
import { type EmitRequest, type Emitter, regenerateCommand } from "./emitter.js";
import { assertNever, groupBy } from "../../model/collections.js";
import { hex, list, shortHex, size } from "../../model/format.js";
import {
  type Form,
  type LayoutModel,
  type RegionModel,
  model,
  orderedSum,
  variablesOf,
} from "./model.js";
import { Names, Problems, upperIdent } from "./names.js";
import {
  capital,
  WIDTH,
  attributes,
  blocks,
  columns,
  pagingText,
  specBaseName,
  wrap,
} from "./text.js";

/** A block of lines the header is made of; `key` identifies it across variants. */
interface Item {
  readonly key: string;
  readonly lines: readonly string[];
}

/** The keywords of C89 to C23, and GNU C's `asm`. */
const C_KEYWORDS = new Set(
  (
    "auto break case char const continue default do double else enum extern float for goto if " +
    "inline int long register restrict return short signed sizeof static struct switch typedef " +
    "union unsigned void volatile while alignas alignof bool constexpr false nullptr " +
    "static_assert thread_local true typeof typeof_unqual _Alignas _Alignof _Atomic _BitInt " +
    "_Bool _Complex _Decimal128 _Decimal32 _Decimal64 _Generic _Imaginary _Noreturn " +
    "_Static_assert _Thread_local asm"
  ).split(" "),
);

/**
 * Macros gcc and clang predefine on x86-64 Linux besides the `__NAME__` ones: `linux` and `unix`
 * under `-std=gnu11` (kernels build with it), `i386` on 32-bit x86.
 */
const PREDEFINED = new Set(["linux", "unix", "i386", "_LP64", "_ILP32", "_STDC_PREDEF_H"]);

/** Why `name` cannot be a macro (or, with `variable`, an extern variable) of the header. */
function cNameProblem(
  name: string,
  variable: boolean,
): { code: "E0302" | "E0303"; why: string } | undefined {
  if (C_KEYWORDS.has(name)) return { code: "E0302", why: "would be a C keyword" };
  if (PREDEFINED.has(name) || /^__\w*__$/.test(name))
    return { code: "E0303", why: "is a macro the compiler predefines" };
  if (name === "main") return { code: "E0303", why: "is the program's entry point" };
  if (variable && /^_[A-Z_]/.test(name))
    return { code: "E0303", why: "is reserved for the C implementation" };
  return undefined;
}

/** The helper macros the header defines: no name from the spec may take one of them. */
const OWN = [
  "VMLAYOUT_AC",
  "VMLAYOUT_AC_",
  "VMLAYOUT_STATIC_ASSERT",
  "VMLAYOUT_CANONICAL",
  "VMLAYOUT_VA_BITS",
  "VMLAYOUT_CHECK_EXTENT",
  "VMLAYOUT_CHECK_ALIGNED",
  "VMLAYOUT_CHECK_CANONICAL",
  "VMLAYOUT_CHECK_NONCANONICAL",
  "VMLAYOUT_CHECK_TTBR_HALF",
  "VMLAYOUT_CHECK_TTBR_GAP",
  "VMLAYOUT_CHECK_INSIDE",
  "VMLAYOUT_CHECK_BEFORE",
];

/**
 * Every variant (variant policy `selectable`): one header, which the includer points at one
 * variant by defining its `VMLAYOUT_<LAYOUT>_<VARIANT>`.
 */
export const emitC: Emitter = (request) => {
  const problems = new Problems();
  return problems.result(header(request, problems));
};

function header(request: EmitRequest, problems: Problems): string {
  const { layouts, everyVariant } = request;
  const first = layouts[0]!;
  const models = layouts.map(model);
  const e = new Escapes();
  const guard = `VMLAYOUT_${upperIdent(first.name)}_H`;
  const selectors = everyVariant
    ? layouts.map((l) => `VMLAYOUT_${upperIdent(first.name)}_${upperIdent(l.variant ?? "")}`)
    : [];
  const own: Own[] = [
    { name: guard, origin: "the include guard" },
    ...selectors.map((name, i) => ({
      name,
      origin: `the macro that selects variant "${layouts[i]!.variant}"`,
      at: layouts[i]!.variantSpan,
      help: "rename one of the variants: their macros keep only letters and digits",
    })),
    ...OWN.map((name) => ({ name, origin: `vmlayout's helper macro` })),
  ];
  const width = nameWidth(models);
  const perVariant = models.map((m) => items(m, width, own, e, problems));
  const body = everyVariant
    ? merge(perVariant, selectors)
    : perVariant[0]!.map((i) => [...i.lines]);

  const parts: string[][] = [
    banner(models, selectors, regenerateCommand("c", request), e),
    [`#ifndef ${guard}`, `#define ${guard}`],
    AC,
  ];
  if (everyVariant) parts.push(selection(selectors));
  for (const block of body) parts.push(block); // no spread: one block per region
  parts.push([`#endif /* ${guard} */`]);
  return blocks(parts);
}

/** A macro the header defines for itself; `at` is the spec's variant it selects. */
interface Own {
  readonly name: string;
  readonly origin: string;
  readonly at?: Span | undefined;
  readonly help?: string | undefined;
}

// ---------------------------------------------------------------- fixed text

const AC = [
  "/* VMLAYOUT_AC(0x1000, UL) is 0x1000UL in C and plain 0x1000 in assembler, like Linux's _AC(). */",
  "#ifndef VMLAYOUT_AC",
  "#ifdef __ASSEMBLER__",
  "#define VMLAYOUT_AC(X, Y) X",
  "#else",
  "#define VMLAYOUT_AC_(X, Y) (X##Y)",
  "#define VMLAYOUT_AC(X, Y) VMLAYOUT_AC_(X, Y)",
  "#endif",
  "#endif",
];

const CHECK_HELPERS = [
  "#ifndef VMLAYOUT_STATIC_ASSERT",
  "#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L",
  "#define VMLAYOUT_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)",
  "#else /* C99: a negative array size stops the compilation */",
  "#define VMLAYOUT_STATIC_ASSERT(cond, msg) extern char vmlayout_static_assert[(cond) ? 1 : -1]",
  "#endif",
  "#define VMLAYOUT_CANONICAL(x, bits) \\",
  "\t(((x) >> ((bits) - 1)) == 0 || ((x) >> ((bits) - 1)) == (~0UL >> ((bits) - 1)))",
  "#define VMLAYOUT_CHECK_EXTENT(r) \\",
  '\tVMLAYOUT_STATIC_ASSERT(r##_START + r##_SIZE - 1 == r##_END, #r ": END == START + SIZE - 1")',
  "#define VMLAYOUT_CHECK_ALIGNED(r, a) \\",
  "\tVMLAYOUT_STATIC_ASSERT(r##_START % (a) == 0 && r##_SIZE % (a) == 0, \\",
  '\t\t\t       #r ": START and SIZE are multiples of " #a)',
  "#define VMLAYOUT_CHECK_CANONICAL(r) \\",
  "\tVMLAYOUT_STATIC_ASSERT(VMLAYOUT_CANONICAL(r##_START, VMLAYOUT_VA_BITS) && \\",
  "\t\t\t       r##_START >> (VMLAYOUT_VA_BITS - 1) == r##_END >> (VMLAYOUT_VA_BITS - 1), \\",
  '\t\t\t       #r ": canonical, in one half")',
  "#define VMLAYOUT_CHECK_NONCANONICAL(r) \\",
  "\tVMLAYOUT_STATIC_ASSERT(!VMLAYOUT_CANONICAL(r##_START, VMLAYOUT_VA_BITS) && \\",
  "\t\t\t       !VMLAYOUT_CANONICAL(r##_END, VMLAYOUT_VA_BITS), \\",
  '\t\t\t       #r ": inside the non-canonical hole")',
  "#define VMLAYOUT_CHECK_INSIDE(r, parent) \\",
  "\tVMLAYOUT_STATIC_ASSERT(parent##_START <= r##_START && r##_END <= parent##_END, \\",
  '\t\t\t       #r ": inside " #parent)',
  "#define VMLAYOUT_CHECK_BEFORE(a, b) \\",
  '\tVMLAYOUT_STATIC_ASSERT(a##_END < b##_START, #a ": ends before " #b " starts")',
  "#endif",
];

/**
 * Where each half has its own root (AArch64, Arm ARM D8.2: TTBR0_EL1 translates addresses whose
 * bits 63..VA are 0, TTBR1_EL1 those where they are 1), an address is in a half when it is
 * sign-extended from bit VA rather than VA - 1: `VMLAYOUT_CANONICAL(x, VA + 1)`.
 */
const TTBR_HELPERS = [
  "#ifndef VMLAYOUT_CHECK_TTBR_HALF",
  "#define VMLAYOUT_CHECK_TTBR_HALF(r) \\",
  "\tVMLAYOUT_STATIC_ASSERT(VMLAYOUT_CANONICAL(r##_START, VMLAYOUT_VA_BITS + 1) && \\",
  "\t\t\t       r##_START >> VMLAYOUT_VA_BITS == r##_END >> VMLAYOUT_VA_BITS, \\",
  '\t\t\t       #r ": in the TTBR0 or the TTBR1 half")',
  "#define VMLAYOUT_CHECK_TTBR_GAP(r) \\",
  "\tVMLAYOUT_STATIC_ASSERT(!VMLAYOUT_CANONICAL(r##_START, VMLAYOUT_VA_BITS + 1) && \\",
  "\t\t\t       !VMLAYOUT_CANONICAL(r##_END, VMLAYOUT_VA_BITS + 1), \\",
  '\t\t\t       #r ": between the TTBR0 and the TTBR1 half")',
  "#endif",
];

// ---------------------------------------------------------------- banner

function banner(
  models: readonly LayoutModel[],
  selectors: readonly string[],
  regenerate: string,
  e: Escapes,
): string[] {
  const l = models[0]!.layout;
  const single = selectors.length === 0 && l.variant !== null;
  const hasParams = models.some((m) => m.params.length > 0);
  const hasKaslr = models.some((m) => m.kaslr.length > 0);
  const text: string[] = [
    ...bannerHead(l, single, regenerate, e),
    ...para(
      "C99 and later, and assembler: under __ASSEMBLER__ numbers carry no UL suffix, and what " +
        "only C can express (variables, bounds computed from them, static asserts) is left out.",
      e,
    ),
    "",
    "  R_START, R_END, R_SIZE   every region R; END is the last byte (inclusive)",
  ];
  if (models.some((m) => m.constants.length > 0))
    text.push("  C                        every exported constant C");
  if (hasParams) text.push("  P_DEFAULT                parameter P: its default");
  if (hasParams)
    text.push("  P_MIN, P_MAX, P_ALIGN    ... and the values the layout is verified for");
  if (hasKaslr)
    text.push("  R_BASE_DEFAULT           where KASLR-randomised region R starts by default");
  if (hasParams || hasKaslr) {
    const what =
      hasParams && hasKaslr
        ? "Parameters and KASLR bases are"
        : hasParams
          ? "Parameters are"
          : "KASLR bases are";
    text.push(
      "",
      ...para(
        `${what} variables the kernel defines (extern unsigned long); bounds that depend on ` +
          "them are C expressions over those variables.",
        e,
      ),
    );
  }
  text.push("");
  if (selectors.length === 0) text.push(...para(`${capital(pagingText(l))}.`, e));
  else {
    text.push(...para("This header holds every variant of the spec. Define exactly one of", e), "");
    text.push(
      ...columns(
        models.map((m, i) => [
          `  ${selectors[i]}`,
          `"${cComment(m.layout.variant ?? "", e)}": ${pagingText(m.layout)}`,
        ]),
        2,
      ),
    );
    text.push(
      "",
      ...para(
        "before including it (from the build system, or from the kernel configuration option " +
          "that chooses between them), or generate a single variant with --variant.",
        e,
      ),
    );
  }
  // Last: the body and the banner above have been escaped by now.
  if (e.used) text.push("", ...para(ESCAPE_NOTE, e));
  return ["/*", ...text.map((t) => (t === "" ? " *" : ` * ${t}`)), " */"];
}

/**
 * The opening of a generated C file's banner: what it is, where it comes from, and the command
 * that regenerates it; then a blank line.
 */
export function bannerHead(l: Layout, single: boolean, regenerate: string, e: Escapes): string[] {
  return [
    ...para(`${l.description ?? l.name}${single ? `, variant "${l.variant}"` : ""}`, e),
    "",
    ...para(
      `Generated by vmlayout, do not edit. Source: ${specBaseName(l)} (layout ${l.name}).`,
      e,
    ),
    "Regenerate it with",
    "",
    `  ${cComment(regenerate, e)}`,
    "",
    ...para("and add --check to that command in CI to catch a stale copy.", e),
    "",
  ];
}

/** Wraps a paragraph for the inside of a block comment. */
export const para = (text: string, e: Escapes): string[] => wrap(cComment(text, e), WIDTH - 3);

function selection(selectors: readonly string[]): string[] {
  return [
    `#if ${selectors.map((s) => `defined(${s})`).join(" + ")} != 1`,
    `#error "define exactly one of ${list(selectors)}"`,
    "#endif",
  ];
}

// ---------------------------------------------------------------- one variant

/**
 * Width of the macro-name column: the longest name any `#define` of a value has, leaving out
 * names longer than NAME_CAP (the `NONCANONICAL_0000800000000000_START` of an unnamed region),
 * which break the column rather than push every value to the right.
 */
function nameWidth(models: readonly LayoutModel[]): number {
  const names: string[] = [];
  for (const m of models) {
    for (const p of m.params) names.push(`${p.macro}_DEFAULT`);
    for (const k of m.kaslr) {
      names.push(`KASLR_${upperIdent(k.group.name)}_START`);
      for (const mem of k.members) names.push(`${mem.macro}_DEFAULT`);
    }
    for (const r of m.regions) names.push(`${r.region.exportName}_START`);
    for (const c of m.constants) names.push(c.constant.exportName);
  }
  // A loop, not Math.max(...names): one name per region overflows the stack's argument space.
  let width = 0;
  for (const n of names) if (n.length <= NAME_CAP && n.length > width) width = n.length;
  return width;
}

const NAME_CAP = 30;

/** Width of an address in `VMLAYOUT_AC(0x..., UL)`: trailing comments line up after it. */
const VALUE_WIDTH = `VMLAYOUT_AC(${hex(0n)}, UL)`.length;

const ac = (digits: string): string => `VMLAYOUT_AC(${digits}, UL)`;

/** A number in a C expression: small ones in decimal, others in hex with `UL`. */
const cNumber = (v: bigint): string => (v < 10n ? v.toString() : `${shortHex(v)}UL`);

export function cExpression(f: Extract<Form, { kind: "linear" }>): string {
  const parts: string[] = [];
  for (const [i, { sign, term }] of orderedSum(f).items.entries()) {
    const text =
      typeof term === "bigint"
        ? cNumber(term)
        : term.coeff === 1n
          ? term.variable
          : `${cNumber(term.coeff)} * ${term.variable}`;
    parts.push(i === 0 ? (sign < 0 ? `0 - ${text}` : text) : `${sign < 0 ? "-" : "+"} ${text}`);
  }
  return `(${parts.length === 0 ? "0" : parts.join(" ")})`;
}

function items(
  m: LayoutModel,
  width: number,
  own: readonly Own[],
  e: Escapes,
  problems: Problems,
): Item[] {
  const l = m.layout;
  const names = new CNames(l, problems);
  for (const o of own) names.macro(o.name, o.origin, o.at, o.help);
  const define = (name: string, value: string, comment?: string): string[] => {
    const head = `#define ${name.padEnd(width)} `;
    if (comment === undefined)
      return `${head}${value}`.length <= WIDTH
        ? [`${head}${value}`]
        : [`#define ${name} \\`, `\t${value}`];
    const tail = `  /* ${cComment(comment, e)} */`;
    const line = `${head}${value.startsWith("VMLAYOUT_AC(") ? value.padEnd(VALUE_WIDTH) : value}${tail}`;
    if (line.length <= WIDTH) return [line];
    return [`/* ${name}: ${cComment(comment, e)} */`, `${head}${value}`];
  };
  return [
    ...paramItems(m, names, define, e),
    ...kaslrItems(m, names, define, e),
    ...regionItems(m, names, define, e),
    ...constantItems(m, names, define, e),
    ...checks(m, e),
  ];
}

/** The parameters: their macros, and the variables the kernel defines. */
function paramItems(m: LayoutModel, names: CNames, define: Define, e: Escapes): Item[] {
  if (m.params.length === 0) return [];
  const out: Item[] = [];
  const lines: string[] = [];
  const externs: string[] = [];
  for (const p of m.params) {
    names.variable(p.name, `the variable of parameter \`${p.name}\``, p.param.span);
    const fmt = (v: bigint): [string, string | undefined] => {
      switch (p.param.type) {
        case "count":
          return [ac(v.toString()), undefined];
        case "size":
          return [ac(shortHex(v)), size(v)];
        case "address":
          return [ac(hex(v)), undefined];
        default:
          return assertNever(p.param.type, "parameter type");
      }
    };
    const entries: [string, bigint][] = [
      ["DEFAULT", p.param.default],
      ["MIN", p.param.min],
      ["MAX", p.param.max],
      ["ALIGN", p.param.align],
    ];
    const block = [comment(e, `${p.name}${p.param.description ? `: ${p.param.description}` : ""}`)];
    for (const [suffix, v] of entries) {
      const name = `${p.macro}_${suffix}`;
      names.macro(name, `the ${suffix.toLowerCase()} of parameter \`${p.name}\``, p.param.span);
      const [value, words] =
        suffix === "ALIGN" && p.param.type !== "count" ? [ac(shortHex(v)), size(v)] : fmt(v);
      block.push(...define(name, value, words));
    }
    lines.push(...(lines.length > 0 ? [""] : []), ...block);
    externs.push(`extern unsigned long ${p.name};`);
  }
  out.push({
    key: "params:head",
    lines: [
      "/*",
      ...para(
        "Parameters: variables the kernel defines. The layout is verified for every value from " +
          "P_MIN to P_MAX that is a multiple of P_ALIGN; P_DEFAULT is the spec's default.",
        e,
      ).map((t) => ` * ${t}`),
      " */",
    ],
  });
  out.push({ key: "params", lines });
  out.push({ key: "params:externs", lines: ["#ifndef __ASSEMBLER__", ...externs, "#endif"] });
  return out;
}

/** Each KASLR group: its range and alignment, and its members' base variables. */
function kaslrItems(m: LayoutModel, names: CNames, define: Define, e: Escapes): Item[] {
  const out: Item[] = [];
  for (const k of m.kaslr) {
    const g = upperIdent(k.group.name);
    const lines = [
      "/*",
      ...para(
        `KASLR group ${k.group.name}: ${list(k.members.map((x) => x.region.name))} are randomised, in this ` +
          `order, within KASLR_${g}_START .. KASLR_${g}_END, at multiples of KASLR_${g}_ALIGN. ` +
          `Each starts at a variable the kernel sets (${list(k.members.map((x) => x.name))}); ` +
          "R_BASE_DEFAULT is where the spec puts it.",
        e,
      ).map((t) => ` * ${t}`),
      " */",
    ];
    const rows: [string, bigint, string | undefined, string][] = [
      [
        `KASLR_${g}_START`,
        k.group.rangeStart,
        undefined,
        `the start of KASLR group \`${k.group.name}\``,
      ],
      [`KASLR_${g}_END`, k.group.rangeEnd, undefined, `the end of KASLR group \`${k.group.name}\``],
      [
        `KASLR_${g}_ALIGN`,
        k.group.align,
        size(k.group.align),
        `the alignment of KASLR group \`${k.group.name}\``,
      ],
    ];
    for (const mem of k.members)
      rows.push([
        `${mem.macro}_DEFAULT`,
        mem.value,
        mem.region.name,
        `the default base of \`${mem.region.name}\``,
      ]);
    for (const [name, v, words, origin] of rows) {
      names.macro(name, origin, k.group.span);
      lines.push(...define(name, ac(name.endsWith("_ALIGN") ? shortHex(v) : hex(v)), words));
    }
    lines.push("#ifndef __ASSEMBLER__");
    for (const mem of k.members) {
      names.variable(mem.name, `the base variable of \`${mem.region.name}\``, mem.region.nameSpan);
      lines.push(`extern unsigned long ${mem.name};`);
    }
    lines.push("#endif");
    out.push({ key: `kaslr:${k.group.name}`, lines });
  }
  return out;
}

/** The regions, by start address. */
function regionItems(m: LayoutModel, names: CNames, define: Define, e: Escapes): Item[] {
  const out: Item[] = [];
  out.push({
    key: "regions:head",
    lines: [
      "/*",
      ...para(
        "Regions, by start address (a parent before its children). R_END is the last byte of R, " +
          "R_SIZE is R_END - R_START + 1.",
        e,
      ).map((t) => ` * ${t}`),
      " */",
    ],
  });
  for (const r of m.regions)
    out.push({ key: `region:${r.region.name}`, lines: regionLines(r, names, define, e) });
  return out;
}

/** The constants. */
function constantItems(m: LayoutModel, names: CNames, define: Define, e: Escapes): Item[] {
  const out: Item[] = [];
  if (m.constants.length > 0) out.push({ key: "constants:head", lines: [comment(e, "Constants")] });
  for (const { constant: c, form } of m.constants) {
    names.macro(c.exportName, `constant \`${c.name}\``, c.span);
    const about = [c.description ? `${c.name}: ${c.description}` : c.name];
    if (form.kind !== "fixed") about.push(`${hex(form.value)} by default`);
    if (form.kind === "opaque") about.push(missing([c.exportName], [form]));
    const lines = [comment(e, ...about)];
    const block = bound(c.exportName, form, define, c.value.value >= 1n << 32n);
    lines.push(...(form.kind === "linear" ? ["#ifndef __ASSEMBLER__", ...block, "#endif"] : block));
    out.push({ key: `constant:${c.name}`, lines });
  }
  return out;
}

/**
 * The names a header defines: no two alike (E0301), none a C keyword (E0302), none a name the
 * compiler predefines or reserves, nor `main` (E0303). Macros may otherwise have reserved
 * names (`__PAGE_OFFSET`, as Linux's own headers do); extern variables may not.
 */
export class CNames {
  private readonly names: Names;
  constructor(
    private readonly l: Layout,
    private readonly problems: Problems,
  ) {
    this.names = new Names(
      `a C header for \`${l.name}\`${l.variant !== null ? ` (variant "${l.variant}")` : ""}`,
      problems,
    );
  }

  macro(name: string, origin: string, at: Span | undefined, help?: string): void {
    this.add(name, origin, at, false, help);
  }

  variable(name: string, origin: string, at: Span): void {
    this.add(name, origin, at, true);
  }

  private add(
    name: string,
    origin: string,
    at: Span | undefined,
    variable: boolean,
    help?: string,
  ): void {
    const problem = cNameProblem(name, variable);
    if (problem) {
      this.problems.report(
        name,
        diagnostic(
          problem.code,
          `cannot emit a C header for \`${this.l.name}\`: its ${variable ? "variable" : "macro"} \`${name}\` ${problem.why}`,
          at,
          {
            notes: [`\`${name}\` would be ${origin}`],
            help: variable
              ? "rename the parameter (or the randomised region, whose base variable this is)"
              : "give it another C name with `export NAME`",
          },
        ),
      );
      return;
    }
    this.names.add(name, origin, at, help);
  }
}

/**
 * A one-line comment (its parts joined by `; `), or, when that is too long, a block comment
 * with each part on lines of its own.
 */
export function comment(e: Escapes, ...parts: string[]): string {
  const line = `/* ${cComment(parts.join("; "), e)} */`;
  if (line.length <= WIDTH) return line;
  return ["/*", ...parts.flatMap((p) => para(p, e)).map((t) => ` * ${t}`), " */"].join("\n");
}

type Define = (name: string, value: string, comment?: string) => string[];

/** The `#define` of one bound; C-only and opaque bounds are marked by the caller's block. */
/** The `#define` of a fixed or linear bound (opaque ones get no definition). */
function bound(name: string, f: Form, define: Define, longHex: boolean, words?: string): string[] {
  switch (f.kind) {
    case "fixed":
      return define(name, ac(longHex ? hex(f.value) : shortHex(f.value)), words);
    case "linear":
      return define(name, cExpression(f));
    case "opaque":
      return [];
    default:
      return assertNever(f, "bound form");
  }
}

/** Why some macros are missing: `B_END and B_SIZE are not defined: they depend on ...`. */
function missing(names: readonly string[], forms: readonly Form[]): string {
  const variables = [...new Set(forms.flatMap(variablesOf))];
  return (
    `${list(names)} ${names.length > 1 ? "are" : "is"} not defined: ${names.length > 1 ? "they depend" : "it depends"} ` +
    `on ${list(variables)} through align_up, align_down, min or max, or with a fraction, which no C ` +
    "expression here computes exactly"
  );
}

function regionLines(r: RegionModel, names: CNames, define: Define, e: Escapes): string[] {
  const reg = r.region;
  const facts = attributes(reg);
  if (r.movesWith)
    facts.push(
      r.movesWith.region === reg
        ? `randomised: starts at ${r.movesWith.name}`
        : `moves with ${r.movesWith.name}`,
    );
  if (reg.parent) facts.push(`in ${reg.parent}`);
  const about = [reg.description ? `${reg.name}: ${reg.description}` : reg.name];
  if (facts.length > 0) about.push(facts.join(", "));
  if (r.start.kind !== "fixed" || r.end.kind !== "fixed" || (r.size && r.size.kind !== "fixed"))
    about.push(
      `by default ${hex(reg.start.value)} .. ${hex(reg.end.value)}` +
        (r.size ? ` (${size(reg.size.value)})` : ""),
    );
  const fixed: string[] = [];
  const dynamic: string[] = [];
  const opaque: { name: string; form: Form }[] = [];
  const add = (suffix: string, f: Form | undefined, longHex: boolean, words?: string): void => {
    const name = `${reg.exportName}_${suffix}`;
    names.macro(name, `the ${suffix.toLowerCase()} of region \`${reg.name}\``, reg.nameSpan);
    if (f === undefined)
      about.push(`${name} is not defined: the size is 2^64, which no 64-bit number holds`);
    else if (f.kind === "opaque") opaque.push({ name, form: f });
    else (f.kind === "fixed" ? fixed : dynamic).push(...bound(name, f, define, longHex, words));
  };
  add("START", r.start, true);
  add("END", r.end, true);
  add("SIZE", r.size, false, r.size === undefined ? undefined : size(r.size.value));
  if (opaque.length > 0)
    about.push(
      missing(
        opaque.map((o) => o.name),
        opaque.map((o) => o.form),
      ),
    );
  const lines = [comment(e, ...about), ...fixed];
  if (dynamic.length > 0) lines.push("#ifndef __ASSEMBLER__", ...dynamic, "#endif");
  return lines;
}

// ---------------------------------------------------------------- static asserts

function checks(m: LayoutModel, e: Escapes): Item[] {
  const l = m.layout;
  const arch = archOf(l.paging);
  const rooted = arch.halfRoots !== undefined;
  const out: Item[] = [
    {
      key: "checks:head",
      lines: [
        "/*",
        ...para(
          "Compile-time checks: what vmlayout verified about the fixed bounds above, checked again " +
            "by the compiler, so that a hand-edited copy cannot silently disagree with itself. " +
            "Bounds that depend on a variable are verified by vmlayout for every value it may take.",
          e,
        ).map((t) => ` * ${t}`),
        " */",
        "#ifndef __ASSEMBLER__",
        "",
        ...CHECK_HELPERS,
        ...(rooted ? TTBR_HELPERS : []),
        "",
        'VMLAYOUT_STATIC_ASSERT(sizeof(unsigned long) == 8, "vmlayout headers need a 64-bit unsigned long");',
      ],
    },
    { key: "checks:bits", lines: [`#define VMLAYOUT_VA_BITS ${l.paging.vaBits}`] },
  ];
  const [inHalf, between] = rooted
    ? ["VMLAYOUT_CHECK_TTBR_HALF", "VMLAYOUT_CHECK_TTBR_GAP"]
    : ["VMLAYOUT_CHECK_CANONICAL", "VMLAYOUT_CHECK_NONCANONICAL"];
  const halfBit = BigInt(arch.halfBit);
  const fixed = (f: Form | undefined): f is Extract<Form, { kind: "fixed" }> => f?.kind === "fixed";

  const siblings = groupBy(m.regions, (r) => r.region.parent);
  for (const r of m.regions) {
    const reg = r.region;
    const R = reg.exportName;
    const lines: string[] = [];
    const { start, end, size } = r;
    if (fixed(start) && fixed(end) && fixed(size)) {
      lines.push(`VMLAYOUT_CHECK_EXTENT(${R});`);
      const aligns: bigint[] = [];
      if (reg.kind !== "noncanonical") aligns.push(reg.maxPage ?? arch.pageSizes[0]!);
      if (reg.align) aligns.push(reg.align.value);
      const needed = aligns.filter(
        (a, i) =>
          !aligns.some((b, j) => j !== i && b !== a && b % a === 0n) && aligns.indexOf(a) === i,
      );
      for (const a of needed)
        if (start.value % a === 0n && size.value % a === 0n)
          lines.push(`VMLAYOUT_CHECK_ALIGNED(${R}, ${shortHex(a)});`);
    }
    if (fixed(start) && fixed(end)) {
      if (reg.kind === "noncanonical") {
        if (!arch.isCanonical(start.value) && !arch.isCanonical(end.value))
          lines.push(`${between}(${R});`);
      } else if (arch.isCanonical(start.value) && start.value >> halfBit === end.value >> halfBit) {
        lines.push(`${inHalf}(${R});`);
      }
    }
    const parent = reg.parent === null ? undefined : m.byName.get(reg.parent);
    if (
      parent &&
      fixed(start) &&
      fixed(end) &&
      fixed(parent.start) &&
      fixed(parent.end) &&
      parent.start.value <= start.value &&
      end.value <= parent.end.value
    )
      lines.push(`VMLAYOUT_CHECK_INSIDE(${R}, ${parent.region.exportName});`);
    const sibs = siblings.get(reg.parent)!;
    const next = sibs[sibs.indexOf(r) + 1];
    if (next && fixed(end) && fixed(next.start) && end.value < next.start.value)
      lines.push(`VMLAYOUT_CHECK_BEFORE(${R}, ${next.region.exportName});`);
    if (lines.length > 0) out.push({ key: `check:${reg.name}`, lines });
  }
  out.push({
    key: "checks:tail",
    lines: ["#undef VMLAYOUT_VA_BITS", "#endif /* !__ASSEMBLER__ */"],
  });
  return out;
}

// ---------------------------------------------------------------- variants

/**
 * One body for all variants: an item that every variant has, with the same text, is written
 * once; the rest goes into `#if defined(SELECTOR)` / `#elif` blocks. Each variant sees its own
 * items in its own order.
 */
function merge(perVariant: readonly (readonly Item[])[], selectors: readonly string[]): string[][] {
  const text = (i: Item): string => i.lines.join("\n");
  const [head, ...rest] = perVariant;
  let common = new Set(
    head!
      .filter((i) => rest.every((v) => v.some((j) => j.key === i.key && text(j) === text(i))))
      .map((i) => i.key),
  );
  const order = (v: readonly Item[]): string =>
    v
      .filter((i) => common.has(i.key))
      .map((i) => i.key)
      .join("\0");
  if (!perVariant.every((v) => order(v) === order(head!))) common = new Set();

  const out: string[][] = [];
  const pending: Item[][] = perVariant.map(() => []);
  const flush = (): void => {
    if (pending.every((p) => p.length === 0)) return;
    let opened = false;
    pending.forEach((p, v) => {
      if (p.length === 0) return;
      out.push([`#${opened ? "elif" : "if"} defined(${selectors[v]})`]);
      opened = true;
      for (const i of p) out.push([...i.lines]);
    });
    out.push(["#endif"]);
    for (const p of pending) p.length = 0;
  };
  const cursors = perVariant.map(() => 0);
  for (const key of head!.filter((i) => common.has(i.key)).map((i) => i.key)) {
    perVariant.forEach((v, n) => {
      while (v[cursors[n]!]!.key !== key) pending[n]!.push(v[cursors[n]!++]!);
      cursors[n]!++;
    });
    flush();
    out.push([...head!.find((i) => i.key === key)!.lines]);
  }
  perVariant.forEach((v, n) => {
    for (let i = cursors[n]!; i < v.length; i++) pending[n]!.push(v[i]!); // no spread: huge
  });
  flush();
  return out;
}
