/**
 * CST -> AST. One visitor method per grammar rule (checked by `validateVisitor`); each gets the
 * node's children and, as its parameter, the node's location.
 *
 * Invariants:
 *   - Spans are half-open: Chevrotain's `endOffset` is inclusive, and `+ 1` is added in exactly
 *     one place (`spanOf`). `Span.file` is the path given to `buildAst`.
 *   - Literals become exact values here: hex forms decoded, decimals exact, units applied
 *     (K = 2^10 ... E = 2^60; stacked units multiply).
 *   - After a syntax error the CST may lack children or hold tokens inserted by recovery. A
 *     method returns `undefined` when a part it needs is missing, and the enclosing item is
 *     dropped; the parser has already reported the error, so nothing is lost silently.
 *   - Expression trees are at most `MAX_EXPR_DEPTH` deep (E0008), so later recursive passes
 *     cannot overflow the stack on `1 + 1 + ... + 1` or `- - - ... x`.
 */
import type { CstNode, CstNodeLocation, IToken } from "chevrotain";
import { STATEMENT_START_HELP, parser, showImage, suggestKeyword } from "../../grammar/parser.js";
import * as T from "../../grammar/tokens.js";
import type * as C from "../../grammar/generated/cst.js";
import { type Code, diagnostic, type Diagnostic, type Span } from "../diagnostics/diagnostic.js";
import { TEXT } from "../diagnostics/catalogue.js";
import type {
  Attribute,
  BinaryExpr,
  ConstDecl,
  FnDecl,
  Expr,
  Identifier,
  IncludeDecl,
  Item,
  KaslrDecl,
  KaslrItem,
  LayoutDecl,
  MapSource,
  PagingDecl,
  ParamDecl,
  Placement,
  RangeExpr,
  Relation,
  RequireDecl,
  RegionDecl,
  RegionKind,
  RepeatDecl,
  SpecFile,
  StringLiteral,
  VariantDecl,
  AxisDecl,
  WhenDecl,
  ExcludeDecl,
} from "./ast.js";
import { mul, parseDecimal, type Rational } from "../model/rational.js";

/** Deepest expression tree the builder produces. */
export const MAX_EXPR_DEPTH = 512;

/** Longest number literal, in digits: a 64-bit value needs at most 20. */
export const MAX_LITERAL_DIGITS = 64;

type Loc = CstNodeLocation | undefined;

/** What `sizeClause` and `endClause` contribute to a placement. */
interface PlacementEnd {
  readonly end: Expr;
  readonly endInclusive: boolean;
}
interface PlacementSize {
  readonly size: Expr;
  readonly end: PlacementEnd | undefined;
}

const BaseVisitor = parser.getBaseCstVisitorConstructor();

const first = <X>(xs: readonly X[] | undefined): X | undefined => xs?.[0];

/** A real token: present, not inserted by error recovery, with a valid offset. */
function real(token: IToken | undefined): IToken | undefined {
  return token && !token.isInsertedInRecovery && Number.isFinite(token.startOffset)
    ? token
    : undefined;
}

/** An integer as a rational (already in lowest terms, so no gcd). */
const int = (num: bigint): Rational => ({ num, den: 1n });

/** The one token under `node`, or undefined when it has more (or none). */
function loneToken(node: CstNode): IToken | undefined {
  let found: IToken | undefined;
  let count = 0;
  const walk = (n: CstNode): void => {
    for (const children of Object.values(n.children))
      for (const child of children) {
        if (count > 1) return;
        if ("image" in child) {
          found = child;
          count++;
        } else walk(child);
      }
  };
  walk(node);
  return count === 1 ? found : undefined;
}

/** Digits of a number literal without its prefix, separators and punctuation. */
function digitCount(image: string): number {
  return image.replace(/^0[xX]/, "").replace(/[_. ]/g, "").length;
}

/** The body of a region written without braces; shared, so never modified. */
const NO_ITEMS: readonly Item[] = Object.freeze([]);

class AstBuilder extends BaseVisitor {
  private path = "";
  private diagnostics: Diagnostic[] = [];
  private readonly depth = new WeakMap<Expr, number>();

  constructor() {
    super();
    this.validateVisitor();
  }

  build(
    cst: C.FileCstNode,
    path: string,
    textLength: number,
  ): { file: SpecFile; diagnostics: Diagnostic[] } {
    const [items, diagnostics] = this.session(path, () => this.file(cst.children, cst.location));
    const span = { file: path, start: 0, end: textLength };
    const file: SpecFile = { kind: "file", path, items, span };
    return { file, diagnostics };
  }

  buildStatement(
    cst: C.StatementCstNode,
    path: string,
  ): { item: Item | undefined; diagnostics: Diagnostic[] } {
    const [item, diagnostics] = this.session(path, () =>
      this.statement(cst.children, cst.location),
    );
    return { item, diagnostics };
  }

  buildExpression(
    cst: C.ExpressionCstNode,
    path: string,
  ): { expr: Expr | undefined; diagnostics: Diagnostic[] } {
    const [expr, diagnostics] = this.session(path, () => this.v<Expr>(cst));
    return { expr, diagnostics };
  }

  /** Runs `build` for the file `path` with a fresh list of diagnostics, which it returns. */
  private session<R>(path: string, build: () => R): [R, Diagnostic[]] {
    this.path = path;
    this.diagnostics = [];
    return [build(), this.diagnostics];
  }

  // ---------------------------------------------------------------- helpers

  /** Visits `node` (if any), passing its location as the parameter. */
  private v<R>(node: { location?: CstNodeLocation } | undefined): R | undefined {
    return node ? (this.visit(node as never, node.location) as R | undefined) : undefined;
  }

  /**
   * Half-open span of a CST location (the one place where 1 is added to `endOffset`).
   *
   * Offsets are below 2^30 (no JavaScript string in V8 is longer: 2^29 - 24 code units,
   * whatever `--limit input` allows), so `| 0` keeps them exact and stores them as small
   * integers: Chevrotain's locations start out as NaN, so their fields hold boxed doubles, and
   * copying those as they are would box every span's offsets too (a heap number each).
   */
  private spanOf(loc: Loc, fallback?: Span): Span {
    const start = loc?.startOffset;
    const end = loc?.endOffset;
    if (start === undefined || !Number.isFinite(start))
      return fallback ?? { file: this.path, start: 0, end: 0 };
    const endExclusive = end !== undefined && Number.isFinite(end) ? end + 1 : start;
    return { file: this.path, start: start | 0, end: Math.max(start, endExclusive) | 0 };
  }

  private tokenSpan(token: IToken): Span {
    return this.spanOf(token);
  }

  private join(a: Span, b: Span): Span {
    return { file: this.path, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
  }

  private error(code: Code, message: string, span: Span, help?: string): void {
    this.diagnostics.push(diagnostic(code, message, span, help === undefined ? {} : { help }));
  }

  private ident(token: IToken | undefined): Identifier | undefined {
    const t = real(token);
    return t && { kind: "identifier", name: t.image, span: this.tokenSpan(t) };
  }

  private string(token: IToken | undefined): StringLiteral | undefined {
    const t = real(token);
    if (!t) return undefined;
    const span = this.tokenSpan(t);
    const value = t.image.slice(1, -1).replace(/\\(.)/g, (whole, ch: string) => {
      const decoded = { '"': '"', "\\": "\\", n: "\n", t: "\t" }[ch];
      if (decoded !== undefined) return decoded;
      this.error(
        "E0001",
        `unknown escape \`${showImage(whole)}\` in a string`,
        span,
        'strings support the escapes `\\"`, `\\\\`, `\\n` and `\\t`',
      );
      return whole;
    });
    return { kind: "string", value, span };
  }

  /** Records the depth of a new expression node; undefined (and E0008) if it is too deep. */
  private expr<E extends Expr>(node: E, children: readonly Expr[]): E | undefined {
    if (children.length === 0) return node; // a leaf: depth 1, the default
    let depth = 1;
    for (const child of children) depth = Math.max(depth, (this.depth.get(child) ?? 1) + 1);
    if (depth > MAX_EXPR_DEPTH) {
      this.error(
        "E0008",
        `expression is nested too deeply (more than ${MAX_EXPR_DEPTH} levels)`,
        node.span,
        "split the expression into several `const` declarations",
      );
      return undefined;
    }
    this.depth.set(node, depth);
    return node;
  }

  private statements(nodes: C.StatementCstNode[] | undefined): Item[] {
    const items: Item[] = [];
    for (const node of nodes ?? []) {
      const item = this.v<Item>(node);
      if (item) items.push(item);
    }
    return items;
  }

  // ---------------------------------------------------------------- structure

  file(ctx: C.FileCstChildren, _loc: Loc): Item[] {
    return this.statements(ctx.statement);
  }

  statement(ctx: C.StatementCstChildren, _loc: Loc): Item | undefined {
    return this.v<Item>(first(ctx.item));
  }

  item(ctx: C.ItemCstChildren, _loc: Loc): Item | undefined {
    const child =
      first(ctx.layoutDecl) ??
      first(ctx.includeDecl) ??
      first(ctx.pagingDecl) ??
      first(ctx.constDecl) ??
      first(ctx.paramDecl) ??
      first(ctx.requireDecl) ??
      first(ctx.variantDecl) ??
      first(ctx.axisDecl) ??
      first(ctx.whenDecl) ??
      first(ctx.excludeDecl) ??
      first(ctx.kaslrDecl) ??
      first(ctx.repeatDecl) ??
      first(ctx.fnDecl) ??
      first(ctx.attribute) ??
      first(ctx.regionDecl);
    return this.v<Item>(child);
  }

  block(ctx: C.BlockCstChildren, _loc: Loc): Item[] {
    return this.statements(ctx.statement);
  }

  // ---------------------------------------------------------------- declarations

  layoutDecl(ctx: C.LayoutDeclCstChildren, loc: Loc): LayoutDecl | undefined {
    const name = this.ident(first(ctx.name));
    if (!name) return undefined;
    const description = this.string(first(ctx.description));
    return { kind: "layout", name, description, span: this.spanOf(loc) };
  }

  includeDecl(ctx: C.IncludeDeclCstChildren, loc: Loc): IncludeDecl | undefined {
    const path = this.string(first(ctx.path));
    return path && { kind: "include", path, span: this.spanOf(loc) };
  }

  pagingDecl(ctx: C.PagingDeclCstChildren, loc: Loc): PagingDecl | undefined {
    const mode = this.v<Expr>(first(ctx.levels));
    return mode && { kind: "paging", mode, span: this.spanOf(loc) };
  }

  constDecl(ctx: C.ConstDeclCstChildren, loc: Loc): ConstDecl | undefined {
    const name = this.ident(first(ctx.name));
    const value = this.v<Expr>(first(ctx.value));
    if (!name || !value) return undefined;
    const exportNode = first(ctx.exportClause);
    const exportName = this.v<Identifier>(exportNode);
    if (exportNode && !exportName) return undefined;
    const description = this.string(first(ctx.description));
    return { kind: "const", name, value, exportName, description, span: this.spanOf(loc) };
  }

  fnDecl(ctx: C.FnDeclCstChildren, loc: Loc): FnDecl | undefined {
    const name = this.ident(first(ctx.name));
    const params = (ctx.params ?? []).map((t) => this.ident(t));
    const body = this.v<Expr>(first(ctx.body));
    if (!name || !body || !real(first(ctx.RParen)) || params.some((p) => !p)) return undefined;
    return { kind: "fn", name, params: params as Identifier[], body, span: this.spanOf(loc) };
  }

  paramDecl(ctx: C.ParamDeclCstChildren, loc: Loc): ParamDecl | undefined {
    const name = this.ident(first(ctx.name));
    const type = this.ident(first(ctx.type));
    const dflt = this.v<Expr>(first(ctx.default));
    const range = this.v<RangeExpr>(first(ctx.rangeExpr));
    if (!name || !type || !dflt || !range) return undefined;
    const align = this.v<Expr>(first(ctx.align));
    if (ctx.Kw_align && !align) return undefined;
    const exportNode = first(ctx.exportClause);
    const exportName = this.v<Identifier>(exportNode);
    if (exportNode && !exportName) return undefined;
    const description = this.string(first(ctx.description));
    return {
      kind: "param",
      name,
      type,
      default: dflt,
      range,
      align,
      exportName,
      description,
      span: this.spanOf(loc),
    };
  }

  requireDecl(ctx: C.RequireDeclCstChildren, loc: Loc): RequireDecl | undefined {
    const left = this.v<Expr>(first(ctx.left));
    const right = this.v<Expr>(first(ctx.right));
    const op = real(first(ctx.Comparison));
    if (!left || !right || !op) return undefined;
    const description = this.string(first(ctx.description));
    const relation = op.image as Relation;
    return { kind: "require", left, relation, right, description, span: this.spanOf(loc) };
  }

  rangeExpr(ctx: C.RangeExprCstChildren, loc: Loc): RangeExpr | undefined {
    const start = this.v<Expr>(first(ctx.start));
    const end = this.v<Expr>(first(ctx.end));
    const op = real(first(ctx.RangeOperator));
    if (!start || !end || !op) return undefined;
    return { start, end, endInclusive: op.tokenType === T.DotDot, span: this.spanOf(loc) };
  }

  variantDecl(ctx: C.VariantDeclCstChildren, loc: Loc): VariantDecl | undefined {
    const name = this.string(first(ctx.name));
    const items = this.v<Item[]>(first(ctx.block));
    if (!name || !items) return undefined;
    return { kind: "variant", name, items, span: this.spanOf(loc) };
  }

  axisDecl(ctx: C.AxisDeclCstChildren, loc: Loc): AxisDecl | undefined {
    const name = this.ident(first(ctx.name));
    const items = this.v<Item[]>(first(ctx.block));
    if (!name || !items) return undefined;
    return { kind: "axis", name, items, span: this.spanOf(loc) };
  }

  whenDecl(ctx: C.WhenDeclCstChildren, loc: Loc): WhenDecl | undefined {
    const combination = this.string(first(ctx.combination));
    const items = this.v<Item[]>(first(ctx.block));
    if (!combination || !items) return undefined;
    return { kind: "when", combination, items, span: this.spanOf(loc) };
  }

  excludeDecl(ctx: C.ExcludeDeclCstChildren, loc: Loc): ExcludeDecl | undefined {
    const combination = this.string(first(ctx.combination));
    if (!combination) return undefined;
    const reason = this.string(first(ctx.reason));
    return { kind: "exclude", combination, reason, span: this.spanOf(loc) };
  }

  kaslrDecl(ctx: C.KaslrDeclCstChildren, loc: Loc): KaslrDecl | undefined {
    const name = this.ident(first(ctx.name));
    if (!name) return undefined;
    const items: KaslrItem[] = [];
    for (const node of ctx.kaslrStatement ?? []) {
      const item = this.v<KaslrItem>(node);
      if (item) items.push(item);
    }
    return { kind: "kaslr", name, items, span: this.spanOf(loc) };
  }

  kaslrStatement(ctx: C.KaslrStatementCstChildren, _loc: Loc): KaslrItem | undefined {
    return this.v<KaslrItem>(first(ctx.kaslrItem));
  }

  kaslrItem(ctx: C.KaslrItemCstChildren, loc: Loc): KaslrItem | undefined {
    const span = this.spanOf(loc);
    if (ctx.Kw_range) {
      const range = this.v<RangeExpr>(first(ctx.rangeExpr));
      return range && { kind: "kaslr-range", range, span };
    }
    if (ctx.Kw_align) {
      const value = this.v<Expr>(first(ctx.expression));
      return value && { kind: "kaslr-align", value, span };
    }
    const names = (ctx.names ?? []).map((t) => this.ident(t));
    if (names.length === 0 || names.some((n) => !n)) return undefined;
    const kind = ctx.Kw_members ? "kaslr-members" : "kaslr-may-overlap";
    return { kind, names: names as Identifier[], span };
  }

  repeatDecl(ctx: C.RepeatDeclCstChildren, loc: Loc): RepeatDecl | undefined {
    const count = this.v<Expr>(first(ctx.count));
    const index = this.ident(first(ctx.index));
    const items = this.v<Item[]>(first(ctx.block));
    if (!count || !items || (ctx.Kw_as && !index)) return undefined;
    return { kind: "repeat", count, index, items, span: this.spanOf(loc) };
  }

  // ---------------------------------------------------------------- regions

  regionDecl(ctx: C.RegionDeclCstChildren, loc: Loc): RegionDecl | undefined {
    const placement = this.v<Placement>(first(ctx.placement));
    if (!placement) return undefined;
    const kindToken = real(first(first(ctx.regionKind)?.children.RegionKind));
    // The keyword's pattern is its text: one shared string instead of a copy per region.
    const regionKind = (kindToken?.tokenType.PATTERN ?? "region") as RegionKind;
    const blockNode = first(ctx.block);
    const body = blockNode ? this.v<Item[]>(blockNode) : NO_ITEMS;
    if (!body) return undefined;
    return {
      kind: "region",
      regionKind,
      name: this.ident(first(ctx.name)),
      description: this.string(first(ctx.description)),
      placement,
      body,
      span: this.spanOf(loc),
    };
  }

  placement(ctx: C.PlacementCstChildren, loc: Loc): Placement | undefined {
    const alignNode = first(ctx.align);
    const startNode = first(ctx.start);
    const sizeNode = first(ctx.sizeClause);
    const endNode = first(ctx.endClause);
    const align = this.v<Expr>(alignNode);
    const start = this.v<Expr>(startNode);
    const sized = this.v<PlacementSize>(sizeNode);
    const ended = this.v<PlacementEnd>(endNode) ?? sized?.end;
    // Every part the grammar saw must have been built, and there must be a size or an end.
    if ((alignNode && !align) || (startNode && !start) || (sizeNode && !sized)) return undefined;
    if ((endNode && !ended) || (!sized && !ended)) return undefined;
    return {
      start,
      size: sized?.size,
      end: ended?.end,
      endInclusive: ended?.endInclusive ?? true,
      align,
      span: this.spanOf(loc),
    };
  }

  sizeClause(ctx: C.SizeClauseCstChildren, _loc: Loc): PlacementSize | undefined {
    const size = this.v<Expr>(first(ctx.size));
    const endNode = first(ctx.endClause);
    const end = this.v<PlacementEnd>(endNode);
    if (!size || (endNode && !end)) return undefined;
    return { size, end };
  }

  endClause(ctx: C.EndClauseCstChildren, _loc: Loc): PlacementEnd | undefined {
    const op = real(first(ctx.RangeOperator));
    const end = this.v<Expr>(first(ctx.end));
    return op && end && { end, endInclusive: op.tokenType === T.DotDot };
  }

  regionKind(_ctx: C.RegionKindCstChildren, _loc: Loc): undefined {
    return undefined; // read directly by regionDecl
  }

  // ---------------------------------------------------------------- attributes

  attribute(ctx: C.AttributeCstChildren, loc: Loc): Attribute | undefined {
    const exportNode = first(ctx.exportClause);
    if (exportNode) {
      const name = this.v<Identifier>(exportNode);
      return name && { kind: "attr-export", name, span: this.spanOf(loc) };
    }
    const child =
      first(ctx.mapAttr) ??
      first(ctx.permAttr) ??
      first(ctx.cacheAttr) ??
      first(ctx.maxPageAttr) ??
      first(ctx.alignAttr) ??
      first(ctx.allowAttr) ??
      first(ctx.flagAttr) ??
      first(ctx.documentedAttr);
    return this.v<Attribute>(child);
  }

  mapAttr(ctx: C.MapAttrCstChildren, loc: Loc): Attribute | undefined {
    const source = this.ident(first(ctx.source));
    if (!source) return undefined;
    const span = this.spanOf(loc);
    const baseNode = first(ctx.base);
    const base = this.v<Expr>(baseNode);
    if (baseNode && !base) return undefined;
    const help = "write `map ram`, `map none`, `map alloc`, `map recursive` or `map phys ADDRESS`";
    let mapped: MapSource;
    switch (source.name) {
      case "ram":
      case "none":
      case "alloc":
      case "recursive":
        if (base) {
          this.error("E0001", `\`map ${source.name}\` takes no address`, base.span, help);
          return undefined;
        }
        mapped = { kind: source.name };
        break;
      case "phys":
        if (!base) {
          this.error("E0001", "`map phys` needs the physical address it maps from", span, help);
          return undefined;
        }
        mapped = {
          kind: "phys",
          base,
          decimal: loneToken(baseNode!)?.tokenType === T.DecimalLiteral,
        };
        break;
      default:
        this.error(
          "E0001",
          `unknown mapping \`${showImage(source.name)}\` after \`map\``,
          source.span,
          help,
        );
        return undefined;
    }
    return { kind: "attr-map", source: mapped, span };
  }

  permAttr(ctx: C.PermAttrCstChildren, loc: Loc): Attribute | undefined {
    const value = this.ident(first(ctx.value));
    return value && { kind: "attr-perm", value, span: this.spanOf(loc) };
  }

  cacheAttr(ctx: C.CacheAttrCstChildren, loc: Loc): Attribute | undefined {
    const value = this.ident(first(ctx.value));
    return value && { kind: "attr-cache", value, span: this.spanOf(loc) };
  }

  maxPageAttr(ctx: C.MaxPageAttrCstChildren, loc: Loc): Attribute | undefined {
    const value = this.v<Expr>(first(ctx.value));
    return value && { kind: "attr-max-page", value, span: this.spanOf(loc) };
  }

  alignAttr(ctx: C.AlignAttrCstChildren, loc: Loc): Attribute | undefined {
    const value = this.v<Expr>(first(ctx.value));
    return value && { kind: "attr-align", value, span: this.spanOf(loc) };
  }

  /** The exported C name (the attribute node is built by `attribute`). */
  exportClause(ctx: C.ExportClauseCstChildren, _loc: Loc): Identifier | undefined {
    return this.ident(first(ctx.name));
  }

  allowAttr(ctx: C.AllowAttrCstChildren, loc: Loc): Attribute | undefined {
    const check = this.ident(first(ctx.check));
    if (!check) return undefined;
    const reason = this.string(first(ctx.reason));
    return { kind: "attr-allow", check, reason, span: this.spanOf(loc) };
  }

  flagAttr(ctx: C.FlagAttrCstChildren, loc: Loc): Attribute | undefined {
    const flag = this.ident(first(ctx.Flag));
    return flag && { kind: "attr-flag", flag, span: this.spanOf(loc) };
  }

  documentedAttr(ctx: C.DocumentedAttrCstChildren, loc: Loc): Attribute | undefined {
    const what = this.ident(first(ctx.what));
    if (!what) return undefined;
    if (what.name !== "offset" && what.name !== "size") {
      const meant = suggestKeyword(what.name);
      const help = meant ? TEXT.didYouMean(meant) : STATEMENT_START_HELP;
      this.error("E0001", `unknown attribute \`${showImage(what.name)}\``, what.span, help);
      return undefined;
    }
    const valueNode = first(ctx.value);
    if (!valueNode) {
      const example = what.name === "offset" ? "-128TB" : "~0.5MB";
      this.error(
        "E0001",
        `\`${what.name}\` needs a value`,
        this.spanOf(loc),
        `write the number the document gives, as in \`${what.name} ${example}\` (\`~\` for a rounded one)`,
      );
      return undefined;
    }
    const value = this.v<Expr>(valueNode);
    if (!value) return undefined;
    const approximate = ctx.approximate !== undefined;
    return { kind: "attr-documented", what: what.name, approximate, value, span: this.spanOf(loc) };
  }

  // ---------------------------------------------------------------- expressions

  expression(ctx: C.ExpressionCstChildren, _loc: Loc): Expr | undefined {
    return this.v<Expr>(first(ctx.bitOr));
  }

  bitOr(ctx: C.BitOrCstChildren, _loc: Loc): Expr | undefined {
    return this.fold(ctx.operands, ctx.operators);
  }

  bitXor(ctx: C.BitXorCstChildren, _loc: Loc): Expr | undefined {
    return this.fold(ctx.operands, ctx.operators);
  }

  bitAnd(ctx: C.BitAndCstChildren, _loc: Loc): Expr | undefined {
    return this.fold(ctx.operands, ctx.operators);
  }

  shift(ctx: C.ShiftCstChildren, _loc: Loc): Expr | undefined {
    return this.fold(ctx.operands, ctx.operators);
  }

  additive(ctx: C.AdditiveCstChildren, _loc: Loc): Expr | undefined {
    return this.fold(ctx.operands, ctx.operators);
  }

  multiplicative(ctx: C.MultiplicativeCstChildren, _loc: Loc): Expr | undefined {
    return this.fold(ctx.operands, ctx.operators);
  }

  /** Left-associative chain `a op b op c`; spans run from the first operand's node. */
  private fold(
    operands: readonly { location?: CstNodeLocation }[] | undefined,
    operators: readonly IToken[] | undefined,
  ): Expr | undefined {
    const nodes = operands ?? [];
    let left = this.v<Expr>(nodes[0]);
    if (!left || nodes.length === 1) return left;
    const startSpan = this.spanOf(nodes[0]!.location, left.span);
    for (let i = 1; i < nodes.length; i++) {
      const right = this.v<Expr>(nodes[i]);
      const op = real(operators?.[i - 1]);
      if (!right || !op) return undefined;
      const span = this.join(startSpan, this.spanOf(nodes[i]!.location, right.span));
      const node: BinaryExpr = {
        kind: "binary",
        op: op.image as BinaryExpr["op"],
        left,
        right,
        span,
      };
      left = this.expr(node, [left, right]);
      if (!left) return undefined;
    }
    return left;
  }

  /** `- ~ x`: one `neg` per minus sign, one `not` per tilde, innermost last. */
  unary(ctx: C.UnaryCstChildren, loc: Loc): Expr | undefined {
    let operand = this.v<Expr>(first(ctx.primary));
    const prefixes = ctx.prefixes;
    if (!operand || !prefixes) return operand;
    const end = this.spanOf(loc, operand.span).end;
    for (let i = prefixes.length - 1; i >= 0 && operand; i--) {
      const span = { file: this.path, start: prefixes[i]!.startOffset, end };
      const kind = prefixes[i]!.tokenType === T.Tilde ? "not" : "neg";
      operand = this.expr({ kind, operand, span }, [operand]);
    }
    return operand;
  }

  primary(ctx: C.PrimaryCstChildren, _loc: Loc): Expr | undefined {
    return this.v<Expr>(first(ctx.sizeLiteral) ?? first(ctx.reference) ?? first(ctx.parenExpr));
  }

  sizeLiteral(ctx: C.SizeLiteralCstChildren, loc: Loc): Expr | undefined {
    const token = real(first(ctx.number));
    if (!token) return undefined;
    let value = this.numberValue(token);
    if (!value) return undefined;
    let shift = 0n;
    for (const unit of ctx.units ?? []) shift += T.unitShift.get(unit.tokenType) ?? 0n;
    if (shift > 0n)
      value = value.den === 1n ? int(value.num << shift) : mul(value, int(1n << shift));
    return this.expr({ kind: "literal", value, span: this.spanOf(loc) }, []);
  }

  /** The exact value of a number token, or undefined (with E0005) for a bad literal. */
  private numberValue(token: IToken): Rational | undefined {
    const image = token.image;
    // A literal has no more digits than characters: only a long one needs counting.
    const digits = image.length > MAX_LITERAL_DIGITS ? digitCount(image) : 0;
    if (digits > MAX_LITERAL_DIGITS) {
      this.error(
        "E0005",
        `number is too long (${digits} digits)`,
        this.tokenSpan(token),
        "a 64-bit address needs at most 16 hex or 20 decimal digits",
      );
      return undefined;
    }
    const plain = (text: string): string => (text.includes("_") ? text.replace(/_/g, "") : text);
    switch (token.tokenType) {
      case T.GayBsdPair:
        return int(BigInt(`0x${image.replace(" ", "")}`));
      case T.SolarisDotted:
        return int(BigInt(`0x${image.slice(2).replace(".", "")}`));
      case T.HexLiteral:
        return int(BigInt(`0x${plain(image.slice(2))}`));
      case T.BareHex:
        return int(BigInt(`0x${plain(image)}`));
      default: {
        const text = plain(image);
        const dot = text.indexOf(".");
        const whole = dot < 0 ? text : text.slice(0, dot);
        if (whole.length > 1 && whole.startsWith("0")) {
          this.error(
            "E0005",
            `decimal number \`${showImage(image)}\` has a leading zero`,
            this.tokenSpan(token),
            `a bare hex address needs exactly 16 hex digits (this has ${whole.length}) or a \`0x\` prefix; ` +
              "a decimal number starts with a nonzero digit",
          );
          return undefined;
        }
        return dot < 0 ? int(BigInt(text)) : parseDecimal(text);
      }
    }
  }

  /** `name`, `name.prop`, or `f(args)`. */
  reference(ctx: C.ReferenceCstChildren, loc: Loc): Expr | undefined {
    const head = this.ident(first(ctx.head));
    if (!head) return undefined;
    const span = this.spanOf(loc);
    const argsNode = first(ctx.arguments);
    if (argsNode) {
      const args = this.v<Expr[]>(argsNode);
      if (!args) return undefined;
      if (ctx.properties) {
        this.error(
          "E0001",
          `cannot take a property of the call \`${showImage(head.name)}(...)\``,
          span,
          "properties such as `.start` belong to region names",
        );
        return undefined;
      }
      return this.expr({ kind: "call", callee: head, args, span }, args);
    }
    const properties = (ctx.properties ?? []).map((t) => this.ident(t));
    if (properties.some((p) => !p)) return undefined;
    // A lone name made of 8+ hex digits is a mistyped address (`ffff88800000000`, 15 digits).
    const hexDigits = /^[0-9A-Fa-f_]+$/.test(head.name) ? head.name.replace(/_/g, "").length : 0;
    if (
      properties.length === 0 &&
      (hexDigits >= 12 || (hexDigits >= 8 && /[0-9]/.test(head.name)))
    ) {
      this.error(
        "E0005",
        `\`${showImage(head.name)}\` looks like a hex address but has ${hexDigits} digits`,
        span,
        "a bare hex address has exactly 16 hex digits (pad with leading zeros), or write it with `0x`",
      );
      return undefined;
    }
    const path = [head, ...(properties as Identifier[])];
    return this.expr({ kind: "name", path, span }, []);
  }

  arguments(ctx: C.ArgumentsCstChildren, _loc: Loc): Expr[] | undefined {
    const args = (ctx.expression ?? []).map((node) => this.v<Expr>(node));
    return args.every((a) => a !== undefined) ? (args as Expr[]) : undefined;
  }

  /** A parenthesised expression keeps its node but takes the span of the parentheses. */
  parenExpr(ctx: C.ParenExprCstChildren, loc: Loc): Expr | undefined {
    const inner = this.v<Expr>(first(ctx.expression));
    if (!inner || !real(first(ctx.RParen))) return undefined;
    const wrapped = { ...inner, span: this.spanOf(loc, inner.span) };
    this.depth.set(wrapped, this.depth.get(inner) ?? 1);
    return wrapped;
  }
}

const builder = new AstBuilder();

/**
 * Builds the AST of one parsed file whose text has `textLength` UTF-16 code units. The
 * diagnostics are literal and shape errors (E0001, E0005, E0008).
 */
export function buildAst(
  cst: C.FileCstNode,
  path: string,
  textLength: number,
): { file: SpecFile; diagnostics: Diagnostic[] } {
  return builder.build(cst, path, textLength);
}

/** Builds the item of one top-level statement (undefined for an empty or broken statement). */
export function buildStatement(
  cst: C.StatementCstNode,
  path: string,
): { item: Item | undefined; diagnostics: Diagnostic[] } {
  return builder.buildStatement(cst, path);
}

/** Builds the AST of one expression (undefined for a broken one, with its diagnostics). */
export function buildExpression(
  cst: C.ExpressionCstNode,
  path: string,
): { expr: Expr | undefined; diagnostics: Diagnostic[] } {
  return builder.buildExpression(cst, path);
}
