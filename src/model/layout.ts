/**
 * The resolved Layout: what the compiler hands to the verifier, the emitters and the runtime.
 * One Layout per variant. Every bound is known twice: exactly, at the parameters' default
 * values (`value`), and symbolically over all allowed parameter values (`sym`), so the
 * verifier can prove a rule for every value and the emitters can print the default.
 */
import type { Code, Span } from "../diagnostics/diagnostic.js";
import type { Affine, LinearFact, ParamDomain } from "./affine.js";
import type { Rational } from "./rational.js";

/** What a region stands for: mapped space, an intended hole, a guard, or the non-canonical range. */
export type RegionKind = "region" | "hole" | "guard" | "noncanonical";

/** A value at the defaults plus its symbolic form. Invariant: `value` ∈ bounds(`sym`). */
export interface Bound {
  readonly value: bigint;
  readonly sym: Affine;
}

/** A RISC-V paging mode (privileged spec, 10.3-10.6 "Sv39/Sv48/Sv57"). */
export type SvMode = "sv39" | "sv48" | "sv57";

/** The architecture and paging mode of a Layout; `archOf` (src/arch/registry.ts) gives its `Arch`. */
export type Paging =
  | { readonly arch: "x86_64"; readonly levels: 4 | 5; readonly vaBits: 48 | 57 }
  | {
      readonly arch: "riscv64";
      readonly mode: SvMode;
      readonly levels: 3 | 4 | 5;
      readonly vaBits: 39 | 48 | 57;
    }
  | {
      readonly arch: "aarch64";
      /** Translation granule in KiB (TCR_EL1.TG1/TG0). */
      readonly granule: 4 | 16 | 64;
      /** Lookup levels of a walk: 2 (64K, 39-bit) to 5 (4K, 52-bit with FEAT_LPA2). */
      readonly levels: 2 | 3 | 4 | 5;
      /** Bits of each half (TxSZ = 64 - vaBits); the halves are 2^vaBits bytes each. */
      readonly vaBits: 39 | 42 | 47 | 48 | 52;
    };

export type ParamType = "address" | "size" | "count";

export interface Param extends ParamDomain {
  readonly name: string;
  readonly type: ParamType;
  readonly default: bigint;
  readonly exportName: string;
  readonly description: string | undefined;
  readonly span: Span;
}

/**
 * A `require` among parameters: `fact` holds for every allowed parameter value. A strict
 * relation is tightened on whole numbers (`a < b` is `b - a >= 1` scaled to integers), so
 * `fact` allows exactly the whole values the relation does.
 */
export interface Constraint {
  readonly fact: LinearFact;
  /** The relation as the messages print it (`segkp_size + segzio_size <= 2 TiB`). */
  readonly text: string;
  readonly description: string | undefined;
  readonly span: Span;
}

export interface Constant {
  readonly name: string;
  readonly exportName: string;
  readonly value: Bound;
  readonly description: string | undefined;
  readonly span: Span;
}

export type MapIntent =
  | { readonly kind: "ram" }
  | { readonly kind: "none" }
  | { readonly kind: "alloc" }
  | { readonly kind: "recursive" }
  | {
      readonly kind: "phys";
      readonly base: bigint;
      /** The base expression, and whether it is one decimal integer literal (`1000000`). */
      readonly span: Span;
      readonly decimal: boolean;
    };

export type Permission = "r" | "rw" | "rx" | "rwx";
export type CacheMode = "wb" | "wt" | "uc" | "uc_minus" | "wc" | "wp";

/**
 * A number the documentation states for a region (`offset ~-11MB`, `size 4KB`), at the
 * parameters' defaults; checked against the region by E0215. An offset below zero counts down
 * from 2^64, as an address does.
 */
export interface DocumentedValue {
  readonly value: Rational;
  /** Written with `~`: must hold to within 10% of the value. */
  readonly approximate: boolean;
  readonly span: Span;
}

/** A waived check on one region. `code` is the catalogue code, whichever form was written. */
export interface Waiver {
  readonly code: Code;
  readonly reason: string;
  readonly span: Span;
}

export interface Region {
  /** Unique within the layout. Repeat instances are `name_<i>`. */
  readonly name: string;
  readonly kind: RegionKind;
  readonly description: string | undefined;
  /** Name of the enclosing region, or null at top level. */
  readonly parent: string | null;
  readonly depth: number;
  /**
   * The bounds may lie outside `[0, 2^64)` until the verifier has accepted the layout (it
   * reports that as E0207, region by region); emitters and the installer see only verified ones.
   */
  readonly start: Bound;
  /** Inclusive. */
  readonly end: Bound;
  readonly size: Bound;
  /** When the spec gave start, size and end, the end it wrote (checked by E0206). */
  readonly declaredEnd: { readonly bound: Bound; readonly span: Span } | undefined;
  /** The whole region statement. */
  readonly span: Span;
  /** The name, or the placement when unnamed: where a diagnostic points first. */
  readonly nameSpan: Span;
  readonly placementSpan: Span;
  readonly map: MapIntent | undefined;
  readonly perm: Permission | undefined;
  readonly user: boolean;
  readonly global: boolean;
  readonly perProcess: boolean;
  readonly cache: CacheMode | undefined;
  /** Largest page size the installer may use: 4 KiB, 2 MiB or 1 GiB. */
  readonly maxPage: bigint | undefined;
  readonly align: { readonly value: bigint; readonly span: Span } | undefined;
  readonly exportName: string;
  readonly exhaustive: boolean;
  readonly waivers: readonly Waiver[];
  /** The start and size the documentation states (`offset`, `size` attributes). */
  readonly documentedOffset: DocumentedValue | undefined;
  readonly documentedSize: DocumentedValue | undefined;
  /** Names of the parameters any bound of this region depends on, sorted. */
  readonly dependsOn: readonly string[];
}

export interface KaslrGroup {
  readonly name: string;
  readonly span: Span;
  /** The range the members move in: `start` inclusive, `end` inclusive. */
  readonly rangeStart: bigint;
  readonly rangeEnd: bigint;
  readonly rangeSpan: Span;
  /** Randomisation alignment (Linux: PUD_SIZE, 1 GiB). */
  readonly align: bigint;
  /** Member region names, in the order they are placed (order is preserved at every slide). */
  readonly members: readonly { readonly name: string; readonly span: Span }[];
  /** Regions the range may overlap (KASAN shadow: KASAN disables KASLR). */
  readonly mayOverlap: readonly { readonly name: string; readonly span: Span }[];
}

export interface Layout {
  readonly name: string;
  readonly description: string | undefined;
  /** Null when the spec declares no variants. */
  readonly variant: string | null;
  /** The variant's name in the spec (undefined when there is no variant). */
  readonly variantSpan: Span | undefined;
  readonly paging: Paging;
  /** `exhaustive` at top level: every byte of the 64-bit space must be in some region. */
  readonly exhaustive: boolean;
  readonly params: readonly Param[];
  /** The `require` facts among the parameters (every default satisfies them). */
  readonly constraints: readonly Constraint[];
  readonly constants: readonly Constant[];
  /** Sorted by start at the defaults; a parent comes before its children. */
  readonly regions: readonly Region[];
  readonly kaslr: readonly KaslrGroup[];
  /** Path of the root spec file. */
  readonly file: string;
  readonly span: Span;
}

export const ADDRESS_SPACE_END = 1n << 64n;
