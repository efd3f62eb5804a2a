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
import { dedupe } from "../../diagnostics/collector.js";
import type { KaslrGroup, Layout } from "../../model/layout.js";
import { type Limits, withLimits } from "../../limits.js";
import type { LayoutDecl, SpecFile } from "../ast.js";
import { layoutExhaustive } from "./attributes.js";
import { VariantContext } from "./context.js";
import { resolveConstraints } from "./constraints.js";
import { buildConstant, declare, paging, resolveParam } from "./declarations.js";
import { expandRegions } from "./expand.js";
import { checkFunctions } from "./functions.js";
import { checkOneGroupEach, resolveKaslr } from "./kaslr.js";
import { buildRegions } from "./regions.js";
import { constValue, placed } from "./scope.js";
import {
  type Combination,
  type Variants,
  itemsOf,
  selectCombination,
  variantsOf,
} from "./variants.js";

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
  const variants = variantsOf(file, report);
  if (!variants) return { value: [], diagnostics };
  const selected = selectVariants(variants, options.variant, report);
  if (!selected) return { value: [], diagnostics };

  const layouts: Layout[] = [];
  for (const variant of selected) {
    const items = itemsOf(file, variants, variant);
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
 * The variants to resolve: the one `wanted` names (E0106 if none: undefined), else all; a spec
 * without variants is one unnamed variant (null).
 */
function selectVariants(
  variants: Variants,
  wanted: string | undefined,
  report: (d: Diagnostic) => void,
): (Combination | null)[] | undefined {
  if (wanted === undefined) return variants.all.length === 0 ? [null] : [...variants.all];
  const one = selectCombination(variants, wanted, report);
  return one && [one];
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
    variant: ctx.variant?.name ?? null,
    variantSpan: ctx.variant?.span,
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
