/**
 * `--emit rust`: a module, `memory_layout.rs`, of `pub const` items (`u64`) with doc comments.
 *
 * - Every region R gives `R_START`, `R_END` (inclusive) and `R_SIZE`, every constant its own
 *   item; names are the export names in SCREAMING_SNAKE_CASE.
 * - A parameter P gives `P_DEFAULT`, `P_MIN`, `P_MAX` and `P_ALIGN`, a KASLR member R
 *   `R_BASE_DEFAULT`. A bound that depends on them cannot be a constant: it is a `const fn` of
 *   the values it depends on, named like the constant in snake case
 *   (`kernel_elf_end(kernel_end)`), usable in constant expressions
 *   (`kernel_elf_end(KERNEL_END_DEFAULT)`). Arithmetic wraps only where vmlayout cannot show
 *   that the plain operators never overflow for allowed values.
 * - A spec with variants and no `--variant` gives one `pub mod` per variant, each complete.
 */
import type { Span } from "../../diagnostics/diagnostic.js";
import { ESCAPE_NOTE, Escapes, markdownCode, markdownLine, markdownText } from "./escape.js";
import { type EmitRequest, type Emitter, regenerateCommand } from "./emitter.js";
import { assertNever } from "../../model/collections.js";
import { list, size } from "../../model/format.js";
import {
  type Form,
  type LayoutModel,
  type RegionModel,
  model,
  orderedSum,
  sumStaysInRange,
  variablesOf,
} from "./model.js";
import { Names, Problems, upperIdent } from "./names.js";
import { capital, WIDTH, attributes, blocks, pagingText, specBaseName, wrap } from "./text.js";

const RUST_KEYWORDS = new Set(
  (
    "as break const continue crate else enum extern false fn for if impl in let loop match mod " +
    "move mut pub ref return self Self static struct super trait true type unsafe use where while " +
    "async await dyn abstract become box do final macro override priv typeof unsized virtual " +
    "yield try gen"
  ).split(" "),
);

/** Every variant (variant policy `modules`): one `pub mod` per variant, each complete. */
export const emitRust: Emitter = (request) => {
  const problems = new Problems();
  return problems.result(module(request, problems));
};

function module(request: EmitRequest, problems: Problems): string {
  const { everyVariant } = request;
  const models = request.layouts.map(model);
  const e = new Escapes();
  const parts = layoutParts(models, everyVariant, e, problems);
  // Last: the banner notes what the body escaped.
  return blocks([banner(models, request, e), ...parts]);
}

/**
 * The items of the layouts as blocks: one layout's at top level, or (`everyVariant`) a `pub mod`
 * per variant. `tail` adds a last block to each (given the layout's index), unindented.
 */
export function layoutParts(
  models: readonly LayoutModel[],
  everyVariant: boolean,
  e: Escapes,
  problems: Problems,
  tail: (i: number) => string[] = () => [],
): string[][] {
  const parts: string[][] = [];
  if (!everyVariant) {
    for (const block of body(models[0]!, 0, e, problems)) parts.push(block); // no spread: one per region
    parts.push(tail(0));
    return parts;
  }
  const modules = new Names(`a Rust module for \`${models[0]!.layout.name}\``, problems);
  models.forEach((m, i) => {
    const name = moduleName(m.layout.variant ?? "");
    modules.add(name, `the module of variant "${m.layout.variant}"`, m.layout.variantSpan, RENAME);
    const inner = body(m, 4, e, problems);
    const last = tail(i);
    if (last.length > 0) inner.push(last.map((line) => (line === "" ? "" : `    ${line}`)));
    parts.push(variantModule(m, inner, e));
  });
  return parts;
}

/** A variant's `pub mod`, holding `inner`'s blocks (indented by 4 already). */
function variantModule(m: LayoutModel, inner: readonly string[][], e: Escapes): string[] {
  return [
    ...doc(`Variant "${markdownText(m.layout.variant ?? "", e)}": ${pagingText(m.layout)}.`, 0),
    `pub mod ${moduleName(m.layout.variant ?? "")} {`,
    ...inner.flatMap((block, i) => [...(i > 0 ? [""] : []), ...block]),
    "}",
  ];
}

export const RENAME = "rename one of the variants: their modules keep only letters and digits";

/** `4-level` -> `variant_4_level`; `small` -> `small`. */
export function moduleName(variant: string): string {
  const snake = upperIdent(variant).toLowerCase();
  return /^[a-z]/.test(snake) && !RUST_KEYWORDS.has(snake) ? snake : `variant_${snake}`;
}

// ---------------------------------------------------------------- text

/** `PageOffset` -> `PAGE_OFFSET`; `__PAGE_OFFSET` and `PML4PML4I` (no lower case) stay. */
export const screaming = (name: string): string =>
  /[a-z]/.test(name) ? name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase() : name;

export const snake = (name: string): string => screaming(name).toLowerCase();

/** A variable as a Rust identifier (an argument name). */
const ident = (name: string): string =>
  !RUST_KEYWORDS.has(name)
    ? name
    : ["self", "Self", "super", "crate"].includes(name)
      ? `${name}_`
      : `r#${name}`;

/** `0xffff_8880_0000_0000`: hex in groups of four digits, at least `pad` digits. */
export function rustHex(v: bigint, pad = 0): string {
  const digits = v.toString(16).padStart(pad, "0");
  const groups: string[] = [];
  for (let end = digits.length; end > 0; end -= 4)
    groups.unshift(digits.slice(Math.max(0, end - 4), end));
  return "0x" + groups.join("_");
}

export const address = (v: bigint): string => rustHex(v, 16);

/** Doc comment lines for `text`, wrapped for the given indentation. */
export function doc(text: string, indent: number, marker = "///"): string[] {
  return text
    .split("\n")
    .flatMap((paragraph) =>
      paragraph === "" ? [""] : wrap(paragraph, WIDTH - indent - marker.length - 1),
    )
    .map((line) => (line === "" ? marker : `${marker} ${markdownLine(line)}`));
}

/** Markdown code for an identifier or vmlayout's own text (spec text: `markdownCode`). */
const code = (s: string): string => "`" + s + "`";

function banner(models: readonly LayoutModel[], request: EmitRequest, e: Escapes): string[] {
  const { everyVariant } = request;
  const l = models[0]!.layout;
  const single = !everyVariant && l.variant !== null;
  const hasVariables = models.some((m) => m.params.length > 0 || m.kaslr.length > 0);
  const text = [
    `${markdownText(l.description ?? l.name, e)}${single ? `, variant "${markdownText(l.variant!, e)}"` : ""}.`,
    "",
    `Generated by vmlayout, do not edit. Source: ${markdownCode(specBaseName(l), e)} (layout ${code(l.name)}). ` +
      `Regenerate with ${markdownCode(regenerateCommand("rust", request), e)}, ` +
      "and add `--check` to that command in CI to catch a stale copy.",
    "",
    "Every region `R` has `R_START`, `R_END` (its last byte, inclusive) and `R_SIZE`, in bytes." +
      (models.some((m) => m.params.length > 0)
        ? " A parameter `P` has `P_DEFAULT` and the range the layout is verified for: every " +
          "multiple of `P_ALIGN` from `P_MIN` to `P_MAX`."
        : "") +
      (models.some((m) => m.kaslr.length > 0)
        ? " A region `R` that KASLR randomises starts at a base the kernel chooses, " +
          "`R_BASE_DEFAULT` unless randomised."
        : ""),
  ];
  if (hasVariables)
    text.push(
      "",
      "A bound that depends on a parameter or a KASLR base is a `const fn` of those values, " +
        "named like the constant in snake case: `r_end(p)`; pass `P_DEFAULT` for the default.",
    );
  text.push(
    "",
    everyVariant
      ? `One module per variant: ${list(models.map((m) => `${code(moduleName(m.layout.variant ?? ""))} (${pagingText(m.layout)})`))}.`
      : `${capital(pagingText(l))}.`,
  );
  if (e.used) text.push("", ESCAPE_NOTE);
  return doc(text.join("\n"), 0, "//!");
}

// ---------------------------------------------------------------- one layout

/** The module's items as blocks of lines, indented by `indent` spaces. */
function body(m: LayoutModel, indent: number, e: Escapes, problems: Problems): string[][] {
  const l = m.layout;
  const pad = " ".repeat(indent);
  const names = new Names(
    `a Rust module for \`${l.name}\`${l.variant !== null ? ` (variant "${l.variant}")` : ""}`,
    problems,
  );
  const x: Module = {
    m,
    names,
    indent,
    e,
    d: (text) => doc(text, indent),
    item: (name, value, origin, at) => {
      names.add(name, origin, at);
      return `pub const ${name}: u64 = ${value};`;
    },
  };
  const out = [...paramItems(x), ...kaslrItems(x), ...regionBlocks(x), ...constantItems(x)];
  return out.map((block) => block.map((line) => (line === "" ? "" : pad + line)));
}

/** What the parts of one module share. */
interface Module {
  readonly m: LayoutModel;
  readonly names: Names;
  /** Spaces before each line (inside a variant's `pub mod`). */
  readonly indent: number;
  readonly e: Escapes;
  /** Doc comment lines. */
  readonly d: (text: string) => string[];
  /** A `pub const` item, its name recorded. */
  readonly item: (name: string, value: string, origin: string, at: Span) => string;
}

/** The parameters: default, minimum, maximum and alignment of each. */
function paramItems(x: Module): string[][] {
  const { m, indent, e, d, item } = x;
  if (m.params.length === 0) return [];
  const out: string[][] = [];
  out.push([
    ...comment(
      "Parameters: values the kernel chooses. The layout is verified for every multiple of " +
        "`P_ALIGN` from `P_MIN` to `P_MAX`.",
      indent,
    ),
  ]);
  for (const p of m.params) {
    const P = screaming(p.macro);
    const show = (v: bigint): [string, string] => {
      switch (p.param.type) {
        case "count":
          return [v.toString(), v.toString()];
        case "size":
          return [rustHex(v), size(v)];
        case "address":
          return [address(v), code(address(v))];
        default:
          return assertNever(p.param.type, "parameter type");
      }
    };
    const lines: string[] = [];
    const [dv, dw] = show(p.param.default);
    lines.push(
      ...d(
        `${code(p.name)}${p.param.description ? `: ${markdownText(p.param.description, e)}` : ""}.\n\nDefault: ${dw}.`,
      ),
      item(`${P}_DEFAULT`, dv, `the default of parameter \`${p.name}\``, p.param.span),
    );
    const [minv, minw] = show(p.param.min);
    lines.push(
      ...d(`Smallest value of ${code(p.name)} the layout is verified for: ${minw}.`),
      item(`${P}_MIN`, minv, `the minimum of parameter \`${p.name}\``, p.param.span),
    );
    const [maxv, maxw] = show(p.param.max);
    lines.push(
      ...d(`Largest value of ${code(p.name)} the layout is verified for: ${maxw}.`),
      item(`${P}_MAX`, maxv, `the maximum of parameter \`${p.name}\``, p.param.span),
    );
    const a = p.param.align;
    lines.push(
      ...d(
        `${code(p.name)} is verified for multiples of this: ${p.param.type === "count" ? a.toString() : size(a)}.`,
      ),
      item(
        `${P}_ALIGN`,
        p.param.type === "count" ? a.toString() : rustHex(a),
        `the alignment of parameter \`${p.name}\``,
        p.param.span,
      ),
    );
    out.push(lines);
  }
  return out;
}

/** Each KASLR group: its range and alignment, and its members' default bases. */
function kaslrItems(x: Module): string[][] {
  const { m, indent, d, item } = x;
  const out: string[][] = [];
  for (const k of m.kaslr) {
    const G = `KASLR_${upperIdent(k.group.name)}`;
    const members = list(k.members.map((x) => code(x.region.name)));
    const lines = [
      ...comment(
        `KASLR group \`${k.group.name}\`: ${members} are randomised, in this order, within ` +
          `\`${G}_START..=${G}_END\`, at multiples of \`${G}_ALIGN\`.`,
        indent,
      ),
      "",
      ...d(`First address of KASLR group ${code(k.group.name)}.`),
      item(
        `${G}_START`,
        address(k.group.rangeStart),
        `the start of KASLR group \`${k.group.name}\``,
        k.group.span,
      ),
      ...d(`Last address of KASLR group ${code(k.group.name)} (inclusive).`),
      item(
        `${G}_END`,
        address(k.group.rangeEnd),
        `the end of KASLR group \`${k.group.name}\``,
        k.group.span,
      ),
      ...d(`Alignment of the randomised bases: ${size(k.group.align)}.`),
      item(
        `${G}_ALIGN`,
        rustHex(k.group.align),
        `the alignment of KASLR group \`${k.group.name}\``,
        k.group.span,
      ),
    ];
    for (const mem of k.members)
      lines.push(
        ...d(
          `Default of ${code(mem.name)}, where ${code(mem.region.name)} starts unless KASLR moves it.`,
        ),
        item(
          `${screaming(mem.macro)}_DEFAULT`,
          address(mem.value),
          `the default base of \`${mem.region.name}\``,
          mem.region.nameSpan,
        ),
      );
    out.push(lines);
  }
  return out;
}

/** The regions, by start address. */
function regionBlocks(x: Module): string[][] {
  const { m, names, indent, e } = x;
  const out: string[][] = [];
  out.push(comment("Regions, by start address (a parent before its children).", indent));
  for (const r of m.regions) out.push(regionItems(m, r, names, indent, e));
  return out;
}

/** The constants: a `pub const`, a `const fn`, or a comment saying why neither. */
function constantItems(x: Module): string[][] {
  const { m, names, indent, e, d, item } = x;
  if (m.constants.length === 0) return [];
  const out: string[][] = [];
  const lines = comment("Constants.", indent);
  for (const { constant: c, form } of m.constants) {
    const C = screaming(c.exportName);
    const what = `${code(c.name)}${c.description ? `: ${markdownText(c.description, e)}` : ""}`;
    lines.push("");
    switch (form.kind) {
      case "fixed": {
        // A negative constant (`-1 << 47`) is the 64-bit word C's `unsigned long` holds.
        const v = BigInt.asUintN(64, c.value.value);
        const value = v >= 1n << 32n ? address(v) : rustHex(v);
        lines.push(...d(`${what}.`), item(C, value, `constant \`${c.name}\``, c.span));
        break;
      }
      case "linear":
        names.add(snake(C), `constant \`${c.name}\``, c.span);
        lines.push(
          ...d(
            `${what}; \`${address(c.value.value)}\` by default, given ${list(variablesOf(form).map(code))}.`,
          ),
          ...fn(m, snake(C), form, indent),
        );
        break;
      case "opaque":
        names.add(snake(C), `constant \`${c.name}\``, c.span);
        lines.push(
          ...comment(
            `${what}; \`${address(c.value.value)}\` by default. No \`${snake(C)}\`: it depends on ` +
              `${list(variablesOf(form).map(code))} through \`align_up\`, \`align_down\`, \`min\` or \`max\`, ` +
              "or with a fraction, which no expression here computes exactly.",
            indent,
          ),
        );
        break;
      default:
        assertNever(form, "bound form");
    }
  }
  out.push(lines);
  return out;
}

/** A plain `//` comment, wrapped. */
function comment(text: string, indent: number): string[] {
  return doc(text, indent, "//");
}

function regionItems(
  m: LayoutModel,
  r: RegionModel,
  names: Names,
  indent: number,
  e: Escapes,
): string[] {
  const reg = r.region;
  const R = screaming(reg.exportName);
  const facts = attributes(reg);
  if (r.movesWith)
    facts.push(
      r.movesWith.region === reg
        ? `randomised: starts at ${code(r.movesWith.name)}`
        : `moves with ${code(r.movesWith.name)}`,
    );
  if (reg.parent) facts.push(`in ${code(reg.parent)}`);
  const fixed = r.start.kind === "fixed" && r.end.kind === "fixed" && r.size?.kind === "fixed";
  const extent =
    `${fixed ? "" : "By default "}\`${address(reg.start.value)}..=${address(reg.end.value)}\`` +
    (r.size ? ` (${size(reg.size.value)})` : "");
  const head = [
    `${code(reg.name)}${reg.description ? `: ${markdownText(reg.description, e)}` : ""}.`,
    "",
    `${extent}${facts.length > 0 ? `; ${facts.join(", ")}` : ""}.`,
  ];
  // Each item: its own doc line and code; the region's doc goes on the first one.
  const items: { about: string; code: string[] }[] = [];
  const missing: { name: string; form: Form | undefined }[] = [];
  const bound = (suffix: "START" | "END" | "SIZE", f: Form | undefined, about: string): void => {
    const name = `${R}_${suffix}`;
    const origin = `the ${suffix.toLowerCase()} of region \`${reg.name}\``;
    if (f === undefined) {
      names.add(name, origin, reg.nameSpan);
      missing.push({ name, form: f });
      return;
    }
    switch (f.kind) {
      case "opaque":
        names.add(name, origin, reg.nameSpan);
        missing.push({ name: snake(name), form: f });
        return;
      case "fixed": {
        names.add(name, origin, reg.nameSpan);
        const value = suffix === "SIZE" ? rustHex(f.value) : address(f.value);
        // The region's own doc says where a fixed start is.
        items.push({
          about: suffix === "START" ? "" : `${about}.`,
          code: [`pub const ${name}: u64 = ${value};`],
        });
        return;
      }
      case "linear":
        names.add(snake(name), origin, reg.nameSpan);
        items.push({
          about: `${about}, given ${list(variablesOf(f).map(code))}.`,
          code: fn(m, snake(name), f, indent),
        });
        return;
      default:
        assertNever(f, "bound form");
    }
  };
  bound("START", r.start, `Start of ${code(reg.name)}`);
  bound("END", r.end, `Last byte of ${code(reg.name)} (inclusive)`);
  bound(
    "SIZE",
    r.size,
    `Size of ${code(reg.name)}${r.size?.kind === "fixed" ? `: ${size(r.size.value)}` : ""}`,
  );
  for (const x of missing.filter((x) => x.form === undefined))
    head.push("", `No \`${x.name}\`: the size is 2^64, which no \`u64\` holds.`);
  const opaque = missing.filter((x) => x.form !== undefined);
  if (opaque.length > 0)
    head.push(
      "",
      `No ${opaque.map((x) => code(x.name)).join(" or ")}: ${opaque.length > 1 ? "they depend" : "it depends"} on ` +
        `${list([...new Set(opaque.flatMap((x) => variablesOf(x.form!)))].map(code))} through \`align_up\`, ` +
        "`align_down`, `min` or `max`, or with a fraction, which no expression here computes exactly.",
    );
  const lines: string[] = [];
  if (items.length === 0) lines.push(...doc(head.join("\n"), indent, "//"));
  items.forEach((item, i) => {
    const text = i === 0 ? [...head, ...(item.about ? ["", item.about] : [])] : [item.about];
    lines.push(...doc(text.join("\n"), indent), ...item.code);
  });
  return lines;
}

/** A `const fn` computing a linear form (wrapped like rustfmt does when it is long). */
function fn(
  m: LayoutModel,
  name: string,
  f: Extract<Form, { kind: "linear" }>,
  indent: number,
): string[] {
  const args = f.terms.map((t) => `${ident(t.variable)}: u64`);
  const sum = orderedSum(f);
  const plain = sumStaysInRange(sum, m);
  const num = (v: bigint): string => (v < 10n ? v.toString() : rustHex(v));
  let expr = "";
  sum.items.forEach(({ sign, term }, i) => {
    const text =
      typeof term === "bigint"
        ? num(term)
        : term.coeff === 1n
          ? ident(term.variable)
          : plain
            ? `${num(term.coeff)} * ${ident(term.variable)}`
            : `${ident(term.variable)}.wrapping_mul(${num(term.coeff)})`;
    if (i === 0) expr = sign > 0 ? text : plain ? `0 - ${text}` : `0u64.wrapping_sub(${text})`;
    else if (plain) expr += ` ${sign > 0 ? "+" : "-"} ${text}`;
    else
      expr = `${i === 1 && typeof sum.items[0]!.term === "bigint" ? `${expr}u64` : expr}.wrapping_${sign > 0 ? "add" : "sub"}(${text})`;
  });
  if (sum.items.length === 0) expr = "0";
  const oneLine = `pub const fn ${ident(name)}(${args.join(", ")}) -> u64 {`;
  const signature =
    indent + oneLine.length <= WIDTH
      ? [oneLine]
      : [`pub const fn ${ident(name)}(`, ...args.map((a) => `    ${a},`), ") -> u64 {"];
  return ["#[must_use]", ...signature, `    ${expr}`, "}"];
}
