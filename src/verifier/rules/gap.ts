/**
 * W0201 gap: with `exhaustive` at top level, the top-level regions (of any kind) must cover
 * `[0, 2^64)`; with `exhaustive` on a region, its children must cover it. Every gap is reported
 * with its exact range.
 *
 * Coverage is swept in start order at the defaults with a cursor (the first address not yet
 * covered). For parameters, each place where coverage is seamless at the defaults must stay
 * seamless: `next.start - prev.end <= 1` (and the first child starts at the container's start,
 * the furthest child reaches its end) for every value. A gap that opens only for some values is
 * still reported as W0201 (with the witness), not E0210: a rule that is only a warning at the
 * defaults does not become an error because a parameter moves.
 */
import { type Affine, constant } from "../../model/affine.js";
import { ADDRESS_SPACE_END, type Region } from "../../model/layout.js";
import { rat } from "../../model/rational.js";
import type { Label, Span } from "../../diagnostics/diagnostic.js";
import { type Context, type Rule, nameLabel } from "../context.js";
import { hex, range, size, tick } from "../../model/format.js";
import { evaluate, floor, refuteAtMost } from "../proof.js";

interface Edge {
  readonly value: bigint;
  readonly sym: Affine;
}

export const rule: Rule = { name: "gap", codes: ["W0201"], check: checkGaps };

function checkGaps(ctx: Context): void {
  if (ctx.layout.exhaustive) {
    const lo = { value: 0n, sym: constant(rat(0n)) };
    const last = ADDRESS_SPACE_END - 1n;
    const hi = { value: last, sym: constant(rat(last)) };
    cover(ctx, undefined, ctx.children.get(null) ?? [], lo, hi);
  }
  for (const r of ctx.layout.regions) {
    if (!r.exhaustive || !ctx.usable(r)) continue;
    cover(ctx, r, ctx.children.get(r.name) ?? [], r.start, r.end);
  }
}

function cover(
  ctx: Context,
  parent: Region | undefined,
  kids: readonly Region[],
  lo: Edge,
  hi: Edge,
): void {
  // A child with unusable bounds has already been reported; its coverage is unknown.
  if (kids.some((k) => !ctx.usable(k))) return;
  const of = parent ? ` of ${tick(parent.name)}` : "";
  const where = parent ? "any of its children" : "any region";
  const parentLabels: Label[] = parent
    ? [{ span: parent.nameSpan, message: `${tick(parent.name)} is declared \`exhaustive\`` }]
    : [];

  const gap = (
    from: bigint,
    to: bigint,
    prev: Region | undefined,
    next: Region | undefined,
  ): void => {
    // A region's gap is the exhaustive region's problem; a top-level one is its neighbour's.
    const span: Span | undefined =
      parent?.nameSpan ?? next?.nameSpan ?? prev?.nameSpan ?? ctx.layout.span;
    const regions = [parent, prev, next].filter((r): r is Region => r !== undefined);
    ctx.report("W0201", regions, span, () => {
      const labels: Label[] = [...parentLabels];
      if (prev) labels.push(nameLabel(prev, `${tick(prev.name)} ends at ${hex(prev.end.value)}`));
      if (next)
        labels.push(nameLabel(next, `${tick(next.name)} starts at ${hex(next.start.value)}`));
      return {
        message: `${range(from, to)} (${size(to - from + 1n)})${of} is not in ${where}`,
        labels,
        help: `cover ${range(from, to)} with a region, a \`hole\` or a \`guard\`${parent ? "" : " (or a `noncanonical` range)"}, or drop \`exhaustive\``,
      };
    });
  };

  /** Reports when `a - b <= limit` can fail. */
  const seamless = (
    a: Affine,
    b: Affine,
    limit: bigint,
    prev: Region | undefined,
    next: Region | undefined,
    what: string,
  ): void => {
    const seam = refuteAtMost(a, limit, ctx.domains, b);
    if (!seam) return;
    // The seam opening is a gap only if no other child covers it there: sweep at the witness.
    const gapsAt = (values: ReadonlyMap<string, bigint>): [bigint, bigint][] => {
      const at = (e: Edge): bigint => floor(evaluate(e.sym, values, ctx.defaults));
      const spans = kids
        .map((k) => ctx.at(k, values))
        .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
      const found: [bigint, bigint][] = [];
      let cursor = at(lo);
      for (const k of spans) {
        if (k.start > cursor) found.push([cursor, k.start - 1n]);
        if (k.end + 1n > cursor) cursor = k.end + 1n;
      }
      if (cursor <= at(hi)) found.push([cursor, at(hi)]);
      return found;
    };
    const merged = new Map(ctx.defaults);
    for (const [k, v] of seam.values) merged.set(k, v);
    const cex =
      seam.definite && gapsAt(merged).length === 0
        ? {
            ...seam,
            definite: false,
            reason: "the seam can open, but where it is widest the other children still cover it",
          }
        : seam;
    const regions = [parent, prev, next].filter((r): r is Region => r !== undefined);
    const span = parent?.nameSpan ?? next?.nameSpan ?? prev?.nameSpan ?? ctx.layout.span;
    ctx.reportParametric(
      "W0201",
      regions,
      what,
      span,
      cex,
      (values) =>
        gapsAt(values).map(
          ([from, to]) =>
            `there ${range(from, to)} (${size(to - from + 1n)})${of} is not in ${where}`,
        ),
      { labels: parentLabels },
      "W0201",
    );
  };

  let cursor = lo.value;
  let prev: Region | undefined;
  for (const k of kids) {
    if (k.start.value > cursor) {
      gap(cursor, k.start.value - 1n, prev, k);
    } else if (
      ctx.parametric(k) ||
      (prev ? ctx.parametric(prev) : parent && ctx.parametric(parent))
    ) {
      if (prev) {
        seamless(
          k.start.sym,
          prev.end.sym,
          1n,
          prev,
          k,
          `a gap can open between ${tick(prev.name)} and ${tick(k.name)}`,
        );
      } else {
        seamless(
          k.start.sym,
          lo.sym,
          0n,
          undefined,
          k,
          `a gap can open before ${tick(k.name)}${of}`,
        );
      }
    }
    if (k.end.value + 1n > cursor) {
      cursor = k.end.value + 1n;
      prev = k;
    }
  }
  if (cursor <= hi.value) {
    gap(cursor, hi.value, prev, undefined);
  } else if (prev && (ctx.parametric(prev) || (parent && ctx.parametric(parent)))) {
    seamless(
      hi.sym,
      prev.end.sym,
      0n,
      prev,
      undefined,
      `a gap can open after ${tick(prev.name)}${of}`,
    );
  }
}
