/**
 * Where a region is, from its placement: an explicit start, or right after the previous
 * sibling (at the parent's start for the first child), aligned up if asked; then its end from
 * a size or an end. A parameter-free form's constant is exactly the bound's value (the
 * invariant `value ∈ bounds(sym)`), so the bounds of a parameter-free region, by far the most
 * common, are built from their values without symbolic arithmetic.
 */
import { integer, isConstant, negated, plus } from "../../model/affine.js";
import type { Bound } from "../../model/layout.js";
import { rat } from "../../model/rational.js";
import type { Expr } from "../ast.js";
import { aligned } from "../evaluate.js";
import { offset, placementAddress, whole } from "./bounds.js";
import type { Placed, RegionNode, RegionScope, VariantContext } from "./context.js";

/**
 * Places `node`, evaluating in `scope` (with its repeat indices); throws EvaluationFailed once
 * its error is reported.
 */
export function place(ctx: VariantContext, node: RegionNode, scope: RegionScope): Placed {
  const start = startOf(ctx, node, scope);
  const { end, declaredEnd } = endOf(ctx, node, scope, start);
  const extent = end.value - start.value + 1n;
  const size = {
    value: extent,
    sym:
      isConstant(start.sym) && isConstant(end.sym)
        ? integer(extent)
        : plus(end.sym, plus(negated(start.sym), integer(1n))),
  };
  return { start, end, size, declaredEnd };
}

function startOf(ctx: VariantContext, node: RegionNode, scope: RegionScope): Bound {
  const { evaluator } = ctx;
  const p = node.decl.placement;
  if (p.start) return placementAddress(evaluator, evaluator.evaluate(p.start, scope), p.start.span);
  let start: Bound;
  if (node.previous) start = offset(scope.placed(node.previous, p.span).end, 1n);
  else if (node.parent) start = scope.placed(node.parent, p.span).start;
  else
    return evaluator.fail(
      "E0113",
      "relative placement of the first top-level region",
      p.span,
      "give the first region an explicit start address",
    );
  if (!p.align) return start;
  const alignment = evaluator.positiveIntegerConstant(
    evaluator.evaluate(p.align, scope),
    p.align.span,
    "alignment",
  );
  const v = aligned({ exact: rat(start.value), sym: start.sym }, alignment, "up");
  return placementAddress(evaluator, v, p.span);
}

function endOf(
  ctx: VariantContext,
  node: RegionNode,
  scope: RegionScope,
  start: Bound,
): Pick<Placed, "end" | "declaredEnd"> {
  const { evaluator } = ctx;
  const p = node.decl.placement;
  const endFrom = (e: Expr): Bound => {
    const b = placementAddress(evaluator, evaluator.evaluate(e, scope), e.span);
    return p.endInclusive ? b : offset(b, -1n);
  };
  if (p.size) {
    const sizeValue = evaluator.evaluate(p.size, scope);
    const size = whole(evaluator, sizeValue, p.size.span);
    const value = start.value + size - 1n;
    const end = {
      value,
      sym:
        isConstant(start.sym) && isConstant(sizeValue.sym)
          ? integer(value)
          : plus(start.sym, plus(sizeValue.sym, integer(-1n))),
    };
    return { end, declaredEnd: p.end && { bound: endFrom(p.end), span: p.end.span } };
  }
  if (p.end) return { end: endFrom(p.end), declaredEnd: undefined };
  return evaluator.fail("E0001", "region has neither a size nor an end", p.span);
}
