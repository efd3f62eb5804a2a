/**
 * `require` declarations: linear facts among parameters (`segkp_size + segzio_size <= 2TB`).
 * Each side must be affine in the parameters without slack (E0140: `align_up`, `min` and `max`
 * only bound their result within an interval, which a fact cannot use). A fact without
 * parameters is a static assertion: true, it is dropped; false, it is E0141. The defaults
 * must satisfy every fact (E0142), unless no parameter value satisfies them all together
 * (E0143, which names every fact).
 */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { type Affine, type LinearFact, minus, scale } from "../../model/affine.js";
import { hex, quantity, tick } from "../../model/format.js";
import type { Constraint } from "../../model/layout.js";
import { feasible, rangesOf, satisfies } from "../../model/polytope.js";
import {
  type Rational,
  ZERO,
  add,
  compare,
  formatRational,
  lcm,
  rat,
} from "../../model/rational.js";
import type { Relation, RequireDecl } from "../ast.js";
import type { VariantContext } from "./context.js";
import { scopeOf } from "./scope.js";

/** The variant's constraints, checked against the defaults and for a non-empty space. */
export function resolveConstraints(ctx: VariantContext): Constraint[] {
  const constraints: Constraint[] = [];
  for (const item of ctx.items) {
    if (item.kind !== "require") continue;
    const c = ctx.attempt(() => resolveConstraint(ctx, item));
    if (c) constraints.push(c);
  }
  const defaults = new Map([...ctx.params.values()].map((p) => [p.name, p.default]));
  const broken = constraints.filter((c) => !satisfies(defaults, [c.fact]));
  if (broken.length === 0) return constraints;
  if (
    feasible(
      rangesOf(ctx.domains),
      constraints.map((c) => c.fact),
    ) === false
  ) {
    ctx.report(
      diagnostic("E0143", "no parameter values satisfy every `require`", constraints[0]!.span, {
        labels: constraints.slice(1).map((c) => ({ span: c.span, message: c.text })),
        notes: [`the constraints are ${constraints.map((c) => tick(c.text)).join(", ")}`],
        help: "widen a parameter's range or relax a constraint",
      }),
    );
    return constraints;
  }
  for (const c of broken) {
    const names = [...c.fact.form.terms.keys()];
    const values = names.map((n) => `${tick(n)} = ${showValue(ctx, n, defaults.get(n)!)}`);
    ctx.error(
      "E0142",
      `the parameters' defaults break \`require ${c.text}\``,
      c.span,
      `at the defaults ${values.join(", ")}; change a default so the constraint holds`,
    );
  }
  return constraints;
}

function showValue(ctx: VariantContext, name: string, v: bigint): string {
  const p = ctx.params.get(name);
  return p?.type === "count" ? v.toString() : p?.type === "size" ? quantity(rat(v)) : hex(v);
}

function resolveConstraint(ctx: VariantContext, decl: RequireDecl): Constraint | undefined {
  const scope = scopeOf(ctx);
  const left = ctx.evaluator.evaluate(decl.left, scope);
  const right = ctx.evaluator.evaluate(decl.right, scope);
  for (const [side, v] of [
    [decl.left, left],
    [decl.right, right],
  ] as const) {
    if (compare(v.sym.slackLo, ZERO) !== 0 || compare(v.sym.slackHi, ZERO) !== 0)
      ctx.evaluator.fail(
        "E0140",
        "a `require` must be linear in the parameters",
        side.span,
        "`align_up`, `align_down`, `min` and `max` of a parameter are not linear: state the fact on the parameters themselves",
      );
  }
  const text = `${written(left.sym)} ${decl.relation} ${written(right.sym)}`;
  const fact = factOf(left.sym, decl.relation, right.sym);
  if (fact.form.terms.size === 0) {
    if (satisfies(new Map(), [fact])) return undefined; // a static assertion that holds
    return ctx.evaluator.fail(
      "E0141",
      `\`require ${text}\` is false`,
      decl.span,
      "it names no parameter, so it never holds: correct the values it compares",
    );
  }
  return { fact, text, description: decl.description?.value, span: decl.span };
}

/**
 * `left relation right` as `form >= 0` (or `== 0`). A strict relation over whole parameter
 * values: scaled so every coefficient and the constant are whole, `form > 0` is `form >= 1`.
 */
function factOf(left: Affine, relation: Relation, right: Affine): LinearFact {
  const diff = relation === "<" || relation === "<=" ? minus(right, left) : minus(left, right);
  if (relation === "==") return { form: diff, equal: true };
  if (relation === "<=" || relation === ">=") return { form: diff, equal: false };
  let den = diff.constant.den;
  for (const c of diff.terms.values()) den = lcm(den, c.den);
  const whole = scale(diff, rat(den));
  return { form: { ...whole, constant: add(whole.constant, rat(-1n)) }, equal: false };
}

/** `a + 2 * b - 2 TiB`: an affine form as the messages print it. */
function written(a: Affine): string {
  const parts: string[] = [];
  for (const [name, c] of a.terms) {
    const negative = c.num < 0n;
    const magnitude: Rational = { num: negative ? -c.num : c.num, den: c.den };
    const factor =
      magnitude.num === 1n && magnitude.den === 1n ? "" : `${formatRational(magnitude)} * `;
    parts.push(
      `${parts.length === 0 ? (negative ? "-" : "") : negative ? "- " : "+ "}${factor}${name}`,
    );
  }
  const k = a.constant;
  if (parts.length === 0) return constantText(k);
  if (k.num !== 0n)
    parts.push(
      `${k.num < 0n ? "-" : "+"} ${constantText({ num: k.num < 0n ? -k.num : k.num, den: k.den })}`,
    );
  return parts.join(" ");
}

/** A constant: an address-sized one in hex, a size in units, a small number as it is. */
function constantText(k: Rational): string {
  if (k.den === 1n && (k.num >= 1n << 47n || k.num <= -(1n << 47n))) return hex(k.num);
  return show(k);
}

const show = (k: Rational): string =>
  k.den === 1n && k.num < 4096n && k.num > -4096n ? k.num.toString() : quantity(k);
