/**
 * The symbolic core of the verifier. Every rule is a statement about affine forms over the
 * parameters ("`b.start - a.end` >= 1", "`start` is a multiple of 2 MiB") that must hold for
 * EVERY allowed parameter value. `bounds()` gives the exact extremes of the affine part over the
 * parameter box (sound, possibly wider, when there is slack), so:
 *
 *   - a lower bound `a >= k` holds for every value iff `bounds(a).min >= k` (exact without slack);
 *   - a congruence `a ≡ 0 (mod m)` holds for every value iff the value at the smallest parameter
 *     values is a multiple of `m` and each coefficient times its parameter's step is one too
 *     (parameters step by their alignment); with slack nothing can be proved.
 *
 * When a statement cannot be proved, the helpers return a counterexample: parameter values at
 * which it fails (`definite`), or, when slack from `align_up`/`min`/`max` is to blame, the values
 * at which it is closest to failing (`definite: false`: the verifier cannot rule a failure out).
 * The parameter domains are never sampled, so proof time does not depend on their size.
 */
import {
  type Affine,
  type ParamDomain,
  bounds,
  domainBounds,
  isConstant,
  witness,
} from "../compiler/affine.js";
import {
  type Rational,
  ZERO,
  add,
  compare,
  div,
  isInteger,
  isZero,
  mul,
  rat,
} from "../compiler/rational.js";

export type Domains = ReadonlyMap<string, ParamDomain>;

export interface Counterexample {
  /** Values of the parameters the statement depends on (the others stay at their defaults). */
  readonly values: ReadonlyMap<string, bigint>;
  /** True: the statement fails at `values`. False: it merely cannot be proved (slack). */
  readonly definite: boolean;
}

const hasSlack = (a: Affine): boolean => !isZero(a.slackLo) || !isZero(a.slackHi);

/** The affine part of `a` (slack ignored) with parameters from `values`, else from `fallback`. */
export function evaluate(
  a: Affine,
  values: ReadonlyMap<string, bigint>,
  fallback?: ReadonlyMap<string, bigint>,
): Rational {
  let v = a.constant;
  for (const [name, c] of a.terms) {
    const p = values.get(name) ?? fallback?.get(name);
    if (p === undefined) throw new Error(`internal error: no value for parameter ${name}`);
    v = add(v, mul(c, rat(p)));
  }
  return v;
}

/** Floor of a rational (for showing positions at a witness). */
export function floor(r: Rational): bigint {
  const q = r.num / r.den;
  return r.num < 0n && q * r.den !== r.num ? q - 1n : q;
}

/** Counterexample to `a >= k` for every parameter value, or undefined when it is proved. */
export function refuteAtLeast(a: Affine, k: bigint, domains: Domains): Counterexample | undefined {
  const kr = rat(k);
  if (isConstant(a)) {
    return compare(a.constant, kr) >= 0 ? undefined : { values: new Map(), definite: true };
  }
  if (compare(bounds(a, domains).min, kr) >= 0) return undefined;
  const values = witness(a, domains, "min");
  // The affine part is smallest at `values`; the statement surely fails there only if even
  // the largest slack leaves it below k.
  const definite = compare(add(evaluate(a, values), a.slackHi), kr) < 0;
  return { values, definite };
}

/** Counterexample to `a <= k` for every parameter value, or undefined when it is proved. */
export function refuteAtMost(a: Affine, k: bigint, domains: Domains): Counterexample | undefined {
  const kr = rat(k);
  if (isConstant(a)) {
    return compare(a.constant, kr) <= 0 ? undefined : { values: new Map(), definite: true };
  }
  if (compare(bounds(a, domains).max, kr) <= 0) return undefined;
  const values = witness(a, domains, "max");
  const definite = compare(add(evaluate(a, values), a.slackLo), kr) > 0;
  return { values, definite };
}

/** Counterexample to `a == k` for every parameter value. */
export function refuteEqual(a: Affine, k: bigint, domains: Domains): Counterexample | undefined {
  return refuteAtLeast(a, k, domains) ?? refuteAtMost(a, k, domains);
}

const isMultiple = (v: Rational, m: Rational): boolean => isInteger(div(v, m));

/**
 * Counterexample to "`a` is a multiple of `m`" for every parameter value (`m` = 1: a whole
 * number). `defaults` are the parameter defaults; the caller has checked the value there.
 */
export function refuteMultiple(
  a: Affine,
  m: bigint,
  domains: Domains,
  defaults: ReadonlyMap<string, bigint>,
): Counterexample | undefined {
  const mr = rat(m);
  if (a.terms.size === 0 && !hasSlack(a)) {
    return isMultiple(a.constant, mr) ? undefined : { values: new Map(), definite: true };
  }
  const atDefaults = new Map<string, bigint>();
  for (const name of a.terms.keys()) atDefaults.set(name, defaults.get(name)!);
  if (compare(a.slackLo, a.slackHi) !== 0) {
    // `align_up(x, 4KB)` and friends: only an interval is known, never a residue.
    return { values: atDefaults, definite: false };
  }
  const base = add(a.constant, a.slackLo);
  const shifted: Affine = { ...a, constant: base, slackLo: ZERO, slackHi: ZERO };
  for (const [name, c] of a.terms) {
    const d = domains.get(name)!;
    const { lo, hi } = domainBounds(d);
    if (lo >= hi) continue; // a parameter with one value is a constant
    if (isMultiple(mul(c, rat(d.align)), mr)) continue;
    // Moving this parameter by one step changes the value by a non-multiple of m, so one of
    // the two neighbours of a good default is bad.
    const def = atDefaults.get(name)!;
    const step = def + d.align <= hi ? d.align : -d.align;
    const values = new Map(atDefaults).set(name, def + step);
    if (!isMultiple(evaluate(shifted, values), mr)) return { values, definite: true };
    const other = new Map(atDefaults).set(name, lo);
    return { values: other, definite: !isMultiple(evaluate(shifted, other), mr) };
  }
  // Every step keeps the residue: the value is congruent to its value at the low corner.
  const corner = new Map<string, bigint>();
  for (const name of a.terms.keys()) corner.set(name, domainBounds(domains.get(name)!).lo);
  return isMultiple(evaluate(shifted, corner), mr) ? undefined : { values: corner, definite: true };
}
