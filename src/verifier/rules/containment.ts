/**
 * E0202 containment: a child region lies within its parent, for every parameter value:
 * `child.start - parent.start >= 0` and `parent.end - child.end >= 0`.
 */
import type { Region } from "../../model/layout.js";
import { type Context, type Rule, nameLabel } from "../context.js";
import { hex, range, size, tick } from "../../model/format.js";
import { refuteAtLeast } from "../proof.js";

export const rule: Rule = { name: "containment", codes: ["E0202"], check: checkContainment };

function checkContainment(ctx: Context): void {
  for (const r of ctx.layout.regions) {
    const p = ctx.parent(r);
    if (!p || !ctx.usable(r) || !ctx.usable(p)) continue;
    check(ctx, r, p);
  }
}

function check(ctx: Context, r: Region, p: Region): void {
  const labels = () => [
    nameLabel(p, `parent ${tick(p.name)} is ${range(p.start.value, p.end.value)}`),
  ];
  const before = r.start.value < p.start.value;
  const after = r.end.value > p.end.value;
  if (before || after) {
    ctx.report("E0202", [r], r.nameSpan, () => {
      const notes: string[] = [];
      if (before) {
        const hi = r.end.value < p.start.value ? r.end.value : p.start.value - 1n;
        notes.push(
          `${range(r.start.value, hi)} (${size(hi - r.start.value + 1n)}) lies before ${tick(p.name)}`,
        );
      }
      if (after) {
        const lo = r.start.value > p.end.value ? r.start.value : p.end.value + 1n;
        notes.push(
          `${range(lo, r.end.value)} (${size(r.end.value - lo + 1n)}) lies after ${tick(p.name)}`,
        );
      }
      const message =
        before && after
          ? `${tick(r.name)} extends outside its parent ${tick(p.name)} on both sides`
          : before
            ? `${tick(r.name)} starts at ${hex(r.start.value)}, before its parent ${tick(p.name)} starts at ${hex(p.start.value)}`
            : `${tick(r.name)} ends at ${hex(r.end.value)}, past the end of its parent ${tick(p.name)} at ${hex(p.end.value)}`;
      return {
        message,
        labels: labels(),
        notes,
        help: `move or shrink ${tick(r.name)} to fit inside ${tick(p.name)}, or grow ${tick(p.name)}`,
      };
    });
    return;
  }
  if (!ctx.parametric(r) && !ctx.parametric(p)) return;
  const lower = refuteAtLeast(r.start.sym, 0n, ctx.domains, p.start.sym);
  const upper = lower ? undefined : refuteAtLeast(p.end.sym, 0n, ctx.domains, r.end.sym);
  const cex = lower ?? upper;
  if (!cex) return;
  ctx.reportParametric(
    "E0202",
    [r],
    lower
      ? `${tick(r.name)} can start before its parent ${tick(p.name)}`
      : `${tick(r.name)} can end past its parent ${tick(p.name)}`,
    r.nameSpan,
    cex,
    (values) => [`there ${ctx.describeAt(r, values)} and ${ctx.describeAt(p, values)}`],
    { labels: labels() },
  );
}
