/**
 * The emit model of a Layout for the C and Rust emitters: how each bound can be written in the
 * target language.
 *
 * A bound is one of:
 *
 *   - fixed: a number, the same for every parameter value;
 *   - linear: `constant + Σ coeff · variable`, over variables the kernel defines: parameters
 *     (`kernel_end`) and KASLR bases (`page_offset_base`: a randomised region and everything
 *     inside it move with its base);
 *   - opaque: it depends on a parameter through `align_up`, `align_down`, `min` or `max`, or
 *     with a fractional coefficient, so it has no exact expression over the variables; the
 *     emitters say so and give its value at the defaults instead.
 */
import { assertNever } from "../../model/collections.js";
import { domainBounds, minus, type Affine } from "../../model/affine.js";
import { kaslrMemberSizes, proveKaslr } from "../../model/kaslr.js";
import {
  ADDRESS_SPACE_END,
  type Constant,
  type KaslrGroup,
  type Layout,
  type Param,
  type Region,
} from "../../model/layout.js";

export interface Term {
  /** The variable's name: a parameter's name, or a KASLR base (`page_offset_base`). */
  readonly variable: string;
  /** Non-zero. */
  readonly coeff: bigint;
}

export type Form =
  | { readonly kind: "fixed"; readonly value: bigint }
  | {
      readonly kind: "linear";
      /** At the defaults. */
      readonly value: bigint;
      /** Exact (not reduced modulo 2^64). */
      readonly constant: bigint;
      /** In the order the variables are declared: parameters first, then KASLR bases. */
      readonly terms: readonly Term[];
    }
  | { readonly kind: "opaque"; readonly value: bigint; readonly variables: readonly string[] };

/** A variable the kernel defines; the emitted header declares it and names its default. */
export interface Variable {
  /** The C variable (and Rust function argument): `kernel_end`, `page_offset_base`. */
  readonly name: string;
  /** Prefix of the macros about it: `KERNEL_END` (`KERNEL_END_DEFAULT`), `PAGE_OFFSET_BASE`. */
  readonly macro: string;
  readonly value: bigint;
}

export interface ParamModel extends Variable {
  readonly param: Param;
}

export interface KaslrMember extends Variable {
  readonly region: Region;
}

export interface KaslrModel {
  readonly group: KaslrGroup;
  readonly members: readonly KaslrMember[];
}

export interface RegionModel {
  readonly region: Region;
  readonly start: Form;
  readonly end: Form;
  /** Undefined when the size is 2^64, which no 64-bit integer holds. */
  readonly size: Form | undefined;
  /** The KASLR member this region moves with (itself or an ancestor). */
  readonly movesWith: KaslrMember | undefined;
}

export interface ConstantModel {
  readonly constant: Constant;
  readonly form: Form;
}

export interface LayoutModel {
  readonly layout: Layout;
  readonly params: readonly ParamModel[];
  readonly kaslr: readonly KaslrModel[];
  readonly regions: readonly RegionModel[];
  readonly constants: readonly ConstantModel[];
  /** By region name. */
  readonly byName: ReadonlyMap<string, RegionModel>;
}

export function model(layout: Layout): LayoutModel {
  const params = layout.params.map((p) => ({
    param: p,
    name: p.name,
    macro: p.exportName,
    value: p.default,
  }));
  const regionByName = new Map(layout.regions.map((r) => [r.name, r]));
  const kaslr = layout.kaslr.map((group) => ({
    group,
    members: group.members.map((m) => {
      const region = regionByName.get(m.name)!;
      const macro = `${region.exportName}_BASE`;
      return { region, name: macro.toLowerCase(), macro, value: region.start.value };
    }),
  }));
  const memberOf = new Map<string, KaslrMember>();
  for (const k of kaslr) for (const m of k.members) memberOf.set(m.region.name, m);
  const order = new Map<string, number>();
  for (const p of params) order.set(p.name, order.size);
  for (const k of kaslr) for (const m of k.members) order.set(m.name, order.size);

  const movesWith = (r: Region): KaslrMember | undefined => {
    for (
      let at: Region | undefined = r;
      at;
      at = at.parent ? regionByName.get(at.parent) : undefined
    ) {
      const m = memberOf.get(at.name);
      if (m) return m;
    }
    return undefined;
  };
  const regions = layout.regions.map((r): RegionModel => {
    const m = movesWith(r);
    const moved = (value: bigint, sym: Affine): Form =>
      m ? formOf(value, minus(sym, m.region.start.sym), order, m.name) : formOf(value, sym, order);
    return {
      region: r,
      start: moved(r.start.value, r.start.sym),
      end: moved(r.end.value, r.end.sym),
      size: r.size.value >= ADDRESS_SPACE_END ? undefined : formOf(r.size.value, r.size.sym, order),
      movesWith: m,
    };
  });
  return {
    layout,
    params,
    kaslr,
    regions,
    constants: layout.constants.map((c) => ({
      constant: c,
      form: formOf(c.value.value, c.value.sym, order),
    })),
    byName: new Map(regions.map((r) => [r.region.name, r])),
  };
}

function formOf(
  value: bigint,
  sym: Affine,
  order: ReadonlyMap<string, number>,
  base?: string,
): Form {
  const slack = sym.slackLo.num !== 0n || sym.slackHi.num !== 0n;
  if (sym.terms.size === 0 && !slack && base === undefined) return { kind: "fixed", value };
  const names = [...sym.terms.keys()];
  if (base !== undefined) names.push(base);
  names.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const integral =
    sym.constant.den === 1n && [...sym.terms.values()].every((c) => c.den === 1n) && !slack;
  if (!integral) return { kind: "opaque", value, variables: names };
  const terms = names.map((variable) => ({
    variable,
    coeff: variable === base ? 1n : sym.terms.get(variable)!.num,
  }));
  return { kind: "linear", value, constant: sym.constant.num, terms };
}

/** The variables a form reads, in declaration order. */
export function variablesOf(f: Form): readonly string[] {
  switch (f.kind) {
    case "fixed":
      return [];
    case "linear":
      return f.terms.map((t) => t.variable);
    case "opaque":
      return f.variables;
    default:
      return assertNever(f, "bound form");
  }
}

/**
 * A linear form as an ordered sum for printing: a positive constant first, then the variables
 * added, then those subtracted, then a negative constant (`kernel_end - 1`,
 * `0xffffff7fffffd000 - user_stack_size`). A constant outside (-2^64, 2^64) is reduced modulo
 * 2^64, which is exact in 64-bit unsigned arithmetic.
 */
export interface Sum {
  /** The first operand, added to nothing; `coeff` of a term is positive here. */
  readonly items: readonly { readonly sign: 1 | -1; readonly term: Term | bigint }[];
}

export function orderedSum(f: Extract<Form, { kind: "linear" }>): Sum {
  let k = f.constant;
  if (k <= -ADDRESS_SPACE_END || k >= ADDRESS_SPACE_END)
    k = ((k % ADDRESS_SPACE_END) + ADDRESS_SPACE_END) % ADDRESS_SPACE_END;
  const items: { sign: 1 | -1; term: Term | bigint }[] = [];
  // An address in the upper half reads best first (`0xfffffe0000000000 + segkpm_size`), an
  // offset last (`page_offset_base + 0x3fffffffffff`).
  const first = k >= 1n << 63n || !f.terms.some((t) => t.coeff > 0n);
  if (k > 0n && first) items.push({ sign: 1, term: k });
  for (const t of f.terms) if (t.coeff > 0n) items.push({ sign: 1, term: t });
  if (k > 0n && !first) items.push({ sign: 1, term: k });
  for (const t of f.terms)
    if (t.coeff < 0n) items.push({ sign: -1, term: { ...t, coeff: -t.coeff } });
  if (k < 0n) items.push({ sign: -1, term: -k });
  return { items };
}

/**
 * Whether evaluating `sum` left to right stays in [0, 2^64) for every allowed value of the
 * variables: parameters over their domains, KASLR bases wherever randomisation can put them.
 * When it does not, the Rust emitter uses wrapping arithmetic.
 */
export function sumStaysInRange(sum: Sum, m: LayoutModel): boolean {
  const range = new Map<string, { lo: bigint; hi: bigint }>();
  for (const p of m.params) range.set(p.name, domainBounds(p.param));
  for (const k of m.kaslr) {
    // Where each base can really be, over every random sequence (the verifier's proof).
    const proof = proveKaslr(k.group, kaslrMemberSizes(m.layout, k.group));
    k.members.forEach((mem, i) => {
      const b = proof.fits ? proof.members[i] : undefined;
      range.set(
        mem.name,
        b ? { lo: b.minStart, hi: b.maxStart } : { lo: k.group.rangeStart, hi: k.group.rangeEnd },
      );
    });
  }
  let lo = 0n;
  let hi = 0n;
  for (const { sign, term } of sum.items) {
    let tlo: bigint, thi: bigint;
    if (typeof term === "bigint") tlo = thi = term;
    else {
      const r = range.get(term.variable);
      if (!r) return false;
      tlo = term.coeff * r.lo;
      thi = term.coeff * r.hi;
      if (tlo >= ADDRESS_SPACE_END || thi >= ADDRESS_SPACE_END) return false;
    }
    if (sign > 0) {
      lo += tlo;
      hi += thi;
    } else {
      lo -= thi;
      hi -= tlo;
    }
    if (lo < 0n || hi >= ADDRESS_SPACE_END) return false;
  }
  return true;
}
