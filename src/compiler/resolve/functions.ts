/**
 * The bodies of the functions declared with `fn`, checked once every name of the variant is
 * known, so an error that does not depend on a call is reported even if nothing calls it: a
 * name that is neither a parameter of the function nor a constant, parameter or region (E0101),
 * a function parameter used as a region (`l4.start`, E0134), a call of an unknown function
 * (E0101) or with the wrong number of arguments (E0109), and recursion, direct or through
 * other functions (E0112: a body is a formula, not a loop). A function with such an error is
 * `failed`: its calls fail without a second report.
 */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { assertNever } from "../../model/collections.js";
import type { CallExpr, Expr } from "../ast.js";
import { BUILTIN_FUNCTIONS, checkArity, unknownFunction, type UserFunction } from "../evaluate.js";
import type { VariantContext } from "./context.js";

export function checkFunctions(ctx: VariantContext): void {
  for (const fn of ctx.functions.values())
    if (!ctx.attempt(() => checkBody(ctx, fn))) fn.failed = true;
  const done = new Set<UserFunction>();
  for (const fn of ctx.functions.values()) findCycle(ctx, fn, [], done);
}

/** True when `fn`'s body has none of the errors above (else one is reported, and it throws). */
function checkBody(ctx: VariantContext, fn: UserFunction): boolean {
  const params = new Set(fn.decl.params.map((p) => p.name));
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case "literal":
        return;
      case "name": {
        const [head, property] = e.path;
        if (params.has(head!.name)) {
          if (property)
            ctx.evaluator.fail(
              "E0134",
              `\`${head!.name}\` is a parameter of \`${fn.decl.name.name}\`, not a region`,
              e.span,
              `pass the region's bound as the argument (\`${fn.decl.name.name}(REGION.${property.name})\`) and write \`${head!.name}\` alone in the body`,
            );
          return;
        }
        if (!ctx.valueDecl(head!.name) && !ctx.byName.has(head!.name)) ctx.unknown(head!);
        return;
      }
      case "neg":
      case "not":
        return visit(e.operand);
      case "binary":
        visit(e.left);
        return visit(e.right);
      case "call": {
        const callee = ctx.functions.get(e.callee.name);
        if (callee) checkArity(ctx.evaluator, e, callee.decl);
        else if (!BUILTIN_FUNCTIONS.includes(e.callee.name))
          unknownFunction(ctx.evaluator, e.callee, ctx.functions);
        for (const arg of e.args) visit(arg);
        return;
      }
      default:
        return assertNever(e, "expression");
    }
  };
  visit(fn.decl.body);
  return true;
}

/** The calls of declared functions in `e`. */
function callsIn(e: Expr, found: CallExpr[] = []): CallExpr[] {
  if (e.kind === "call") found.push(e);
  if (e.kind === "neg" || e.kind === "not") callsIn(e.operand, found);
  else if (e.kind === "binary") callsIn(e.right, callsIn(e.left, found));
  else if (e.kind === "call") for (const arg of e.args) callsIn(arg, found);
  return found;
}

/**
 * Depth-first over the call graph from `fn`; `path` is the calls on the way. A call back into
 * the path is E0112, and every function on the cycle fails.
 */
function findCycle(
  ctx: VariantContext,
  fn: UserFunction,
  path: { fn: UserFunction; call: CallExpr }[],
  done: Set<UserFunction>,
): void {
  if (done.has(fn)) return;
  for (const call of callsIn(fn.decl.body)) {
    const callee = ctx.functions.get(call.callee.name);
    if (!callee) continue;
    const onPath = [...path, { fn, call }];
    const back = onPath.findIndex((step) => step.fn === callee);
    if (back >= 0) {
      const cycle = onPath.slice(back);
      const route = [...cycle.map((step) => step.fn.decl.name.name), callee.decl.name.name];
      ctx.report(
        diagnostic(
          "E0112",
          cycle.length === 1
            ? `\`${callee.decl.name.name}\` calls itself`
            : `functions call each other in a cycle: ${route.map((n) => `\`${n}\``).join(" -> ")}`,
          call.span,
          {
            labels: cycle.slice(0, -1).map((step) => ({
              span: step.call.span,
              message: `\`${step.fn.decl.name.name}\` calls \`${step.call.callee.name}\` here`,
            })),
            help: "a function's body is one formula: write the repeated part out, or use `repeat` for regions",
          },
        ),
      );
      for (const step of cycle) step.fn.failed = true;
      continue;
    }
    findCycle(ctx, callee, onPath, done);
  }
  done.add(fn);
}
