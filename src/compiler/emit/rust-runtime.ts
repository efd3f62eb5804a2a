/**
 * `--emit rust-runtime`: the Rust counterpart of `--emit c-runtime`, a module whose layout is
 * chosen at boot.
 *
 * - One `pub mod` per variant, each what `--emit rust` writes for it, plus `pub const LAYOUT`:
 *   the variant's values in a `Layout` struct.
 * - `Layout` has a field per value, named like the constant in snake case (`vmalloc_start`):
 *   `u64` for a value every variant has; `Option<u64>` for one some variant lacks (or cannot
 *   compute exactly); a bound over parameters or KASLR bases is `fn(u64, ...) -> u64`, the
 *   module's `const fn`, when every variant has it over the same variables.
 * - `Variant` is an enum of the variants; `Variant::layout()` gives the variant's `&'static
 *   Layout`. The kernel picks the variant once at boot and keeps that reference (in a static
 *   of its own: the module holds no state, so it suits `no_std`).
 *
 * A spec without variants gives its module's items and one `LAYOUT`, no enum.
 */
import { ESCAPE_NOTE, Escapes, markdownCode, markdownText } from "./escape.js";
import { type EmitRequest, type Emitter, regenerateCommand } from "./emitter.js";
import { list } from "../../model/format.js";
import { type Form, type LayoutModel, model, variablesOf } from "./model.js";
import { Names, Problems, upperIdent } from "./names.js";
import { RENAME, doc, layoutParts, moduleName, screaming, snake } from "./rust.js";
import { capital, blocks, pagingText, specBaseName } from "./text.js";
import { type NamedValue, namedValues } from "./values.js";

/** A field of `Layout`: its Rust type, and what each variant's module gives it. */
interface Field {
  readonly name: string;
  readonly type: string;
  readonly about: string;
  /** Per variant: the expression in that variant's module. */
  readonly values: readonly string[];
}

export const emitRustRuntime: Emitter = (request) => {
  const problems = new Problems();
  const models = request.layouts.map(model);
  const e = new Escapes();
  const fieldNames = new Names(`a Rust module for \`${models[0]!.layout.name}\``, problems);
  const { fields, left } = layoutFields(models, fieldNames);
  const layoutConst = (i: number): string[] => [
    "/// Every value of this layout, for code that picks the layout at boot.",
    `pub const LAYOUT: ${request.everyVariant ? "super::" : ""}Layout = ${request.everyVariant ? "super::" : ""}Layout {`,
    ...fields.map((f) => `    ${f.name}: ${f.values[i]},`),
    "};",
  ];
  const parts = layoutParts(models, request.everyVariant, e, problems, layoutConst);
  if (request.everyVariant) parts.push(variantEnum(models, e, problems));
  parts.push(layoutStruct(fields, left));
  return problems.result(blocks([banner(models, request, e), ...parts]));
};

/** The Rust text of a value in its module, or undefined when the module has none. */
function rustItem(v: NamedValue | undefined): { form: Form; text: string } | undefined {
  if (v?.form === undefined || v.form.kind === "opaque") return undefined;
  return { form: v.form, text: v.form.kind === "fixed" ? screaming(v.name) : snake(v.name) };
}

/** The fields of `Layout`, and the values no field holds (their names, for its doc). */
function layoutFields(
  models: readonly LayoutModel[],
  names: Names,
): { fields: Field[]; left: string[] } {
  const perVariant = models.map((m) => new Map(namedValues(m).map((v) => [v.name, v])));
  const order: NamedValue[] = [];
  const seen = new Set<string>();
  for (const vs of perVariant)
    for (const v of vs.values())
      if (!seen.has(v.name)) {
        seen.add(v.name);
        order.push(v);
      }
  const fields: Field[] = [];
  const left: string[] = [];
  for (const v of order) {
    const items = perVariant.map((m) => rustItem(m.get(v.name)));
    const name = snake(v.name);
    const add = (type: string, values: string[]): void => {
      names.add(name, `the \`Layout\` field of ${v.origin}`, v.at);
      fields.push({ name, type, about: v.origin, values });
    };
    if (items.every((x) => x?.form.kind === "fixed"))
      add(
        "u64",
        items.map((x) => x!.text),
      );
    else if (items.every((x) => x === undefined || x.form.kind === "fixed"))
      add(
        "Option<u64>",
        items.map((x) => (x === undefined ? "None" : `Some(${x.text})`)),
      );
    else {
      const variables = items.map((x) => (x ? variablesOf(x.form).join(",") : undefined));
      if (
        items.every((x) => x?.form.kind === "linear") &&
        variables.every((s) => s === variables[0])
      )
        add(
          `fn(${variablesOf(items[0]!.form)
            .map(() => "u64")
            .join(", ")}) -> u64`,
          items.map((x) => x!.text),
        );
      else left.push(v.name);
    }
  }
  return { fields, left };
}

/** A Rust string literal of `s`: anything but printable ASCII as a `\u{...}` escape. */
const rustString = (s: string): string =>
  `"${[...s]
    .map((c) =>
      c === "\\" || c === '"'
        ? `\\${c}`
        : /[\x20-\x7e]/.test(c)
          ? c
          : `\\u{${c.codePointAt(0)!.toString(16)}}`,
    )
    .join("")}"`;

/** `4-level` -> `V4Level`, `la57` -> `La57`: an enum variant's name (UpperCamelCase). */
function variantName(variant: string): string {
  const camel = upperIdent(variant)
    .split("_")
    .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
    .join("");
  return /^[A-Za-z]/.test(camel) ? camel : `V${camel}`;
}

function variantEnum(models: readonly LayoutModel[], e: Escapes, problems: Problems): string[] {
  const names = new Names(`a Rust module for \`${models[0]!.layout.name}\``, problems);
  const variants = models.map((m) => {
    const name = variantName(m.layout.variant ?? "");
    names.add(name, `the \`Variant\` of "${m.layout.variant}"`, m.layout.variantSpan, RENAME);
    return { m, name, module: moduleName(m.layout.variant ?? "") };
  });
  return [
    ...doc(
      `The variants of \`${models[0]!.layout.name}\`: the kernel picks one at boot, and reads ` +
        "its values through `Variant::layout()`.",
      0,
    ),
    "#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]",
    "pub enum Variant {",
    ...variants
      .flatMap(({ m, name }, i) => [
        ...(i > 0 ? [""] : []),
        ...doc(`"${markdownText(m.layout.variant ?? "", e)}": ${pagingText(m.layout)}.`, 4),
        `${name},`,
      ])
      .map((line) => (line === "" ? "" : `    ${line}`)),
    "}",
    "",
    "impl Variant {",
    "    /// Every variant, in the spec's order.",
    `    pub const ALL: [Variant; ${variants.length}] = [${variants.map((v) => `Variant::${v.name}`).join(", ")}];`,
    "",
    "    /// The variant's name in the spec.",
    "    #[must_use]",
    "    pub const fn name(self) -> &'static str {",
    "        match self {",
    ...variants.map(
      (v) => `            Variant::${v.name} => ${rustString(v.m.layout.variant ?? "")},`,
    ),
    "        }",
    "    }",
    "",
    "    /// Every value of the variant.",
    "    #[must_use]",
    "    pub const fn layout(self) -> &'static Layout {",
    "        match self {",
    ...variants.map((v) => `            Variant::${v.name} => &${v.module}::LAYOUT,`),
    "        }",
    "    }",
    "}",
  ];
}

function layoutStruct(fields: readonly Field[], left: readonly string[]): string[] {
  const about =
    "Every value of one layout, so that code can read the layout the kernel chose at boot. " +
    "A field is `Option<u64>` when some variant lacks the value, and a `fn` of the parameters " +
    "and KASLR bases a bound depends on." +
    (left.length > 0
      ? ` Not here, because the variants compute them differently: ${list(left.map((n) => `\`${snake(n)}\``))}; read them from the variant's module.`
      : "");
  return [
    ...doc(about, 0),
    "#[derive(Clone, Copy, Debug)]",
    "pub struct Layout {",
    ...fields
      .flatMap((f) => [...doc(`${capital(f.about)}.`, 4), `pub ${f.name}: ${f.type},`])
      .map((line) => `    ${line}`),
    "}",
  ];
}

function banner(models: readonly LayoutModel[], request: EmitRequest, e: Escapes): string[] {
  const l = models[0]!.layout;
  const single = !request.everyVariant && l.variant !== null;
  const text = [
    `${markdownText(l.description ?? l.name, e)}${single ? `, variant "${markdownText(l.variant!, e)}"` : ""}.`,
    "",
    `Generated by vmlayout, do not edit. Source: ${markdownCode(specBaseName(l), e)} (layout \`${l.name}\`). ` +
      `Regenerate with ${markdownCode(regenerateCommand("rust-runtime", request), e)}, ` +
      "and add `--check` to that command in CI to catch a stale copy.",
    "",
    request.everyVariant
      ? "The layout is chosen at boot: each variant's module holds what `--emit rust` writes for " +
        "it and its `LAYOUT`; the kernel picks a `Variant` once and keeps `Variant::layout()`, " +
        "a `&'static Layout`, to read every value through."
      : `${capital(pagingText(l))}. \`LAYOUT\` holds every value, for code written for specs that have variants.`,
  ];
  if (e.used) text.push("", ESCAPE_NOTE);
  return doc(text.join("\n"), 0, "//!");
}
