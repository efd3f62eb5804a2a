/**
 * Symbolic values for proofs over parameters. A value is affine in the parameters plus a
 * bounded slack:
 *
 *     v  ∈  constant + Σ coeff[p] · p + [slackLo, slackHi]
 *
 * Slack comes from operations that are not affine (`align_up(x, a)` adds `[0, a-1]`,
 * `min`/`max`). Parameters are independent and each ranges over the multiples of its
 * alignment in `[min, max]`, so the exact minimum and maximum of the affine part over that box
 * is the sum of per-term extremes; with slack the bounds are sound (never too narrow).
 * That is what lets the verifier prove "for every allowed value" without sampling.
 */
import { type Rational, ZERO, add, compare, mul, rat, isZero } from "./rational.js";

export interface Affine {
  readonly constant: Rational;
  /** Non-zero coefficients, by parameter name. */
  readonly terms: ReadonlyMap<string, Rational>;
  readonly slackLo: Rational;
  readonly slackHi: Rational;
}

/** The range a parameter's value can take: multiples of `align` in `[min, max]`. */
export interface ParamDomain {
  readonly min: bigint;
  readonly max: bigint;
  readonly align: bigint;
}

/** A linear fact among parameters (a `require`): `form >= 0`, or `form == 0` when `equal`. */
export interface LinearFact {
  readonly form: Affine;
  readonly equal: boolean;
}

/**
 * Each parameter's range, by name, and the facts that hold among them (`require`): the
 * parameter values are the aligned points of the box that satisfy every fact. Without
 * facts, the box alone.
 */
export type Domains = ReadonlyMap<string, ParamDomain> & {
  readonly facts?: readonly LinearFact[];
};

/** `domains` with `facts` among its parameters. */
export const constrained = (
  domains: ReadonlyMap<string, ParamDomain>,
  facts: readonly LinearFact[],
): Domains => Object.assign(new Map(domains), { facts });

/** Shared by every parameter-free value: most values are constants, so this saves a Map each. */
const NO_TERMS: ReadonlyMap<string, Rational> = new Map();

export const constant = (c: Rational): Affine => ({
  constant: c,
  terms: NO_TERMS,
  slackLo: ZERO,
  slackHi: ZERO,
});

/** A whole number as a constant form. */
export const integer = (n: bigint): Affine => constant({ num: n, den: 1n });

export const variable = (name: string): Affine => ({
  constant: ZERO,
  terms: new Map([[name, rat(1n)]]),
  slackLo: ZERO,
  slackHi: ZERO,
});

export const isConstant = (a: Affine): boolean =>
  a.terms.size === 0 && isZero(a.slackLo) && isZero(a.slackHi);

export function plus(a: Affine, b: Affine): Affine {
  if (isConstant(b))
    return isConstant(a)
      ? constant(add(a.constant, b.constant))
      : { ...a, constant: add(a.constant, b.constant) };
  const terms = b.terms.size === 0 ? a.terms : new Map(a.terms);
  for (const [name, c] of b.terms) {
    const sum = add(terms.get(name) ?? ZERO, c);
    if (isZero(sum)) (terms as Map<string, Rational>).delete(name);
    else (terms as Map<string, Rational>).set(name, sum);
  }
  return {
    constant: add(a.constant, b.constant),
    terms,
    slackLo: add(a.slackLo, b.slackLo),
    slackHi: add(a.slackHi, b.slackHi),
  };
}

/** Multiplies by an exact constant; a negative factor swaps the slack bounds. */
export function scale(a: Affine, k: Rational): Affine {
  if (isZero(k)) return constant(ZERO);
  if (isConstant(a)) return constant(mul(a.constant, k));
  const terms = new Map<string, Rational>();
  for (const [name, c] of a.terms) terms.set(name, mul(c, k));
  const lo = mul(a.slackLo, k);
  const hi = mul(a.slackHi, k);
  const swap = compare(k, ZERO) < 0;
  return { constant: mul(a.constant, k), terms, slackLo: swap ? hi : lo, slackHi: swap ? lo : hi };
}

export const minus = (a: Affine, b: Affine): Affine => plus(a, scale(b, rat(-1n)));
export const negated = (a: Affine): Affine => scale(a, rat(-1n));

/** Adds slack `[lo, hi]` (for non-affine operations whose result is within that of `a`). */
export const widen = (a: Affine, lo: Rational, hi: Rational): Affine => ({
  ...a,
  slackLo: add(a.slackLo, lo),
  slackHi: add(a.slackHi, hi),
});

function alignedUp(x: bigint, a: bigint): bigint {
  const r = ((x % a) + a) % a;
  return r === 0n ? x : x + (a - r);
}
function alignedDown(x: bigint, a: bigint): bigint {
  return x - (((x % a) + a) % a);
}

/** The smallest and largest value a parameter can take (its range is assumed non-empty). */
export function domainBounds(d: ParamDomain): { lo: bigint; hi: bigint } {
  return { lo: alignedUp(d.min, d.align), hi: alignedDown(d.max, d.align) };
}

/**
 * Sound bounds of `a` over all parameter values. Exact when `a` has no slack. An unknown
 * parameter name is an internal error.
 */
export function bounds(
  a: Affine,
  domains: ReadonlyMap<string, ParamDomain>,
): { min: Rational; max: Rational } {
  let min = add(a.constant, a.slackLo);
  let max = add(a.constant, a.slackHi);
  for (const [name, c] of a.terms) {
    const d = domains.get(name);
    if (!d) throw new Error(`internal error: unknown parameter ${name}`);
    const { lo, hi } = domainBounds(d);
    const atLo = mul(c, rat(lo));
    const atHi = mul(c, rat(hi));
    const [small, large] = compare(atLo, atHi) <= 0 ? [atLo, atHi] : [atHi, atLo];
    min = add(min, small);
    max = add(max, large);
  }
  return { min, max };
}

/**
 * Parameter values at which the affine part of `a` is smallest (or largest): a witness for a
 * diagnostic ("overlaps when `kernel_end` = 0x..."). Slack is ignored.
 */
export function witness(
  a: Affine,
  domains: ReadonlyMap<string, ParamDomain>,
  want: "min" | "max",
): Map<string, bigint> {
  const values = new Map<string, bigint>();
  for (const [name, c] of a.terms) {
    const { lo, hi } = domainBounds(domains.get(name)!);
    const positive = compare(c, ZERO) > 0;
    values.set(name, (want === "min") === positive ? lo : hi);
  }
  return values;
}
