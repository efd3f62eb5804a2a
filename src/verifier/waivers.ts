/**
 * Waivers: `allow overlap "reason"` on a region suppresses the findings of that rule about
 * the region, and a waiver that suppresses nothing is W0202 unused_waiver (at the waiver).
 *
 * A finding is about one or more regions (both sides of an overlap); a waiver on any of them
 * suppresses it, and every waiver that matches is used. A waiver matches a finding by the
 * finding's rule or by its code, so on an E0210 (a rule failing only for some parameter
 * values) either `allow overlap` or `allow parameter_range` works.
 */
import type { Region, Waiver } from "../compiler/layout.js";
import { catalogueEntry } from "../diagnostics/catalogue.js";
import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import type { Finding } from "./context.js";
import { tick } from "./format.js";

export function applyWaivers(
  regions: readonly Region[],
  findings: readonly Finding[],
  unchecked: ReadonlySet<Region> = new Set(),
): Diagnostic[] {
  const used = new Set<Waiver>();
  const kept: Diagnostic[] = [];
  for (const f of findings) {
    let waived = false;
    for (const r of f.regions) {
      for (const w of r.waivers) {
        if (w.code === f.rule || w.code === f.diagnostic.code) {
          used.add(w);
          waived = true;
        }
      }
    }
    if (!waived) kept.push(f.diagnostic);
  }
  for (const r of regions) {
    // A region whose bounds were unusable was not checked, so its waivers prove nothing.
    if (unchecked.has(r)) continue;
    for (const w of r.waivers) {
      if (used.has(w)) continue;
      const name = catalogueEntry(w.code).name;
      kept.push(
        diagnostic(
          "W0202",
          `waiver \`allow ${name}\` on ${tick(r.name)} suppresses nothing`,
          w.span,
          {
            labels: [
              { span: r.nameSpan, message: `${tick(r.name)} passes \`${name}\` (${w.code})` },
            ],
            ...(w.reason ? { notes: [`its reason: "${w.reason}"`] } : {}),
            help: "remove the waiver; the check it names holds for this region",
          },
        ),
      );
    }
  }
  return kept;
}
