/**
 * What every rule needs: the layout, the parameter domains and defaults, the region tree, and
 * the list of findings. A finding is a diagnostic-to-be. Waivers (`allow overlap "reason"` on a
 * region) are applied as findings are reported: a finding about a region that waives its rule is
 * dropped, and the waiver is marked used.
 *
 * Findings are lazy: a rule records the code and the span (all that sorting and capping need)
 * and a function that writes the text. A layout with 280,000 overlapping regions has 280,000
 * findings, of which the CLI shows 200; only those are written (see `verify`'s
 * `maxDiagnostics`), and a finding is kept small until then.
 */
import type { Bound, Layout, Param, Region, Waiver } from "../model/layout.js";
import { type Code, catalogueEntry } from "../diagnostics/catalogue.js";
import type { Label, Severity, Span } from "../diagnostics/diagnostic.js";
import { list, paramValue, range, tick } from "../model/format.js";
import { type Affine, constrained } from "../model/affine.js";
import { type Counterexample, type Domains, evaluate, floor, restrict, solve } from "./proof.js";

export interface Finding {
  /** The diagnostic's code: the rule's own, or E0210 for a rule failing only for some values. */
  readonly code: Code;
  /** The catalogue severity of `code`. */
  readonly severity: Severity;
  /** Where the diagnostic points; findings are sorted by it before any is written. */
  readonly span: Span | undefined;
  /** Writes the diagnostic's text. */
  readonly describe: () => Report;
}

export interface Details {
  readonly labels?: readonly Label[];
  readonly notes?: readonly string[];
  readonly help?: string;
}

/** What a rule says about a failure: written only if the finding is shown. */
export interface Report extends Details {
  readonly message: string;
}

/**
 * A verifier rule, registered in rules/index.ts: `check` records its findings in the context,
 * under `codes` at the parameter defaults (E0210 when it fails only for other values).
 */
export interface Rule {
  /** The rule file's name (`overlap`). */
  readonly name: string;
  /** The catalogue codes the rule reports. */
  readonly codes: readonly string[];
  readonly check: (ctx: Context) => void;
}

export class Context {
  readonly domains: Domains;
  readonly defaults: ReadonlyMap<string, bigint>;
  readonly params: ReadonlyMap<string, Param>;
  private byNameMap: ReadonlyMap<string, Region> | undefined;
  /** Children of each region (key: name; top level: null), sorted by start at the defaults. */
  readonly children: ReadonlyMap<string | null, readonly Region[]>;
  /**
   * Regions whose bounds are unusable at the defaults (fractional, outside the address space,
   * or empty): already reported, and skipped by the other rules to avoid a cascade.
   */
  readonly broken = new Set<Region>();
  readonly findings: Finding[] = [];
  /** Waivers that suppressed a finding. */
  readonly usedWaivers = new Set<Waiver>();
  /** Regions with a bound that depends on a parameter (or carries slack); usually few. */
  private readonly parametricRegions = new Set<Region>();

  constructor(readonly layout: Layout) {
    this.params = new Map(layout.params.map((p) => [p.name, p]));
    // With `require` facts the proofs run over the polytope; without, over the box alone.
    this.domains =
      layout.constraints.length === 0
        ? this.params
        : constrained(
            this.params,
            layout.constraints.map((c) => c.fact),
          );
    this.defaults = new Map(layout.params.map((p) => [p.name, p.default]));
    const children = new Map<string | null, Region[]>();
    for (const r of layout.regions) {
      const key = r.parent !== null && this.byName.has(r.parent) ? r.parent : null;
      let list = children.get(key);
      if (!list) children.set(key, (list = []));
      list.push(r);
      if (!isFixed(r.start) || !isFixed(r.end) || !isFixed(r.size)) this.parametricRegions.add(r);
    }
    // The layout is sorted already; sort only if it is not (checking is linear).
    for (const list of children.values()) {
      for (let i = 1; i < list.length; i++) {
        if (byStart(list[i - 1]!, list[i]!) > 0) {
          list.sort(byStart);
          break;
        }
      }
    }
    this.children = children;
  }

  /** Regions by name; built on first use (a layout without nesting or KASLR needs none). */
  get byName(): ReadonlyMap<string, Region> {
    if (!this.byNameMap) {
      const byName = new Map<string, Region>();
      for (const r of this.layout.regions) byName.set(r.name, r);
      this.byNameMap = byName;
    }
    return this.byNameMap;
  }

  /** Whether any bound of `r` depends on a parameter (or carries slack). */
  parametric(r: Region): boolean {
    return this.parametricRegions.size > 0 && this.parametricRegions.has(r);
  }

  /** Regions the rules should look at: not broken at the defaults. */
  usable(r: Region): boolean {
    return this.broken.size === 0 || !this.broken.has(r);
  }

  /**
   * Records a rule failure at the defaults under the rule's own code, unless one of `regions`
   * waives it. `describe` writes the text; it runs later, or not at all, so it must depend only
   * on values that do not change (regions, and arguments captured per call, not loop variables
   * that are reassigned).
   */
  report(
    code: Code,
    regions: readonly Region[],
    span: Span | undefined,
    describe: () => Report,
  ): void {
    if (this.waived(code, code, regions)) return;
    this.findings.push({ code, severity: catalogueEntry(code).severity, span, describe });
  }

  /**
   * Records a rule that holds at the defaults but fails (or cannot be proved) for some other
   * parameter value: E0210 naming the rule, with the witness values.
   *
   * `what` completes "... for some parameter values: `a` can overlap `b`"; `at` describes the
   * situation at the witness (positions there), given the witness values merged over the defaults.
   */
  reportParametric(
    rule: Code,
    regions: readonly Region[],
    what: string,
    span: Span | undefined,
    cex: Counterexample,
    at: (values: ReadonlyMap<string, bigint>) => readonly string[],
    details: Details = {},
    code: Code = "E0210",
  ): void {
    if (this.waived(rule, code, regions)) return;
    this.findings.push({
      code,
      severity: catalogueEntry(code).severity,
      span,
      describe: () => this.describeParametric(rule, what, cex, at, details),
    });
  }

  /**
   * Whether a waiver on one of `regions` names the failed `rule` or the diagnostic's `code`;
   * every waiver that does is used.
   */
  private waived(rule: Code, code: Code, regions: readonly Region[]): boolean {
    let waived = false;
    for (const r of regions) {
      for (const w of r.waivers) {
        if (w.code === rule || w.code === code) {
          this.usedWaivers.add(w);
          waived = true;
        }
      }
    }
    return waived;
  }

  private describeParametric(
    rule: Code,
    what: string,
    cex: Counterexample,
    at: (values: ReadonlyMap<string, bigint>) => readonly string[],
    details: Details,
  ): Report {
    const name = catalogueEntry(rule).name;
    const merged = new Map(this.defaults);
    for (const [k, v] of cex.values) merged.set(k, v);
    // In declaration order, so messages do not depend on how the affine form was built.
    const names = this.layout.params.map((q) => q.name).filter((n) => cex.values.has(n));
    const assignment = list(
      names.map((k) => `${tick(k)} = ${paramValue(this.params.get(k), cex.values.get(k)!)}`),
    );
    const message = cex.definite
      ? `\`${name}\` fails for some parameter values: ${what}`
      : `\`${name}\` cannot be proved for every parameter value: ${what}`;
    const notes: string[] = [];
    if (cex.definite) {
      notes.push(`it holds at the defaults, but not when ${assignment}`);
      notes.push(...at(merged));
    } else {
      const why =
        cex.reason ??
        "a bound involves `align_up`, `align_down`, `min` or `max`, which the verifier only knows to lie within an interval, so it cannot rule out a failure";
      notes.push(why + (names.length > 0 ? `; the closest case is ${assignment}` : ""));
    }
    notes.push(...(details.notes ?? []));
    const params =
      names.length > 0 ? `the range of ${list(names.map(tick))}` : "the parameter ranges";
    const help =
      details.help ??
      `narrow ${params} in the \`param\` declaration so the rule holds for every value, or change the layout so it does not depend on ${names.length === 1 ? "it" : "them"}`;
    return { message, labels: details.labels ?? [], notes, help };
  }

  /**
   * Makes sure a counterexample really fails. `failure` lists alternatives, each a list of
   * forms that are all `>= 0` exactly when the rule fails that way (an overlap: both
   * `a.end - b.start` and `b.end - a.start`).
   * The extreme point of a single inequality can miss the failure (a region that jumps over
   * its neighbour in one parameter step changes order without overlapping), so the failure is
   * searched for along each parameter; if none is found, the counterexample becomes "cannot
   * be proved" with `reason`.
   */
  confirm(
    cex: Counterexample,
    failure: readonly (readonly Affine[])[],
    reason: string,
  ): Counterexample {
    if (!cex.definite) return cex;
    const base = new Map(this.defaults);
    for (const [k, v] of cex.values) base.set(k, v);
    for (const forms of failure) {
      const found = solve(forms, base, this.domains) ?? solve(forms, this.defaults, this.domains);
      if (!found) continue;
      // Show the witness's parameters and any other that had to move off its default.
      const values = new Map<string, bigint>();
      for (const [k, v] of restrict(found, forms)) {
        if (cex.values.has(k) || v !== this.defaults.get(k)) values.set(k, v);
      }
      return { values, definite: true };
    }
    return { values: cex.values, definite: false, reason };
  }

  /** Start and inclusive end of `r` at the given parameter values (affine part). */
  at(r: Region, values: ReadonlyMap<string, bigint>): { start: bigint; end: bigint } {
    return {
      start: floor(evaluate(r.start.sym, values, this.defaults)),
      end: floor(evaluate(r.end.sym, values, this.defaults)),
    };
  }

  /** "`name` is 0x..0x.." at the given values. */
  describeAt(r: Region, values: ReadonlyMap<string, bigint>): string {
    const { start, end } = this.at(r, values);
    return `${tick(r.name)} is ${range(start, end)}`;
  }

  parent(r: Region): Region | undefined {
    return r.parent === null ? undefined : this.byName.get(r.parent);
  }
}

function isFixed(b: Bound): boolean {
  const s = b.sym;
  return s.terms.size === 0 && s.slackLo.num === 0n && s.slackHi.num === 0n;
}

/** By start at the defaults; on a tie, the larger region first (a parent before its child). */
export function byStart(a: Region, b: Region): number {
  if (a.start.value !== b.start.value) return a.start.value < b.start.value ? -1 : 1;
  if (a.end.value !== b.end.value) return a.end.value > b.end.value ? -1 : 1;
  return a.depth - b.depth;
}

/** Region description at the defaults: "`name` is 0x..0x..". */
export function describe(r: Region): string {
  return `${tick(r.name)} is ${range(r.start.value, r.end.value)}`;
}

export function nameLabel(r: Region, message?: string): Label {
  return { span: r.nameSpan, message: message ?? describe(r) };
}
