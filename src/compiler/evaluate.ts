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
  integer,
  isConstant,
  minus,
  negated,
  plus,
  scale,
  widen,
} from "../model/affine.js";
import { assertNever } from "../model/collections.js";
import { closest } from "../diagnostics/suggest.js";
import type { BitwiseOperator, CallExpr, Expr, FnDecl, Identifier, NameExpr } from "./ast.js";
import {
  type Rational,
  ONE,
  ZERO,
  add,
  compare,
  div,
  formatRational,
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
  /** The functions the spec declares with `fn`, by name. */
  readonly functions?: ReadonlyMap<string, UserFunction>;
}

/** A function declared with `fn`. */
export interface UserFunction {
  readonly decl: FnDecl;
  /** Its declaration or body has an error, already reported: a call fails silently. */
  failed: boolean;
  /** Where the body's names other than its parameters are looked up (lexical scope). */
  readonly scope: () => Scope;
}

/** The built-in functions, which a `fn` may not shadow (E0133). */
export const BUILTIN_FUNCTIONS: readonly string[] = ["align_up", "align_down", "div", "min", "max"];

export class Evaluator {
  /** Levels of evaluation in progress (see MAX_DEPTH). */
  private depth = 0;
  /** Whether E0008 for MAX_DEPTH is reported. */
  private tooDeep = false;

  /** The calls of `fn`s being evaluated, innermost last: an error in a body points at them. */
  private calls: { readonly fn: UserFunction; readonly span: Span }[] = [];

  constructor(private readonly report: (d: Diagnostic) => void) {}

  fail(
    code: Code,
    message: string,
    span: Span,
    help?: string,
    notes: readonly string[] = [],
  ): never {
    const labels = [...this.calls].reverse().map((call) => ({
      span: call.span,
      message: `in this call of \`${call.fn.decl.name.name}\``,
    }));
    this.report(
      diagnostic(
        code,
        message,
        span,
        help === undefined ? { notes, labels } : { help, notes, labels },
      ),
    );
    throw new EvaluationFailed(message);
  }

  /**
   * Runs `f`, which resolves a definition used at `span`, DEFINITION_LEVELS deeper. The
   * definition's value does not depend on the calls in progress: its errors do not name them.
   */
  nested<T>(span: Span, f: () => T): T {
    this.enter(span, DEFINITION_LEVELS);
    const calls = this.calls;
    this.calls = [];
    try {
      return f();
    } finally {
      this.calls = calls;
      this.depth -= DEFINITION_LEVELS;
    }
  }

  /**
   * A call of a `fn`: its body with the parameters bound to the arguments' values (each
   * evaluated once, in the caller's scope), its other names in the function's own scope.
   */
  private callUser(fn: UserFunction, expr: CallExpr, args: readonly Value[]): Value {
    const { decl } = fn;
    checkArity(this, expr, decl);
    if (fn.failed) throw new EvaluationFailed("reported");
    if (this.calls.some((call) => call.fn === fn))
      this.fail("E0112", `\`${decl.name.name}\` calls itself`, expr.span);
    const bound = new Map(decl.params.map((p, i) => [p.name, args[i]!]));
    const outer = fn.scope();
    const scope: Scope = {
      ...outer,
      lookup: (name) => {
        const arg = name.path.length === 1 ? bound.get(name.path[0]!.name) : undefined;
        return arg ?? outer.lookup(name);
      },
    };
    this.enter(expr.span, DEFINITION_LEVELS);
    this.calls.push({ fn, span: expr.span });
    try {
      return this.evaluate(decl.body, scope);
    } finally {
      this.calls.pop();
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
      case "not":
        return this.complement(expr, scope);
      case "binary":
        if (isBitwise(expr.op)) return this.bitwise(expr.op, expr, scope);
        return this.binary(expr.op, expr, scope);
      case "call":
        return this.call(expr, scope);
      default:
        return assertNever(expr, "expression");
    }
  }

  private binary(
    op: Exclude<Extract<Expr, { kind: "binary" }>["op"], BitwiseOperator>,
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

  // ---------------------------------------------------------------- C's bitwise operators
  //
  // A whole value stands for a 64-bit word: in [-2^63, 0) a `long`, in [2^63, 2^64) an
  // `unsigned long`, in [0, 2^63) either; both readings have the same bits (two's complement),
  // and bigint's `& | ^ ~` work on exactly those bits. So C's answer is kept where C keeps
  // every bit, and refused (E0131) where it would lose one or where the reading matters:
  // an operand outside [-2^63, 2^64), `<<` shifting a bit out, `>>` of a negative value.

  /** `~x`: `-x - 1`, taken back into [-2^63, 2^64) when `x` is an unsigned value >= 2^63. */
  private complement(expr: Extract<Expr, { kind: "not" }>, scope: Scope): Value {
    const x = this.word(this.evaluate(expr.operand, scope), expr.operand.span, "~", scope.domains);
    const inverted = plus(negated(x.sym), integer(-1n));
    const { min, max } = bounds(inverted, scope.domains);
    // Over every parameter value the result lies wholly below -2^63 (x >= 2^63) or within range.
    const shift = compare(max, rat(-WORD_SIGN)) < 0 ? WORD : 0n;
    if (shift === 0n && compare(min, rat(-WORD_SIGN)) < 0)
      this.fail(
        "E0132",
        "`~` of a parameter-dependent value that may be either above or below 2^63",
        expr.span,
        "give the parameter a range on one side of 2^63, so its complement is one linear formula",
      );
    return {
      exact: rat(-x.exact.num - 1n + shift),
      sym: plus(inverted, integer(shift)),
    };
  }

  private bitwise(
    op: BitwiseOperator,
    expr: Extract<Expr, { kind: "binary" }>,
    scope: Scope,
  ): Value {
    const l = this.word(this.evaluate(expr.left, scope), expr.left.span, op, scope.domains);
    const r = this.evaluate(expr.right, scope);
    if (op === "<<" || op === ">>") return this.shift(op, l, r, expr, scope.domains);
    this.word(r, expr.right.span, op, scope.domains);
    if (isConstant(l.sym) && isConstant(r.sym)) {
      const [a, b] = [l.exact.num, r.exact.num];
      return valueOf(rat(toWord(op === "&" ? a & b : op === "|" ? a | b : a ^ b)));
    }
    const [c, e] = isConstant(l.sym) ? [l, r] : [r, l];
    const result = isConstant(c.sym) ? maskedForm(op, c.exact.num, e, scope.domains) : undefined;
    if (!result)
      this.fail(
        "E0132",
        `\`${op}\` of a parameter-dependent value: the proof cannot follow it`,
        expr.span,
        op === "&"
          ? "write the parameter's own bits as a parameter (or a product `p * 2MB`), not as a mask of a value"
          : "write `+` where the bits are disjoint, and give the parameter the `align` and range that make them so",
        [
          "with a constant, a parameter-dependent operand is allowed when, for every allowed value, its parameter terms are at least 0 and their bits lie within a span that its constant part has clear and the constant operand has all clear or all set: the result is then linear",
        ],
      );
    return result;
  }

  /** `x << k` and `x >> k`: `k` a whole constant in 0..63, and no bit shifted out. */
  private shift(
    op: "<<" | ">>",
    x: Value,
    count: Value,
    expr: Extract<Expr, { kind: "binary" }>,
    domains: ReadonlyMap<string, ParamDomain>,
  ): Value {
    const k = count.exact.num;
    if (!isConstant(count.sym) || !isInteger(count.exact) || k < 0n || k > 63n)
      this.fail(
        "E0130",
        isConstant(count.sym)
          ? `shift count ${formatRational(count.exact)} is not a whole number in 0..63`
          : "shift count depends on a parameter",
        expr.right.span,
        "C leaves a shift by a negative count or by 64 or more undefined: shift by a constant from 0 to 63",
      );
    const factor = rat(1n << k);
    if (op === "<<") {
      const sym = scale(x.sym, factor);
      const { min, max } = bounds(sym, domains);
      if (!withinWord(min) || !withinWord(max))
        this.fail(
          "E0131",
          `\`<<\` shifts bits out of 64 bits${isConstant(x.sym) ? "" : " for some parameter values"}: ` +
            `${decimalOrHex(x.exact.num)} << ${k} is ${decimalOrHex(x.exact.num << k)}`,
          expr.span,
          `C drops the bits shifted out: to get its answer, mask them off first (\`(x & 0x${((1n << (64n - k)) - 1n).toString(16)}) << ${k}\`)`,
        );
      return { exact: rat(x.exact.num << k), sym };
    }
    if (compare(bounds(x.sym, domains).min, ZERO) < 0)
      this.fail(
        "E0131",
        `\`>>\` of a negative value${isConstant(x.sym) ? ` (${decimalOrHex(x.exact.num)})` : " for some parameter values"}`,
        expr.left.span,
        "C's answer depends on whether it is a `long` or an `unsigned long`: write the unsigned word (`(x & 0xffff_ffff_ffff_ffff) >> k`) or shift the positive value and negate",
      );
    if (isConstant(x.sym)) return valueOf(rat(x.exact.num >> k));
    if (!multipleForEveryValue(x.sym, 1n << k, domains))
      this.fail(
        "E0132",
        `\`>>\` of a parameter-dependent value that is not a multiple of 2^${k} for every allowed value`,
        expr.span,
        "give the parameters an `align` that makes the value a multiple of 2^k, so the shift drops no bit",
      );
    return { exact: rat(x.exact.num >> k), sym: scale(x.sym, div(ONE, factor)) };
  }

  /**
   * An operand of a bitwise operator: whole (E0208) and, for every parameter value, a 64-bit
   * word, in [-2^63, 2^64) (E0131).
   */
  private word(v: Value, span: Span, op: string, domains: ReadonlyMap<string, ParamDomain>): Value {
    if (!isInteger(v.exact))
      this.fail(
        "E0208",
        `operand of \`${op}\` is ${formatRational(v.exact)}, not a whole number`,
        span,
        "C's bitwise operators and shifts take integers: use whole numbers of bytes (`0.5MB` is 512 KiB, a whole number)",
      );
    const { min, max } = bounds(v.sym, domains);
    if (!withinWord(min) || !withinWord(max))
      this.fail(
        "E0131",
        `operand of \`${op}\` does not fit in 64 bits${isConstant(v.sym) ? `: ${decimalOrHex(v.exact.num)}` : " for some parameter values"}`,
        span,
        "C would have truncated it to 64 bits before this operator: keep it within -2^63 .. 2^64 - 1",
      );
    return v;
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

  private call(expr: CallExpr, scope: Scope): Value {
    const name = expr.callee.name;
    const args = expr.args.map((a) => this.evaluate(a, scope));
    const fn = scope.functions?.get(name);
    if (fn) return this.callUser(fn, expr, args);
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
        return unknownFunction(this, expr.callee, scope.functions);
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

/** E0109 unless `expr` passes `decl` as many arguments as it has parameters. */
export function checkArity(evaluator: Evaluator, expr: CallExpr, decl: FnDecl): void {
  if (expr.args.length !== decl.params.length)
    evaluator.fail(
      "E0109",
      `\`${decl.name.name}\` takes ${decl.params.length} argument${decl.params.length === 1 ? "" : "s"}, not ${expr.args.length}`,
      expr.span,
      `it is declared \`fn ${decl.name.name}(${decl.params.map((p) => p.name).join(", ")})\``,
    );
}

/** E0101 for a call of a function that is neither built in nor declared, with the closest name. */
export function unknownFunction(
  evaluator: Evaluator,
  callee: Identifier,
  functions: ReadonlyMap<string, UserFunction> | undefined,
): never {
  const names = [...BUILTIN_FUNCTIONS, ...(functions?.keys() ?? [])];
  const close = closest(callee.name, names);
  return evaluator.fail(
    "E0101",
    `unknown function \`${callee.name}\``,
    callee.span,
    close
      ? `a similar function exists: \`${close}\``
      : `the functions are ${names
          .map((n) => `\`${n}\``)
          .join(", ")
          .replace(/, ([^,]*)$/, " and $1")}, and those a spec declares with \`fn\``,
  );
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

const WORD = 1n << 64n;
const WORD_SIGN = 1n << 63n;
const isBitwise = (op: string): op is BitwiseOperator =>
  op === "<<" || op === ">>" || op === "&" || op === "|" || op === "^";
/** Whether a whole `q` is a 64-bit word: in [-2^63, 2^64). */
const withinWord = (q: Rational): boolean =>
  compare(q, rat(-WORD_SIGN)) >= 0 && compare(q, rat(WORD)) < 0;
/** A result of `& | ^` on 64-bit words, taken back into [-2^63, 2^64) (its low 64 bits kept). */
const toWord = (n: bigint): bigint => (n < -WORD_SIGN ? BigInt.asUintN(64, n) : n);

/**
 * `c op e` for a constant `c` and a parameter-dependent `e` as a linear form, when it is one
 * for every parameter value. Write `e = k + t`, `t` its parameter terms less an offset (none,
 * or their least value: `slot << 39` for slots 256..511 is `2^47 + (slot - 256) << 39`) and
 * `k` the rest, a constant. It is when `t` is at least 0 and its bits lie in `[low, high)` (a
 * multiple of 2^low below 2^high), `k` has those bits clear (so `e = k | t`), and `c` has them
 * all clear (then `c op e = (c op k) + t` for `|` and `^`, and `c & k` for `&`) or all set
 * (then `c | e` is `c | k`, `c & e = (c & k) + t`, `c ^ e = (c ^ k) - t`). Else undefined.
 */
function maskedForm(
  op: "&" | "|" | "^",
  c: bigint,
  e: Value,
  domains: ReadonlyMap<string, ParamDomain>,
): Value | undefined {
  if (!isZero(e.sym.slackLo) || !isZero(e.sym.slackHi) || !isInteger(e.sym.constant))
    return undefined;
  const terms: Affine = { ...e.sym, constant: ZERO };
  const least = bounds(terms, domains).min;
  if (!isInteger(least)) return undefined;
  for (const offset of [0n, least.num]) {
    const t = plus(terms, integer(-offset));
    const k = e.sym.constant.num + offset;
    const { min, max } = bounds(t, domains);
    if (compare(min, ZERO) < 0 || !isInteger(max)) continue;
    const high = BigInt(max.num.toString(2).length);
    let low = 0n;
    while (low < high && multipleForEveryValue(t, 1n << (low + 1n), domains)) low++;
    const window = (1n << high) - (1n << low);
    const cBits = c & window;
    if ((k & window) !== 0n || (cBits !== 0n && cBits !== window)) continue;
    const base = toWord(op === "&" ? c & k : op === "|" ? c | k : c ^ k);
    const clear = cBits === 0n;
    const sign = op === "|" ? (clear ? 1n : 0n) : op === "&" ? (clear ? 0n : 1n) : clear ? 1n : -1n;
    return {
      exact: rat(base + sign * (e.exact.num - k)),
      sym: plus(integer(base), scale(t, rat(sign))),
    };
  }
  return undefined;
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
