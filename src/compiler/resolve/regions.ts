/**
 * The Layout's regions from the placed nodes: named (an unnamed hole or guard after its kind
 * and start), with their attributes, sorted by start, larger first at the same start, parents
 * before their children.
 */
import type { Region } from "../../model/layout.js";
import { regionAttributes } from "./attributes.js";
import type { RegionNode, VariantContext } from "./context.js";
import { exportName } from "./declarations.js";

/** `dependsOn` of a region whose bounds are constants; shared, so never modified. */
const NO_PARAMETERS: readonly string[] = Object.freeze([]);

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every placed node as a Region; a node that failed to place is left out (its error reported). */
export function buildRegions(ctx: VariantContext): Region[] {
  const regions: Region[] = [];
  const nameOf = unnamedRegionNamer(ctx);
  for (const node of ctx.nodes) {
    if (node.state !== "done") continue;
    const attrs = regionAttributes(ctx, node);
    const name = node.declaredName ?? nameOf(node);
    node.name = name;
    const { start, end, size, declaredEnd } = node.resolved!;
    // Property order as the JSON emitter and tests have always seen it.
    regions.push({
      name,
      kind: node.decl.regionKind,
      description: node.decl.description?.value,
      parent: node.parent?.name ?? null,
      depth: node.depth,
      start,
      end,
      size,
      declaredEnd,
      span: node.decl.span,
      nameSpan: node.decl.name?.span ?? node.decl.placement.span,
      placementSpan: node.decl.placement.span,
      map: attrs.map,
      perm: attrs.perm,
      user: attrs.user,
      global: attrs.global,
      perProcess: attrs.perProcess,
      cache: attrs.cache,
      maxPage: attrs.maxPage,
      align: attrs.align,
      exhaustive: attrs.exhaustive,
      waivers: attrs.waivers,
      documentedOffset: attrs.documentedOffset,
      documentedSize: attrs.documentedSize,
      exportName: exportName(ctx, attrs.exportId, name),
      dependsOn:
        start.sym.terms.size === 0 && end.sym.terms.size === 0
          ? NO_PARAMETERS
          : [...new Set([...start.sym.terms.keys(), ...end.sym.terms.keys()])].sort(),
    });
  }
  return regions.sort(
    (a, b) =>
      cmp(a.start.value, b.start.value) || cmp(b.size.value, a.size.value) || a.depth - b.depth,
  );
}

/**
 * Names unnamed regions `KIND_START`, then `KIND_START_2`, `KIND_START_3`, ... for more at the
 * same start, skipping declared names (the keys of `byName`). Two bases never produce the same
 * name (a base is KIND_ and exactly 16 hex digits, and kinds have no `_`), so the next suffix
 * per base is all that must be remembered; 1 stands for the bare base.
 */
function unnamedRegionNamer(ctx: VariantContext): (node: RegionNode) => string {
  const nextSuffix = new Map<string, number>();
  return (node) => {
    const base = `${node.decl.regionKind}_${node.resolved!.start.value.toString(16).padStart(16, "0")}`;
    let n = nextSuffix.get(base) ?? 1;
    let name = n === 1 ? base : `${base}_${n}`;
    while (ctx.byName.has(name)) name = `${base}_${++n}`;
    nextSuffix.set(base, n + 1);
    return name;
  };
}
