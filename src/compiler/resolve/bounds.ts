/**
 * Values (exact at the defaults, and symbolic) turned into the whole-number bounds a Layout
 * holds. Each failure is reported through the evaluator and abandons the expression
 * (EvaluationFailed).
 */
import type { Span } from "../../diagnostics/diagnostic.js";
import { integer, isConstant, plus } from "../../model/affine.js";
import { ADDRESS_SPACE_END, type Bound } from "../../model/layout.js";
import { type Rational, isInteger } from "../../model/rational.js";
import type { Evaluator, Value } from "../evaluate.js";

/** A whole number of bytes (E0208 for a fraction: a size is never rounded). */
export function whole(evaluator: Evaluator, v: Value, span: Span): bigint {
  if (!isInteger(v.exact))
    evaluator.fail(
      "E0208",
      `value is ${describeFraction(v.exact)} bytes, not a whole number of bytes`,
      span,
      "sizes and addresses must be exact byte counts; check the fraction and the unit",
    );
  return v.exact.num;
}

/**
 * A region's start or end: whole, and negative values count down from 2^64 (`-2GB`). It may
 * lie outside the address space: the verifier reports that (E0207) for this region alone and
 * checks the others, instead of one bad region hiding every other finding.
 */
export function placementAddress(evaluator: Evaluator, v: Value, span: Span): Bound {
  const exact = whole(evaluator, v, span);
  return exact < 0n
    ? { value: exact + ADDRESS_SPACE_END, sym: plus(v.sym, integer(ADDRESS_SPACE_END)) }
    : { value: exact, sym: v.sym };
}

/** An address: as `placementAddress`, and inside the address space (E0207). */
export function address(evaluator: Evaluator, v: Value, span: Span): Bound {
  const { value: exact, sym } = placementAddress(evaluator, v, span);
  if (exact < 0n || exact >= ADDRESS_SPACE_END)
    evaluator.fail(
      "E0207",
      `address ${exact < 0n ? "-" : ""}0x${(exact < 0n ? -exact : exact).toString(16)} is outside the 64-bit address space`,
      span,
      "addresses run from 0 to 0xffffffffffffffff; negative addresses count down from 2^64 and reach -16EB at most",
    );
  return { value: exact, sym };
}

/** `b + k`; a constant bound stays a plain constant (no symbolic arithmetic). */
export function offset(b: Bound, k: bigint): Bound {
  const value = b.value + k;
  return { value, sym: isConstant(b.sym) ? integer(value) : plus(b.sym, integer(k)) };
}

/** `1844674407370955161 3/5` for 9223372036854775808/5. */
function describeFraction(r: Rational): string {
  const whole = r.num / r.den;
  const rest = r.num % r.den;
  const sign = r.num < 0n && whole === 0n ? "-" : "";
  return `${sign}${whole} ${rest < 0n ? -rest : rest}/${r.den}`;
}
