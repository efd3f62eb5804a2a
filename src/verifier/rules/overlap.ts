/**
 * E0201 overlap: siblings (regions with the same parent, of any kind) must not share an
 * address, for every parameter value.
 *
 * Siblings are sorted by start at the defaults and swept once, keeping the sibling that
 * reaches furthest so far: a region overlaps an earlier one at the defaults iff it starts at
 * or before that furthest end, so N siblings cost O(N log N) and every region that overlaps
 * an earlier sibling is reported once. When no two overlap at the defaults, the symbolic proof
 * only needs neighbours: if `next.start - prev.end >= 1` holds for every value for each pair
 * of neighbours, and every region is non-empty for every value (E0209), then at every
 * parameter point s1 <= e1 < s2 <= e2 < ... so no two siblings meet. A neighbour pair whose
 * difference can drop below 1 is exactly a pair that can overlap (bounds() is exact without
 * slack), reported as E0210 with the witness.
 */
import type { Region } from "../../model/layout.js";
import { minus } from "../../model/affine.js";
import { type Context, type Rule, describe, nameLabel } from "../context.js";
import { allow, range, size, tick } from "../../model/format.js";
import { refuteAtLeast } from "../proof.js";

export const rule: Rule = { name: "overlap", codes: ["E0201"], check: checkOverlap };

function checkOverlap(ctx: Context): void {
  for (const siblings of ctx.children.values()) checkSiblings(ctx, siblings);
}

const help = (a: Region, b: Region): string =>
  `move or resize ${tick(a.name)} or ${tick(b.name)} so they share no address; if the overlap is intended, add ${allow("E0201")} to one of them`;

/** Why `later` may start on the last byte of `earlier`: inclusive ends taken for limits. */
const lastByteNote = (earlier: Region, later: Region): string =>
  `${tick(later.name)} starts on the last byte of ${tick(earlier.name)}: \`${earlier.name}.end\` and \`S .. E\` are inclusive; the byte after ${tick(earlier.name)} is \`${earlier.name}.limit\`, and \`S ..< E\` ends before \`E\``;

function checkSiblings(ctx: Context, siblings: readonly Region[]): void {
  let furthest: Region | undefined;
  for (const r of siblings) {
    if (!ctx.usable(r)) continue;
    if (furthest === undefined) {
      furthest = r;
      continue;
    }
    const f = furthest;
    if (r.start.value <= f.end.value) {
      const lo = r.start.value;
      const hi = r.end.value < f.end.value ? r.end.value : f.end.value;
      ctx.report("E0201", [f, r], r.nameSpan, () => ({
        message: `${tick(r.name)} overlaps ${tick(f.name)}`,
        labels: [nameLabel(f), nameLabel(r)],
        notes: [
          `they share ${range(lo, hi)} (${size(hi - lo + 1n)})`,
          ...(r.start.value === f.end.value ? [lastByteNote(f, r)] : []),
        ],
        help: help(f, r),
      }));
    } else if (ctx.parametric(f) || ctx.parametric(r)) {
      const order = refuteAtLeast(r.start.sym, 1n, ctx.domains, f.end.sym);
      if (order) {
        const cex = ctx.confirm(
          order,
          [[minus(f.end.sym, r.start.sym), minus(r.end.sym, f.start.sym)]],
          `${tick(r.name)} can move past ${tick(f.name)} (their order at the defaults is not kept for every value), but no value was found at which they overlap`,
        );
        ctx.reportParametric(
          "E0201",
          [f, r],
          `${tick(r.name)} can overlap ${tick(f.name)}`,
          r.nameSpan,
          cex,
          (values) => {
            const a = ctx.at(f, values);
            const b = ctx.at(r, values);
            const lo = a.start > b.start ? a.start : b.start;
            const hi = a.end < b.end ? a.end : b.end;
            const shared = lo <= hi ? `; they share ${range(lo, hi)} (${size(hi - lo + 1n)})` : "";
            return [`there ${ctx.describeAt(f, values)} and ${ctx.describeAt(r, values)}${shared}`];
          },
          {
            labels: [
              nameLabel(f, `at the defaults ${describe(f)}`),
              nameLabel(r, `at the defaults ${describe(r)}`),
            ],
          },
        );
      }
    }
    if (r.end.value > f.end.value) furthest = r;
  }
}
