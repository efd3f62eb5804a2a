/**
 * AST -> Layout. Selects variants, expands `repeat`, evaluates every expression (exactly at
 * the parameter defaults and symbolically over their ranges), resolves relative placement
 * and collects attributes. Bounds are evaluated lazily on first use, so a region may refer to
 * any other region (`kernel_elf.limit`) in any order; a definition that depends on itself is
 * E0112. The resolver reports what makes a Layout impossible to build (unknown names, bad
 * attributes, inexact or out-of-range values at the defaults); the verifier proves the rules.
 */
import {
  type Code,
  type Diagnostic,
  type Result,
  type Span,
  diagnostic,
  sortDiagnostics,
} from "../diagnostics/diagnostic.js";
import { TEXT, findCheck, isWaivable } from "../diagnostics/catalogue.js";
import { closest } from "../diagnostics/suggest.js";
import { dedupe } from "../diagnostics/collector.js";
import { type ParamDomain, integer, isConstant, negated, plus, variable } from "../model/affine.js";
import type {
  Attribute,
  ConstDecl,
  Expr,
  Identifier,
  Item,
  KaslrDecl,
  NameExpr,
  ParamDecl,
  RegionDecl,
  SpecFile,
  VariantDecl,
} from "./ast.js";
import {
  EvaluationFailed,
  Evaluator,
  type Scope,
  type Value,
  aligned,
  valueOf,
} from "./evaluate.js";
import {
  ADDRESS_SPACE_END,
  type Bound,
  type CacheMode,
  type Constant,
  type KaslrGroup,
  type Layout,
  type Param,
  type ParamType,
  type Permission,
  type Region,
  type Waiver,
} from "../model/layout.js";
import { formatRational, isInteger, rat } from "../model/rational.js";
import { type Limits, withLimits } from "../limits.js";

export interface ResolveOptions {
  /** Resolve only this variant (E0106 if there is none of that name). */
  readonly variant?: string | undefined;
  /** Default: DEFAULT_LIMITS (src/limits.ts). */
  readonly limits?: Partial<Limits> | undefined;
}

const PAGE_SIZES = new Map([
  [4096n, "4 KiB"],
  [2n * 1024n * 1024n, "2 MiB"],
  [1024n * 1024n * 1024n, "1 GiB"],
]);
const PERMISSIONS: readonly Permission[] = ["r", "rw", "rx", "rwx"];
const CACHE_MODES: readonly CacheMode[] = ["wb", "wt", "uc", "uc_minus", "wc", "wp"];
const REGION_FLAGS = ["user", "global", "per_process", "shared", "exhaustive"];
const PARAM_TYPES: readonly ParamType[] = ["address", "size", "count"];
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const hex16 = (v: bigint): string => "0x" + v.toString(16).padStart(16, "0");

/** Resolves every variant of `file` (or the one selected) to a Layout. */
export function resolve(file: SpecFile, options: ResolveOptions = {}): Result<Layout[]> {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic): void => void diagnostics.push(d);
  const limits = withLimits(options.limits);

  const layoutDecls = file.items.filter((i) => i.kind === "layout");
  if (layoutDecls.length === 0) {
    report(
      diagnostic(
        "E0107",
        "spec has no `layout` declaration",
        { ...file.span, end: file.span.start },
        {
          help: 'start the spec with `layout NAME "description"`',
        },
      ),
    );
    return { value: [], diagnostics };
  }
  for (const extra of layoutDecls.slice(1))
    report(
      diagnostic("E0102", "`layout` is declared more than once", extra.span, {
        labels: [{ span: layoutDecls[0]!.span, message: "first declared here" }],
      }),
    );
  const header = layoutDecls[0]!;

  const variants = file.items.filter((i): i is VariantDecl => i.kind === "variant");
  const seen = new Map<string, VariantDecl>();
  for (const v of variants) {
    const first = seen.get(v.name.value);
    if (first)
      report(
        diagnostic("E0102", `variant "${v.name.value}" is defined twice`, v.name.span, {
          labels: [{ span: first.name.span, message: TEXT.firstDefinedHere }],
        }),
      );
    else seen.set(v.name.value, v);
  }

  let selected: (VariantDecl | null)[] = variants.length === 0 ? [null] : [...seen.values()];
  if (options.variant !== undefined) {
    const v = seen.get(options.variant);
    if (!v) {
      const known = [...seen.keys()].map((k) => `"${k}"`).join(", ");
      const near = closest(options.variant, [...seen.keys()]);
      report(
        diagnostic("E0106", `spec has no variant "${options.variant}"`, undefined, {
          help: known
            ? `${near ? `did you mean "${near}"? ` : ""}the variants are ${known}`
            : "this spec declares no variants",
        }),
      );
      return { value: [], diagnostics };
    }
    selected = [v];
  }

  const layouts: Layout[] = [];
  for (const variant of selected) {
    const items: Item[] = [];
    for (const item of file.items) {
      if (item.kind !== "variant") items.push(item);
      else if (item === variant) for (const inner of item.items) items.push(inner); // no spread: can be huge
    }
    const layout = new VariantResolver(file, header, variant, items, report, limits).run();
    if (layout) layouts.push(layout);
  }
  // Shared items are resolved once per variant; their diagnostics are reported once.
  return { value: layouts, diagnostics: dedupe(sortDiagnostics(diagnostics)) };
}

/**
 * What one iteration of a repeat body costs against the `iterations` limit: its statements,
 * at least one, as the expansion visits each of them.
 */
const stepsOf = (body: readonly Item[]): number => Math.max(1, body.length);

/** A region statement instantiated in the tree (repeat iterations give several). */
interface RegionNode {
  readonly decl: RegionDecl;
  /** Declared name with the repeat suffixes, or undefined for an unnamed hole/guard. */
  readonly declaredName: string | undefined;
  readonly parent: RegionNode | null;
  readonly previous: RegionNode | null;
  readonly depth: number;
  /** Repeat indices in scope, innermost last. */
  readonly env: ReadonlyMap<string, bigint>;
  readonly suffix: string;
  state: "pending" | "resolving" | "done" | "failed";
  start?: Bound;
  end?: Bound;
  size?: Bound;
  declaredEnd?: { bound: Bound; span: Span } | undefined;
  /** The region's name in the Layout (given by `buildRegions`). */
  name?: string;
}

interface ConstEntry {
  readonly decl: ConstDecl;
  state: "pending" | "resolving" | "done" | "failed";
  value?: Value;
}

class VariantResolver {
  private readonly evaluator: Evaluator;
  private readonly consts = new Map<string, ConstEntry>();
  private readonly params = new Map<string, Param>();
  private readonly domains = new Map<string, ParamDomain>();
  private readonly nodes: RegionNode[] = [];
  private readonly byName = new Map<string, RegionNode>();
  private failed = false;

  constructor(
    private readonly file: SpecFile,
    private readonly header: Extract<Item, { kind: "layout" }>,
    private readonly variant: VariantDecl | null,
    private readonly items: readonly Item[],
    private readonly reportRaw: (d: Diagnostic) => void,
    private readonly limits: Limits,
  ) {
    this.evaluator = new Evaluator((d) => this.report(d));
  }

  private report(d: Diagnostic): void {
    if (d.severity === "error") this.failed = true;
    this.reportRaw(d);
  }

  private error(code: Code, message: string, span: Span | undefined, help?: string): void {
    this.report(diagnostic(code, message, span, help === undefined ? {} : { help }));
  }

  run(): Layout | undefined {
    const paging = this.paging();
    for (const item of this.items) this.declare(item);
    for (const item of this.items)
      if (item.kind === "param") this.attempt(() => this.resolveParam(item));
    this.expand(this.items, null, 0, new Map(), "");
    for (const entry of this.consts.values()) this.attempt(() => this.constValue(entry));
    for (const node of this.nodes) this.attempt(() => this.resolveNode(node));
    const regions = this.buildRegions();
    const kaslr = this.items
      .filter((i): i is KaslrDecl => i.kind === "kaslr")
      .map((k) => this.attemptOr(() => this.resolveKaslr(k)))
      .filter((k): k is KaslrGroup => k !== undefined);
    this.checkOneGroupEach(kaslr);
    let exhaustive = false;
    for (const item of this.items) {
      if (!isAttribute(item)) continue;
      if (item.kind === "attr-flag" && item.flag.name === "exhaustive") exhaustive = true;
      else
        this.error(
          "E0119",
          `\`${attributeName(item)}\` is a region attribute and is not allowed at top level`,
          item.span,
          "move it into the braces of the region it describes",
        );
    }
    if (this.failed || !paging) return undefined;
    return {
      name: this.header.name.name,
      description: this.header.description?.value,
      variant: this.variant?.name.value ?? null,
      variantSpan: this.variant?.name.span,
      paging,
      exhaustive,
      params: [...this.params.values()],
      constants: [...this.consts.values()].map((c) => this.buildConstant(c)),
      regions,
      kaslr,
      file: this.file.path,
      span: this.file.span,
    };
  }

  /** Runs `f`; an EvaluationFailed means the diagnostic is already reported. */
  private attempt(f: () => void): void {
    this.attemptOr(f);
  }

  private attemptOr<T>(f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      if (e instanceof EvaluationFailed) return undefined;
      throw e;
    }
  }

  // ------------------------------------------------------------ declarations

  private paging(): Layout["paging"] | undefined {
    const decls = this.items.filter((i) => i.kind === "paging");
    const where = this.variant ? ` in variant "${this.variant.name.value}"` : "";
    if (decls.length === 0) {
      this.error(
        "E0111",
        `no paging mode${where}`,
        this.variant?.name.span ?? this.header.span,
        "add `paging 4` (4-level, 48-bit) or `paging 5` (5-level, 57-bit)",
      );
      return undefined;
    }
    for (const extra of decls.slice(1))
      this.report(
        diagnostic("E0111", `paging mode given more than once${where}`, extra.span, {
          labels: [{ span: decls[0]!.span, message: "first given here" }],
        }),
      );
    const decl = decls[0]!;
    const levels = decl.levels;
    if (levels.kind === "literal" && isInteger(levels.value)) {
      if (levels.value.num === 4n) return { levels: 4, vaBits: 48 };
      if (levels.value.num === 5n) return { levels: 5, vaBits: 57 };
    }
    this.error(
      "E0111",
      "unsupported paging mode",
      levels.span,
      "x86-64 has `paging 4` (4-level, 48-bit) and `paging 5` (5-level, 57-bit)",
    );
    return undefined;
  }

  private declare(item: Item): void {
    if (item.kind === "const" || item.kind === "param") {
      const name = item.name.name;
      const clash = this.consts.get(name)?.decl ?? this.paramDecl(name);
      if (clash) {
        this.duplicate(item.name, clash.name);
        return;
      }
      if (item.kind === "const") this.consts.set(name, { decl: item, state: "pending" });
      else this.declaredParams.set(name, item);
    } else if (item.kind === "variant") {
      this.error(
        "E0119",
        "variants cannot be nested",
        item.span,
        "declare every variant at top level",
      );
    }
  }

  private readonly declaredParams = new Map<string, ParamDecl>();
  private paramDecl(name: string): ParamDecl | undefined {
    return this.declaredParams.get(name);
  }

  private duplicate(second: Identifier, first: Identifier): void {
    this.report(
      diagnostic("E0102", `\`${second.name}\` is defined twice`, second.span, {
        labels: [{ span: first.span, message: TEXT.firstDefinedHere }],
        help: "give each constant, parameter and region its own name",
      }),
    );
  }

  /** Parameters are evaluated before anything else; their own bounds must be constants. */
  private resolveParam(decl: ParamDecl): void {
    if (this.params.has(decl.name.name) || this.declaredParams.get(decl.name.name) !== decl) return;
    const type = decl.type.name as ParamType;
    if (!PARAM_TYPES.includes(type))
      return this.error(
        "E0109",
        `unknown parameter type \`${decl.type.name}\``,
        decl.type.span,
        "the types are `address`, `size` and `count`",
      );
    const scope = this.scope(new Map(), "");
    const number = (e: Expr): bigint => {
      const v = this.evaluator.evaluate(e, scope);
      if (v.sym.terms.size > 0)
        this.evaluator.fail("E0114", "a parameter's range cannot depend on a parameter", e.span);
      return type === "address" ? this.address(v, e.span).value : this.whole(v, e.span);
    };
    const def = number(decl.default);
    const min = number(decl.range.start);
    const max = number(decl.range.end) - (decl.range.endInclusive ? 0n : 1n);
    const align = decl.align
      ? this.evaluator.positiveIntegerConstant(
          this.evaluator.evaluate(decl.align, scope),
          decl.align.span,
          "alignment",
        )
      : 1n;
    const problem =
      min > max
        ? `range of \`${decl.name.name}\` is empty`
        : def < min || def > max
          ? `default of \`${decl.name.name}\` lies outside its range`
          : def % align !== 0n
            ? `default of \`${decl.name.name}\` is not aligned to ${align}`
            : (min + align - 1n) / align > max / align
              ? `range of \`${decl.name.name}\` holds no aligned value`
              : undefined;
    if (problem) return this.error("E0117", problem, decl.span);
    const param: Param = {
      name: decl.name.name,
      type,
      default: def,
      min,
      max,
      align,
      exportName: this.exportName(decl.exportName, decl.name.name),
      description: decl.description?.value,
      span: decl.span,
    };
    this.params.set(param.name, param);
    this.domains.set(param.name, param);
  }

  private exportName(given: Identifier | undefined, name: string): string {
    if (given && !C_IDENTIFIER.test(given.name))
      this.error("E0119", `\`${given.name}\` is not a C identifier`, given.span);
    return given?.name ?? name.toUpperCase();
  }

  private constValue(entry: ConstEntry): Value {
    if (entry.state === "done") return entry.value!;
    if (entry.state === "failed") throw new EvaluationFailed("reported");
    if (entry.state === "resolving")
      this.evaluator.fail(
        "E0112",
        `\`${entry.decl.name.name}\` is defined in terms of itself`,
        entry.decl.name.span,
      );
    entry.state = "resolving";
    try {
      const value = this.evaluator.evaluate(entry.decl.value, this.scope(new Map(), ""));
      // Emitters write a constant as a whole number; a fraction is refused, never rounded.
      if (!isInteger(value.exact))
        this.evaluator.fail(
          "E0208",
          `constant \`${entry.decl.name.name}\` is ${formatRational(value.exact)}, not a whole number`,
          entry.decl.value.span,
          "constants are exported as whole numbers: fold a fraction into a unit (`0.5TB`) or into the expression that uses it",
        );
      entry.value = value;
      entry.state = "done";
      return entry.value;
    } catch (e) {
      entry.state = "failed";
      throw e;
    }
  }

  private buildConstant(entry: ConstEntry): Constant {
    const decl = entry.decl;
    const v = entry.value!;
    return {
      name: decl.name.name,
      exportName: this.exportName(decl.exportName, decl.name.name),
      value: { value: v.exact.num, sym: v.sym }, // whole: constValue refuses a fraction (E0208)
      description: decl.description?.value,
      span: decl.span,
    };
  }

  // ------------------------------------------------------------ regions

  /** Instantiates region statements (expanding repeats) into nodes, in source order. */
  private expand(
    items: readonly Item[],
    parent: RegionNode | null,
    depth: number,
    env: ReadonlyMap<string, bigint>,
    suffix: string,
    previous: { node: RegionNode | null } = { node: null },
  ): void {
    for (const item of items) {
      if (this.expansionStopped) return;
      if (item.kind === "region") {
        if (this.nodes.length >= this.limits.regions) {
          this.stopExpansion(`more than ${this.limits.regions} regions`, item.span, "regions");
          return;
        }
        const declaredName = item.name ? item.name.name + suffix : undefined;
        const node: RegionNode = {
          decl: item,
          declaredName,
          parent,
          previous: previous.node,
          depth,
          env,
          suffix,
          state: "pending",
          // Set later; present from the start so every node keeps one shape.
          start: undefined,
          end: undefined,
          size: undefined,
          declaredEnd: undefined,
          name: undefined,
        };
        if (item.regionKind === "region" && !item.name)
          this.error(
            "E0103",
            "region has no name",
            item.placement.span,
            "name it after its placement, e.g. `ffff888000000000 +64TB direct_map`",
          );
        if (declaredName !== undefined) {
          const first = this.byName.get(declaredName);
          if (first) this.duplicate(item.name!, first.decl.name!);
          else if (this.consts.has(declaredName) || this.declaredParams.has(declaredName))
            this.duplicate(
              item.name!,
              (this.consts.get(declaredName)?.decl ?? this.declaredParams.get(declaredName)!).name,
            );
          else this.byName.set(declaredName, node);
        }
        this.nodes.push(node);
        previous.node = node;
        if (item.body.length > 0) this.expand(item.body, node, depth + 1, env, suffix);
      } else if (item.kind === "repeat") {
        const count = this.attemptOr(() =>
          this.evaluator.positiveIntegerConstant(
            this.evaluator.evaluate(item.count, this.scope(env, suffix)),
            item.count.span,
            "repeat count",
          ),
        );
        if (count === undefined) continue;
        if (count > BigInt(this.limits.repeat)) {
          this.error(
            "E0115",
            `repeat count ${count} exceeds the limit of ${this.limits.repeat}`,
            item.count.span,
            TEXT.raiseLimit("split the repeat", "repeat"),
          );
          continue;
        }
        // Refused before expanding when what the body makes at least, times the count, is over.
        const body = this.expansionAtLeast(item.items);
        const regions = BigInt(this.nodes.length) + count * body.regions;
        const steps = BigInt(this.repeatSteps) + count * (BigInt(stepsOf(item.items)) + body.steps);
        if (regions > BigInt(this.limits.regions)) {
          const message = `repeat makes more than ${this.limits.regions} regions (at least ${regions} in all)`;
          this.stopExpansion(message, item.span, "regions");
          return;
        }
        if (steps > BigInt(this.limits.iterations)) {
          const message = `repeats expand to more than ${this.limits.iterations} iterations (at least ${steps})`;
          this.stopExpansion(message, item.span, "iterations");
          return;
        }
        for (let i = 0n; i < count && !this.expansionStopped; i++) {
          // Nested repeats multiply: bound the iterations too, even of empty bodies (the check
          // above counts only the repeats inside the body whose counts are literals).
          this.repeatSteps += stepsOf(item.items);
          if (this.repeatSteps > this.limits.iterations) {
            this.stopExpansion(
              `repeats expand to more than ${this.limits.iterations} iterations`,
              item.span,
              "iterations",
            );
            return;
          }
          const inner = new Map(env);
          if (item.index) inner.set(item.index.name, i);
          this.expand(item.items, parent, depth, inner, `${suffix}_${i}`, previous);
        }
      } else if ((parent !== null || suffix !== "") && !isAttribute(item)) {
        // In a region's body or a repeat: a declaration here would be silently ignored.
        this.error(
          "E0119",
          `\`${item.kind}\` is not allowed inside a region or \`repeat\``,
          item.span,
          item.kind === "include"
            ? "include files at top level or in a `variant`"
            : "move it to top level (or into a `variant`)",
        );
      }
    }
  }

  private expansionStopped = false;
  private repeatSteps = 0;
  private readonly atLeast = new Map<readonly Item[], { regions: bigint; steps: bigint }>();

  /**
   * Regions and repeat iterations `items` make at least, whatever the parameters: a repeat
   * whose count is not a literal counts as none. Computed once per body, so the total cost is
   * the size of the AST however often a body is expanded.
   */
  private expansionAtLeast(items: readonly Item[]): { regions: bigint; steps: bigint } {
    let result = this.atLeast.get(items);
    if (result) return result;
    result = { regions: 0n, steps: 0n };
    for (const item of items) {
      if (item.kind === "region") {
        const body = this.expansionAtLeast(item.body);
        result.regions += 1n + body.regions;
        result.steps += body.steps;
      } else if (item.kind === "repeat" && item.count.kind === "literal") {
        const { num, den } = item.count.value;
        const count = den === 1n && num > 0n ? num : 0n; // else E0109, when expanded
        const body = this.expansionAtLeast(item.items);
        result.regions += count * body.regions;
        result.steps += count * (BigInt(stepsOf(item.items)) + body.steps);
      }
    }
    this.atLeast.set(items, result);
    return result;
  }

  /** Past a resource limit, stop expanding altogether: report once, build nothing more. */
  private stopExpansion(message: string, span: Span, limit: string): void {
    this.error(
      "E0007",
      message,
      span,
      TEXT.raiseLimit("split the layout, lower the repeat counts", limit),
    );
    this.expansionStopped = true;
  }

  private scope(env: ReadonlyMap<string, bigint>, suffix: string): Scope {
    return { lookup: (name) => this.lookup(name, env, suffix), domains: this.domains };
  }

  private lookup(expr: NameExpr, env: ReadonlyMap<string, bigint>, suffix: string): Value {
    const [head, prop, ...rest] = expr.path;
    const name = head!.name;
    if (prop === undefined) {
      const index = env.get(name);
      if (index !== undefined) return valueOf(rat(index));
      const c = this.consts.get(name);
      if (c) return this.constValue(c);
      const p = this.params.get(name);
      if (p) return { exact: rat(p.default), sym: variable(name) };
      if (this.declaredParams.has(name)) throw new EvaluationFailed("parameter already reported");
      if (this.findRegion(name, suffix))
        this.evaluator.fail(
          "E0109",
          `\`${name}\` is a region, not a value`,
          expr.span,
          `use \`${name}.start\`, \`${name}.end\`, \`${name}.size\` or \`${name}.limit\``,
        );
      return this.unknown(head!);
    }
    const node = this.findRegion(name, suffix);
    if (!node) {
      if (this.consts.has(name) || this.params.has(name) || env.has(name))
        this.evaluator.fail(
          "E0109",
          `\`${name}\` is a value and has no \`.${prop.name}\``,
          expr.span,
        );
      return this.unknown(head!);
    }
    if (rest.length > 0 || !["start", "end", "size", "limit"].includes(prop.name))
      this.evaluator.fail(
        "E0101",
        `regions have no property \`${expr.path
          .slice(1)
          .map((p) => p.name)
          .join(".")}\``,
        prop.span,
        "the properties are `start`, `end` (inclusive), `size` and `limit` (end + 1)",
      );
    this.resolveNode(node, expr.span);
    const bound =
      prop.name === "limit" ? offset(node.end!, 1n) : node[prop.name as "start" | "end" | "size"]!;
    return { exact: rat(bound.value), sym: bound.sym };
  }

  /** Inside a repeat, `name` first means this iteration's instance. */
  private findRegion(name: string, suffix: string): RegionNode | undefined {
    return (suffix && this.byName.get(name + suffix)) || this.byName.get(name);
  }

  private unknown(id: Identifier): never {
    const names = [...this.consts.keys(), ...this.declaredParams.keys(), ...this.byName.keys()];
    const close = closest(id.name, names);
    return this.evaluator.fail(
      "E0101",
      `cannot find \`${id.name}\``,
      id.span,
      close ? `a similar name exists: \`${close}\`` : undefined,
    );
  }

  private resolveNode(node: RegionNode, usedAt?: Span): void {
    if (node.state === "done") return;
    if (node.state === "failed") throw new EvaluationFailed("reported");
    if (node.state === "resolving")
      this.evaluator.fail(
        "E0112",
        `the placement of \`${node.declaredName ?? node.decl.regionKind}\` depends on itself`,
        usedAt ?? node.decl.placement.span,
      );
    node.state = "resolving";
    try {
      this.place(node);
      node.state = "done";
    } catch (e) {
      node.state = "failed";
      throw e;
    }
  }

  /**
   * Places a region. A parameter-free form's constant is exactly the bound's value (the
   * invariant `value ∈ bounds(sym)`), so the bounds of a parameter-free region, by far the
   * most common, are built from their values without symbolic arithmetic.
   */
  private place(node: RegionNode): void {
    const p = node.decl.placement;
    const scope = this.scope(node.env, node.suffix);
    let start: Bound;
    if (p.start) {
      start = this.placementAddress(this.evaluator.evaluate(p.start, scope), p.start.span);
    } else {
      if (node.previous) {
        this.resolveNode(node.previous, p.span);
        start = offset(node.previous.end!, 1n);
      } else if (node.parent) {
        this.resolveNode(node.parent, p.span);
        start = node.parent.start!;
      } else {
        return this.evaluator.fail(
          "E0113",
          "relative placement of the first top-level region",
          p.span,
          "give the first region an explicit start address",
        );
      }
      if (p.align) {
        const alignment = this.evaluator.positiveIntegerConstant(
          this.evaluator.evaluate(p.align, scope),
          p.align.span,
          "alignment",
        );
        const v = aligned({ exact: rat(start.value), sym: start.sym }, alignment, "up");
        start = this.placementAddress(v, p.span);
      }
    }
    let end: Bound;
    let declaredEnd: { bound: Bound; span: Span } | undefined;
    const endFrom = (e: Expr): Bound => {
      const b = this.placementAddress(this.evaluator.evaluate(e, scope), e.span);
      return p.endInclusive ? b : offset(b, -1n);
    };
    if (p.size) {
      const sizeValue = this.evaluator.evaluate(p.size, scope);
      const size = this.whole(sizeValue, p.size.span);
      const value = start.value + size - 1n;
      end = {
        value,
        sym:
          isConstant(start.sym) && isConstant(sizeValue.sym)
            ? integer(value)
            : plus(start.sym, plus(sizeValue.sym, integer(-1n))),
      };
      if (p.end) declaredEnd = { bound: endFrom(p.end), span: p.end.span };
    } else if (p.end) {
      end = endFrom(p.end);
    } else {
      return this.evaluator.fail("E0001", "region has neither a size nor an end", p.span);
    }
    node.start = start;
    node.end = end;
    const extent = end.value - start.value + 1n;
    node.size = {
      value: extent,
      sym:
        isConstant(start.sym) && isConstant(end.sym)
          ? integer(extent)
          : plus(end.sym, plus(negated(start.sym), integer(1n))),
    };
    node.declaredEnd = declaredEnd;
  }

  /**
   * A region's start or end: whole, and negative values count down from 2^64 (`-2GB`). It may
   * lie outside the address space: the verifier reports that (E0207) for this region alone and
   * checks the others, instead of one bad region hiding every other finding.
   */
  private placementAddress(v: Value, span: Span): Bound {
    const exact = this.whole(v, span);
    return exact < 0n
      ? { value: exact + ADDRESS_SPACE_END, sym: plus(v.sym, integer(ADDRESS_SPACE_END)) }
      : { value: exact, sym: v.sym };
  }

  /** An address: as `placementAddress`, and inside the address space (E0207). */
  private address(v: Value, span: Span): Bound {
    const { value: exact, sym } = this.placementAddress(v, span);
    if (exact < 0n || exact >= ADDRESS_SPACE_END)
      this.evaluator.fail(
        "E0207",
        `address ${exact < 0n ? "-" : ""}0x${(exact < 0n ? -exact : exact).toString(16)} is outside the 64-bit address space`,
        span,
        "addresses run from 0 to 0xffffffffffffffff; negative addresses count down from 2^64 and reach -16EB at most",
      );
    return { value: exact, sym };
  }

  private whole(v: Value, span: Span): bigint {
    if (!isInteger(v.exact))
      this.evaluator.fail(
        "E0208",
        `value is ${describeFraction(v.exact)} bytes, not a whole number of bytes`,
        span,
        "sizes and addresses must be exact byte counts; check the fraction and the unit",
      );
    return v.exact.num;
  }

  private buildRegions(): Region[] {
    const regions: Region[] = [];
    // An unnamed region is named `KIND_START`, then `KIND_START_2`, `KIND_START_3`, ... for
    // more at the same start, skipping declared names (the keys of `byName`). Two bases never
    // produce the same name (a base is KIND_ and exactly 16 hex digits, and kinds have no `_`),
    // so the next suffix per base is all that must be remembered; 1 stands for the bare base.
    const nextSuffix = new Map<string, number>();
    for (const node of this.nodes) {
      if (node.state !== "done") continue;
      const attrs = this.attributes(node);
      let name = node.declaredName;
      if (name === undefined) {
        const base = `${node.decl.regionKind}_${node.start!.value.toString(16).padStart(16, "0")}`;
        let n = nextSuffix.get(base) ?? 1;
        name = n === 1 ? base : `${base}_${n}`;
        while (this.byName.has(name)) name = `${base}_${++n}`;
        nextSuffix.set(base, n + 1);
      }
      node.name = name;
      const start = node.start!;
      const end = node.end!;
      // Property order as the JSON emitter and tests have always seen it.
      regions.push({
        name,
        kind: node.decl.regionKind,
        description: node.decl.description?.value,
        parent: node.parent?.name ?? null,
        depth: node.depth,
        start,
        end,
        size: node.size!,
        declaredEnd: node.declaredEnd,
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
        exportName: this.exportName(attrs.exportId, name),
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

  private attributes(node: RegionNode): Attributes {
    // Most regions (holes, guards, plain children) have no attributes at all.
    if (!node.decl.body.some(isAttribute)) return NO_ATTRIBUTES;
    const seen = new Map<string, Span>();
    const once = (key: string, span: Span, written = key): boolean => {
      const first = seen.get(key);
      if (first) {
        const message =
          key === "sharing"
            ? "`per_process` and `shared` conflict"
            : `\`${written}\` is given twice`;
        this.report(
          diagnostic("E0110", message, span, {
            labels: [{ span: first, message: "first given here" }],
          }),
        );
        return false;
      }
      seen.set(key, span);
      return true;
    };
    const scope = this.scope(node.env, node.suffix);
    const out: Mutable<Attributes> & { waivers: Waiver[] } = { ...NO_ATTRIBUTES, waivers: [] };
    for (const item of node.decl.body) {
      if (!isAttribute(item)) continue;
      this.attempt(() => {
        switch (item.kind) {
          case "attr-map": {
            if (!once("map", item.span)) return;
            const s = item.source;
            if (s.kind === "phys") {
              const base = this.whole(this.evaluator.evaluate(s.base, scope), s.base.span);
              if (base < 0n || base >= 1n << 52n)
                return this.error(
                  "E0119",
                  "physical address is outside the 52-bit physical address space",
                  s.base.span,
                );
              out.map = { kind: "phys", base, span: s.base.span, decimal: s.decimal };
            } else out.map = { kind: s.kind };
            return;
          }
          case "attr-perm":
            if (!once("perm", item.span)) return;
            if (!PERMISSIONS.includes(item.value.name as Permission))
              return this.error(
                "E0119",
                `unknown permission \`${item.value.name}\``,
                item.value.span,
                "use `r`, `rw`, `rx` or `rwx`",
              );
            out.perm = item.value.name as Permission;
            return;
          case "attr-cache":
            if (!once("cache", item.span)) return;
            if (!CACHE_MODES.includes(item.value.name as CacheMode))
              return this.error(
                "E0119",
                `unknown cache mode \`${item.value.name}\``,
                item.value.span,
                "use `wb`, `wt`, `uc`, `uc_minus`, `wc` or `wp`",
              );
            out.cache = item.value.name as CacheMode;
            return;
          case "attr-flag": {
            const flag = item.flag.name;
            if (!REGION_FLAGS.includes(flag))
              return this.error(
                "E0119",
                `unknown attribute \`${flag}\``,
                item.flag.span,
                `region attributes are \`map\`, \`perm\`, \`cache\`, \`max_page\`, \`align\`, \`export\`, \`allow\`, \`offset\`, \`size\` and the flags ${REGION_FLAGS.map((f) => `\`${f}\``).join(", ")}`,
              );
            const key = flag === "shared" || flag === "per_process" ? "sharing" : flag;
            if (!once(key, item.span, flag)) return;
            if (flag === "user") out.user = true;
            else if (flag === "global") out.global = true;
            else if (flag === "per_process") out.perProcess = true;
            else if (flag === "exhaustive") out.exhaustive = true;
            return;
          }
          case "attr-max-page": {
            if (!once("max_page", item.span)) return;
            const v = this.whole(this.evaluator.evaluate(item.value, scope), item.value.span);
            if (!PAGE_SIZES.has(v))
              return this.error(
                "E0119",
                `${v} bytes is not an x86-64 page size`,
                item.value.span,
                "use `4KB`, `2MB` or `1GB`",
              );
            out.maxPage = v;
            return;
          }
          case "attr-align": {
            if (!once("align", item.span)) return;
            const v = this.evaluator.positiveIntegerConstant(
              this.evaluator.evaluate(item.value, scope),
              item.value.span,
              "alignment",
            );
            if ((v & (v - 1n)) !== 0n)
              return this.error("E0119", `alignment ${v} is not a power of two`, item.value.span);
            out.align = { value: v, span: item.value.span };
            return;
          }
          case "attr-export":
            if (once("export", item.span)) out.exportId = item.name;
            return;
          case "attr-documented": {
            if (!once(item.what, item.span)) return;
            const documented = {
              value: this.evaluator.evaluate(item.value, scope).exact,
              approximate: item.approximate,
              span: item.span,
            };
            if (item.what === "offset") out.documentedOffset = documented;
            else out.documentedSize = documented;
            return;
          }
          case "attr-allow": {
            const entry = findCheck(item.check.name);
            if (!entry || !isWaivable(entry))
              return this.error(
                "E0108",
                entry
                  ? `\`${item.check.name}\` cannot be waived`
                  : `there is no check \`${item.check.name}\``,
                item.check.span,
                entry
                  ? "only layout rules (E02xx, W02xx) can be waived"
                  : "name a check by code (`E0201`) or name (`overlap`); `vmlayout explain` lists them",
              );
            if (!item.reason || item.reason.value.trim() === "")
              return this.error(
                "E0108",
                "a waiver needs a reason",
                item.span,
                `write \`allow ${item.check.name} "why this is fine"\``,
              );
            out.waivers.push({ code: entry.code, reason: item.reason.value, span: item.span });
            return;
          }
        }
      });
    }
    return out;
  }

  // ------------------------------------------------------------ KASLR

  /** A region moves with at most one KASLR group: two would give it two randomised bases. */
  private checkOneGroupEach(groups: readonly KaslrGroup[]): void {
    const groupOf = new Map<string, { group: KaslrGroup; span: Span }>();
    for (const group of groups)
      for (const m of group.members) {
        const first = groupOf.get(m.name);
        if (!first) groupOf.set(m.name, { group, span: m.span });
        else if (first.group !== group)
          this.report(
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

  private resolveKaslr(decl: KaslrDecl): KaslrGroup | undefined {
    const scope = this.scope(new Map(), "");
    const ranges = decl.items.filter((i) => i.kind === "kaslr-range");
    const aligns = decl.items.filter((i) => i.kind === "kaslr-align");
    const members = decl.items.filter((i) => i.kind === "kaslr-members").flatMap((i) => i.names);
    const overlaps = decl.items
      .filter((i) => i.kind === "kaslr-may-overlap")
      .flatMap((i) => i.names);
    if (ranges.length !== 1) {
      this.error(
        "E0118",
        `KASLR group \`${decl.name.name}\` needs exactly one \`range\``,
        ranges[1]?.span ?? decl.name.span,
        "write `range START ..< END`, the range the regions move in",
      );
      return undefined;
    }
    if (aligns.length > 1) this.error("E0118", "`align` is given twice", aligns[1]!.span);
    if (members.length === 0) {
      this.error(
        "E0118",
        `KASLR group \`${decl.name.name}\` has no members`,
        decl.name.span,
        "list the randomised regions in order: `members direct_map vmalloc vmemmap`",
      );
      return undefined;
    }
    const range = ranges[0]!.range;
    const constantAddress = (e: Expr): bigint => {
      const b = this.address(this.evaluator.evaluate(e, scope), e.span);
      if (b.sym.terms.size > 0)
        this.evaluator.fail("E0118", "the KASLR range must not depend on a parameter", e.span);
      return b.value;
    };
    const rangeStart = constantAddress(range.start);
    const rangeEnd = constantAddress(range.end) - (range.endInclusive ? 0n : 1n);
    const align = aligns[0]
      ? this.evaluator.positiveIntegerConstant(
          this.evaluator.evaluate(aligns[0].value, scope),
          aligns[0].value.span,
          "alignment",
        )
      : 1n << 30n;
    const named = (ids: readonly Identifier[]) =>
      ids.map((id) => {
        if (!this.byName.has(id.name)) this.unknown(id);
        return { name: id.name, span: id.span };
      });
    const seen = new Set<string>();
    for (const m of members) {
      if (seen.has(m.name)) this.error("E0118", `\`${m.name}\` is listed twice`, m.span);
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
}

/** A region's attributes as its statement gives them (`exportId`: the `export` name, if any). */
type Attributes = Pick<
  Region,
  | "map"
  | "perm"
  | "user"
  | "global"
  | "perProcess"
  | "cache"
  | "maxPage"
  | "align"
  | "exhaustive"
  | "waivers"
  | "documentedOffset"
  | "documentedSize"
> & { readonly exportId: Identifier | undefined };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The attributes of a region that gives none; shared, so never modified. */
const NO_ATTRIBUTES: Attributes = Object.freeze({
  map: undefined,
  perm: undefined,
  user: false,
  global: false,
  perProcess: false,
  cache: undefined,
  maxPage: undefined,
  align: undefined,
  exportId: undefined,
  exhaustive: false,
  waivers: Object.freeze([]) as readonly Waiver[],
  documentedOffset: undefined,
  documentedSize: undefined,
});

/** `dependsOn` of a region whose bounds are constants; shared, so never modified. */
const NO_PARAMETERS: readonly string[] = Object.freeze([]);

function isAttribute(item: Item): item is Attribute {
  return item.kind.startsWith("attr-");
}

function attributeName(a: Attribute): string {
  switch (a.kind) {
    case "attr-flag":
      return a.flag.name;
    case "attr-max-page":
      return "max_page";
    case "attr-documented":
      return a.what;
    default:
      return a.kind.slice("attr-".length);
  }
}

/** `1844674407370955161 3/5` for 9223372036854775808/5. */
function describeFraction(r: { num: bigint; den: bigint }): string {
  const whole = r.num / r.den;
  const rest = r.num % r.den;
  const sign = r.num < 0n && whole === 0n ? "-" : "";
  return `${sign}${whole} ${rest < 0n ? -rest : rest}/${r.den}`;
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function offset(b: Bound, k: bigint): Bound {
  const value = b.value + k;
  return { value, sym: isConstant(b.sym) ? integer(value) : plus(b.sym, integer(k)) };
}
