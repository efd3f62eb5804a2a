/**
 * Human units for the table and picture emitters, in the notation of Linux's mm.rst
 * (Documentation/arch/x86/x86_64/mm.rst): `64 TB`, `0.5 TB`, `444 GB`, `1520 MB`, `4 kB`,
 * `~16M TB`, offsets `-119.5 TB`, `+128 TB`, `-1536 MB`. Units are powers of two, as
 * everywhere in vmlayout (1 kB = 1024 B).
 *
 * The rules, fitted to every cell of the document's two tables:
 *
 * - The *big* units (TB, PB) take fractions with up to two decimals (`0.5 TB`, `59.75 PB`);
 *   GB and smaller take whole numbers only (`512 MB`, not `0.5 GB`; `-1536 MB`, not
 *   `-1.5 GB`).
 * - No unit above the layout's *top unit* is used: TB for 48-bit, PB for 57-bit layouts (the
 *   unit of a canonical half). Beyond 1024 of it, a `K` or `M` multiplier keeps the unit:
 *   the non-canonical hole is `~16M TB` in a 48-bit table and `~16K PB` in a 57-bit one. A
 *   39-bit table (RISC-V Sv39, top unit GB) writes sizes past 1024 GB in TB: `~16M TB`.
 * - A size is written in the largest unit in which it is at least 1/4 and exact to two
 *   decimals (`0.25 PB`, `0.5 TB`; `128 TB`, not `0.125 PB`). A size of at least one big unit
 *   that is not exact in it is rounded and marked `~` (`~8 PB` for 8 PB + 252 TB), to a whole
 *   number from 4 units up and to two decimals below.
 * - An offset (a start relative to 0, or counted down from 2^64 in the upper canonical half)
 *   is written in the largest unit in which it is at least 1 and exact (`-512 GB`, not
 *   `-0.5 TB`; `-10236 kB` if need be). Only when every exact form needs more than five
 *   digits is it rounded to two decimals and marked `~` (`~-1.86 GB`).
 */
import type { Paging } from "../../model/layout.js";
import { archOf } from "../../arch/registry.js";

export interface Unit {
  readonly name: string;
  readonly bytes: bigint;
  readonly big: boolean;
}

export const UNITS: readonly Unit[] = [
  { name: "PB", bytes: 1n << 50n, big: true },
  { name: "TB", bytes: 1n << 40n, big: true },
  { name: "GB", bytes: 1n << 30n, big: false },
  { name: "MB", bytes: 1n << 20n, big: false },
  { name: "kB", bytes: 1n << 10n, big: false },
  { name: "B", bytes: 1n, big: false },
];

const MULTIPLIERS: readonly { readonly name: string; readonly factor: bigint }[] = [
  { name: "M", factor: 1n << 20n },
  { name: "K", factor: 1n << 10n },
];

/** A quantity split for column alignment: `~` + `-119` + `.5` + ` ` + `TB`. */
export interface Quantity {
  /** Rounded (or, for the caller, parameter-dependent): written with a leading `~`. */
  readonly approx: boolean;
  /** `-`, `+` or empty. */
  readonly sign: string;
  /** Integer part, with a `K`/`M` multiplier if any: `16M`, `119`, `0`. */
  readonly int: string;
  /** Fraction with its point, or empty: `.5`, `.25`. */
  readonly frac: string;
  /** Empty for a bare `0`. */
  readonly unit: string;
}

/** The size of a canonical half: 2^(VA - 1) with sign extension, 2^VA on AArch64. */
export const halfSize = (paging: Paging): bigint => archOf(paging).halves[0].end;

/** The unit of a canonical half: TB for 48-bit x86-64 (128 TB), PB for 57-bit (64 PB) layouts. */
export function topUnit(half: bigint): Unit {
  return UNITS.find((u) => half >= u.bytes)!;
}

const unitsFrom = (top: Unit): readonly Unit[] => UNITS.slice(UNITS.indexOf(top));

/** `n / d` to two decimals when exact, else undefined: `{ int: "59", frac: ".75" }`. */
function exactDecimal(n: bigint, d: bigint): { int: string; frac: string } | undefined {
  if ((n * 100n) % d !== 0n) return undefined;
  const hundredths = (n * 100n) / d;
  return splitHundredths(hundredths);
}

function splitHundredths(hundredths: bigint): { int: string; frac: string } {
  const int = (hundredths / 100n).toString();
  const rest = hundredths % 100n;
  const frac = rest === 0n ? "" : "." + rest.toString().padStart(2, "0").replace(/0$/, "");
  return { int, frac };
}

/** `n / d` rounded half up: to a whole number from 4 up, else to two decimals. */
function rounded(n: bigint, d: bigint): { int: string; frac: string } {
  if (n >= 4n * d) return { int: ((2n * n + d) / (2n * d)).toString(), frac: "" };
  return splitHundredths((200n * n + d) / (2n * d));
}

/** Applies a `K`/`M` multiplier to a value of at least 1024 units (`16776960 TB` -> `16M`). */
function withMultiplier(n: bigint, d: bigint): { n: bigint; d: bigint; suffix: string } {
  for (const m of MULTIPLIERS) if (n >= m.factor * d) return { n, d: d * m.factor, suffix: m.name };
  return { n, d, suffix: "" };
}

const SMALLEST_BIG = UNITS.filter((u) => u.big).at(-1)!;

/** A size in the document's notation (see the module comment). `bytes` > 0. */
export function sizeQuantity(bytes: bigint, top: Unit): Quantity {
  // A 39-bit layout's top unit is GB; past 1024 of it (the non-canonical hole) RISC-V's
  // vm-layout.rst goes on in TB with a multiplier, `~16M TB`, as the 48-bit tables do.
  if (!top.big && bytes >= 1024n * top.bytes) return sizeQuantity(bytes, SMALLEST_BIG);
  for (const unit of unitsFrom(top)) {
    if (unit.big) {
      const { n, d, suffix } = withMultiplier(bytes, unit.bytes);
      if (4n * n >= d) {
        const exact = exactDecimal(n, d);
        if (exact)
          return {
            approx: false,
            sign: "",
            int: exact.int + suffix,
            frac: exact.frac,
            unit: unit.name,
          };
      }
      if (n >= d) {
        const r = rounded(n, d);
        return { approx: true, sign: "", int: r.int + suffix, frac: r.frac, unit: unit.name };
      }
    } else if (bytes % unit.bytes === 0n && bytes / unit.bytes < 10000n) {
      return {
        approx: false,
        sign: "",
        int: (bytes / unit.bytes).toString(),
        frac: "",
        unit: unit.name,
      };
    }
  }
  // Below the big units, not a whole number of anything short: round in the largest unit
  // that is at least 1 (`~1.86 GB`).
  const unit = unitsFrom(top).find((u) => bytes >= u.bytes) ?? UNITS[UNITS.length - 1]!;
  if (unit.bytes === 1n)
    return { approx: false, sign: "", int: bytes.toString(), frac: "", unit: "B" };
  const r = splitHundredths((200n * bytes + unit.bytes) / (2n * unit.bytes));
  return { approx: true, sign: "", int: r.int, frac: r.frac, unit: unit.name };
}

/**
 * A start address as the document's Offset column writes it: `0`, `+128 TB` in the lower
 * canonical half, `-119.5 TB` (counted down from 2^64) in the upper half. Never rounded.
 */
export function offsetQuantity(address: bigint, top: Unit): Quantity {
  if (address === 0n) return { approx: false, sign: "", int: "0", frac: "", unit: "" };
  const upper = address >= 1n << 63n;
  const distance = upper ? (1n << 64n) - address : address;
  const sign = upper ? "-" : "+";
  for (const unit of unitsFrom(top)) {
    if (distance < unit.bytes) continue;
    if (unit.big) {
      const exact = exactDecimal(distance, unit.bytes);
      if (exact) return { approx: false, sign, int: exact.int, frac: exact.frac, unit: unit.name };
    } else if (distance % unit.bytes === 0n && distance / unit.bytes < 100000n) {
      return {
        approx: false,
        sign,
        int: (distance / unit.bytes).toString(),
        frac: "",
        unit: unit.name,
      };
    }
  }
  if (distance < 1024n)
    return { approx: false, sign, int: distance.toString(), frac: "", unit: "B" };
  // Too many digits in any exact form: rounded to two decimals, in the largest unit below it.
  const unit = unitsFrom(top).find((u) => distance >= u.bytes)!;
  const r = splitHundredths((200n * distance + unit.bytes) / (2n * unit.bytes));
  return { approx: true, sign, int: r.int, frac: r.frac, unit: unit.name };
}

/** `~16M TB`, `-119.5 TB`, `0`; `approx` forces the `~` (a parameter-dependent value). */
export function formatQuantity(q: Quantity, approx = false): string {
  const number = `${q.approx || approx ? "~" : ""}${q.sign}${q.int}${q.frac}`;
  return q.unit === "" ? number : `${number} ${q.unit}`;
}

export const formatSize = (bytes: bigint, top: Unit, approx = false): string =>
  formatQuantity(sizeQuantity(bytes, top), approx);

export const formatOffset = (address: bigint, top: Unit, approx = false): string =>
  formatQuantity(offsetQuantity(address, top), approx);
