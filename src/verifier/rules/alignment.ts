/**
 * E0204 alignment (the declared `align` on start and size) and E0205 page_alignment (a
 * `region`, `guard` or `hole` starts and ends on a page: the paging mode's smallest (4 KiB, or
 * AArch64's 16 KiB or 64 KiB granule), or its `max_page` when given; a KASLR group's alignment
 * keeps each member on its page).
 *
 * Symbolically a bound is a multiple of `m` for every parameter value iff its value at the
 * smallest parameter values is one and each coefficient times its parameter's alignment is one
 * (see proof.ts). Slack (`align_up`, `min`, `max`) carries no residue, so such a bound cannot
 * be proved aligned and is reported.
 */
import type { Bound, Region } from "../../model/layout.js";
import type { Code, Label } from "../../diagnostics/diagnostic.js";
import { type Context, type Rule, nameLabel } from "../context.js";
import { hex, shortHex, size, tick } from "../../model/format.js";
import { evaluate, floor, refuteMultiple } from "../proof.js";
import { smallestPage } from "../page.js";

interface Texts {
  /** Completes "which is not a multiple of ...". */
  readonly what: string;
  readonly labels: readonly Label[];
  readonly help: string;
}

export const rule: Rule = { name: "alignment", codes: ["E0204", "E0205"], check: checkAlignment };

function checkAlignment(ctx: Context): void {
  const page = smallestPage(ctx.layout.paging);
  for (const r of ctx.layout.regions) {
    if (!ctx.usable(r)) continue;
    const a = r.align;
    if (a) {
      multiple(ctx, r, "E0204", a.value, () => ({
        what: `its declared \`align ${size(a.value)}\``,
        labels: [{ span: a.span, message: `alignment ${size(a.value)} declared here` }],
        help: `move or resize ${tick(r.name)} to a multiple of ${size(a.value)}, or lower its \`align\``,
      }));
    }
    if (r.kind !== "noncanonical") {
      const granule = r.maxPage ?? page.bytes;
      multiple(ctx, r, "E0205", granule, () => ({
        what: r.maxPage !== undefined ? `its \`max_page ${size(granule)}\`` : page.text,
        labels: [nameLabel(r)],
        help:
          r.maxPage !== undefined
            ? `move or resize ${tick(r.name)} to a multiple of ${size(granule)}, or lower its \`max_page\``
            : `move or resize ${tick(r.name)} to whole ${size(page.bytes)} pages`,
      }));
    }
  }
  // A KASLR member moves in steps of its group's alignment: each step must keep it on a page.
  for (const g of ctx.layout.kaslr)
    for (const m of g.members) {
      const r = ctx.byName.get(m.name);
      if (!r || !ctx.usable(r)) continue;
      const granule = r.maxPage ?? page.bytes;
      if (g.align % granule === 0n) continue;
      ctx.report("E0205", [r], m.span, () => ({
        message: `KASLR group ${tick(g.name)} moves ${tick(r.name)} in steps of ${size(g.align)}, which is not a multiple of ${r.maxPage !== undefined ? `its \`max_page ${size(granule)}\`` : page.text}`,
        labels: [nameLabel(r)],
        help: `align the group to a multiple of ${size(granule)}`,
      }));
    }
}

function multiple(ctx: Context, r: Region, code: Code, m: bigint, texts: () => Texts): void {
  check(ctx, r, code, m, texts, "start", r.start);
  check(ctx, r, code, m, texts, "size", r.size);
}

/**
 * A note on the slip that makes a bound one byte off a multiple of `m`: a start at another
 * region's `.end` (its last byte), or an inclusive `..` end or a size counted like one.
 */
function offByOne(
  ctx: Context,
  r: Region,
  which: "start" | "size",
  off: bigint,
  m: bigint,
): string[] {
  if (which === "start" && off === m - 1n) {
    const siblings = ctx.children.get(r.parent) ?? [];
    const before = siblings.find((s) => s !== r && s.end.value === r.start.value);
    return before
      ? [
          `${tick(r.name)} starts on the last byte of ${tick(before.name)}: \`${before.name}.end\` is inclusive; the next byte is \`${before.name}.limit\``,
        ]
      : ["a region's `.end` is its last byte (inclusive); the byte after it is its `.limit`"];
  }
  if (which === "size" && off === 1n)
    return ["`S .. E` includes the byte at `E`; to end just before `E`, write `S ..< E`"];
  if (which === "size" && off === m - 1n)
    return [
      "a size counts every byte: a region from `S` to its last byte `E` has size `E - S + 1`",
    ];
  return [];
}

function check(
  ctx: Context,
  r: Region,
  code: Code,
  m: bigint,
  texts: () => Texts,
  which: "start" | "size",
  b: Bound,
): void {
  if (b.value % m !== 0n) {
    ctx.report(code, [r], r.nameSpan, () => {
      const { what, labels, help } = texts();
      const shown = which === "start" ? hex(b.value) : `${shortHex(b.value)} (${size(b.value)})`;
      const off = ((b.value % m) + m) % m;
      return {
        message: `the ${which} of ${tick(r.name)} is ${shown}, which is not a multiple of ${what}`,
        labels,
        notes: [
          `it is ${size(off)} past a multiple of ${size(m)}`,
          ...offByOne(ctx, r, which, off, m),
        ],
        help,
      };
    });
    return;
  }
  if (b.sym.terms.size === 0 && b.sym.slackLo.num === 0n && b.sym.slackHi.num === 0n) return;
  const cex = refuteMultiple(b.sym, m, ctx.domains, ctx.defaults);
  if (cex) {
    const { what, labels } = texts();
    ctx.reportParametric(
      code,
      [r],
      `the ${which} of ${tick(r.name)} can be a non-multiple of ${what}`,
      r.nameSpan,
      cex,
      (values) => {
        const v = floor(evaluate(b.sym, values));
        return [`there the ${which} of ${tick(r.name)} is ${which === "start" ? hex(v) : size(v)}`];
      },
      {
        labels,
        help: `give each parameter ${tick(r.name)} depends on an \`align\` that keeps the ${which} a multiple of ${size(m)}, and derive it without \`align_up\`, \`align_down\`, \`min\` or \`max\``,
      },
    );
  }
}
