/**
 * Names in expressions, and the definitions they reach, evaluated on first use: a constant's
 * value, a region's placement. So a region may refer to any other (`kernel_elf.limit`) in any
 * order; a definition reached again while it is being evaluated depends on itself (E0112).
 * Inside a repeat a name first means this iteration's instance (`suffix`), and the repeat
 * indices (`env`) are values.
 */
import type { Span } from "../../diagnostics/diagnostic.js";
import { variable } from "../../model/affine.js";
import { formatRational, isInteger, rat } from "../../model/rational.js";
import type { NameExpr } from "../ast.js";
import { EvaluationFailed, type Value, valueOf } from "../evaluate.js";
import { offset } from "./bounds.js";
import type {
  ConstEntry,
  Definition,
  Placed,
  RegionNode,
  RegionScope,
  VariantContext,
} from "./context.js";
import { place } from "./place.js";

/** The scope of an expression at top level (no `env`, no `suffix`) or in a repeat. */
export function scopeOf(
  ctx: VariantContext,
  env: ReadonlyMap<string, bigint> = new Map(),
  suffix = "",
): RegionScope {
  return {
    lookup: (name) => lookup(ctx, name, env, suffix),
    domains: ctx.domains,
    functions: ctx.functions,
    placed: (node, usedAt) => placed(ctx, node, usedAt),
  };
}

/** The value of a constant; E0208 if it is not whole (emitters write constants as integers). */
export function constValue(ctx: VariantContext, entry: ConstEntry): Value {
  const { name, value } = entry.decl;
  const { evaluator } = ctx;
  const cycle = (): never =>
    evaluator.fail("E0112", `\`${name.name}\` is defined in terms of itself`, name.span);
  return resolveOnce(ctx, entry, name.span, cycle, () => {
    const v = evaluator.evaluate(value, scopeOf(ctx));
    if (!isInteger(v.exact))
      evaluator.fail(
        "E0208",
        `constant \`${name.name}\` is ${formatRational(v.exact)}, not a whole number`,
        value.span,
        "constants are exported as whole numbers: fold a fraction into a unit (`0.5TB`) or into the expression that uses it",
      );
    return v;
  });
}

/** Where `node` is; `usedAt` is where that is needed (else its own placement), for E0112. */
export function placed(ctx: VariantContext, node: RegionNode, usedAt?: Span): Placed {
  const span = usedAt ?? node.decl.placement.span;
  const cycle = (): never =>
    ctx.evaluator.fail(
      "E0112",
      `the placement of \`${node.declaredName ?? node.decl.regionKind}\` depends on itself`,
      span,
    );
  return resolveOnce(ctx, node, span, cycle, () =>
    place(ctx, node, scopeOf(ctx, node.env, node.suffix)),
  );
}

/**
 * `definition` resolved by `resolve` the first time it is needed (one level deeper, counted
 * against MAX_DEPTH at `span`). Needed again while it is resolving, it depends on itself:
 * `cycle` reports that and throws. A failed definition throws EvaluationFailed at every use,
 * its error reported once.
 */
function resolveOnce<T>(
  ctx: VariantContext,
  definition: Definition<T>,
  span: Span,
  cycle: () => never,
  resolve: () => T,
): T {
  if (definition.state === "done") return definition.resolved!;
  if (definition.state === "failed") throw new EvaluationFailed("reported");
  if (definition.state === "resolving") cycle();
  definition.state = "resolving";
  try {
    definition.resolved = ctx.evaluator.nested(span, resolve);
    definition.state = "done";
    return definition.resolved;
  } catch (e) {
    definition.state = "failed";
    throw e;
  }
}

function lookup(
  ctx: VariantContext,
  expr: NameExpr,
  env: ReadonlyMap<string, bigint>,
  suffix: string,
): Value {
  const [head, prop, ...rest] = expr.path;
  const name = head!.name;
  if (prop === undefined) {
    const index = env.get(name);
    if (index !== undefined) return valueOf(rat(index));
    const c = ctx.consts.get(name);
    if (c) return constValue(ctx, c);
    const p = ctx.params.get(name);
    if (p) return { exact: rat(p.default), sym: variable(name) };
    if (ctx.declaredParams.has(name)) throw new EvaluationFailed("parameter already reported");
    if (findRegion(ctx, name, suffix))
      ctx.evaluator.fail(
        "E0109",
        `\`${name}\` is a region, not a value`,
        expr.span,
        `use \`${name}.start\`, \`${name}.end\`, \`${name}.size\` or \`${name}.limit\``,
      );
    return ctx.unknown(head!);
  }
  const node = findRegion(ctx, name, suffix);
  if (!node) {
    if (ctx.consts.has(name) || ctx.params.has(name) || env.has(name))
      ctx.evaluator.fail("E0109", `\`${name}\` is a value and has no \`.${prop.name}\``, expr.span);
    return ctx.unknown(head!);
  }
  if (rest.length > 0 || !REGION_PROPERTIES.includes(prop.name))
    ctx.evaluator.fail(
      "E0101",
      `regions have no property \`${expr.path
        .slice(1)
        .map((p) => p.name)
        .join(".")}\``,
      prop.span,
      "the properties are `start`, `end` (inclusive), `size` and `limit` (end + 1)",
    );
  const where = placed(ctx, node, expr.span);
  const bound =
    prop.name === "limit" ? offset(where.end, 1n) : where[prop.name as "start" | "end" | "size"];
  return { exact: rat(bound.value), sym: bound.sym };
}

const REGION_PROPERTIES = ["start", "end", "size", "limit"];

/** Inside a repeat, `name` first means this iteration's instance. */
function findRegion(ctx: VariantContext, name: string, suffix: string): RegionNode | undefined {
  return (suffix && ctx.byName.get(name + suffix)) || ctx.byName.get(name);
}
