/**
 * Region attributes (`map`, `perm`, `cache`, flags, `max_page`, `align`, `export`, `allow`,
 * documented `offset`/`size`) checked and collected per region, and the one layout attribute
 * allowed at top level (`exhaustive`). Each attribute is given at most once (E0110);
 * `per_process` and `shared` conflict.
 */
import { type Span, diagnostic } from "../../diagnostics/diagnostic.js";
import { findCheck, isWaivable } from "../../diagnostics/catalogue.js";
import type { CacheMode, Permission, Region, Waiver } from "../../model/layout.js";
import { assertNever } from "../../model/collections.js";
import type { Attribute, Identifier, Item } from "../ast.js";
import type { Scope } from "../evaluate.js";
import { whole } from "./bounds.js";
import type { RegionNode, VariantContext } from "./context.js";
import { scopeOf } from "./scope.js";
import { archOf, cacheModes } from "../../arch/registry.js";
import { size } from "../../model/format.js";

/** A region's attributes as its statement gives them (`exportId`: the `export` name, if any). */
export type Attributes = Pick<
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

type Collected = { -readonly [K in keyof Attributes]: Attributes[K] } & { waivers: Waiver[] };

/** Units of the size literals a help text suggests, largest first. */
const LITERAL_UNITS: readonly (readonly [bigint, string])[] = [
  [1n << 40n, "TB"],
  [1n << 30n, "GB"],
  [1n << 20n, "MB"],
  [1n << 10n, "KB"],
];

/** `n` bytes as a spec writes it: `4KB`, `512GB`, `256TB`. */
function sizeLiteral(n: bigint): string {
  const unit = LITERAL_UNITS.find(([bytes]) => n % bytes === 0n);
  return unit ? `${n / unit[0]}${unit[1]}` : String(n);
}

/** `a`, `a or b`, `a, b or c`. */
function alternatives(items: readonly string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

const PERMISSIONS: readonly Permission[] = ["r", "rw", "rx", "rwx"];
/** Every cache mode of any architecture; `cacheModes` says which the paging mode has. */
const CACHE_MODES: readonly CacheMode[] = ["wb", "wt", "uc", "uc_minus", "wc", "wp"];
const REGION_FLAGS = ["user", "global", "per_process", "shared", "exhaustive"];

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

export function isAttribute(item: Item): item is Attribute {
  return item.kind.startsWith("attr-");
}

/**
 * Whether the layout is `exhaustive`; every other attribute at top level is E0119 (it
 * describes a region).
 */
export function layoutExhaustive(ctx: VariantContext): boolean {
  let exhaustive = false;
  for (const item of ctx.items) {
    if (!isAttribute(item)) continue;
    if (item.kind === "attr-flag" && item.flag.name === "exhaustive") exhaustive = true;
    else
      ctx.error(
        "E0119",
        `\`${attributeName(item)}\` is a region attribute and is not allowed at top level`,
        item.span,
        "move it into the braces of the region it describes",
      );
  }
  return exhaustive;
}

/** The attributes of a placed region, each checked; an invalid one is reported and left out. */
export function regionAttributes(ctx: VariantContext, node: RegionNode): Attributes {
  // Most regions (holes, guards, plain children) have no attributes at all.
  if (!node.decl.body.some(isAttribute)) return NO_ATTRIBUTES;
  const collector = new AttributeCollector(ctx, scopeOf(ctx, node.env, node.suffix));
  for (const item of node.decl.body) if (isAttribute(item)) ctx.attempt(() => collector.add(item));
  return collector.out;
}

class AttributeCollector {
  readonly out: Collected = { ...NO_ATTRIBUTES, waivers: [] };
  /** Where each attribute (by key: `sharing` for `per_process`/`shared`) was first given. */
  private readonly seen = new Map<string, Span>();

  constructor(
    private readonly ctx: VariantContext,
    private readonly scope: Scope,
  ) {}

  add(item: Attribute): void {
    switch (item.kind) {
      case "attr-map":
        return this.map(item);
      case "attr-perm":
        if (!this.once("perm", item.span)) return;
        this.out.perm = this.oneOf(item.value, PERMISSIONS, "permission");
        return;
      case "attr-cache":
        if (!this.once("cache", item.span)) return;
        return this.cache(item.value);
      case "attr-flag":
        return this.flag(item);
      case "attr-max-page":
        return this.maxPage(item);
      case "attr-align":
        return this.align(item);
      case "attr-export":
        if (this.once("export", item.span)) this.out.exportId = item.name;
        return;
      case "attr-documented":
        return this.documented(item);
      case "attr-allow":
        return this.allow(item);
      default:
        return assertNever(item, "attribute");
    }
  }

  /** False, after E0110, when `key` was given before. */
  private once(key: string, span: Span, written = key): boolean {
    const first = this.seen.get(key);
    if (!first) {
      this.seen.set(key, span);
      return true;
    }
    const message =
      key === "sharing" ? "`per_process` and `shared` conflict" : `\`${written}\` is given twice`;
    this.ctx.report(
      diagnostic("E0110", message, span, {
        labels: [{ span: first, message: "first given here" }],
      }),
    );
    return false;
  }

  /** `value` if it is one of `allowed`; else E0119 listing them, and undefined. */
  private oneOf<T extends string>(
    value: Identifier,
    allowed: readonly T[],
    what: string,
  ): T | undefined {
    if (allowed.includes(value.name as T)) return value.name as T;
    this.ctx.error(
      "E0119",
      `unknown ${what} \`${value.name}\``,
      value.span,
      `use ${alternatives(allowed.map((a) => `\`${a}\``))}`,
    );
    return undefined;
  }

  private cache(value: Identifier): void {
    const paging = this.ctx.paging;
    const allowed = paging ? cacheModes(paging) : CACHE_MODES;
    if (
      CACHE_MODES.includes(value.name as CacheMode) &&
      !allowed.includes(value.name as CacheMode)
    ) {
      const arch = archOf(paging!);
      return this.ctx.error(
        "E0119",
        `cache mode \`${value.name}\` does not exist with ${arch.name} ${arch.mode}`,
        value.span,
        `use ${alternatives(allowed.map((a) => `\`${a}\``))}`,
      );
    }
    this.out.cache = this.oneOf(value, allowed, "cache mode");
  }

  private map(item: Extract<Attribute, { kind: "attr-map" }>): void {
    if (!this.once("map", item.span)) return;
    const s = item.source;
    if (s.kind !== "phys") {
      this.out.map = { kind: s.kind };
      return;
    }
    const { evaluator } = this.ctx;
    const base = whole(evaluator, evaluator.evaluate(s.base, this.scope), s.base.span);
    if (base < 0n || base >= 1n << 52n)
      return this.ctx.error(
        "E0119",
        "physical address is outside the 52-bit physical address space",
        s.base.span,
      );
    this.out.map = { kind: "phys", base, span: s.base.span, decimal: s.decimal };
  }

  private flag(item: Extract<Attribute, { kind: "attr-flag" }>): void {
    const flag = item.flag.name;
    if (!REGION_FLAGS.includes(flag))
      return this.ctx.error(
        "E0119",
        `unknown attribute \`${flag}\``,
        item.flag.span,
        `region attributes are \`map\`, \`perm\`, \`cache\`, \`max_page\`, \`align\`, \`export\`, \`allow\`, \`offset\`, \`size\` and the flags ${REGION_FLAGS.map((f) => `\`${f}\``).join(", ")}`,
      );
    const key = flag === "shared" || flag === "per_process" ? "sharing" : flag;
    if (!this.once(key, item.span, flag)) return;
    if (flag === "user") this.out.user = true;
    else if (flag === "global") this.out.global = true;
    else if (flag === "per_process") this.out.perProcess = true;
    else if (flag === "exhaustive") this.out.exhaustive = true;
  }

  private maxPage(item: Extract<Attribute, { kind: "attr-max-page" }>): void {
    if (!this.once("max_page", item.span)) return;
    const { evaluator } = this.ctx;
    const v = whole(evaluator, evaluator.evaluate(item.value, this.scope), item.value.span);
    // Without a paging mode (E0111) there are no page sizes to hold it against.
    const arch = this.ctx.paging && archOf(this.ctx.paging);
    if (arch && !arch.pageSizes.includes(v))
      return this.ctx.error(
        "E0119",
        `${size(v)} is not a page size of ${arch.name} ${arch.mode}`,
        item.value.span,
        `use ${alternatives(arch.pageSizes.map((s) => `\`${sizeLiteral(s)}\``))}`,
      );
    this.out.maxPage = v;
  }

  private align(item: Extract<Attribute, { kind: "attr-align" }>): void {
    if (!this.once("align", item.span)) return;
    const { evaluator } = this.ctx;
    const v = evaluator.positiveIntegerConstant(
      evaluator.evaluate(item.value, this.scope),
      item.value.span,
      "alignment",
    );
    if ((v & (v - 1n)) !== 0n)
      return this.ctx.error("E0119", `alignment ${v} is not a power of two`, item.value.span);
    this.out.align = { value: v, span: item.value.span };
  }

  private documented(item: Extract<Attribute, { kind: "attr-documented" }>): void {
    if (!this.once(item.what, item.span)) return;
    const documented = {
      value: this.ctx.evaluator.evaluate(item.value, this.scope).exact,
      approximate: item.approximate,
      span: item.span,
    };
    if (item.what === "offset") this.out.documentedOffset = documented;
    else this.out.documentedSize = documented;
  }

  /** A waiver names a waivable check (a layout rule) and gives a reason (E0108). */
  private allow(item: Extract<Attribute, { kind: "attr-allow" }>): void {
    const entry = findCheck(item.check.name);
    if (!entry || !isWaivable(entry))
      return this.ctx.error(
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
      return this.ctx.error(
        "E0108",
        "a waiver needs a reason",
        item.span,
        `write \`allow ${item.check.name} "why this is fine"\``,
      );
    this.out.waivers.push({ code: entry.code, reason: item.reason.value, span: item.span });
  }
}

/** An attribute's name as written. */
function attributeName(a: Attribute): string {
  switch (a.kind) {
    case "attr-flag":
      return a.flag.name;
    case "attr-max-page":
      return "max_page";
    case "attr-documented":
      return a.what;
    case "attr-map":
    case "attr-perm":
    case "attr-cache":
    case "attr-align":
    case "attr-export":
    case "attr-allow":
      return a.kind.slice("attr-".length);
    default:
      return assertNever(a, "attribute");
  }
}
