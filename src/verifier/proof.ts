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
  type LinearFact,
  bounds,
  domainBounds,
  isConstant,
  minus,
  scale,
  witness,
} from "../model/affine.js";
import { optimise, rangesOf, satisfies } from "../model/polytope.js";
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
  const low = extremeOf(d, domains, "min");
  if (compare(low.bound, kr) >= 0) return undefined;
  if (!low.values) return { values: new Map(), definite: false, reason: NO_ALIGNED_WITNESS };
  // The affine part is smallest at `values`; the statement surely fails there only if even
  // the largest slack leaves it below k.
  const definite = compare(add(evaluate(d, low.values), d.slackHi), kr) < 0;
  return { values: low.values, definite };
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
  const high = extremeOf(d, domains, "max");
  if (compare(high.bound, kr) <= 0) return undefined;
  if (!high.values) return { values: new Map(), definite: false, reason: NO_ALIGNED_WITNESS };
  const definite = compare(add(evaluate(d, high.values), d.slackLo), kr) > 0;
  return { values: high.values, definite };
}

const NO_ALIGNED_WITNESS =
  "the bound is reached only between aligned parameter values that satisfy the `require` constraints, so the verifier cannot rule out a failure";

/** The facts among the parameters that bind a parameter of `a` (none: the box is exact). */
function factsOn(a: Affine, domains: Domains): readonly LinearFact[] | undefined {
  const facts = domains.facts;
  if (!facts || facts.length === 0) return undefined;
  for (const name of a.terms.keys()) if (facts.some((f) => f.form.terms.has(name))) return facts;
  return undefined;
}

/**
 * Sound bound of `a` (slack included) over the parameter values, and the values at which
 * its affine part is extreme. Over the box when no fact binds `a`'s parameters; else over the
 * polytope's real relaxation (src/model/polytope.ts), whose witness satisfies every fact, or
 * is undefined when no aligned value near the extreme does. Should the elimination give up,
 * the box, a superset, still gives a sound bound.
 */
function extremeOf(
  a: Affine,
  domains: Domains,
  want: "min" | "max",
): { bound: Rational; values: Map<string, bigint> | undefined } {
  const slack = want === "min" ? a.slackLo : a.slackHi;
  const facts = factsOn(a, domains);
  if (facts) {
    const found = optimise(a, rangesOf(domains), facts, want);
    if (found && found !== "empty")
      return { bound: add(found.value, slack), values: found.witness };
  }
  const b = bounds(a, domains);
  return { bound: want === "min" ? b.min : b.max, values: witness(a, domains, want) };
}

/**
 * Whether `values` (the other parameters at `defaults`) satisfy every fact among the
 * parameters: a counterexample must be a value the spec allows.
 */
function allowed(
  values: ReadonlyMap<string, bigint>,
  domains: Domains,
  defaults: ReadonlyMap<string, bigint>,
): boolean {
  if (!domains.facts || domains.facts.length === 0) return true;
  const merged = new Map(defaults);
  for (const [k, v] of values) merged.set(k, v);
  return satisfies(merged, domains.facts);
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

/** A counterexample to a residue; one that breaks a `require` fact is only "cannot prove". */
function refuteResidue(
  a: Affine,
  m: bigint,
  domains: Domains,
  defaults: ReadonlyMap<string, bigint>,
): Counterexample | undefined {
  const cex = residueCounterexample(a, m, domains, defaults);
  if (!cex || allowed(cex.values, domains, defaults)) return cex;
  return {
    values: new Map(),
    definite: false,
    reason:
      "it fails only at values that break a `require` constraint, and the verifier does not search the constrained values for a residue",
  };
}

function residueCounterexample(
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
  failure: readonly Affine[],
  base: ReadonlyMap<string, bigint>,
  domains: Domains,
): Map<string, bigint> | undefined {
  // The values must also be allowed: every `require` fact holds.
  const facts = domains.facts ?? [];
  const constraints = [
    ...failure,
    ...facts.flatMap((f) => (f.equal ? [f.form, scale(f.form, rat(-1n))] : [f.form])),
  ];
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
  if (facts.length === 0) return undefined;
  // Moving one parameter at a time cannot follow a fact that ties several: search the polytope.
  const asFacts = failure.map((f) => ({
    form: { ...f, constant: add(f.constant, f.slackLo) },
    equal: false,
  }));
  const found = optimise(asFacts[0]!.form, rangesOf(domains), [...facts, ...asFacts], "max");
  if (!found || found === "empty" || !found.witness) return undefined;
  const values = new Map(base);
  for (const [k, v] of found.witness) values.set(k, v);
  return holds(values) ? values : undefined;
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
