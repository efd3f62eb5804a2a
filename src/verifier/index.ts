/**
 * The verifier: proves the layout rules (E02xx, W02xx) for every allowed parameter value.
 *
 * A rule that fails at the parameter defaults is reported under its own code; one that holds
 * there but fails (or cannot be proved) for some other allowed value is E0210
 * parameter_range, naming the rule and giving a witness. Rules run in the registry's order
 * (rules/index.ts); regions whose bounds are unusable at the defaults (E0207, E0208, E0209)
 * are skipped by later rules.
 * Waivers on regions then suppress findings (W0202 for waivers that suppress nothing), and
 * `denyWarnings` turns warnings into errors.
 */
import type { Layout } from "../model/layout.js";
import {
  compareDiagnostics,
  type Diagnostic,
  type Result,
  type Severity,
  diagnostic,
} from "../diagnostics/diagnostic.js";
import { firstShown } from "../diagnostics/collector.js";
import { Context, type Finding } from "./context.js";
import { RULES } from "./rules/index.js";
import { unusedWaivers } from "./waivers.js";

export interface VerifyOptions {
  /** Report warnings as errors (`--deny-warnings`). */
  readonly denyWarnings?: boolean;
  /**
   * Build at most this many diagnostics: the ones `firstShown` keeps (errors first, then the
   * earliest warnings). The rest are only counted, in `omitted`; messages are not written for
   * them. Unlimited by default.
   */
  readonly maxDiagnostics?: number;
}

export interface Verified extends Result<Layout> {
  /** Diagnostics found but left out by `maxDiagnostics` (0 without a cap). */
  readonly omitted: number;
}

export function verify(layout: Layout, options: VerifyOptions = {}): Verified {
  const ctx = new Context(layout);
  for (const rule of RULES) rule.check(ctx);
  const deny = options.denyWarnings ?? false;
  const severity = (f: Finding): Severity => (deny ? "error" : f.severity);
  const findings = ctx.findings;
  for (const f of unusedWaivers(layout.regions, ctx.usedWaivers, ctx.broken)) findings.push(f);
  // The same stable order as sortDiagnostics: by file, position, code.
  const sorted = findings.sort(compareDiagnostics);
  const shown =
    options.maxDiagnostics === undefined
      ? sorted
      : firstShown(sorted, options.maxDiagnostics, (f) => severity(f) === "error");
  const diagnostics: Diagnostic[] = shown.map((f) => {
    const { message, ...details } = f.describe();
    return diagnostic(f.code, message, f.span, { ...details, severity: severity(f) });
  });
  return { value: layout, diagnostics, omitted: sorted.length - shown.length };
}

export {
  isPowerOfTwo,
  kaslrMemberSizes,
  placeKaslr,
  proveKaslr,
  seededRandom,
} from "../model/kaslr.js";
export type { KaslrPlacement, KaslrProof, KaslrRange, KaslrMemberBounds } from "../model/kaslr.js";
export { canonicalRanges } from "./rules/canonical.js";
export { RULES, VERIFIER_CODES } from "./rules/index.js";
export type { Rule } from "./context.js";
