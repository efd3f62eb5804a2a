/**
 * Expression evaluation. Every expression is evaluated twice at once: exactly at the
 * parameters' default values, and symbolically (affine in the parameters, see
 * model/affine.ts) so the verifier can prove rules for every allowed value.
 *
 * A user's error is reported as a coded diagnostic, and then abandons the expression by
 * throwing EvaluationFailed, which the caller catches (the resolver: `VariantContext.attempt`).
 * Nothing else escapes on any input: values stay below 2^128 (E0207) and evaluations in
 * progress, with the definitions they reach, fewer than MAX_DEPTH (E0008).
 */
import { type Code, type Diagnostic, type Span, diagnostic } from "../diagnostics/diagnostic.js";
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
} from "../model/affine.js";
import { assertNever } from "../model/collections.js";
import type { Expr, NameExpr } from "./ast.js";
import {
  type Rational,
  ONE,
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
} from "../model/rational.js";

const MAX_MAGNITUDE = 1n << 128n;
/**
 * How deep evaluation may go: each expression level in progress counts 1, each definition it
 * reaches (a constant, a region's placement) DEFINITION_LEVELS, as it holds that many times the
 * stack. Without it a chain of definitions that use each other is bounded by nothing but the
 * stack; the parser bounds one expression to 512 levels (E0008), which this leaves room for.
 */
export const MAX_DEPTH = 1024;
export const DEFINITION_LEVELS = 4;
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
  /** Levels of evaluation in progress (see MAX_DEPTH). */
  private depth = 0;
  /** Whether E0008 for MAX_DEPTH is reported. */
  private tooDeep = false;

  constructor(private readonly report: (d: Diagnostic) => void) {}

  fail(
    code: Code,
    message: string,
    span: Span,
    help?: string,
    notes: readonly string[] = [],
  ): never {
    this.report(diagnostic(code, message, span, help === undefined ? { notes } : { help, notes }));
    throw new EvaluationFailed(message);
  }

  /** Runs `f`, which resolves a definition used at `span`, DEFINITION_LEVELS deeper. */
  nested<T>(span: Span, f: () => T): T {
    this.enter(span, DEFINITION_LEVELS);
    try {
      return f();
    } finally {
      this.depth -= DEFINITION_LEVELS;
    }
  }

  evaluate(expr: Expr, scope: Scope): Value {
    this.enter(expr.span, 1);
    let v: Value;
    try {
      v = this.evaluateUnchecked(expr, scope);
    } finally {
      this.depth -= 1;
    }
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

  /**
   * `levels` deeper, or E0008 past MAX_DEPTH (instead of exhausting the stack), reported once:
   * every definition further down the chain would fail again.
   */
  private enter(span: Span, levels: number): void {
    if (this.depth + levels > MAX_DEPTH) {
      if (this.tooDeep) throw new EvaluationFailed("nested too deeply");
      this.tooDeep = true;
      this.fail(
        "E0008",
        `definitions use each other too deeply (more than ${MAX_DEPTH} levels, each constant or placement in the chain counting ${DEFINITION_LEVELS})`,
        span,
        "give some of the constants or regions in the chain their values directly, not through the next one",
      );
    }
    this.depth += levels;
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
        return assertNever(expr, "expression");
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
        if (isInteger(l.exact) && isInteger(r.exact))
          this.requireExactDivision(l, r.exact.num, expr, scope.domains);
        return { exact: div(l.exact, r.exact), sym: scale(l.sym, div(ONE, r.exact)) };
      default:
        return assertNever(op, "operator");
    }
  }

  /**
   * `/` on two whole numbers must divide exactly, for every parameter value: C would truncate,
   * so a formula copied from C gives C's answer or this E0116, never a third value.
   */
  private requireExactDivision(
    l: Value,
    divisor: bigint,
    expr: Extract<Expr, { kind: "binary" }>,
    domains: ReadonlyMap<string, ParamDomain>,
  ): void {
    const help =
      "write `div(a, b)` for C's integer division (it rounds toward zero), or multiply before " +
      "dividing (`a * b / c`) so that the division is exact";
    const n = l.exact.num;
    if (n % divisor !== 0n)
      this.fail(
        "E0116",
        `\`/\` does not divide exactly: ${decimalOrHex(n)} / ${decimalOrHex(divisor)} is ` +
          `${mixed(rat(n, divisor))}, which C's integer division truncates to ${decimalOrHex(n / divisor)}`,
        expr.span,
        help,
        [
          "`/` on whole numbers must divide exactly, so a formula copied from C never gives a different answer",
        ],
      );
    if (!isConstant(l.sym) && !multipleForEveryValue(l.sym, divisor, domains))
      this.fail(
        "E0116",
        `\`/\` may not divide exactly: the dividend depends on a parameter and is not a multiple of ${decimalOrHex(divisor)} for every allowed value`,
        expr.span,
        help,
        [
          "it is, for every value, when its constant and each parameter's coefficient times that parameter's `align` are multiples of the divisor",
        ],
      );
  }

  private call(expr: Extract<Expr, { kind: "call" }>, scope: Scope): Value {
    const name = expr.callee.name;
    const args = expr.args.map((a) => this.evaluate(a, scope));
    switch (name) {
      case "align_up":
      case "align_down": {
        const [x, alignment] = this.wholeAndStep(
          expr,
          args,
          "alignment",
          "value to align is not a whole number of bytes",
        );
        return aligned(x, alignment, name === "align_up" ? "up" : "down");
      }
      case "div": {
        const [x, divisor] = this.wholeAndStep(
          expr,
          args,
          "divisor",
          "value to divide is not a whole number",
        );
        const exact = rat(x.exact.num / divisor); // bigint `/` truncates toward zero, as C's does
        if (isConstant(x.sym)) return valueOf(exact);
        // Truncation is not linear: a parameter-dependent dividend must divide exactly.
        if (!multipleForEveryValue(x.sym, divisor, scope.domains))
          this.fail(
            "E0114",
            `\`div\` of a parameter-dependent value that is not a multiple of ${decimalOrHex(divisor)} for every allowed value`,
            expr.span,
            "give the parameters an `align` that makes the dividend a multiple of the divisor, or divide only constants",
          );
        return { exact, sym: scale(x.sym, rat(1n, divisor)) };
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
          "the functions are `align_up`, `align_down`, `div`, `min` and `max`",
        );
    }
  }

  /**
   * The two arguments (E0109) of `align_up(x, a)`, `align_down` and `div(x, d)`: the step, a
   * positive constant (checked first), and `x`, a whole number (else E0208 `notWhole`).
   */
  private wholeAndStep(
    expr: Extract<Expr, { kind: "call" }>,
    args: readonly Value[],
    step: string,
    notWhole: string,
  ): [Value, bigint] {
    if (args.length !== 2)
      this.fail(
        "E0109",
        `\`${expr.callee.name}\` takes 2 arguments, not ${args.length}`,
        expr.span,
      );
    const [x, s] = args as [Value, Value];
    const n = this.positiveIntegerConstant(s, expr.args[1]!.span, step);
    if (!isInteger(x.exact)) this.fail("E0208", notWhole, expr.args[0]!.span);
    return [x, n];
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

/** Small numbers in decimal, others in hex, as a kernel developer reads them. */
const decimalOrHex = (n: bigint): string =>
  n < 1n << 32n && n > -(1n << 32n)
    ? n.toString()
    : n < 0n
      ? `-0x${(-n).toString(16)}`
      : `0x${n.toString(16)}`;

/** A fraction as a whole part and a proper fraction: `1 3/8`, `-3 1/2`, `-1/2`. */
function mixed(q: Rational): string {
  const whole = q.num / q.den; // toward zero
  const rest = `${q.num % q.den < 0n ? -(q.num % q.den) : q.num % q.den}/${q.den}`;
  return whole === 0n ? `${q.num < 0n ? "-" : ""}${rest}` : `${decimalOrHex(whole)} ${rest}`;
}

/** Whether `a` is a multiple of `d` (> 0) for every parameter value: a sufficient test. */
function multipleForEveryValue(
  a: Affine,
  d: bigint,
  domains: ReadonlyMap<string, ParamDomain>,
): boolean {
  const multiple = (q: Rational): boolean => isInteger(q) && q.num % d === 0n;
  if (!isZero(a.slackLo) || !isZero(a.slackHi) || !multiple(a.constant)) return false;
  // A parameter takes the values align * t for whole t, so coeff * align steps its term.
  for (const [name, c] of a.terms)
    if (!multiple(mul(c, rat(domains.get(name)!.align)))) return false;
  return true;
}
