/**
 * How the verifier writes numbers in messages: addresses as exact 16-digit hex
 * (`0xffff888000000000`), inclusive ranges as `lo..hi` (the spec's own notation), sizes in the
 * largest binary unit that divides them exactly (`2 GiB`), parameter values by their type.
 */
import type { Param } from "./layout.js";
import { type Rational, formatRational } from "./rational.js";
import { type Code, catalogueEntry } from "../diagnostics/catalogue.js";

/** An address: `0x` and at least 16 hex digits; negative values (only in overflow messages) get a `-`. */
export function hex(v: bigint): string {
  if (v < 0n) return `-0x${(-v).toString(16).padStart(16, "0")}`;
  return `0x${v.toString(16).padStart(16, "0")}`;
}

/** The 16 hex digits of a 64-bit value (two's complement for a negative one), without `0x`. */
export function hexDigits(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}

/** A plain hex number without padding (entropy values, sizes that are not a unit multiple). */
export function shortHex(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/** An inclusive address range, as the spec writes it. */
export function range(lo: bigint, hi: bigint): string {
  return `${hex(lo)}..${hex(hi)}`;
}

const UNITS: readonly [bigint, string][] = [
  [1n << 60n, "EiB"],
  [1n << 50n, "PiB"],
  [1n << 40n, "TiB"],
  [1n << 30n, "GiB"],
  [1n << 20n, "MiB"],
  [1n << 10n, "KiB"],
  [1n, "bytes"],
];

const unitName = (count: bigint, name: string): string =>
  name === "bytes" && count === 1n ? "1 byte" : `${count} ${name}`;

/** `n` (positive) as unit components, largest first: 256 GiB + 513 MiB + 4 KiB. */
function components(n: bigint): string[] {
  const out: string[] = [];
  for (const [unit, name] of UNITS) {
    const q = n / unit;
    if (q === 0n) continue;
    out.push(unitName(q, name));
    n -= q * unit;
  }
  return out;
}

/**
 * A byte count, exactly: `2 GiB`, `6997 GiB`, `16 KiB + 1 byte`, `64 TiB - 1 byte`, or hex
 * bytes when neither form is short (`0x123456789 bytes`).
 */
export function size(n: bigint): string {
  if (n === 0n) return "0 bytes";
  if (n < 0n) return `-${size(-n)}`;
  for (const [unit, name] of UNITS) {
    if (n >= unit && n % unit === 0n && n / unit < 100_000n) return unitName(n / unit, name);
  }
  const candidates: string[] = [];
  const plus = components(n);
  if (plus.length <= 3) candidates.push(plus.join(" + "));
  // Just below a round number: the next multiple of the largest unit below n, minus the rest
  // (none when n is a multiple of it: a count of 100,000 or more of the largest unit).
  const unit = UNITS.find(([u]) => u < n)?.[0] ?? 1n;
  const top = ((n + unit - 1n) / unit) * unit;
  const rest = components(top - n);
  if (top > n && rest.length <= 2) candidates.push(`${size(top)} - ${rest.join(" - ")}`);
  candidates.sort((a, b) => a.length - b.length);
  return candidates[0] ?? `${shortHex(n)} bytes`;
}

/**
 * A signed byte count that may be a fraction (a document's `~1.6M TB`): whole counts as `size`
 * writes them, fractions rounded to two decimals of the largest unit they reach (`1.6 EiB`).
 */
export function quantity(r: Rational): string {
  if (r.num < 0n) return `-${quantity({ num: -r.num, den: r.den })}`;
  if (r.den === 1n) return size(r.num);
  const [unit, name] = UNITS.find(([u]) => r.num >= u * r.den) ?? [1n, "bytes"];
  const scale = unit * r.den;
  const hundredths = (r.num * 100n + scale / 2n) / scale;
  const fraction = (hundredths % 100n).toString().padStart(2, "0").replace(/0+$/, "");
  return `${hundredths / 100n}${fraction ? "." + fraction : ""} ${name}`;
}

/** A rational that should have been a whole number of bytes (`2049/2`). */
export function rational(r: Rational): string {
  return formatRational(r);
}

/** A parameter value as the user wrote it: addresses in hex, sizes in hex and units, counts in decimal. */
export function paramValue(param: Param | undefined, v: bigint): string {
  if (param?.type === "count") return v.toString();
  if (param?.type === "size") return `${shortHex(v)} (${size(v)})`;
  return hex(v);
}

/** A parameter value in short: a count in decimal, an address or a size in hex. */
export function paramNumber(param: Param | undefined, v: bigint): string {
  return param?.type === "count" ? v.toString() : hex(v);
}

/** A parameter's alignment: a count's in decimal (`4`), a size's or an address's in units. */
export function paramAlign(param: Param | undefined, align: bigint): string {
  return param?.type === "count" ? align.toString() : size(align);
}

/** `a`, `a and b`, `a, b and c`. */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** `allow NAME "reason"` for a catalogue code, with the name as the catalogue spells it. */
export function allow(code: Code): string {
  return `\`allow ${catalogueEntry(code).name} "reason"\``;
}

/** An identifier in backticks. */
export const tick = (name: string): string => `\`${name}\``;
