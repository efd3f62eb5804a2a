/**
 * Extremes of an affine form over the parameter polytope: each parameter in its range, and
 * every `require` constraint (`Σ c·p + k >= 0`, or `== 0`) holding.
 *
 * The method is Fourier–Motzkin elimination on exact integer rows (`Σ a·x <= b`, bigint).
 * To minimise `f`, a variable `t` is tied to `f` (`t - f == 0`) and every parameter is
 * eliminated; what remains bounds `t` alone, and its smallest value is the minimum. Each
 * elimination step keeps exactly the projection of the polytope (Fourier 1827, Motzkin 1936),
 * so the result is exact over the real relaxation: parameters are treated as real numbers in
 * `[lo, hi]`, their alignment (multiples of `align`) is dropped. The relaxation holds every
 * allowed parameter value, so a lower bound proved over it holds for all of them (sound; it
 * may be lower than the true minimum over the aligned values, never higher). Strict
 * inequalities are tightened by the caller to `>= 1` on integer forms, exact on whole numbers.
 *
 * The dimension is a few parameters, so the quadratic growth of each step is small; past
 * `MAX_ROWS` the elimination gives up and callers fall back to the box, also sound.
 * A witness is found by substituting back from the last elimination to the first (each
 * parameter's interval given the later ones), then rounding to the aligned values and
 * keeping the best rounding that satisfies every constraint.
 */
import { type Affine, type Domains, type LinearFact, domainBounds, negated } from "./affine.js";
import { type Rational, ZERO, add, compare, div, gcd, lcm, mul, rat, sub } from "./rational.js";

/** Rows beyond which the elimination gives up (callers fall back to the box). */
const MAX_ROWS = 20_000;
/** Parameters rounded both ways when a witness is not whole (2^n candidates). */
const MAX_ROUNDED = 12;

/** `Σ coeffs[i]·x[i] <= bound`, integers. */
interface Row {
  readonly coeffs: readonly bigint[];
  readonly bound: bigint;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** The row divided by the gcd of its numbers (so equal rows compare equal). */
function normal(coeffs: bigint[], bound: bigint): Row {
  let g = abs(bound);
  for (const c of coeffs) g = gcd(g, c);
  if (g > 1n) return { coeffs: coeffs.map((c) => c / g), bound: bound / g };
  return { coeffs, bound };
}

/** A system over `names` (and `t` at index `names.length` when optimising). */
class System {
  readonly names: readonly string[];
  readonly width: number;
  private readonly index: ReadonlyMap<string, number>;

  constructor(names: readonly string[], objective: boolean) {
    this.names = names;
    this.width = names.length + (objective ? 1 : 0);
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  /**
   * Rows for `form >= 0` (`form = k + Σ c·x`): `-Σ c·x <= k`, scaled to integers; with `t`,
   * `t - Σ c·x <= k`, i.e. `t <= form`; `equal` adds the reverse row.
   */
  rowsOf(form: Affine, equal: boolean, t?: boolean): Row[] {
    let den = form.constant.den;
    for (const c of form.terms.values()) den = lcm(den, c.den);
    const coeffs = new Array<bigint>(this.width).fill(0n);
    for (const [name, c] of form.terms) coeffs[this.index.get(name)!] = -(c.num * (den / c.den));
    if (t) coeffs[this.names.length] = den;
    const k = form.constant.num * (den / form.constant.den);
    const rows = [normal(coeffs, k)];
    if (equal)
      rows.push(
        normal(
          coeffs.map((c) => -c),
          -k,
        ),
      );
    return rows;
  }

  boxRows(domains: ReadonlyMap<string, { lo: bigint; hi: bigint }>): Row[] {
    const rows: Row[] = [];
    this.names.forEach((name, i) => {
      const { lo, hi } = domains.get(name)!;
      const up = new Array<bigint>(this.width).fill(0n);
      up[i] = 1n;
      rows.push({ coeffs: up, bound: hi });
      rows.push({ coeffs: up.map((c) => -c), bound: -lo });
    });
    return rows;
  }
}

/**
 * Eliminates variable `j`: every pair of a row with a positive and one with a negative
 * coefficient of `x[j]` combines into a row without it; rows without it stay. Undefined past
 * MAX_ROWS.
 */
function eliminate(rows: readonly Row[], j: number): Row[] | undefined {
  const pos: Row[] = [];
  const neg: Row[] = [];
  const out = new Map<string, Row>();
  const keep = (r: Row): void => {
    if (r.coeffs.every((c) => c === 0n)) {
      // `0 <= b`: only a false one matters (the system is empty); keep the tightest.
      if (r.bound >= 0n) return;
    }
    const key = r.coeffs.join(",");
    const old = out.get(key);
    if (!old || r.bound < old.bound) out.set(key, r);
  };
  for (const r of rows) {
    const c = r.coeffs[j]!;
    if (c > 0n) pos.push(r);
    else if (c < 0n) neg.push(r);
    else keep(r);
  }
  if (out.size + pos.length * neg.length > MAX_ROWS) return undefined;
  for (const p of pos) {
    for (const q of neg) {
      const a = -q.coeffs[j]!; // > 0
      const b = p.coeffs[j]!; // > 0
      const coeffs = p.coeffs.map((c, i) => c * a + q.coeffs[i]! * b);
      coeffs[j] = 0n;
      keep(normal(coeffs, p.bound * a + q.bound * b));
    }
  }
  return [...out.values()];
}

/**
 * The interval of `x[j]` the rows allow, the variables in `fixed` (by index) set. Rows that
 * mention an unset variable other than `j` are not consulted (back-substitution sets them first).
 */
function interval(
  rows: readonly Row[],
  j: number,
  fixed: ReadonlyMap<number, Rational>,
): { lo: Rational | undefined; hi: Rational | undefined; empty: boolean } {
  let lo: Rational | undefined;
  let hi: Rational | undefined;
  let empty = false;
  for (const r of rows) {
    let rest: Rational = rat(r.bound);
    let usable = true;
    r.coeffs.forEach((c, i) => {
      if (c === 0n || i === j) return;
      const v = fixed.get(i);
      if (v === undefined) usable = false;
      else rest = sub(rest, mul(rat(c), v));
    });
    if (!usable) continue;
    const c = r.coeffs[j]!;
    if (c === 0n) {
      if (compare(rest, ZERO) < 0) empty = true;
      continue;
    }
    const limit = div(rest, rat(c));
    if (c > 0n) {
      if (hi === undefined || compare(limit, hi) < 0) hi = limit;
    } else if (lo === undefined || compare(limit, lo) > 0) lo = limit;
  }
  if (lo !== undefined && hi !== undefined && compare(lo, hi) > 0) empty = true;
  return { lo, hi, empty };
}

/**
 * The parameters `forms` mention and those of every fact linked to them through shared ones
 * (with no forms: every fact's).
 */
function involved(forms: readonly Affine[], facts: readonly LinearFact[]): string[] {
  const names = new Set<string>();
  for (const f of forms) for (const n of f.terms.keys()) names.add(n);
  let grown = true;
  while (grown) {
    grown = false;
    for (const fact of facts) {
      const keys = [...fact.form.terms.keys()];
      if (forms.length > 0 && !keys.some((n) => names.has(n))) continue;
      for (const n of keys) {
        if (!names.has(n)) {
          names.add(n);
          grown = true;
        }
      }
    }
  }
  return [...names].sort();
}

/** Whether a fact touches any of `names` (a fact over other parameters cannot change them). */
const touches = (fact: LinearFact, names: readonly string[]): boolean =>
  names.some((n) => fact.form.terms.has(n));

export interface Optimum {
  /** The exact extreme of the form's affine part over the relaxation. */
  readonly value: Rational;
  /** Aligned parameter values within the polytope near that extreme, if rounding finds one. */
  readonly witness: Map<string, bigint> | undefined;
}

/** Aligned range of a domain. */
export type Ranges = ReadonlyMap<string, { lo: bigint; hi: bigint; align: bigint }>;

/**
 * The smallest (`min`) or largest value of `form`'s affine part (slack ignored) over the
 * polytope; "empty" when no real point satisfies the facts; undefined when elimination gave up.
 */
export function optimise(
  form: Affine,
  ranges: Ranges,
  facts: readonly LinearFact[],
  want: "min" | "max",
): Optimum | "empty" | undefined {
  const names = involved([form], facts);
  const sys = new System(names, true);
  const relevant = facts.filter((f) => touches(f, names));
  const objective: Affine = want === "min" ? form : negated(form);
  let rows: Row[] = [
    ...sys.boxRows(ranges),
    ...relevant.flatMap((f) => sys.rowsOf(f.form, f.equal)),
    // t == objective: `t <= o` and `t >= o`.
    ...sys.rowsOf(objective, true, true),
  ];
  const stages: Row[][] = [];
  for (let j = 0; j < names.length; j++) {
    stages.push(rows);
    const next = eliminate(rows, j);
    if (!next) return undefined;
    rows = next;
  }
  const tIndex = names.length;
  const tRange = interval(rows, tIndex, new Map());
  if (tRange.empty || tRange.lo === undefined) return tRange.empty ? "empty" : undefined;
  const fixed = new Map<number, Rational>([[tIndex, tRange.lo]]);
  const point = backSubstitute(stages, names, ranges, fixed);
  const value = want === "min" ? tRange.lo : mul(tRange.lo, rat(-1n));
  const witness = point && roundedWitness(point, names, ranges, relevant, form, want);
  return { value, witness };
}

/** Real values of every parameter, substituting back from the last elimination. */
function backSubstitute(
  stages: readonly Row[][],
  names: readonly string[],
  ranges: Ranges,
  fixed: Map<number, Rational>,
): Rational[] | undefined {
  for (let j = names.length - 1; j >= 0; j--) {
    const { lo, hi, empty } = interval(stages[j]!, j, fixed);
    if (empty || lo === undefined || hi === undefined) return undefined;
    // Prefer an aligned value in [lo, hi], so that rounding is seldom needed.
    const { lo: dlo, align } = ranges.get(names[j]!)!;
    const aligned = rat(dlo + ceilSteps(sub(lo, rat(dlo)), align) * align);
    fixed.set(j, compare(aligned, hi) <= 0 ? aligned : lo);
  }
  return names.map((_, j) => fixed.get(j)!);
}

/** Smallest whole k with k·align >= x. */
function ceilSteps(x: Rational, align: bigint): bigint {
  const d = x.den * align;
  const q = x.num / d;
  return q * d < x.num ? q + 1n : q;
}
function floorSteps(x: Rational, align: bigint): bigint {
  const d = x.den * align;
  const q = x.num / d;
  return q * d > x.num ? q - 1n : q;
}

/** Whether the aligned `values` satisfy every fact (exactly). */
export function satisfies(
  values: ReadonlyMap<string, bigint>,
  facts: readonly LinearFact[],
): boolean {
  return facts.every((f) => {
    const v = valueAt(f.form, values);
    const s = compare(v, ZERO);
    return f.equal ? s === 0 : s >= 0;
  });
}

function valueAt(form: Affine, values: ReadonlyMap<string, bigint>): Rational {
  let v = form.constant;
  for (const [n, c] of form.terms) v = add(v, mul(c, rat(values.get(n)!)));
  return v;
}

/**
 * The aligned point nearest the real one that satisfies the facts: each non-aligned
 * coordinate rounded down and up, every combination tried, the best value of `form` kept.
 */
function roundedWitness(
  point: readonly Rational[],
  names: readonly string[],
  ranges: Ranges,
  facts: readonly LinearFact[],
  form: Affine,
  want: "min" | "max",
): Map<string, bigint> | undefined {
  const choices = names.map((name, j) => {
    const { lo, hi, align } = ranges.get(name)!;
    const off = sub(point[j]!, rat(lo));
    const down = lo + floorSteps(off, align) * align;
    const up = lo + ceilSteps(off, align) * align;
    return [...new Set([down, up])].filter((v) => v >= lo && v <= hi);
  });
  if (choices.filter((c) => c.length > 1).length > MAX_ROUNDED) return undefined;
  let best: Map<string, bigint> | undefined;
  let bestValue: Rational | undefined;
  const pick = (j: number, values: Map<string, bigint>): void => {
    if (j === names.length) {
      if (!satisfies(values, facts)) return;
      const v = valueAt(form, values);
      const better =
        bestValue === undefined ||
        (want === "min" ? compare(v, bestValue) < 0 : compare(v, bestValue) > 0);
      if (better) {
        best = new Map(values);
        bestValue = v;
      }
      return;
    }
    for (const v of choices[j]!) {
      values.set(names[j]!, v);
      pick(j + 1, values);
    }
    values.delete(names[j]!);
  };
  pick(0, new Map());
  return best;
}

/**
 * Whether any real point satisfies the facts within the ranges ("empty" when none); undefined
 * when elimination gave up.
 */
export function feasible(ranges: Ranges, facts: readonly LinearFact[]): boolean | undefined {
  const names = involved([], facts);
  const sys = new System(names, false);
  let rows: Row[] = [...sys.boxRows(ranges), ...facts.flatMap((f) => sys.rowsOf(f.form, f.equal))];
  for (let j = 0; j < names.length; j++) {
    const next = eliminate(rows, j);
    if (!next) return undefined;
    rows = next;
  }
  return rows.every((r) => r.bound >= 0n);
}

/** Each parameter's aligned range. */
export function rangesOf(domains: Domains): Ranges {
  const out = new Map<string, { lo: bigint; hi: bigint; align: bigint }>();
  for (const [n, d] of domains) out.set(n, { ...domainBounds(d), align: d.align });
  return out;
}
