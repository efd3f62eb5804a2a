/**
 * What resolving one variant shares: the items in scope, the symbol tables filled while
 * resolving, and reporting. Every error reported here marks the variant failed, so no Layout
 * is built from it.
 */
import { type Code, type Diagnostic, type Span, diagnostic } from "../../diagnostics/diagnostic.js";
import { TEXT } from "../../diagnostics/catalogue.js";
import { closest } from "../../diagnostics/suggest.js";
import type { ParamDomain } from "../../model/affine.js";
import type { Bound, Paging, Param } from "../../model/layout.js";
import type { Limits } from "../../limits.js";
import type {
  ConstDecl,
  Identifier,
  Item,
  LayoutDecl,
  ParamDecl,
  RegionDecl,
  SpecFile,
} from "../ast.js";
import type { Combination } from "./variants.js";
import {
  EvaluationFailed,
  Evaluator,
  type Scope,
  type UserFunction,
  type Value,
} from "../evaluate.js";

/**
 * A definition evaluated on first use: `resolving` while it is, so a use from inside its own
 * evaluation is a cycle (E0112); `resolved` once `done`; `failed` once its error is reported.
 */
export interface Definition<T> {
  state: "pending" | "resolving" | "done" | "failed";
  resolved: T | undefined;
}

/**
 * A region statement instantiated in the tree (repeat iterations give several); it resolves to
 * where the region is.
 */
export interface RegionNode extends Definition<Placed> {
  readonly decl: RegionDecl;
  /** Declared name with the repeat suffixes, or undefined for an unnamed hole/guard. */
  readonly declaredName: string | undefined;
  readonly parent: RegionNode | null;
  readonly previous: RegionNode | null;
  readonly depth: number;
  /** Repeat indices in scope, innermost last. */
  readonly env: ReadonlyMap<string, bigint>;
  readonly suffix: string;
  /** The region's name in the Layout (given by `buildRegions`). */
  name: string | undefined;
}

/** Where a region is: what `place` computes for a node. */
export interface Placed {
  readonly start: Bound;
  readonly end: Bound;
  readonly size: Bound;
  /** The end written beside a size (`S +Z .. E`), which the verifier checks for agreement. */
  readonly declaredEnd: { bound: Bound; span: Span } | undefined;
}

/** A scope that can also place the regions a placement is relative to. */
export interface RegionScope extends Scope {
  /** `node` placed (E0112 at `usedAt` when this is inside its own placement). */
  placed(node: RegionNode, usedAt: Span): Placed;
}

export interface ConstEntry extends Definition<Value> {
  readonly decl: ConstDecl;
}

export class VariantContext {
  readonly evaluator: Evaluator;
  readonly consts = new Map<string, ConstEntry>();
  /** Every parameter declared (first declaration of a name); `params` holds the valid ones. */
  readonly declaredParams = new Map<string, ParamDecl>();
  readonly params = new Map<string, Param>();
  /** The functions declared with `fn` (a namespace of their own, beside the built-ins). */
  readonly functions = new Map<string, UserFunction>();
  readonly domains = new Map<string, ParamDomain>();
  /** Region nodes in source order (repeats expanded), and the named ones by name. */
  readonly nodes: RegionNode[] = [];
  readonly byName = new Map<string, RegionNode>();
  /** The variant's paging mode, set first by the resolver (undefined after E0111). */
  paging: Paging | undefined;
  private errors = false;

  constructor(
    readonly file: SpecFile,
    readonly header: LayoutDecl,
    readonly variant: Combination | null,
    /** The shared items and the variant's values' and `when`s', in source order. */
    readonly items: readonly Item[],
    private readonly reportRaw: (d: Diagnostic) => void,
    readonly limits: Limits,
  ) {
    this.evaluator = new Evaluator((d) => this.report(d));
  }

  /** Whether an error was reported: then the variant builds no Layout. */
  get failed(): boolean {
    return this.errors;
  }

  report(d: Diagnostic): void {
    if (d.severity === "error") this.errors = true;
    this.reportRaw(d);
  }

  error(code: Code, message: string, span: Span | undefined, help?: string): void {
    this.report(diagnostic(code, message, span, help === undefined ? {} : { help }));
  }

  /** Runs `f`; an EvaluationFailed means its diagnostic is already reported: undefined. */
  attempt<T>(f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      if (e instanceof EvaluationFailed) return undefined;
      throw e;
    }
  }

  /** The declaration a constant or parameter named `name` already has. */
  valueDecl(name: string): ConstDecl | ParamDecl | undefined {
    return this.consts.get(name)?.decl ?? this.declaredParams.get(name);
  }

  duplicate(second: Identifier, first: Identifier): void {
    this.report(
      diagnostic("E0102", `\`${second.name}\` is defined twice`, second.span, {
        labels: [{ span: first.span, message: TEXT.firstDefinedHere }],
        help: "give each constant, parameter and region its own name",
      }),
    );
  }

  /** E0101 for a name that is nothing, suggesting the closest declared one. */
  unknown(id: Identifier): never {
    const names = [...this.consts.keys(), ...this.declaredParams.keys(), ...this.byName.keys()];
    const close = closest(id.name, names);
    return this.evaluator.fail(
      "E0101",
      `cannot find \`${id.name}\``,
      id.span,
      close ? `a similar name exists: \`${close}\`` : undefined,
    );
  }
}
