/**
 * Waivers: `allow overlap "reason"` on a region suppresses the findings of that rule about
 * the region, and a waiver that suppresses nothing is W0202 unused_waiver (at the waiver).
 *
 * A finding is about one or more regions (both sides of an overlap); a waiver on any of them
 * suppresses it, and every waiver that matches is used. A waiver matches a finding by the
 * finding's rule or by its code, so on an E0210 (a rule failing only for some parameter
 * values) either `allow overlap` or `allow parameter_range` works. The matching happens as
 * findings are reported (`Context.report`); this module reports the waivers left unused.
 */
import type { Region, Waiver } from "../model/layout.js";
import { catalogueEntry } from "../diagnostics/catalogue.js";
import type { Finding } from "./context.js";
import { tick } from "../model/format.js";

/** A W0202 finding for each waiver in `regions` that is not in `used`. */
export function unusedWaivers(
  regions: readonly Region[],
  used: ReadonlySet<Waiver>,
  unchecked: ReadonlySet<Region> = new Set(),
): Finding[] {
  const findings: Finding[] = [];
  for (const r of regions) {
    // A region whose bounds were unusable was not checked, so its waivers prove nothing.
    if (unchecked.has(r)) continue;
    for (const w of r.waivers) {
      if (used.has(w)) continue;
      findings.push({
        code: "W0202",
        severity: catalogueEntry("W0202").severity,
        span: w.span,
        describe: () => {
          const name = catalogueEntry(w.code).name;
          return {
            message: `waiver \`allow ${name}\` on ${tick(r.name)} suppresses nothing`,
            labels: [
              { span: r.nameSpan, message: `${tick(r.name)} passes \`${name}\` (${w.code})` },
            ],
            ...(w.reason ? { notes: [`its reason: "${w.reason}"`] } : {}),
            help: "remove the waiver; the check it names holds for this region",
          };
        },
      });
    }
  }
  return findings;
}
