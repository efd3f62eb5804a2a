/**
 * Builds resolved `Layout`s for verifier tests from compact descriptions (the parser and
 * resolver are written separately). Bounds are `bigint`s or affine forms over the parameters
 * (`p("kernel_end")`, `sym(0x1000n, { n: 4096n })`); the builder computes `value` at the
 * defaults, derives the third of start/size/end, and gives every region a distinct span so
 * diagnostics can be matched to regions.
 */
import {
  type Affine,
  constant,
  minus,
  plus,
  scale,
  variable,
  widen,
} from "../../src/model/affine.js";
import type {
  Bound,
  KaslrGroup,
  Layout,
  MapIntent,
  Paging,
  Param,
  ParamType,
  Region,
  RegionKind,
  SvMode,
  Waiver,
} from "../../src/model/layout.js";
import { type Rational, add, compare, mul, rat } from "../../src/model/rational.js";
import { findCheck } from "../../src/diagnostics/catalogue.js";
import { pagingOfLevels, pagingOfMode } from "../../src/arch/registry.js";
import type { Span } from "../../src/diagnostics/diagnostic.js";

export const KiB = 1n << 10n;
export const MiB = 1n << 20n;
export const GiB = 1n << 30n;
export const TiB = 1n << 40n;
export const PiB = 1n << 50n;
export const FILE = "test.layout";

export type Num = bigint | Affine;

export const p = (name: string): Affine => variable(name);
export const c = (v: bigint | Rational): Affine => constant(typeof v === "bigint" ? rat(v) : v);
const toAffine = (n: Num): Affine => (typeof n === "bigint" ? c(n) : n);
/** `constant + Σ coeff · param`, coefficients bigint or rational. */
export function sym(k: bigint | Rational, terms: Record<string, bigint | Rational> = {}): Affine {
  let a = c(k);
  for (const [name, coeff] of Object.entries(terms)) {
    a = plus(a, scale(variable(name), typeof coeff === "bigint" ? rat(coeff) : coeff));
  }
  return a;
}
export const add2 = (a: Num, b: Num): Affine => plus(toAffine(a), toAffine(b));
export const sub2 = (a: Num, b: Num): Affine => minus(toAffine(a), toAffine(b));
/** `align_up(x, a)` as the resolver models it: x plus slack [0, a - 1]. */
export const alignUp = (x: Num, a: bigint): Affine => widen(toAffine(x), rat(0n), rat(a - 1n));
/** `align_down(x, a)`: x minus slack [0, a - 1]. */
export const alignDown = (x: Num, a: bigint): Affine => widen(toAffine(x), rat(1n - a), rat(0n));

export interface ParamDesc {
  name: string;
  default: bigint;
  min: bigint;
  max: bigint;
  align?: bigint;
  type?: ParamType;
}

export interface RegionDesc {
  name: string;
  kind?: RegionKind;
  start: Num;
  /** Give `size` or `end` (inclusive); `end` wins over nothing, `size` over `end`. */
  size?: Num;
  end?: Num;
  /** The end as written in `S +Z .. E` (checked by E0206). */
  declaredEnd?: Num;
  align?: bigint;
  maxPage?: bigint;
  map?: MapIntent["kind"];
  exhaustive?: boolean;
  /** Waived checks, by code or name. */
  allow?: string[];
  children?: RegionDesc[];
}

export interface KaslrDesc {
  name?: string;
  start: bigint;
  /** Exclusive, as `range S ..< E` writes it. */
  end: bigint;
  align: bigint;
  members: string[];
  mayOverlap?: string[];
}

export interface LayoutDesc {
  name?: string;
  /** x86-64 levels, a RISC-V mode or any `Paging` (AArch64's); default 4. */
  paging?: 4 | 5 | SvMode | Paging;
  exhaustive?: boolean;
  params?: ParamDesc[];
  regions: RegionDesc[];
  kaslr?: KaslrDesc[];
}

const span = (start: number, length: number): Span => ({ file: FILE, start, end: start + length });

/**
 * The value at the defaults: the affine part, moved into its slack interval when 0 is not in
 * it (`align_up`/`align_down` of an aligned default is the default itself).
 */
function evalAt(a: Affine, defaults: ReadonlyMap<string, bigint>): Rational {
  const zero = rat(0n);
  let v =
    compare(a.slackLo, zero) > 0
      ? add(a.constant, a.slackLo)
      : compare(a.slackHi, zero) < 0
        ? add(a.constant, a.slackHi)
        : a.constant;
  for (const [name, k] of a.terms) {
    const d = defaults.get(name);
    if (d === undefined) throw new Error(`test layout: unknown parameter ${name}`);
    v = add(v, mul(k, rat(d)));
  }
  return v;
}

/** Every region gets a 1000-character slot of the fake file, in description order. */
export function build(desc: LayoutDesc): Layout {
  const params: Param[] = (desc.params ?? []).map((pd, i) => ({
    name: pd.name,
    type: pd.type ?? "address",
    default: pd.default,
    min: pd.min,
    max: pd.max,
    align: pd.align ?? 1n,
    exportName: pd.name.toUpperCase(),
    description: undefined,
    span: span(10 + i, 1),
  }));
  const defaults = new Map(params.map((q) => [q.name, q.default]));
  const bound = (a: Affine): Bound => {
    const v = evalAt(a, defaults);
    // A fractional default is the verifier's E0208; `value` holds the floor.
    const q = v.num / v.den;
    return { value: v.num < 0n && q * v.den !== v.num ? q - 1n : q, sym: a };
  };
  const regions: Region[] = [];
  let slot = 1;
  const visit = (rd: RegionDesc, parent: Region | null, depth: number): void => {
    const base = 1000 * slot++;
    const start = toAffine(rd.start);
    let sizeA: Affine;
    let end: Affine;
    if (rd.size !== undefined) {
      sizeA = toAffine(rd.size);
      end = plus(plus(start, sizeA), c(-1n));
    } else if (rd.end !== undefined) {
      end = toAffine(rd.end);
      sizeA = plus(minus(end, start), c(1n));
    } else {
      throw new Error(`test layout: region ${rd.name} needs size or end`);
    }
    const waivers: Waiver[] = (rd.allow ?? []).map((check, i) => {
      const entry = findCheck(check);
      if (!entry) throw new Error(`test layout: unknown check ${check}`);
      return { code: entry.code, reason: `reason ${i}`, span: span(base + 500 + 20 * i, 10) };
    });
    const deps = new Set<string>();
    for (const a of [start, sizeA, end]) for (const n of a.terms.keys()) deps.add(n);
    const region: Region = {
      name: rd.name,
      kind: rd.kind ?? "region",
      description: undefined,
      documentedOffset: undefined,
      documentedSize: undefined,
      parent: parent?.name ?? null,
      depth,
      start: bound(start),
      end: bound(end),
      size: bound(sizeA),
      declaredEnd:
        rd.declaredEnd !== undefined
          ? { bound: bound(toAffine(rd.declaredEnd)), span: span(base + 300, 16) }
          : undefined,
      span: span(base, 900),
      nameSpan: span(base + 100, rd.name.length),
      placementSpan: span(base, 50),
      map:
        rd.map === undefined
          ? undefined
          : rd.map === "phys"
            ? { kind: "phys", base: 0n, span: span(base + 400, 1), decimal: false }
            : { kind: rd.map },
      perm: undefined,
      user: false,
      global: false,
      perProcess: false,
      cache: undefined,
      maxPage: rd.maxPage,
      align: rd.align !== undefined ? { value: rd.align, span: span(base + 400, 10) } : undefined,
      exportName: rd.name.toUpperCase(),
      exhaustive: rd.exhaustive ?? false,
      waivers,
      dependsOn: [...deps].sort(),
    };
    regions.push(region);
    for (const child of rd.children ?? []) visit(child, region, depth + 1);
  };
  for (const rd of desc.regions) visit(rd, null, 0);
  // Sorted by start at the defaults, a parent before its children (stable otherwise).
  const order = new Map(regions.map((r, i) => [r, i]));
  regions.sort((a, b) =>
    a.start.value !== b.start.value
      ? a.start.value < b.start.value
        ? -1
        : 1
      : a.depth !== b.depth
        ? a.depth - b.depth
        : order.get(a)! - order.get(b)!,
  );
  const kaslr: KaslrGroup[] = (desc.kaslr ?? []).map((k, i) => {
    const base = 900_000_000 + 10_000 * i;
    return {
      name: k.name ?? "memory",
      span: span(base, 5000),
      rangeStart: k.start,
      rangeEnd: k.end - 1n,
      rangeSpan: span(base + 10, 40),
      align: k.align,
      members: k.members.map((name, j) => ({ name, span: span(base + 100 + 20 * j, name.length) })),
      mayOverlap: (k.mayOverlap ?? []).map((name, j) => ({
        name,
        span: span(base + 500 + 20 * j, name.length),
      })),
    };
  });
  const mode = desc.paging ?? 4;
  return {
    name: desc.name ?? "test",
    description: undefined,
    variant: null,
    variantSpan: undefined,
    paging:
      typeof mode === "string"
        ? pagingOfMode(mode)
        : typeof mode === "number"
          ? pagingOfLevels(mode)
          : mode,
    exhaustive: desc.exhaustive ?? false,
    params,
    constraints: [],
    constants: [],
    regions,
    kaslr,
    file: FILE,
    span: span(0, 5),
  };
}

/** The region named `name` in a built layout. */
export function region(layout: Layout, name: string): Region {
  const r = layout.regions.find((x) => x.name === name);
  if (!r) throw new Error(`no region ${name}`);
  return r;
}
