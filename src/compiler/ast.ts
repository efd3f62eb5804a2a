/**
 * The typed AST of a spec file. Readonly discriminated unions on `kind`; every node carries a
 * half-open `span` (the CST -> AST boundary converts Chevrotain's inclusive end offsets).
 * Literals are already exact values here: units applied, hex forms decoded. The AST is a
 * superset of valid specs: the resolver (resolve/) rejects what the grammar lets through,
 * where it can give a better diagnostic.
 */
import type { Span } from "../diagnostics/diagnostic.js";
import type { Rational } from "../model/rational.js";
import type { RegionKind } from "../model/layout.js";

export interface Identifier {
  readonly kind: "identifier";
  readonly name: string;
  readonly span: Span;
}

export interface StringLiteral {
  readonly kind: "string";
  /** Escapes already decoded. */
  readonly value: string;
  readonly span: Span;
}

// ---------------------------------------------------------------- expressions

/** A number, size or address literal, units applied: `64TB`, `0xffff_8880_0000_0000`, `0.5 TB`. */
export interface LiteralExpr {
  readonly kind: "literal";
  readonly value: Rational;
  readonly span: Span;
}

/** `name` or a dotted path `direct_map.start`; properties: start, end (inclusive), size, limit (end + 1). */
export interface NameExpr {
  readonly kind: "name";
  readonly path: readonly Identifier[];
  readonly span: Span;
}

/** Unary minus. Where an address is expected, a negative value counts down from 2^64 (`-2GB`). */
export interface NegExpr {
  readonly kind: "neg";
  readonly operand: Expr;
  readonly span: Span;
}

/** C's bitwise complement `~x`: on whole numbers, `-x - 1` (two's complement). */
export interface NotExpr {
  readonly kind: "not";
  readonly operand: Expr;
  readonly span: Span;
}

/** C's bitwise operators, on whole numbers as C's 64-bit types give them (evaluate.ts). */
export type BitwiseOperator = "<<" | ">>" | "&" | "^" | "|";

export interface BinaryExpr {
  readonly kind: "binary";
  readonly op: "+" | "-" | "*" | "/" | BitwiseOperator;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

/**
 * `align_up(x, a)`, `align_down(x, a)`, `min(a, b, ...)`, `max(a, b, ...)` or a function the
 * spec declares with `fn`; the resolver checks the name.
 */
export interface CallExpr {
  readonly kind: "call";
  readonly callee: Identifier;
  readonly args: readonly Expr[];
  readonly span: Span;
}

export type Expr = LiteralExpr | NameExpr | NegExpr | NotExpr | BinaryExpr | CallExpr;

// ---------------------------------------------------------------- statements

/** `layout linux_x86_64 "Linux x86-64"` */
export interface LayoutDecl {
  readonly kind: "layout";
  readonly name: Identifier;
  readonly description: StringLiteral | undefined;
  readonly span: Span;
}

/** `include "linux-common.layout"`: path relative to the including file. */
export interface IncludeDecl {
  readonly kind: "include";
  readonly path: StringLiteral;
  readonly span: Span;
}

/**
 * `paging 4` / `paging 5` (x86-64 4-level / 5-level) or `paging sv39|sv48|sv57` (RISC-V).
 * Any other expression is rejected by the resolver.
 */
export interface PagingDecl {
  readonly kind: "paging";
  readonly mode: Expr;
  readonly span: Span;
}

/** `const kernel_image_size = 512MB export KERNEL_IMAGE_SIZE "doc"` */
export interface ConstDecl {
  readonly kind: "const";
  readonly name: Identifier;
  readonly value: Expr;
  readonly exportName: Identifier | undefined;
  readonly description: StringLiteral | undefined;
  readonly span: Span;
}

/** `fn kv4addr(l4, l3, l2, l1) = (-1 << 47) | (l4 << 39) | ...`: called like the built-ins. */
export interface FnDecl {
  readonly kind: "fn";
  readonly name: Identifier;
  readonly params: readonly Identifier[];
  readonly body: Expr;
  readonly span: Span;
}

export interface RangeExpr {
  readonly start: Expr;
  readonly end: Expr;
  /** `..` is inclusive (as the seed tables are); `..<` is half-open. */
  readonly endInclusive: boolean;
  readonly span: Span;
}

/** `param kernel_end: address = X in A .. B align 4KB export KERNEL_END "doc"` */
export interface ParamDecl {
  readonly kind: "param";
  readonly name: Identifier;
  /** `address`, `size` or `count`; the resolver checks the name. */
  readonly type: Identifier;
  readonly default: Expr;
  readonly range: RangeExpr;
  readonly align: Expr | undefined;
  readonly exportName: Identifier | undefined;
  readonly description: StringLiteral | undefined;
  readonly span: Span;
}

/** The relation of a `require`. */
export type Relation = "<=" | ">=" | "==" | "<" | ">";

/** `require segkp_size + segzio_size <= 2TB "why"`: a linear fact among parameters. */
export interface RequireDecl {
  readonly kind: "require";
  readonly left: Expr;
  readonly relation: Relation;
  readonly right: Expr;
  readonly description: StringLiteral | undefined;
  readonly span: Span;
}

/** `variant "4-level" { ... }`: items that exist only in that variant; top-level items are shared. */
export interface VariantDecl {
  readonly kind: "variant";
  readonly name: StringLiteral;
  readonly items: readonly Item[];
  readonly span: Span;
}

/**
 * `axis sanitizer { variant "kasan" { ... } ... }`: one dimension of the variants. A spec's
 * variants are the product of its axes (its top-level `variant`s are one more, unnamed), each
 * named by its values joined with `+` (`la57+kasan`).
 */
export interface AxisDecl {
  readonly kind: "axis";
  readonly name: Identifier;
  /** The axis's values (`variant`s); anything else here is E0135. */
  readonly items: readonly Item[];
  readonly span: Span;
}

/** `when "la57+kasan" { ... }`: items of every variant that combines all the values named. */
export interface WhenDecl {
  readonly kind: "when";
  readonly combination: StringLiteral;
  readonly items: readonly Item[];
  readonly span: Span;
}

/** `exclude "la57+kasan" ["reason"]`: the variants combining all the values named do not exist. */
export interface ExcludeDecl {
  readonly kind: "exclude";
  readonly combination: StringLiteral;
  readonly reason: StringLiteral | undefined;
  readonly span: Span;
}

/** One statement inside `kaslr NAME { ... }`. */
export type KaslrItem =
  | { readonly kind: "kaslr-range"; readonly range: RangeExpr; readonly span: Span }
  | { readonly kind: "kaslr-align"; readonly value: Expr; readonly span: Span }
  | { readonly kind: "kaslr-members"; readonly names: readonly Identifier[]; readonly span: Span }
  | {
      readonly kind: "kaslr-may-overlap";
      readonly names: readonly Identifier[];
      readonly span: Span;
    };

/** `kaslr memory { range A ..< B; align 1GB; members a b c; may_overlap kasan_shadow }` */
export interface KaslrDecl {
  readonly kind: "kaslr";
  readonly name: Identifier;
  readonly items: readonly KaslrItem[];
  readonly span: Span;
}

export type { RegionKind };

/**
 * Where a region is. Exactly one of these shapes comes from the grammar:
 *   `S +Z`         start + size          `S +Z .. E` all three (checked for agreement)
 *   `S .. E`       start .. end (incl.)  `S ..< E`  half-open end
 *   `+Z`           after the previous sibling (or at the parent's start)
 *   `.. E`         after the previous sibling, ending at E
 *   `align A +Z`   after the previous sibling, start aligned up to A
 */
export interface Placement {
  readonly start: Expr | undefined;
  readonly size: Expr | undefined;
  readonly end: Expr | undefined;
  readonly endInclusive: boolean;
  /** Only for relative placement (`start` undefined). */
  readonly align: Expr | undefined;
  readonly span: Span;
}

/** `ffff888000000000 +64TB direct_map "direct mapping of all physical memory" { ... }` */
export interface RegionDecl {
  readonly kind: "region";
  readonly regionKind: RegionKind;
  /** Optional for holes, guards and the non-canonical range (a name is derived). */
  readonly name: Identifier | undefined;
  readonly description: StringLiteral | undefined;
  readonly placement: Placement;
  /** Attributes, child regions and repeats, in source order. */
  readonly body: readonly Item[];
  readonly span: Span;
}

/** `repeat 7 as i { ... }`: names of regions inside get the suffix `_<i>`. */
export interface RepeatDecl {
  readonly kind: "repeat";
  readonly count: Expr;
  readonly index: Identifier | undefined;
  readonly items: readonly Item[];
  readonly span: Span;
}

/** What physical memory a region maps (runtime intent). */
export type MapSource =
  | { readonly kind: "ram" } // all RAM, from physical 0
  | { readonly kind: "none" } // nothing until used (vmalloc)
  | { readonly kind: "alloc" } // RAM the kernel allocates (heap, stacks)
  | { readonly kind: "recursive" } // recursive page-table slot
  // Fixed physical base (kernel image); `decimal` when it is one decimal integer literal
  // (`1000000`), which the verifier suspects of being hex written without `0x`.
  | { readonly kind: "phys"; readonly base: Expr; readonly decimal: boolean };

/**
 * Region attributes (inside a region body) and layout attributes (top level: `exhaustive`).
 *   map ram | map none | map alloc | map recursive | map phys EXPR
 *   perm r|rw|rx|rwx       user       global       per_process       shared
 *   cache wb|wt|uc|uc_minus|wc|wp     max_page EXPR     align EXPR
 *   export NAME            allow CHECK "reason"       exhaustive
 *   offset [~]EXPR         size [~]EXPR               (numbers the documentation states)
 */
export type Attribute =
  | { readonly kind: "attr-map"; readonly source: MapSource; readonly span: Span }
  | { readonly kind: "attr-perm"; readonly value: Identifier; readonly span: Span }
  | { readonly kind: "attr-flag"; readonly flag: Identifier; readonly span: Span }
  | { readonly kind: "attr-cache"; readonly value: Identifier; readonly span: Span }
  | { readonly kind: "attr-max-page"; readonly value: Expr; readonly span: Span }
  | { readonly kind: "attr-align"; readonly value: Expr; readonly span: Span }
  | { readonly kind: "attr-export"; readonly name: Identifier; readonly span: Span }
  | {
      readonly kind: "attr-documented";
      readonly what: "offset" | "size";
      /** Written with `~`: the document rounds it (checked to within 10%). */
      readonly approximate: boolean;
      readonly value: Expr;
      readonly span: Span;
    }
  | {
      readonly kind: "attr-allow";
      readonly check: Identifier;
      readonly reason: StringLiteral | undefined;
      readonly span: Span;
    };

export type Item =
  | LayoutDecl
  | IncludeDecl
  | PagingDecl
  | ConstDecl
  | FnDecl
  | ParamDecl
  | RequireDecl
  | VariantDecl
  | AxisDecl
  | WhenDecl
  | ExcludeDecl
  | KaslrDecl
  | RegionDecl
  | RepeatDecl
  | Attribute;

/** One parsed file. */
export interface SpecFile {
  readonly kind: "file";
  readonly path: string;
  readonly items: readonly Item[];
  readonly span: Span;
}
