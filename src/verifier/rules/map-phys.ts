/**
 * E0216 phys_alignment: a `map phys` base is a multiple of the region's page size (the mode's
 * smallest, or its `max_page`), as the region's start must be (E0205): a page maps a page-aligned frame.
 * The installer would refuse it; the spec is where the mistake is. A decimal literal whose
 * digits read as hex would be aligned (`1000000` for `0x1000000`) is named in the help.
 */
import { type Context, type Rule, nameLabel } from "../context.js";
import { shortHex, size, tick } from "../../model/format.js";
import { smallestPage } from "../page.js";

export const rule: Rule = { name: "map-phys", codes: ["E0216"], check: checkMapPhys };

function checkMapPhys(ctx: Context): void {
  const smallest = smallestPage(ctx.layout.paging);
  for (const r of ctx.layout.regions) {
    const map = r.map;
    if (map?.kind !== "phys") continue;
    const granule = r.maxPage ?? smallest.bytes;
    if (map.base % granule === 0n) continue;
    const asHex = BigInt(`0x${map.base}`); // the decimal digits read as hex
    const page = r.maxPage !== undefined ? `its \`max_page ${size(granule)}\`` : smallest.text;
    ctx.report("E0216", [r], map.span, () => {
      const below = map.base - (map.base % granule);
      return {
        message: `\`map phys\` of ${tick(r.name)} starts at ${shortHex(map.base)}, which is not a multiple of ${page}`,
        labels: [nameLabel(r, `${tick(r.name)} is mapped with ${size(granule)} pages`)],
        notes: [`it is ${size(map.base - below)} past a multiple of ${size(granule)}`],
        help:
          map.decimal && asHex % granule === 0n
            ? `did you mean \`${shortHex(asHex)}\`? \`${map.base}\` is a decimal number (${shortHex(map.base)})`
            : `map from a multiple of ${size(granule)}, such as ${shortHex(below)} or ${shortHex(below + granule)}` +
              (r.maxPage !== undefined ? ", or lower the region's `max_page`" : ""),
      };
    });
  }
}
