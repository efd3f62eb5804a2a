/**
 * How the verifier writes numbers in messages: addresses as exact 16-digit hex
 * (`0xffff888000000000`), inclusive ranges as `lo..hi` (the spec's own notation), sizes in the
 * largest binary unit that divides them exactly (`2 GiB`), parameter values by their type.
 */
import type { Param } from "../compiler/layout.js";
import { type Rational, formatRational } from "../compiler/rational.js";

/** An address: `0x` and at least 16 hex digits; negative values (only in overflow messages) get a `-`. */
export function hex(v: bigint): string {
  if (v < 0n) return `-0x${(-v).toString(16).padStart(16, "0")}`;
  return `0x${v.toString(16).padStart(16, "0")}`;
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
];

/** A byte count: `2 GiB`, `12 KiB`, `5000 bytes`. Exact; never rounded. */
export function size(n: bigint): string {
  if (n === 0n) return "0 bytes";
  const abs = n < 0n ? -n : n;
  for (const [unit, name] of UNITS) {
    if (abs >= unit && abs % unit === 0n) return `${n / unit} ${name}`;
  }
  return n === 1n ? "1 byte" : `${n} bytes`;
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

/** `a`, `a and b`, `a, b and c`. */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** An identifier in backticks. */
export const tick = (name: string): string => `\`${name}\``;
