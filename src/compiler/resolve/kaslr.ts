/**
 * KASLR groups (`kaslr NAME { range; align; members; may_overlap }`): the range the members
 * move in must be constant, the members exist, and a region moves with at most one group
 * (E0118). What the slides allow is proved by the verifier (rules/kaslr.ts).
 */
import { type Span, diagnostic } from "../../diagnostics/diagnostic.js";
import type { KaslrGroup } from "../../model/layout.js";
import type { Expr, Identifier, KaslrDecl } from "../ast.js";
import { address } from "./bounds.js";
import type { VariantContext } from "./context.js";
import { scopeOf } from "./scope.js";

/** KASLR moves by 1 GiB unless the group says otherwise (Linux: PUD_SIZE). */
const DEFAULT_KASLR_ALIGN = 1n << 30n;

/** The group `decl` declares, or undefined (reported) when it has no single range or no members. */
export function resolveKaslr(ctx: VariantContext, decl: KaslrDecl): KaslrGroup | undefined {
  const { evaluator } = ctx;
  const scope = scopeOf(ctx);
  const ranges = decl.items.filter((i) => i.kind === "kaslr-range");
  const aligns = decl.items.filter((i) => i.kind === "kaslr-align");
  const members = decl.items.filter((i) => i.kind === "kaslr-members").flatMap((i) => i.names);
  const overlaps = decl.items.filter((i) => i.kind === "kaslr-may-overlap").flatMap((i) => i.names);
  if (ranges.length !== 1) {
    ctx.error(
      "E0118",
      `KASLR group \`${decl.name.name}\` needs exactly one \`range\``,
      ranges[1]?.span ?? decl.name.span,
      "write `range START ..< END`, the range the regions move in",
    );
    return undefined;
  }
  if (aligns.length > 1) ctx.error("E0118", "`align` is given twice", aligns[1]!.span);
  if (members.length === 0) {
    ctx.error(
      "E0118",
      `KASLR group \`${decl.name.name}\` has no members`,
      decl.name.span,
      "list the randomised regions in order: `members direct_map vmalloc vmemmap`",
    );
    return undefined;
  }
  const range = ranges[0]!.range;
  const constantAddress = (e: Expr): bigint => {
    const b = address(evaluator, evaluator.evaluate(e, scope), e.span);
    if (b.sym.terms.size > 0)
      evaluator.fail("E0118", "the KASLR range must not depend on a parameter", e.span);
    return b.value;
  };
  const rangeStart = constantAddress(range.start);
  const rangeEnd = constantAddress(range.end) - (range.endInclusive ? 0n : 1n);
  const align = aligns[0]
    ? evaluator.positiveIntegerConstant(
        evaluator.evaluate(aligns[0].value, scope),
        aligns[0].value.span,
        "alignment",
      )
    : DEFAULT_KASLR_ALIGN;
  const named = (ids: readonly Identifier[]) =>
    ids.map((id) => {
      if (!ctx.byName.has(id.name)) ctx.unknown(id);
      return { name: id.name, span: id.span };
    });
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.name)) ctx.error("E0118", `\`${m.name}\` is listed twice`, m.span);
    seen.add(m.name);
  }
  return {
    name: decl.name.name,
    span: decl.span,
    rangeStart,
    rangeEnd,
    rangeSpan: range.span,
    align,
    members: named(members),
    mayOverlap: named(overlaps),
  };
}

/** A region moves with at most one KASLR group: two would give it two randomised bases. */
export function checkOneGroupEach(ctx: VariantContext, groups: readonly KaslrGroup[]): void {
  const groupOf = new Map<string, { group: KaslrGroup; span: Span }>();
  for (const group of groups)
    for (const m of group.members) {
      const first = groupOf.get(m.name);
      if (!first) groupOf.set(m.name, { group, span: m.span });
      else if (first.group !== group)
        ctx.report(
          diagnostic(
            "E0118",
            `\`${m.name}\` is a member of KASLR groups \`${first.group.name}\` and \`${group.name}\``,
            m.span,
            {
              labels: [{ span: first.span, message: `also a member of \`${first.group.name}\`` }],
              help: `list \`${m.name}\` in one group's \`members\`; to let another group's range cover it, add it to that group's \`may_overlap\``,
            },
          ),
        );
    }
}
