/**
 * The verifier: proves the layout rules (E02xx, W02xx) for every allowed parameter value.
 *
 * A rule that fails at the parameter defaults is reported under its own code; one that holds
 * there but fails (or cannot be proved) for some other allowed value is E0210
 * parameter_range, naming the rule and giving a witness. Rules run in a fixed order; regions
 * whose bounds are unusable at the defaults (E0207, E0208, E0209) are skipped by later rules.
 * Waivers on regions then suppress findings (W0202 for waivers that suppress nothing), and
 * `denyWarnings` turns warnings into errors.
 */
import type { Layout } from "../compiler/layout.js";
import { type Diagnostic, type Result, sortDiagnostics } from "../diagnostics/diagnostic.js";
import { Context } from "./context.js";
import { checkKaslr } from "./kaslr.js";
import { checkAlignment } from "./rules/alignment.js";
import { checkCanonical } from "./rules/canonical.js";
import { checkContainment } from "./rules/containment.js";
import { checkGaps } from "./rules/gap.js";
import { checkOverlap } from "./rules/overlap.js";
import { checkRecursive } from "./rules/recursive.js";
import { checkStructure } from "./rules/structure.js";
import { applyWaivers } from "./waivers.js";

export interface VerifyOptions {
  /** Report warnings as errors (`--deny-warnings`). */
  readonly denyWarnings?: boolean;
}

export function verify(layout: Layout, options: VerifyOptions = {}): Result<Layout> {
  const ctx = new Context(layout);
  checkStructure(ctx);
  checkOverlap(ctx);
  checkContainment(ctx);
  checkCanonical(ctx);
  checkAlignment(ctx);
  checkRecursive(ctx);
  checkGaps(ctx);
  checkKaslr(ctx);
  let diagnostics: Diagnostic[] = applyWaivers(layout.regions, ctx.findings, ctx.broken);
  if (options.denyWarnings) {
    diagnostics = diagnostics.map((d) =>
      d.severity === "warning" ? { ...d, severity: "error" } : d,
    );
  }
  return { value: layout, diagnostics: sortDiagnostics(diagnostics) };
}

export { isPowerOfTwo, kaslrMemberSizes, placeKaslr, proveKaslr, seededRandom } from "./kaslr.js";
export type { KaslrPlacement, KaslrProof, KaslrRange, KaslrMemberBounds } from "./kaslr.js";
export { canonicalRanges } from "./rules/canonical.js";
