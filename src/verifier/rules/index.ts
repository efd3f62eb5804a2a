/**
 * The verifier's rules, in the order they run: `structure` first, since it marks the regions
 * whose bounds are unusable (E0207, E0208, E0209) and the later rules skip them. A new rule is
 * a file here exporting `rule: Rule` (context.ts) and one entry below.
 */
import type { Rule } from "../context.js";
import { rule as structure } from "./structure.js";
import { rule as overlap } from "./overlap.js";
import { rule as containment } from "./containment.js";
import { rule as canonical } from "./canonical.js";
import { rule as alignment } from "./alignment.js";
import { rule as recursive } from "./recursive.js";
import { rule as mapPhys } from "./map-phys.js";
import { rule as gap } from "./gap.js";
import { rule as kaslr } from "./kaslr.js";

export const RULES: readonly Rule[] = [
  structure,
  overlap,
  containment,
  canonical,
  alignment,
  recursive,
  mapPhys,
  gap,
  kaslr,
];

/**
 * The codes the verifier reports besides its rules' own: a rule failing only for some
 * parameter values (E0210, context.ts), a waiver that suppresses nothing (W0202, waivers.ts).
 */
export const VERIFIER_CODES: readonly string[] = ["E0210", "W0202"];
