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
 * at which it comes closest (`definite: false`: the verifier cannot rule a failure out).
 * The parameter domains are never sampled, so proof time does not depend on their size.
 */
import {
  type Affine,
  type Domains,
  bounds,
  domainBounds,
  isConstant,
  minus,
  witness,
} from "../model/affine.js";
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
} from "../model/rational.js";

export type { Domains };

export interface Counterexample {
  /** Values of the parameters the statement depends on (the others stay at their defaults). */
  readonly values: ReadonlyMap<string, bigint>;
  /** True: the statement fails at `values`. False: it merely cannot be proved. */
  readonly definite: boolean;
  /** Why it cannot be proved, when not `definite` and not because of slack. */
  readonly reason?: string;
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

/** Whether every number in `a` is an integer (the common case: bigint arithmetic suffices). */
export function isIntegral(a: Affine): boolean {
  if (a.constant.den !== 1n || a.slackLo.den !== 1n || a.slackHi.den !== 1n) return false;
  if (a.terms.size === 0) return true;
  for (const c of a.terms.values()) if (c.den !== 1n) return false;
  return true;
}

/**
 * Exact min (`want` "min") or max of `a - b` over all parameter values, slack included, when
 * both are integral; undefined otherwise. No allocation beyond bigints: this is the hot path
 * of every rule.
 */
function extreme(
  a: Affine,
  b: Affine | undefined,
  domains: Domains,
  want: "min" | "max",
): bigint | undefined {
  if (!isIntegral(a) || (b && !isIntegral(b))) return undefined;
  const min = want === "min";
  let v = a.constant.num - (b ? b.constant.num : 0n);
  v += min ? a.slackLo.num - (b ? b.slackHi.num : 0n) : a.slackHi.num - (b ? b.slackLo.num : 0n);
  const term = (name: string, c: bigint): void => {
    if (c === 0n) return;
    const d = domains.get(name);
    if (!d) throw new Error(`internal error: unknown parameter ${name}`);
    const { lo, hi } = domainBounds(d);
    // Smallest c * x: at lo when c > 0; largest: at hi when c > 0.
    v += c * (c > 0n === min ? lo : hi);
  };
  for (const [name, c] of a.terms) term(name, c.num - (b?.terms.get(name)?.num ?? 0n));
  if (b) for (const [name, c] of b.terms) if (!a.terms.has(name)) term(name, -c.num);
  return v;
}

/**
 * Counterexample to `a - b >= k` (`b` optional) for every parameter value, or undefined when
 * it is proved.
 */
export function refuteAtLeast(
  a: Affine,
  k: bigint,
  domains: Domains,
  b?: Affine,
): Counterexample | undefined {
  const fast = extreme(a, b, domains, "min");
  if (fast !== undefined && fast >= k) return undefined;
  const d = b ? minus(a, b) : a;
  const kr = rat(k);
  if (isConstant(d)) {
    return compare(d.constant, kr) >= 0 ? undefined : { values: new Map(), definite: true };
  }
  if (compare(bounds(d, domains).min, kr) >= 0) return undefined;
  const values = witness(d, domains, "min");
  // The affine part is smallest at `values`; the statement surely fails there only if even
  // the largest slack leaves it below k.
  const definite = compare(add(evaluate(d, values), d.slackHi), kr) < 0;
  return { values, definite };
}

/** Counterexample to `a - b <= k` (`b` optional) for every parameter value, or undefined when it is proved. */
export function refuteAtMost(
  a: Affine,
  k: bigint,
  domains: Domains,
  b?: Affine,
): Counterexample | undefined {
  const fast = extreme(a, b, domains, "max");
  if (fast !== undefined && fast <= k) return undefined;
  const d = b ? minus(a, b) : a;
  const kr = rat(k);
  if (isConstant(d)) {
    return compare(d.constant, kr) <= 0 ? undefined : { values: new Map(), definite: true };
  }
  if (compare(bounds(d, domains).max, kr) <= 0) return undefined;
  const values = witness(d, domains, "max");
  const definite = compare(add(evaluate(d, values), d.slackLo), kr) > 0;
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
  return refuteResidue(a, m, domains, defaults);
}

/**
 * Counterexample to "`a` is a whole number" for every parameter value. Slack comes from
 * `align_up`, `align_down`, `min` and `max`, whose results are whole when their arguments
 * are, so only the affine part (and whole slack bounds) is checked: an interval carries no
 * residue for alignment, but integrality is preserved by those operations.
 */
export function refuteWhole(
  a: Affine,
  domains: Domains,
  defaults: ReadonlyMap<string, bigint>,
): Counterexample | undefined {
  if (isInteger(a.slackLo) && isInteger(a.slackHi)) {
    return refuteResidue({ ...a, slackLo: ZERO, slackHi: ZERO }, 1n, domains, defaults);
  }
  return refuteResidue(a, 1n, domains, defaults);
}

function refuteResidue(
  a: Affine,
  m: bigint,
  domains: Domains,
  defaults: ReadonlyMap<string, bigint>,
): Counterexample | undefined {
  if (isIntegral(a) && a.slackLo.num === a.slackHi.num) {
    // Fast path: whole coefficients. Proved iff every step keeps the residue and the low
    // corner is a multiple; otherwise fall through to find the witness.
    let corner = a.constant.num + a.slackLo.num;
    let steps = true;
    for (const [name, c] of a.terms) {
      const d = domains.get(name)!;
      const { lo, hi } = domainBounds(d);
      corner += c.num * lo;
      if (lo < hi && (c.num * d.align) % m !== 0n) steps = false;
    }
    if (steps && corner % m === 0n) return undefined;
  }
  const mr = rat(m);
  if (a.terms.size === 0 && !hasSlack(a)) {
    return isMultiple(a.constant, mr) ? undefined : { values: new Map(), definite: true };
  }
  const atDefaults = new Map<string, bigint>();
  for (const name of a.terms.keys()) atDefaults.set(name, defaults.get(name)!);
  if (compare(a.slackLo, a.slackHi) !== 0) {
    // `align_up(x, 4KB)` and friends: only an interval is known, never a residue.
    return { values: new Map(), definite: false };
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
    // (Only the moved parameter is reported; the others stay at their defaults.)
    const moved = new Map([[name, def + step]]);
    if (!isMultiple(evaluate(shifted, moved, defaults), mr))
      return { values: moved, definite: true };
    const low = new Map([[name, lo]]);
    return { values: low, definite: !isMultiple(evaluate(shifted, low, defaults), mr) };
  }
  // Every step keeps the residue: the value is congruent to its value at the low corner.
  const corner = new Map<string, bigint>();
  for (const name of a.terms.keys()) corner.set(name, domainBounds(domains.get(name)!).lo);
  return isMultiple(evaluate(shifted, corner), mr) ? undefined : { values: corner, definite: true };
}

/** Smallest multiple of `a` that is >= `x` (rational `x`). */
function ceilTo(x: Rational, a: bigint): bigint {
  const q = x.num / (x.den * a);
  const cand = q * a;
  return compare(rat(cand), x) >= 0 ? cand : cand + a;
}

/**
 * Parameter values at which every constraint is `>= 0` for sure (the low end of its slack),
 * or undefined when none is found. Tries `base` itself, then moves one parameter at a time
 * (the others at `base`): along one parameter each constraint is a half-line, so the
 * solutions are an interval, and the first multiple of the parameter's alignment in it is
 * exact. Used to turn "the neighbours' order can change" into "they overlap at this value".
 */
export function solve(
  constraints: readonly Affine[],
  base: ReadonlyMap<string, bigint>,
  domains: Domains,
): Map<string, bigint> | undefined {
  const holds = (values: ReadonlyMap<string, bigint>): boolean =>
    constraints.every((c) => compare(add(evaluate(c, values), c.slackLo), ZERO) >= 0);
  if (holds(base)) return new Map(base);
  const names = new Set<string>();
  for (const c of constraints) for (const n of c.terms.keys()) names.add(n);
  for (const name of names) {
    const d = domains.get(name)!;
    const { lo: dlo, hi: dhi } = domainBounds(d);
    let lo: Rational = rat(dlo);
    let hi: Rational = rat(dhi);
    let feasible = true;
    for (const c of constraints) {
      const k = c.terms.get(name) ?? ZERO;
      const others = new Map(base);
      others.set(name, 0n);
      // k * v + rest >= 0
      const rest = add(evaluate(c, others), c.slackLo);
      if (isZero(k)) {
        if (compare(rest, ZERO) < 0) feasible = false;
        continue;
      }
      const bound = div(mul(rest, rat(-1n)), k);
      if (compare(k, ZERO) > 0) {
        if (compare(bound, lo) > 0) lo = bound;
      } else if (compare(bound, hi) < 0) {
        hi = bound;
      }
    }
    if (!feasible || compare(lo, hi) > 0) continue;
    // The lattice is dlo + k * align.
    const v = dlo + ceilTo(add(lo, rat(-dlo)), d.align);
    if (compare(rat(v), hi) > 0) continue;
    const values = new Map(base).set(name, v);
    if (holds(values)) return values;
  }
  return undefined;
}

/** Keeps only the values of the parameters the affine forms depend on. */
export function restrict(
  values: ReadonlyMap<string, bigint>,
  forms: readonly Affine[],
): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const f of forms) for (const n of f.terms.keys()) out.set(n, values.get(n)!);
  return out;
}
