/**
 * Exact rational numbers over bigint. Spec arithmetic is exact: `0.5TB` and `119.5TB` are
 * rationals until the end, and a value that is not a whole number of bytes is a diagnostic,
 * never a rounding. Invariant: `den > 0` and `gcd(|num|, den) = 1`.
 */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** Greatest common divisor of `|a|` and `|b|`. */
export function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Least common multiple of two positive numbers. */
export const lcm = (a: bigint, b: bigint): bigint => (a / gcd(a, b)) * b;

export function rat(num: bigint, den: bigint = 1n): Rational {
  if (den === 1n) return { num, den }; // whole: already in lowest terms
  if (den === 0n) throw new Error("internal error: rational with zero denominator");
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

export const ZERO = rat(0n);
export const ONE = rat(1n);

// Whole numbers are by far the common case: skip the gcd for them.
export const add = (a: Rational, b: Rational): Rational =>
  a.den === 1n && b.den === 1n
    ? { num: a.num + b.num, den: 1n }
    : rat(a.num * b.den + b.num * a.den, a.den * b.den);
export const sub = (a: Rational, b: Rational): Rational =>
  a.den === 1n && b.den === 1n
    ? { num: a.num - b.num, den: 1n }
    : rat(a.num * b.den - b.num * a.den, a.den * b.den);
export const mul = (a: Rational, b: Rational): Rational =>
  a.den === 1n && b.den === 1n
    ? { num: a.num * b.num, den: 1n }
    : rat(a.num * b.num, a.den * b.den);
/** Caller checks `b` is not zero. */
export const div = (a: Rational, b: Rational): Rational => rat(a.num * b.den, a.den * b.num);
export const neg = (a: Rational): Rational => ({ num: -a.num, den: a.den });
export const isInteger = (a: Rational): boolean => a.den === 1n;
export const isZero = (a: Rational): boolean => a.num === 0n;
export const compare = (a: Rational, b: Rational): number => {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};

/** Parses an exact decimal such as `119.5` or `0.25` (digits, optional fraction). */
export function parseDecimal(text: string): Rational {
  const [whole, frac = ""] = text.split(".");
  return rat(BigInt(whole + frac), 10n ** BigInt(frac.length));
}

export function formatRational(a: Rational): string {
  return a.den === 1n ? a.num.toString() : `${a.num}/${a.den}`;
}
