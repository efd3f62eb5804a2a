/**
 * E0203 canonical and W0203 hole_noncanonical. The canonical addresses are the two halves the
 * architecture's paging mode translates (`Arch.halves`: with x86-64's `b` virtual-address bits,
 * `[0, 2^(b-1))` and `[2^64 - 2^(b-1), 2^64)`; with AArch64's, TTBR0's `[0, 2^b)` and TTBR1's
 * `[2^64 - 2^b, 2^64)`); between them lies the non-canonical range. A `region`, `guard` or
 * `hole` must lie entirely in one canonical half
 * (a hole entirely in the non-canonical range is only a warning: it should be written
 * `noncanonical`); a `noncanonical` region must lie entirely in the non-canonical range.
 * For parameters: the half a region is in at the defaults must hold its start and end for
 * every value.
 */
import { constant, minus } from "../../model/affine.js";
import { type Paging, type Region } from "../../model/layout.js";
import { lastByte } from "../../model/address.js";
import { archOf } from "../../arch/registry.js";
import { rat } from "../../model/rational.js";
import { type Context, type Rule, nameLabel } from "../context.js";
import { hex, list, range, tick } from "../../model/format.js";
import { type Counterexample, refuteAtLeast, refuteAtMost } from "../proof.js";

export interface Canonical {
  /** First non-canonical address. */
  readonly ncStart: bigint;
  /** Last non-canonical address (inclusive). */
  readonly ncEnd: bigint;
  readonly mode: string;
  /** Completes "0x..-0x.. ...": `is not canonical with 4-level paging`. */
  readonly outside: string;
  /** Completes "0x..-0x.. and 0x..-0x.. ...": `are canonical with 4-level paging`. */
  readonly inside: (plural: boolean) => string;
  readonly note: string;
}

export function canonicalRanges(paging: Paging): Canonical {
  const arch = archOf(paging);
  const [lower, upper] = arch.halves;
  const root = (i: 0 | 1): string => (arch.halfRoots ? ` (${arch.halfRoots[i]})` : "");
  return {
    ncStart: lower.end,
    ncEnd: upper.start - 1n,
    mode: arch.mode,
    outside: arch.halfRoots
      ? `is in neither the ${arch.halfRoots[0]} nor the ${arch.halfRoots[1]} half with ${arch.mode}`
      : `is not canonical with ${arch.mode}`,
    inside: (plural) =>
      arch.halfRoots
        ? `${plural ? "are" : "is"} in the ${arch.halfRoots.join(" or the ")} half with ${arch.mode}`
        : `${plural ? "are" : "is"} canonical with ${arch.mode}`,
    note: `with ${arch.title[0]} (${arch.title[1]}) the canonical addresses are ${range(lower.start, lastByte(lower))}${root(0)} and ${range(upper.start, lastByte(upper))}${root(1)}`,
  };
}

export const rule: Rule = { name: "canonical", codes: ["E0203", "W0203"], check: checkCanonical };

function checkCanonical(ctx: Context): void {
  const c = canonicalRanges(ctx.layout.paging);
  for (const r of ctx.layout.regions) {
    if (!ctx.usable(r)) continue;
    if (r.kind === "noncanonical") checkNoncanonical(ctx, r, c);
    else checkRegion(ctx, r, c);
  }
}

function checkRegion(ctx: Context, r: Region, c: Canonical): void {
  const s = r.start.value;
  const e = r.end.value;
  const lo = s > c.ncStart ? s : c.ncStart;
  const hi = e < c.ncEnd ? e : c.ncEnd;
  if (lo <= hi) {
    const inside = s >= c.ncStart && e <= c.ncEnd;
    if (inside && r.kind === "hole") {
      ctx.report("W0203", [r], r.nameSpan, () => ({
        message: `hole ${tick(r.name)} lies in the non-canonical range: ${range(s, e)} ${c.outside}`,
        labels: [nameLabel(r)],
        notes: [c.note],
        help: "declare it as `noncanonical` instead of `hole`: these addresses can never be mapped",
      }));
      checkStaysInside(ctx, r, c);
      return;
    }
    ctx.report("E0203", [r], r.nameSpan, () => {
      let message: string;
      let help: string;
      if (s < c.ncStart && e > c.ncEnd) {
        message = `${tick(r.name)} straddles the non-canonical hole: ${range(lo, hi)} ${c.outside}`;
        help = `split ${tick(r.name)} into a part below ${hex(c.ncStart)} and a part from ${hex(c.ncEnd + 1n)}, and declare the range between them \`noncanonical\``;
      } else if (inside) {
        message = `${tick(r.name)} lies in the non-canonical range: ${range(lo, hi)} ${c.outside}`;
        help = `move ${tick(r.name)} into a canonical half${r.kind === "guard" ? ", or declare the range `noncanonical`" : ""}`;
      } else if (s < c.ncStart) {
        message = `${tick(r.name)} extends into the non-canonical range: ${range(lo, hi)} ${c.outside}`;
        help = `end ${tick(r.name)} at or before ${hex(c.ncStart - 1n)}`;
      } else {
        message = `${tick(r.name)} starts in the non-canonical range: ${range(lo, hi)} ${c.outside}`;
        help = `start ${tick(r.name)} at or after ${hex(c.ncEnd + 1n)}`;
      }
      return { message, labels: [nameLabel(r)], notes: [c.note], help };
    });
    return;
  }
  if (!ctx.parametric(r)) return;
  const low = e < c.ncStart;
  const leaves = low
    ? refuteAtMost(r.end.sym, c.ncStart - 1n, ctx.domains)
    : refuteAtLeast(r.start.sym, c.ncEnd + 1n, ctx.domains);
  if (leaves) {
    // A region fails where it meets the non-canonical range; a hole only where it is partly
    // canonical (entirely non-canonical is W0203's business).
    const cex = ctx.confirm(
      leaves,
      r.kind === "hole" ? straddles(r, c) : [meetsHole(r, c)],
      r.kind === "hole"
        ? `${tick(r.name)} can leave its canonical half, but no value was found at which it is partly non-canonical`
        : `${tick(r.name)} can leave its canonical half, but no value was found at which it meets the non-canonical range`,
    );
    reportParametric(
      ctx,
      r,
      c,
      cex,
      low
        ? `${tick(r.name)} can extend into the non-canonical range`
        : `${tick(r.name)} can start in the non-canonical range`,
    );
  }
}

const k = (v: bigint) => constant(rat(v));

/** Forms that are all >= 0 iff `r` meets the non-canonical range. */
function meetsHole(r: Region, c: Canonical) {
  return [minus(r.end.sym, k(c.ncStart)), minus(k(c.ncEnd), r.start.sym)];
}

/** Alternatives: `r` meets the non-canonical range and a canonical half. */
function straddles(r: Region, c: Canonical) {
  return [
    [...meetsHole(r, c), minus(k(c.ncStart - 1n), r.start.sym)],
    [...meetsHole(r, c), minus(r.end.sym, k(c.ncEnd + 1n))],
  ];
}

/**
 * A `noncanonical` region must stay in the non-canonical range for every value; a hole there
 * (W0203) must not become partly canonical (moving entirely into a canonical half is fine).
 */
function checkStaysInside(ctx: Context, r: Region, c: Canonical): void {
  if (!ctx.parametric(r)) return;
  const leaves =
    refuteAtLeast(r.start.sym, c.ncStart, ctx.domains) ??
    refuteAtMost(r.end.sym, c.ncEnd, ctx.domains);
  if (leaves) {
    const cex =
      r.kind === "hole"
        ? ctx.confirm(
            leaves,
            straddles(r, c),
            `${tick(r.name)} can leave the non-canonical range, but no value was found at which it is partly canonical`,
          )
        : leaves;
    reportParametric(ctx, r, c, cex, `${tick(r.name)} can include canonical addresses`);
  }
}

function reportParametric(
  ctx: Context,
  r: Region,
  c: Canonical,
  cex: Counterexample,
  what: string,
): void {
  ctx.reportParametric(
    "E0203",
    [r],
    what,
    r.nameSpan,
    cex,
    (values) => {
      const { start, end } = ctx.at(r, values);
      const wrong =
        r.kind === "noncanonical" || (r.kind === "hole" && r.start.value >= c.ncStart)
          ? canonicalParts(start, end, c)
          : nonCanonicalPart(start, end, c);
      const detail = wrong ? `; ${wrong}` : "";
      return [`there ${tick(r.name)} is ${range(start, end)}${detail}`, c.note];
    },
    { labels: [nameLabel(r)] },
  );
}

function nonCanonicalPart(s: bigint, e: bigint, c: Canonical): string | undefined {
  const lo = s > c.ncStart ? s : c.ncStart;
  const hi = e < c.ncEnd ? e : c.ncEnd;
  return lo <= hi ? `${range(lo, hi)} ${c.outside}` : undefined;
}

function canonicalParts(s: bigint, e: bigint, c: Canonical): string | undefined {
  const parts: string[] = [];
  if (s < c.ncStart) parts.push(range(s, e < c.ncStart ? e : c.ncStart - 1n));
  if (e > c.ncEnd) parts.push(range(s > c.ncEnd ? s : c.ncEnd + 1n, e));
  if (parts.length === 0) return undefined;
  return `${list(parts)} ${c.inside(parts.length > 1)}`;
}

function checkNoncanonical(ctx: Context, r: Region, c: Canonical): void {
  const wrong = canonicalParts(r.start.value, r.end.value, c);
  if (wrong) {
    ctx.report("E0203", [r], r.nameSpan, () => ({
      message: `non-canonical range ${tick(r.name)} includes canonical addresses: ${wrong}`,
      labels: [nameLabel(r)],
      notes: [c.note],
      help: `with ${c.mode} the non-canonical range is exactly ${range(c.ncStart, c.ncEnd)}; declare canonical parts as \`hole\` or \`region\``,
    }));
    return;
  }
  checkStaysInside(ctx, r, c);
}
