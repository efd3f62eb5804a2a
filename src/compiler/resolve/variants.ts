/**
 * A spec's variants: the product of its axes. Each `axis NAME { variant "A" {...} ... }` is one
 * dimension, and the top-level `variant`s, if any, are one more, unnamed (so a spec of flat
 * variants has exactly those). A variant combines one value of each axis and is named by them
 * joined with `+`, axes in source order (`la57+kasan`). `exclude "A+B"` removes every
 * combination holding both; `when "A+B" { ... }` adds items to every combination holding both,
 * at its place in the source (also inside a region's body: children only some variants have).
 * A variant's items are the shared ones with its values' and its `when`s' spliced in place, so
 * relative placement follows the source as written.
 *
 * Invariants: value names are unique across every axis (E0102), so a value names its axis;
 * with named axes no value contains `+` (E0135); a combination string names at most one value
 * per axis, each one declared (E0136).
 */
import { type Diagnostic, type Span, diagnostic } from "../../diagnostics/diagnostic.js";
import { TEXT } from "../../diagnostics/catalogue.js";
import { closest } from "../../diagnostics/suggest.js";
import type { ExcludeDecl, Item, SpecFile, VariantDecl, WhenDecl } from "../ast.js";

/** Most variants a spec's axes may multiply out to: each is resolved and verified in full. */
export const MAX_VARIANTS = 1024;

/** One variant: a value of each axis (none for a spec without variants). */
export interface Combination {
  readonly name: string;
  /** The name of its first value, where a diagnostic about the variant points. */
  readonly span: Span;
  readonly values: ReadonlySet<VariantDecl>;
}

/** One dimension: a named `axis`, or the top-level `variant`s (name undefined). */
interface Axis {
  readonly name: string | undefined;
  readonly values: readonly VariantDecl[];
}

/** The variants of a spec and the condition of each of its `when`s. */
export interface Variants {
  /** Every combination not excluded, in product order (first axis outermost); none without axes. */
  readonly all: readonly Combination[];
  /** Values each `when` needs (undefined when its string is malformed: it applies nowhere). */
  readonly conditions: ReadonlyMap<WhenDecl, ReadonlySet<VariantDecl> | undefined>;
}

/** The spec's variants (undefined after an error: nothing can be resolved then). */
export function variantsOf(file: SpecFile, report: (d: Diagnostic) => void): Variants | undefined {
  let failed = false;
  const fail = (d: Diagnostic): void => {
    failed = true;
    report(d);
  };
  const axes = axesOf(file.items, fail);
  const byValue = new Map<string, { value: VariantDecl; axis: Axis }>();
  for (const axis of axes)
    for (const value of axis.values) {
      const first = byValue.get(value.name.value);
      if (first) {
        fail(
          diagnostic("E0102", `variant "${value.name.value}" is defined twice`, value.name.span, {
            labels: [{ span: first.value.name.span, message: TEXT.firstDefinedHere }],
            help: "a variant names its axis: give each value of every axis its own name",
          }),
        );
        continue;
      }
      byValue.set(value.name.value, { value, axis });
      if (axes.some((a) => a.name !== undefined) && /\+|^\s*$/.test(value.name.value))
        fail(
          diagnostic(
            "E0135",
            `variant "${value.name.value}" cannot be an axis value`,
            value.name.span,
            {
              help: "with axes a variant's name joins its values with `+`: name each value without `+`",
            },
          ),
        );
    }
  const parse = (decl: WhenDecl | ExcludeDecl): Set<VariantDecl> | undefined =>
    combinationOf(decl.combination.value, decl.combination.span, byValue, fail);

  // Counted before any is built: each variant is resolved and verified in full.
  const count = axes.reduce((n, axis) => n * BigInt(axis.values.length), 1n);
  if (count > BigInt(MAX_VARIANTS)) {
    fail(
      diagnostic("E0135", `the axes make ${count} variants, more than ${MAX_VARIANTS}`, undefined, {
        help: "split the spec into several, each with fewer axes",
      }),
    );
    return undefined;
  }
  let all = product(axes);
  for (const item of file.items) {
    if (item.kind !== "exclude") continue;
    const excluded = parse(item);
    if (excluded) all = all.filter((c) => !holds(c, excluded));
  }
  const conditions = new Map<WhenDecl, Set<VariantDecl> | undefined>();
  for (const when of whensIn(file.items)) {
    const values = parse(when);
    conditions.set(when, values);
    if (values && !failed && !all.some((c) => holds(c, values)))
      fail(
        diagnostic(
          "E0136",
          `no variant combines "${when.combination.value}"`,
          when.combination.span,
          {
            help: "every variant holding these values is excluded: remove the `when` or the `exclude`",
          },
        ),
      );
  }
  if (axes.length > 0 && all.length === 0 && !failed)
    fail(
      diagnostic("E0136", "every combination of the axes is excluded", undefined, {
        help: "remove an `exclude`",
      }),
    );
  return failed ? undefined : { all, conditions };
}

/**
 * The variant `wanted` names: its full name, or its values in any order, or as few of them as
 * name exactly one variant (`kmsan` when only `la48+kmsan` has it). E0106 otherwise.
 */
export function selectCombination(
  variants: Variants,
  wanted: string,
  report: (d: Diagnostic) => void,
): Combination | undefined {
  const exact = variants.all.find((c) => c.name === wanted);
  if (exact) return exact;
  const values = new Map<string, VariantDecl>();
  for (const c of variants.all) for (const v of c.values) values.set(v.name.value, v);
  const parts = wanted.split("+").map((p) => p.trim());
  const known = variants.all.map((c) => `"${c.name}"`).join(", ");
  const unknown = parts.find((p) => !values.has(p));
  const matching = unknown
    ? []
    : variants.all.filter((c) => parts.every((p) => c.values.has(values.get(p)!)));
  if (matching.length === 1) return matching[0];
  const near = closest(wanted, [...variants.all.map((c) => c.name), ...values.keys()]);
  const why =
    matching.length > 1
      ? `"${wanted}" is in ${matching.length} variants: ${matching.map((c) => `"${c.name}"`).join(", ")}`
      : unknown !== undefined || values.size === 0
        ? `spec has no variant "${wanted}"`
        : `the variants holding "${wanted}" are excluded`;
  report(
    diagnostic("E0106", why, undefined, {
      help:
        matching.length > 1
          ? "name one of them"
          : known
            ? `${near ? `did you mean "${near}"? ` : ""}the variants are ${known}`
            : "this spec declares no variants",
    }),
  );
  return undefined;
}

/**
 * The items of `combination`: the shared ones with its values' and its `when`s' spliced in
 * their place. An `axis`, `exclude` or `variant` left here is nested, which `declare` refuses.
 */
export function itemsOf(
  file: SpecFile,
  variants: Variants,
  combination: Combination | null,
): Item[] {
  const items: Item[] = [];
  const splice = (from: readonly Item[], top: boolean): void => {
    for (const item of from) {
      if (top && item.kind === "variant") {
        if (combination?.values.has(item)) splice(item.items, false);
      } else if (top && item.kind === "axis") {
        for (const value of item.items)
          if (value.kind === "variant" && combination?.values.has(value))
            splice(value.items, false);
      } else if (top && item.kind === "exclude") continue;
      else if (item.kind === "when") {
        if (applies(item)) splice(item.items, false);
      } else items.push(withBody(item)); // no spread: can be huge
    }
  };
  const applies = (when: WhenDecl): boolean => {
    const needs = variants.conditions.get(when);
    return needs !== undefined && combination !== null && holds(combination, needs);
  };
  // A region's children may depend on the variant (memory.rst's bracketed rows: the KASAN
  // shadow carved out of the linear map): its body's `when`s are spliced the same way.
  const withBody = (item: Item): Item => {
    if (item.kind !== "region" || !hasWhen(item.body)) return item;
    const body: Item[] = [];
    const spliceBody = (from: readonly Item[]): void => {
      for (const child of from)
        if (child.kind !== "when") body.push(withBody(child));
        else if (applies(child)) spliceBody(child.items);
    };
    spliceBody(item.body);
    return { ...item, body };
  };
  splice(file.items, true);
  return items;
}

/** Whether a region body holds a `when`, or a child region's does. */
const hasWhen = (body: readonly Item[]): boolean =>
  body.some((i) => i.kind === "when" || (i.kind === "region" && hasWhen(i.body)));

/** The axes in source order: a named axis where it is, the top-level variants at the first. */
function axesOf(items: readonly Item[], fail: (d: Diagnostic) => void): Axis[] {
  const axes: Axis[] = [];
  const flat: VariantDecl[] = [];
  const names = new Map<string, Span>();
  for (const item of items) {
    if (item.kind === "variant") {
      if (flat.length === 0) axes.push({ name: undefined, values: flat });
      flat.push(item);
    } else if (item.kind === "axis") {
      const first = names.get(item.name.name);
      if (first)
        fail(
          diagnostic("E0102", `axis \`${item.name.name}\` is defined twice`, item.name.span, {
            labels: [{ span: first, message: TEXT.firstDefinedHere }],
          }),
        );
      names.set(item.name.name, item.name.span);
      const values: VariantDecl[] = [];
      for (const value of item.items)
        if (value.kind === "variant") values.push(value);
        else
          fail(
            diagnostic("E0135", `\`${value.kind}\` is not allowed in an axis`, value.span, {
              help: 'an axis holds only its values, `variant "NAME" { ... }`: move it into one, or out of the axis',
            }),
          );
      if (values.length === 0)
        fail(
          diagnostic("E0135", `axis \`${item.name.name}\` has no variants`, item.name.span, {
            help: 'give it its values: `variant "NAME" { ... }`',
          }),
        );
      axes.push({ name: item.name.name, values });
    }
  }
  return axes;
}

/** Every combination of one value per axis, the first axis outermost. */
function product(axes: readonly Axis[]): Combination[] {
  let partial: VariantDecl[][] = [[]];
  for (const axis of axes) {
    const next: VariantDecl[][] = [];
    for (const prefix of partial) for (const value of axis.values) next.push([...prefix, value]);
    partial = next;
  }
  if (axes.length === 0) return [];
  return partial.map((values) => ({
    name: values.map((v) => v.name.value).join("+"),
    span: values[0]!.name.span,
    values: new Set(values),
  }));
}

/** The values `text` names (`la57+kasan`), or undefined after E0136. */
function combinationOf(
  text: string,
  span: Span,
  byValue: ReadonlyMap<string, { value: VariantDecl; axis: Axis }>,
  fail: (d: Diagnostic) => void,
): Set<VariantDecl> | undefined {
  const whole = byValue.get(text);
  if (whole) return new Set([whole.value]);
  const values = new Set<VariantDecl>();
  const axes = new Map<Axis, string>();
  for (const part of text.split("+").map((p) => p.trim())) {
    const found = byValue.get(part);
    if (!found) {
      const near = closest(part, byValue.keys());
      fail(
        diagnostic("E0136", `no axis has a variant "${part}"`, span, {
          help: `${near ? `did you mean "${near}"? ` : ""}the values are ${[...byValue.keys()].map((k) => `"${k}"`).join(", ") || "none: the spec declares no variants"}`,
        }),
      );
      return undefined;
    }
    const other = axes.get(found.axis);
    if (other !== undefined) {
      fail(
        diagnostic("E0136", `"${other}" and "${part}" are values of the same axis`, span, {
          help: "a variant has one value of each axis: name at most one of each",
        }),
      );
      return undefined;
    }
    axes.set(found.axis, part);
    values.add(found.value);
  }
  return values;
}

/** Whether `combination` holds every value of `values`. */
const holds = (combination: Combination, values: ReadonlySet<VariantDecl>): boolean =>
  [...values].every((v) => combination.values.has(v));

/**
 * Every `when` of the spec, wherever it is (top level, in a value, in another `when`, in a
 * region's body).
 */
function* whensIn(items: readonly Item[]): Generator<WhenDecl> {
  for (const item of items)
    if (item.kind === "when") {
      yield item;
      yield* whensIn(item.items);
    } else if (item.kind === "variant" || item.kind === "axis") yield* whensIn(item.items);
    else if (item.kind === "region") yield* whensIn(item.body);
}
