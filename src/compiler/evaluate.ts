/**
 * Expression evaluation. Every expression is evaluated twice at once: exactly at the
 * parameters' default values, and symbolically (affine in the parameters, see affine.ts) so
 * the verifier can prove rules for every allowed value. Errors are diagnostics, never throws.
 */
import { type Diagnostic, type Span, diagnostic } from "../diagnostics/diagnostic.js";
import {
  type Affine,
  type ParamDomain,
  bounds,
  constant,
  isConstant,
  minus,
  negated,
  plus,
  scale,
  widen,
} from "./affine.js";
import type { Expr, NameExpr } from "./ast.js";
import {
  type Rational,
  ZERO,
  add,
  compare,
  div,
  isInteger,
  isZero,
  mul,
  neg,
  rat,
  sub,
} from "./rational.js";

const MAX_MAGNITUDE = 1n << 128n;
const tooLarge = (n: bigint): boolean => n > MAX_MAGNITUDE || n < -MAX_MAGNITUDE;

/** A value at the defaults together with its symbolic form. */
export interface Value {
  readonly exact: Rational;
  readonly sym: Affine;
}

export const valueOf = (exact: Rational): Value => ({ exact, sym: constant(exact) });

/** Raised inside evaluation to abandon an expression whose error is already reported. */
export class EvaluationFailed extends Error {}

/** What names mean where an expression is evaluated. */
export interface Scope {
  /** Resolves a name path; reports its own diagnostics and throws EvaluationFailed on failure. */
  lookup(name: NameExpr): Value;
  readonly domains: ReadonlyMap<string, ParamDomain>;
}

export class Evaluator {
  constructor(private readonly report: (d: Diagnostic) => void) {}

  fail(code: string, message: string, span: Span, help?: string): never {
    this.report(diagnostic(code, message, span, help === undefined ? {} : { help }));
    throw new EvaluationFailed(message);
  }

  evaluate(expr: Expr, scope: Scope): Value {
    const v = this.evaluateUnchecked(expr, scope);
    // No address or size is anywhere near 2^128; far larger values only cost time and memory
    // (repeated squaring would grow them without bound).
    if (tooLarge(v.exact.num) || v.exact.den > MAX_MAGNITUDE)
      this.fail(
        "E0207",
        "value is far outside the 64-bit address space",
        expr.span,
        "values in a spec must stay below 2^128, even in intermediate results",
      );
    return v;
  }

  private evaluateUnchecked(expr: Expr, scope: Scope): Value {
    switch (expr.kind) {
      case "literal":
        return valueOf(expr.value);
      case "name":
        return scope.lookup(expr);
      case "neg": {
        const v = this.evaluate(expr.operand, scope);
        return { exact: neg(v.exact), sym: negated(v.sym) };
      }
      case "binary":
        return this.binary(expr.op, expr, scope);
      case "call":
        return this.call(expr, scope);
      default:
        throw new Error(`internal error: unknown expression ${(expr as Expr).kind}`);
    }
  }

  private binary(
    op: "+" | "-" | "*" | "/",
    expr: Extract<Expr, { kind: "binary" }>,
    scope: Scope,
  ): Value {
    const l = this.evaluate(expr.left, scope);
    const r = this.evaluate(expr.right, scope);
    switch (op) {
      case "+":
        return { exact: add(l.exact, r.exact), sym: plus(l.sym, r.sym) };
      case "-":
        return { exact: sub(l.exact, r.exact), sym: minus(l.sym, r.sym) };
      case "*":
        if (isConstant(l.sym)) return { exact: mul(l.exact, r.exact), sym: scale(r.sym, l.exact) };
        if (isConstant(r.sym)) return { exact: mul(l.exact, r.exact), sym: scale(l.sym, r.exact) };
        return this.fail(
          "E0114",
          "product of two parameter-dependent values",
          expr.span,
          "multiply a parameter only by a constant, so the layout can be proved for every value",
        );
      case "/":
        if (!isConstant(r.sym))
          return this.fail(
            "E0114",
            "division by a parameter-dependent value",
            expr.right.span,
            "divide only by a constant",
          );
        if (isZero(r.exact)) return this.fail("E0116", "division by zero", expr.right.span);
        return { exact: div(l.exact, r.exact), sym: scale(l.sym, div(rat(1n), r.exact)) };
    }
  }

  private call(expr: Extract<Expr, { kind: "call" }>, scope: Scope): Value {
    const name = expr.callee.name;
    const args = expr.args.map((a) => this.evaluate(a, scope));
    const arity = (n: number): void => {
      if (args.length !== n)
        this.fail("E0109", `\`${name}\` takes ${n} arguments, not ${args.length}`, expr.span);
    };
    switch (name) {
      case "align_up":
      case "align_down": {
        arity(2);
        const [x, a] = args as [Value, Value];
        const alignment = this.positiveIntegerConstant(a, expr.args[1]!.span, "alignment");
        if (!isInteger(x.exact))
          this.fail("E0208", "value to align is not a whole number of bytes", expr.args[0]!.span);
        return aligned(x, alignment, name === "align_up" ? "up" : "down");
      }
      case "min":
      case "max": {
        if (args.length < 1)
          this.fail("E0109", `\`${name}\` needs at least one argument`, expr.span);
        const pick = name === "min" ? -1 : 1;
        let best = args[0]!;
        for (const a of args) if (compare(a.exact, best.exact) === pick) best = a;
        if (args.every((a) => isConstant(a.sym)))
          return { exact: best.exact, sym: constant(best.exact) };
        // min(a, b) = a + [min(0, min over others of (other - a)), 0]; max symmetrically.
        let lo = ZERO;
        let hi = ZERO;
        for (const a of args) {
          const d = bounds(minus(a.sym, best.sym), scope.domains);
          if (pick < 0 && compare(d.min, lo) < 0) lo = d.min;
          if (pick > 0 && compare(d.max, hi) > 0) hi = d.max;
        }
        return { exact: best.exact, sym: widen(best.sym, lo, hi) };
      }
      default:
        return this.fail(
          "E0101",
          `unknown function \`${name}\``,
          expr.callee.span,
          "the functions are `align_up`, `align_down`, `min` and `max`",
        );
    }
  }

  /** A constant, positive whole number (alignments, repeat counts). */
  positiveIntegerConstant(v: Value, span: Span, what: string): bigint {
    if (!isConstant(v.sym)) this.fail("E0114", `${what} depends on a parameter`, span);
    if (!isInteger(v.exact) || v.exact.num <= 0n)
      this.fail("E0109", `${what} must be a positive whole number`, span);
    return v.exact.num;
  }
}

/**
 * `x` rounded to a multiple of `alignment`. The symbolic form gains slack `[0, alignment-1]`
 * (up) or `[-(alignment-1), 0]` (down) unless `x` is constant. `x.exact` must be whole.
 */
export function aligned(x: Value, alignment: bigint, direction: "up" | "down"): Value {
  const n = x.exact.num;
  const r = ((n % alignment) + alignment) % alignment;
  const exact = direction === "up" ? (r === 0n ? n : n + alignment - r) : n - r;
  const slack = rat(alignment - 1n);
  const sym = isConstant(x.sym)
    ? constant(rat(exact))
    : direction === "up"
      ? widen(x.sym, ZERO, slack)
      : widen(x.sym, neg(slack), ZERO);
  return { exact: rat(exact), sym };
}
