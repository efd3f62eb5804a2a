/**
 * Rules about one region's own numbers, checked first: every bound a whole number of bytes
 * (E0208 inexact), inside `[0, 2^64)` (E0207 overflow), a positive size (E0209 empty_region),
 * and, when the spec wrote start, size and end, the end it wrote agrees (E0206
 * extent_mismatch), and the offset and size the documentation states agree with the region (E0215
 * documented_value). A region that fails E0207, E0208 or E0209 at the defaults is marked broken:
 * its other rules would only repeat the problem.
 */
import { constant, minus, plus } from "../../model/affine.js";
import {
  ADDRESS_SPACE_END,
  type Bound,
  type DocumentedValue,
  type Region,
} from "../../model/layout.js";
import { type Rational, compare, isInteger, neg, rat, sub } from "../../model/rational.js";
import type { Label } from "../../diagnostics/diagnostic.js";
import { type Context, type Rule, describe } from "../context.js";
import { hex, list, quantity, rational, size, tick } from "../../model/format.js";
import {
  evaluate,
  floor,
  isIntegral,
  refuteAtLeast,
  refuteAtMost,
  refuteEqual,
  refuteWhole,
} from "../proof.js";

const LAST = ADDRESS_SPACE_END - 1n;

export const rule: Rule = {
  name: "structure",
  codes: ["E0206", "E0207", "E0208", "E0209", "E0215"],
  check: checkStructure,
};

function checkStructure(ctx: Context): void {
  const overflow: Overflow = { followers: undefined };
  for (const r of ctx.layout.regions) {
    if (!checkInexact(ctx, r)) {
      ctx.broken.add(r);
      continue;
    }
    const overflowOk = checkOverflow(ctx, r, overflow);
    const emptyOk = checkEmpty(ctx, r);
    if (!overflowOk || !emptyOk) ctx.broken.add(r);
    checkExtent(ctx, r);
    if (!ctx.broken.has(r)) checkDocumented(ctx, r);
  }
}

/** E0208. Returns false when a bound is fractional at the defaults. */
function checkInexact(ctx: Context, r: Region): boolean {
  if (
    isIntegral(r.start.sym) &&
    isIntegral(r.size.sym) &&
    isIntegral(r.end.sym) &&
    (!r.declaredEnd || isIntegral(r.declaredEnd.bound.sym))
  ) {
    return true;
  }
  const bounds: [string, Bound][] = [
    ["start", r.start],
    ["size", r.size],
    ["end", r.end],
  ];
  if (r.declaredEnd) bounds.push(["written end", r.declaredEnd.bound]);
  for (const [what, b] of bounds) {
    const s = b.sym;
    if (isIntegral(s)) continue; // whole coefficients: whole for every (whole) parameter value
    const v = evaluate(s, ctx.defaults);
    if (!isInteger(v)) {
      ctx.report("E0208", [r], r.placementSpan, () => ({
        message: `the ${what} of ${tick(r.name)} is ${fraction(v, what !== "size")}, not a whole number of bytes`,
        labels: [{ span: r.nameSpan, message: `${tick(r.name)} is declared here` }],
        help: "use sizes and addresses that are whole numbers of bytes (for example `0.5TB` is fine, `1.5B` is not); check divisions and fractional units",
      }));
      // The later bounds derive from this one; one report is enough.
      return false;
    }
  }
  for (const [what, b] of bounds) {
    const s = b.sym;
    if (s.terms.size === 0 || isIntegral(s)) continue;
    const cex = refuteWhole(s, ctx.domains, ctx.defaults);
    if (cex) {
      ctx.reportParametric(
        "E0208",
        [r],
        `the ${what} of ${tick(r.name)} can be a fraction of a byte`,
        r.placementSpan,
        cex,
        (values) => [
          `there the ${what} of ${tick(r.name)} is ${fraction(evaluate(s, values), what !== "size")}`,
        ],
        {
          help: "give each parameter that is multiplied by a fraction an `align` that makes the product whole, or avoid the fraction",
        },
      );
      break;
    }
  }
  return true;
}

/** `0xffff800000001000 + 1/2` for an address, `4096 + 1/2 bytes` for a size. */
function fraction(v: Rational, address: boolean): string {
  if (v.den === 1n) return address ? hex(v.num) : size(v.num);
  const whole = floor(v);
  const rest = rational(sub(v, rat(whole)));
  return address ? `${hex(whole)} + ${rest}` : `${whole} + ${rest} bytes`;
}

/**
 * Regions that start past the end of the address space after one that ends past it: their
 * starts follow from its end (`+4KB` after it, `big.limit`), so they are named in its E0207
 * rather than reported each (regions come sorted by start).
 */
interface Overflow {
  followers: string[] | undefined;
}

/** E0207. Returns false when a bound lies outside the address space at the defaults. */
function checkOverflow(ctx: Context, r: Region, overflow: Overflow): boolean {
  const labels = (): Label[] => [{ span: r.nameSpan, message: `${tick(r.name)} is declared here` }];
  const help =
    "addresses are 64-bit: keep the region within 0x0000000000000000..0xffffffffffffffff (a negative address counts down from 2^64: `-2GB`)";
  const s = r.start.value;
  const e = r.end.value;
  if (s > LAST && overflow.followers) {
    overflow.followers.push(r.name);
    return false;
  }
  if (s < 0n || s > LAST) {
    ctx.report("E0207", [r], r.placementSpan, () => {
      const where = s < 0n ? "below address 0" : "past the end of the 64-bit address space";
      return { message: `${tick(r.name)} starts at ${hex(s)}, ${where}`, labels: labels(), help };
    });
    return false;
  }
  if (e < 0n || e > LAST) {
    const followers: string[] = [];
    if (e > LAST) overflow.followers = followers;
    ctx.report("E0207", [r], r.placementSpan, () => {
      const where =
        e < 0n ? "below address 0" : `${size(e - LAST)} past the end of the 64-bit address space`;
      const after =
        followers.length === 0
          ? []
          : [
              `${list(followers.map(tick))} ${followers.length > 1 ? "start" : "starts"} past the end too, after ${tick(r.name)}; they are not checked until it fits`,
            ];
      return {
        message: `${tick(r.name)} ends at ${hex(e)}, ${where}`,
        labels: labels(),
        notes: [`its start is ${hex(s)} and its size is ${size(r.size.value)}`, ...after],
        help:
          e > LAST && s >= 0n
            ? `check the size and the start: from ${hex(s)}, at most ${size(ADDRESS_SPACE_END - s)} fits below 2^64`
            : help,
      };
    });
    return false;
  }
  if (!ctx.parametric(r)) return true;
  const checks = [
    {
      which: "start",
      what: "start below address 0",
      cex: () => refuteAtLeast(r.start.sym, 0n, ctx.domains),
    },
    {
      which: "end",
      what: "end past the end of the 64-bit address space",
      cex: () => refuteAtMost(r.end.sym, LAST, ctx.domains),
    },
    {
      which: "start",
      what: "start past the end of the 64-bit address space",
      cex: () => refuteAtMost(r.start.sym, LAST, ctx.domains),
    },
    {
      which: "end",
      what: "end below address 0",
      cex: () => refuteAtLeast(r.end.sym, 0n, ctx.domains),
    },
  ] as const;
  for (const check of checks) {
    const cex = check.cex();
    if (!cex) continue;
    ctx.reportParametric(
      "E0207",
      [r],
      `${tick(r.name)} can ${check.what}`,
      r.placementSpan,
      cex,
      (values) => [
        `there the ${check.which} of ${tick(r.name)} is ${hex(ctx.at(r, values)[check.which])}`,
      ],
      { labels: labels() },
    );
    break;
  }
  return true;
}

/**
 * E0209. Returns false when the region is empty at the defaults. For other parameter values a
 * hole may shrink to nothing (the space between floating regions that fill it), but no region
 * may end before it starts.
 */
function checkEmpty(ctx: Context, r: Region): boolean {
  const z = r.size.value;
  if (z <= 0n) {
    ctx.report("E0209", [r], r.placementSpan, () => ({
      message:
        z === 0n
          ? `${tick(r.name)} is empty: its size is 0`
          : `${tick(r.name)} ends before it starts: its end ${hex(r.end.value)} is below its start ${hex(r.start.value)}`,
      labels: [{ span: r.nameSpan, message: `${tick(r.name)} is declared here` }],
      help: "give the region a positive size, or check that its end is not before its start (`S .. E` includes E; `S ..< E` does not)",
    }));
    return false;
  }
  if (!ctx.parametric(r)) return true;
  const hole = r.kind === "hole";
  const cex = refuteAtLeast(r.size.sym, hole ? 0n : 1n, ctx.domains);
  if (cex) {
    ctx.reportParametric(
      "E0209",
      [r],
      hole
        ? `${tick(r.name)} can end before it starts`
        : `${tick(r.name)} can be empty or end before it starts`,
      r.placementSpan,
      cex,
      (values) => [`there the size of ${tick(r.name)} is ${evaluate(r.size.sym, values).num}`],
    );
  }
  return true;
}

/** E0206: the end the spec wrote must be start + size - 1. */
function checkExtent(ctx: Context, r: Region): void {
  const written = r.declaredEnd;
  if (!written) return;
  const computed = r.start.value + r.size.value - 1n;
  if (written.bound.value !== computed) {
    ctx.report("E0206", [r], written.span, () => {
      const diff = written.bound.value - computed;
      const by = diff > 0n ? `${size(diff)} after` : `${size(-diff)} before`;
      return {
        message: `the end of ${tick(r.name)} is written as ${hex(written.bound.value)}, but its start and size make it end at ${hex(computed)}`,
        labels: [
          {
            span: r.placementSpan,
            message: `start ${hex(r.start.value)} + size ${size(r.size.value)}`,
          },
        ],
        notes: [
          `the written end is ${by} the computed one`,
          `${describe(r)} by its start and size`,
        ],
        help: `correct the end to ${hex(computed)}, or the size to ${size(written.bound.value - r.start.value + 1n)}, or drop one of the three`,
      };
    });
    return;
  }
  const diffSym = minus(written.bound.sym, plus(plus(r.start.sym, r.size.sym), constant(rat(-1n))));
  const cex = refuteEqual(diffSym, 0n, ctx.domains);
  if (cex) {
    ctx.reportParametric(
      "E0206",
      [r],
      `the written end of ${tick(r.name)} can disagree with its start and size`,
      written.span,
      cex,
      (values) => {
        const w = evaluate(written.bound.sym, values);
        const end = floor(evaluate(r.start.sym, values)) + floor(evaluate(r.size.sym, values)) - 1n;
        return [
          `there the written end is ${w.den === 1n ? hex(w.num) : rational(w)} but start + size - 1 is ${hex(end)}`,
        ];
      },
      { labels: [{ span: r.placementSpan, message: "start and size given here" }] },
    );
  }
}

/**
 * E0215: the documented offset and size agree with the region at the parameters' defaults
 * (a document describes one configuration): exactly, or for `~` values to within 10% of the
 * documented value. A negative offset counts down from 2^64, as an address does.
 */
function checkDocumented(ctx: Context, r: Region): void {
  const offset = r.documentedOffset;
  if (offset) {
    const below = offset.value.num < 0n;
    const actual = below ? r.start.value - ADDRESS_SPACE_END : r.start.value;
    if (!agrees(actual, offset))
      ctx.report("E0215", [r], offset.span, () => ({
        message: `${tick(r.name)} starts at ${hex(r.start.value)}, offset ${signed(actual)}, ${mismatch(offset)} offset ${documented(offset)}`,
        labels: [{ span: r.placementSpan, message: `starts at ${hex(r.start.value)}` }],
        notes: tolerance(offset),
        help: `correct the documented offset to ${signed(actual)}, or the start`,
      }));
  }
  const stated = r.documentedSize;
  if (stated && !agrees(r.size.value, stated))
    ctx.report("E0215", [r], stated.span, () => ({
      message: `${tick(r.name)} is ${size(r.size.value)}, ${mismatch(stated)} size ${documented(stated)}`,
      labels: [{ span: r.placementSpan, message: `${hex(r.start.value)}..${hex(r.end.value)}` }],
      notes: tolerance(stated),
      help: `correct the documented size to ${size(r.size.value)}, or the region's extent`,
    }));
}

/** |actual - documented| is 0, or at most a tenth of |documented| for `~` values. */
function agrees(actual: bigint, d: DocumentedValue): boolean {
  const diff = sub(rat(actual), d.value);
  if (!d.approximate) return diff.num === 0n;
  const magnitude = (x: Rational): Rational => (x.num < 0n ? neg(x) : x);
  return compare(mul10(magnitude(diff)), magnitude(d.value)) <= 0;
}

const mul10 = (x: Rational): Rational => rat(x.num * 10n, x.den);

const mismatch = (d: DocumentedValue): string =>
  d.approximate ? "more than 10% from the documented" : "not the documented";

/** The documented value as a byte count: `-128 TiB`, `~1.6 EiB`. */
const documented = (d: DocumentedValue): string =>
  `${d.approximate ? "~" : ""}${quantity(d.value)}`;

const signed = (n: bigint): string => quantity(rat(n));

function tolerance(d: DocumentedValue): string[] {
  return d.approximate
    ? ["`~` marks a rounded value: the region must be within 10% of it"]
    : ["an exact documented value must match exactly; write `~` before a rounded one"];
}
