/**
 * AST -> Layout. Selects variants, expands `repeat`, evaluates every expression (exactly at
 * the parameter defaults and symbolically over their ranges), resolves relative placement
 * and collects attributes. Bounds are evaluated lazily on first use, so a region may refer to
 * any other region (`kernel_elf.limit`) in any order; a definition that depends on itself is
 * E0112. The resolver reports what makes a Layout impossible to build (unknown names, bad
 * attributes, inexact or out-of-range values at the defaults); the verifier proves the rules.
 *
 * One variant is resolved in these steps, each in its own module: declarations (paging mode,
 * constants, parameters, functions), expand (region statements into nodes), functions (the
 * bodies of `fn`s), scope and place (names and
 * placements, on demand), regions and attributes (the Layout's regions), kaslr (the groups).
 */
import {
  type Diagnostic,
  type Result,
  diagnostic,
  sortDiagnostics,
} from "../../diagnostics/diagnostic.js";
import { closest } from "../../diagnostics/suggest.js";
import { TEXT } from "../../diagnostics/catalogue.js";
import { dedupe } from "../../diagnostics/collector.js";
import type { KaslrGroup, Layout } from "../../model/layout.js";
import { type Limits, withLimits } from "../../limits.js";
import type { Item, LayoutDecl, SpecFile, VariantDecl } from "../ast.js";
import { layoutExhaustive } from "./attributes.js";
import { VariantContext } from "./context.js";
import { resolveConstraints } from "./constraints.js";
import { buildConstant, declare, paging, resolveParam } from "./declarations.js";
import { expandRegions } from "./expand.js";
import { checkFunctions } from "./functions.js";
import { checkOneGroupEach, resolveKaslr } from "./kaslr.js";
import { buildRegions } from "./regions.js";
import { constValue, placed } from "./scope.js";

export interface ResolveOptions {
  /** Resolve only this variant (E0106 if there is none of that name). */
  readonly variant?: string | undefined;
  /** Default: DEFAULT_LIMITS (src/limits.ts). */
  readonly limits?: Partial<Limits> | undefined;
}

/** Resolves every variant of `file` (or the one selected) to a Layout. */
export function resolve(file: SpecFile, options: ResolveOptions = {}): Result<Layout[]> {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic): void => void diagnostics.push(d);
  const limits = withLimits(options.limits);

  const header = layoutHeader(file, report);
  if (!header) return { value: [], diagnostics };
  const selected = selectVariants(file, options.variant, report);
  if (!selected) return { value: [], diagnostics };

  const layouts: Layout[] = [];
  for (const variant of selected) {
    const items = itemsOf(file, variant);
    const layout = resolveVariant(new VariantContext(file, header, variant, items, report, limits));
    if (layout) layouts.push(layout);
  }
  // Shared items are resolved once per variant; their diagnostics are reported once.
  return { value: layouts, diagnostics: dedupe(sortDiagnostics(diagnostics)) };
}

/** The one `layout` declaration (E0107 if none, E0102 for each extra). */
function layoutHeader(file: SpecFile, report: (d: Diagnostic) => void): LayoutDecl | undefined {
  const layoutDecls = file.items.filter((i) => i.kind === "layout");
  if (layoutDecls.length === 0) {
    report(
      diagnostic(
        "E0107",
        "spec has no `layout` declaration",
        { ...file.span, end: file.span.start },
        { help: 'start the spec with `layout NAME "description"`' },
      ),
    );
    return undefined;
  }
  for (const extra of layoutDecls.slice(1))
    report(
      diagnostic("E0102", "`layout` is declared more than once", extra.span, {
        labels: [{ span: layoutDecls[0]!.span, message: "first declared here" }],
      }),
    );
  return layoutDecls[0]!;
}

/**
 * The variants to resolve: the one named (E0106 if there is none: undefined), else all
 * (E0102 for a name defined twice); a spec without variants is one unnamed variant (null).
 */
function selectVariants(
  file: SpecFile,
  wanted: string | undefined,
  report: (d: Diagnostic) => void,
): (VariantDecl | null)[] | undefined {
  const seen = new Map<string, VariantDecl>();
  for (const v of file.items) {
    if (v.kind !== "variant") continue;
    const first = seen.get(v.name.value);
    if (first)
      report(
        diagnostic("E0102", `variant "${v.name.value}" is defined twice`, v.name.span, {
          labels: [{ span: first.name.span, message: TEXT.firstDefinedHere }],
        }),
      );
    else seen.set(v.name.value, v);
  }
  if (wanted === undefined) return seen.size === 0 ? [null] : [...seen.values()];
  const v = seen.get(wanted);
  if (v) return [v];
  const known = [...seen.keys()].map((k) => `"${k}"`).join(", ");
  const near = closest(wanted, [...seen.keys()]);
  report(
    diagnostic("E0106", `spec has no variant "${wanted}"`, undefined, {
      help: known
        ? `${near ? `did you mean "${near}"? ` : ""}the variants are ${known}`
        : "this spec declares no variants",
    }),
  );
  return undefined;
}

/** The shared items with the variant's in place of its declaration, in source order. */
function itemsOf(file: SpecFile, variant: VariantDecl | null): Item[] {
  const items: Item[] = [];
  for (const item of file.items) {
    if (item.kind !== "variant") items.push(item);
    else if (item === variant) for (const inner of item.items) items.push(inner); // no spread: can be huge
  }
  return items;
}

/** One variant's Layout, or undefined when an error was reported. */
function resolveVariant(ctx: VariantContext): Layout | undefined {
  const pagingMode = (ctx.paging = paging(ctx));
  for (const item of ctx.items) declare(ctx, item);
  for (const item of ctx.items)
    if (item.kind === "param") ctx.attempt(() => resolveParam(ctx, item));
  expandRegions(ctx, ctx.items);
  checkFunctions(ctx);
  for (const entry of ctx.consts.values()) ctx.attempt(() => constValue(ctx, entry));
  for (const node of ctx.nodes) ctx.attempt(() => placed(ctx, node));
  const constraints = resolveConstraints(ctx);
  const regions = buildRegions(ctx);
  const kaslr = ctx.items
    .filter((i) => i.kind === "kaslr")
    .map((k) => ctx.attempt(() => resolveKaslr(ctx, k)))
    .filter((k): k is KaslrGroup => k !== undefined);
  checkOneGroupEach(ctx, kaslr);
  const exhaustive = layoutExhaustive(ctx);
  if (ctx.failed || !pagingMode) return undefined;
  return {
    name: ctx.header.name.name,
    description: ctx.header.description?.value,
    variant: ctx.variant?.name.value ?? null,
    variantSpan: ctx.variant?.name.span,
    paging: pagingMode,
    exhaustive,
    params: [...ctx.params.values()],
    constraints,
    constants: [...ctx.consts.values()].map((c) => buildConstant(ctx, c)),
    regions,
    kaslr,
    file: ctx.file.path,
    span: ctx.file.span,
  };
}
