/**
 * The declarations of a variant: its paging mode, and the names of constants and parameters
 * (one namespace with regions, E0102). Parameters are resolved before anything else, since
 * every other value may depend on them; their own bounds must be constants.
 */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import type { Constant, Layout, Param, ParamType } from "../../model/layout.js";
import { isInteger } from "../../model/rational.js";
import { hex, size } from "../../model/format.js";
import type { Expr, FnDecl, Identifier, Item, ParamDecl } from "../ast.js";
import { BUILTIN_FUNCTIONS } from "../evaluate.js";
import { TEXT } from "../../diagnostics/catalogue.js";
import { assertNever } from "../../model/collections.js";
import { isAttribute } from "./attributes.js";
import { address, whole } from "./bounds.js";
import type { ConstEntry, VariantContext } from "./context.js";
import { scopeOf } from "./scope.js";
import { PAGING_MODES } from "../../arch/registry.js";

const PARAM_TYPES: readonly ParamType[] = ["address", "size", "count"];
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The variant's one `paging` mode (E0111 when missing, repeated or unsupported). */
export function paging(ctx: VariantContext): Layout["paging"] | undefined {
  const decls = ctx.items.filter((i) => i.kind === "paging");
  const where = ctx.variant ? ` in variant "${ctx.variant.name}"` : "";
  if (decls.length === 0) {
    ctx.error("E0111", `no paging mode${where}`, ctx.variant?.span ?? ctx.header.span, MODES_HELP);
    return undefined;
  }
  for (const extra of decls.slice(1))
    ctx.report(
      diagnostic("E0111", `paging mode given more than once${where}`, extra.span, {
        labels: [{ span: decls[0]!.span, message: "first given here" }],
      }),
    );
  const mode = decls[0]!.mode;
  const word =
    mode.kind === "literal" && isInteger(mode.value)
      ? String(mode.value.num)
      : mode.kind === "name" && mode.path.length === 1
        ? mode.path[0]!.name
        : undefined;
  const found = word === undefined ? undefined : PAGING_MODES.get(word);
  if (found) return found;
  ctx.error("E0111", "unsupported paging mode", mode.span, MODES_HELP);
  return undefined;
}

const MODES_HELP =
  "write `paging 4` (x86-64 4-level, 48-bit), `paging 5` (x86-64 5-level, 57-bit), `paging sv39`, `paging sv48`, `paging sv57` (RISC-V) or `paging aarch64_<granule>k_<bits>` (AArch64: granule 4, 16 or 64 KiB; 39, 42, 47, 48 or 52 virtual-address bits per half, as `paging aarch64_4k_48`)";

/**
 * Enters a top-level constant or parameter into the symbol tables; refuses a nested variant.
 * Every kind of item is named here, so a new one is a compile error until its pass is chosen.
 */
export function declare(ctx: VariantContext, item: Item): void {
  switch (item.kind) {
    case "const":
    case "param": {
      const name = item.name.name;
      const clash = ctx.valueDecl(name);
      if (clash) ctx.duplicate(item.name, clash.name);
      else if (item.kind === "const")
        ctx.consts.set(name, { decl: item, state: "pending", resolved: undefined });
      else ctx.declaredParams.set(name, item);
      return;
    }
    case "fn":
      return declareFunction(ctx, item);
    case "variant":
      return ctx.error(
        "E0119",
        "variants cannot be nested",
        item.span,
        "declare every variant at top level, or in an `axis` (`when` adds items to a combination)",
      );
    case "axis":
    case "exclude":
      return ctx.error(
        "E0135",
        `\`${item.kind}\` is allowed only at top level`,
        item.span,
        "move it to top level",
      );
    case "when": // spliced by variants.ts
    case "layout": // resolve (index.ts)
    case "include": // spliced by load.ts before resolving
    case "paging":
    case "require": // constraints.ts
    case "region": // expand.ts
    case "repeat":
    case "kaslr": // kaslr.ts
      return;
    default:
      if (isAttribute(item)) return; // attributes.ts
      return assertNever(item, "item");
  }
}

/**
 * Enters a `fn` (E0133 when its name is a built-in's or another function's, E0102 for a
 * parameter named twice); its body is checked by `checkFunctions` once every name is known.
 */
function declareFunction(ctx: VariantContext, decl: FnDecl): void {
  const name = decl.name.name;
  const first = ctx.functions.get(name);
  if (BUILTIN_FUNCTIONS.includes(name) || first) {
    ctx.report(
      diagnostic(
        "E0133",
        first ? `function \`${name}\` is declared twice` : `\`${name}\` is a built-in function`,
        decl.name.span,
        {
          labels: first ? [{ span: first.decl.name.span, message: TEXT.firstDefinedHere }] : [],
          help: "give the function a name of its own",
        },
      ),
    );
    return;
  }
  const params = new Map<string, Identifier>();
  let failed = false;
  for (const p of decl.params) {
    const clash = params.get(p.name);
    if (clash) {
      ctx.duplicate(p, clash);
      failed = true;
    }
    params.set(p.name, p);
  }
  ctx.functions.set(name, { decl, failed, scope: () => scopeOf(ctx) });
}

/** Checks a parameter's type, range, default and alignment, and enters its domain (E0117). */
export function resolveParam(ctx: VariantContext, decl: ParamDecl): void {
  const { evaluator } = ctx;
  if (ctx.params.has(decl.name.name) || ctx.declaredParams.get(decl.name.name) !== decl) return;
  const type = decl.type.name as ParamType;
  if (!PARAM_TYPES.includes(type))
    return ctx.error(
      "E0109",
      `unknown parameter type \`${decl.type.name}\``,
      decl.type.span,
      "the types are `address`, `size` and `count`",
    );
  const scope = scopeOf(ctx);
  const number = (e: Expr): bigint => {
    const v = evaluator.evaluate(e, scope);
    if (v.sym.terms.size > 0)
      evaluator.fail("E0114", "a parameter's range cannot depend on a parameter", e.span);
    return type === "address" ? address(evaluator, v, e.span).value : whole(evaluator, v, e.span);
  };
  const def = number(decl.default);
  const min = number(decl.range.start);
  const max = number(decl.range.end) - (decl.range.endInclusive ? 0n : 1n);
  const align = decl.align
    ? evaluator.positiveIntegerConstant(
        evaluator.evaluate(decl.align, scope),
        decl.align.span,
        "alignment",
      )
    : 1n;
  const problem = paramProblem(decl.name.name, type, def, min, max, align);
  if (problem) return ctx.error("E0117", problem.message, decl.span, problem.help);
  const param: Param = {
    name: decl.name.name,
    type,
    default: def,
    min,
    max,
    align,
    exportName: exportName(ctx, decl.exportName, decl.name.name),
    description: decl.description?.value,
    span: decl.span,
  };
  ctx.params.set(param.name, param);
  ctx.domains.set(param.name, param);
}

/** What is wrong with a parameter's range `min..=max`, default and alignment, if anything. */
function paramProblem(
  name: string,
  type: ParamType,
  def: bigint,
  min: bigint,
  max: bigint,
  align: bigint,
): { message: string; help?: string } | undefined {
  if (min > max) return { message: `range of \`${name}\` is empty` };
  if (def < min || def > max) return { message: `default of \`${name}\` lies outside its range` };
  if (def % align !== 0n) {
    // A count is a number of things; a size or an address is written as the emitters write it.
    const show = (v: bigint): string =>
      type === "count" ? v.toString() : type === "size" ? size(v) : hex(v);
    const step = type === "count" ? align.toString() : size(align);
    const below = def - (((def % align) + align) % align);
    const near = [below, below + align].filter((v) => v >= min && v <= max);
    return {
      message: `default of \`${name}\` = ${show(def)} is not aligned to ${step}`,
      help:
        near.length > 0
          ? `the nearest aligned value${near.length > 1 ? "s are" : " is"} ${near.map(show).join(" and ")}`
          : undefined,
    };
  }
  if ((min + align - 1n) / align > max / align)
    return { message: `range of \`${name}\` holds no aligned value` };
  return undefined;
}

/**
 * The C name a definition is exported as: its `export` name (E0119 unless a C identifier),
 * else its name in capitals.
 */
export function exportName(
  ctx: VariantContext,
  given: Identifier | undefined,
  name: string,
): string {
  if (given && !C_IDENTIFIER.test(given.name))
    ctx.error("E0119", `\`${given.name}\` is not a C identifier`, given.span);
  return given?.name ?? name.toUpperCase();
}

/** A resolved constant (state `done`) as the Layout holds it. */
export function buildConstant(ctx: VariantContext, entry: ConstEntry): Constant {
  const decl = entry.decl;
  const v = entry.resolved!;
  return {
    name: decl.name.name,
    exportName: exportName(ctx, decl.exportName, decl.name.name),
    value: { value: v.exact.num, sym: v.sym }, // whole: constValue refuses a fraction (E0208)
    description: decl.description?.value,
    span: decl.span,
  };
}
