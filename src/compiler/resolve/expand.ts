/**
 * Instantiates the region statements of a variant into nodes, in source order: a `repeat`
 * gives one copy of its body per iteration, its names suffixed `_<i>`. Expansion is bounded by
 * the `regions` and `iterations` limits (E0007): a repeat is refused before it is expanded
 * when what its body makes at least, times its count, is already over.
 */
import type { Span } from "../../diagnostics/diagnostic.js";
import { TEXT } from "../../diagnostics/catalogue.js";
import type { Item, RegionDecl, RepeatDecl } from "../ast.js";
import { isAttribute } from "./attributes.js";
import type { RegionNode, VariantContext } from "./context.js";
import { scopeOf } from "./scope.js";

/** Regions and repeat iterations a body makes at least, whatever the parameters. */
interface Extent {
  regions: bigint;
  steps: bigint;
}

/** Where an item is being expanded: the enclosing region, its repeat indices and name suffix. */
interface Site {
  readonly parent: RegionNode | null;
  readonly depth: number;
  readonly env: ReadonlyMap<string, bigint>;
  readonly suffix: string;
  /** The sibling placed last at this depth (relative placement starts after it). */
  readonly previous: { node: RegionNode | null };
}

/**
 * What one iteration of a repeat body costs against the `iterations` limit: its statements,
 * at least one, as the expansion visits each of them.
 */
const stepsOf = (body: readonly Item[]): number => Math.max(1, body.length);

/** Expands `items` (a variant's) into `ctx.nodes`, stopping at the first limit exceeded. */
export function expandRegions(ctx: VariantContext, items: readonly Item[]): void {
  new Expansion(ctx).items(items, {
    parent: null,
    depth: 0,
    env: new Map(),
    suffix: "",
    previous: { node: null },
  });
}

class Expansion {
  private stopped = false;
  private repeatSteps = 0;
  private readonly atLeast = new Map<readonly Item[], Extent>();

  constructor(private readonly ctx: VariantContext) {}

  items(items: readonly Item[], site: Site): void {
    for (const item of items) {
      if (this.stopped) return;
      if (item.kind === "region") this.region(item, site);
      else if (item.kind === "repeat") this.repeat(item, site);
      else if ((site.parent !== null || site.suffix !== "") && !isAttribute(item))
        // In a region's body or a repeat: a declaration here would be silently ignored.
        this.ctx.error(
          "E0119",
          `\`${item.kind}\` is not allowed inside a region or \`repeat\``,
          item.span,
          item.kind === "include"
            ? "include files at top level or in a `variant`"
            : "move it to top level (or into a `variant`)",
        );
    }
  }

  private region(item: RegionDecl, site: Site): void {
    const { ctx } = this;
    if (ctx.nodes.length >= ctx.limits.regions)
      return this.stop(`more than ${ctx.limits.regions} regions`, item.span, "regions");
    const declaredName = item.name ? item.name.name + site.suffix : undefined;
    const node: RegionNode = {
      decl: item,
      declaredName,
      parent: site.parent,
      previous: site.previous.node,
      depth: site.depth,
      env: site.env,
      suffix: site.suffix,
      state: "pending",
      resolved: undefined,
      name: undefined,
    };
    if (item.regionKind === "region" && !item.name)
      ctx.error(
        "E0103",
        "region has no name",
        item.placement.span,
        "name it after its placement, e.g. `ffff888000000000 +64TB direct_map`",
      );
    if (declaredName !== undefined) {
      const clash = ctx.byName.get(declaredName)?.decl.name ?? ctx.valueDecl(declaredName)?.name;
      if (clash) ctx.duplicate(item.name!, clash);
      else ctx.byName.set(declaredName, node);
    }
    ctx.nodes.push(node);
    site.previous.node = node;
    if (item.body.length > 0)
      this.items(item.body, {
        parent: node,
        depth: site.depth + 1,
        env: site.env,
        suffix: site.suffix,
        previous: { node: null },
      });
  }

  private repeat(item: RepeatDecl, site: Site): void {
    const { ctx } = this;
    const { evaluator, limits } = ctx;
    const count = ctx.attempt(() =>
      evaluator.positiveIntegerConstant(
        evaluator.evaluate(item.count, scopeOf(ctx, site.env, site.suffix)),
        item.count.span,
        "repeat count",
      ),
    );
    if (count === undefined) return;
    if (count > BigInt(limits.repeat))
      return ctx.error(
        "E0115",
        `repeat count ${count} exceeds the limit of ${limits.repeat}`,
        item.count.span,
        TEXT.raiseLimit("split the repeat", "repeat"),
      );
    const body = this.extentAtLeast(item.items);
    const regions = BigInt(ctx.nodes.length) + count * body.regions;
    const steps = BigInt(this.repeatSteps) + count * (BigInt(stepsOf(item.items)) + body.steps);
    if (regions > BigInt(limits.regions))
      return this.stop(
        `repeat makes more than ${limits.regions} regions (at least ${regions} in all)`,
        item.span,
        "regions",
      );
    if (steps > BigInt(limits.iterations))
      return this.stop(
        `repeats expand to more than ${limits.iterations} iterations (at least ${steps})`,
        item.span,
        "iterations",
      );
    for (let i = 0n; i < count && !this.stopped; i++) {
      // Nested repeats multiply: bound the iterations too, even of empty bodies (the check
      // above counts only the repeats inside the body whose counts are literals).
      this.repeatSteps += stepsOf(item.items);
      if (this.repeatSteps > limits.iterations)
        return this.stop(
          `repeats expand to more than ${limits.iterations} iterations`,
          item.span,
          "iterations",
        );
      const env = new Map(site.env);
      if (item.index) env.set(item.index.name, i);
      this.items(item.items, { ...site, env, suffix: `${site.suffix}_${i}` });
    }
  }

  /**
   * Regions and repeat iterations `items` make at least, whatever the parameters: a repeat
   * whose count is not a literal counts as none. Computed once per body, so the total cost is
   * the size of the AST however often a body is expanded.
   */
  private extentAtLeast(items: readonly Item[]): Extent {
    let result = this.atLeast.get(items);
    if (result) return result;
    result = { regions: 0n, steps: 0n };
    for (const item of items) {
      if (item.kind === "region") {
        const body = this.extentAtLeast(item.body);
        result.regions += 1n + body.regions;
        result.steps += body.steps;
      } else if (item.kind === "repeat" && item.count.kind === "literal") {
        const { num, den } = item.count.value;
        const count = den === 1n && num > 0n ? num : 0n; // else E0109, when expanded
        const body = this.extentAtLeast(item.items);
        result.regions += count * body.regions;
        result.steps += count * (BigInt(stepsOf(item.items)) + body.steps);
      }
    }
    this.atLeast.set(items, result);
    return result;
  }

  /** Past a resource limit, stop expanding altogether: report once, build nothing more. */
  private stop(message: string, span: Span, limit: string): void {
    this.ctx.error(
      "E0007",
      message,
      span,
      TEXT.raiseLimit("split the layout, lower the repeat counts", limit),
    );
    this.stopped = true;
  }
}
