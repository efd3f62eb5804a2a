/**
 * E0214 recursive_slot: a region with `map recursive` is the recursive page-table slot, so it
 * is exactly one top-level page-table entry: 512 GiB on a 512 GiB boundary with 4-level
 * paging (a PML4 entry), 256 TiB on a 256 TiB boundary with 5-level paging (a PML5 entry).
 * Where the architecture cannot recurse (`recursiveSlot`: RISC-V, and AArch64 as vmlayout
 * installs it) no region may ask for it.
 */
import { type Context, type Rule, nameLabel } from "../context.js";
import { hex, size, tick } from "../../model/format.js";
import { evaluate, floor, refuteEqual, refuteMultiple } from "../proof.js";
import { archOf, noRecursiveSlot, recursiveSlot } from "../../arch/registry.js";

export const rule: Rule = { name: "recursive", codes: ["E0214"], check: checkRecursive };

function checkRecursive(ctx: Context): void {
  const arch = archOf(ctx.layout.paging);
  const slot = recursiveSlot(ctx.layout.paging);
  for (const r of ctx.layout.regions) {
    if (r.map?.kind !== "recursive" || !ctx.usable(r)) continue;
    const labels = [nameLabel(r)];
    if (slot === undefined) {
      ctx.report("E0214", [r], r.nameSpan, () => ({
        message: `${tick(r.name)} asks for a recursive page-table slot, which ${arch.name} ${arch.mode} cannot have`,
        labels,
        notes: [noRecursiveSlot(ctx.layout.paging)],
        help: "drop `map recursive`: reach the page tables through a linear map of RAM (`map ram`)",
      }));
      continue;
    }
    const entry = `one top-level page-table entry: ${size(slot)} on a ${size(slot)} boundary with ${arch.mode}`;
    const help = `make ${tick(r.name)} exactly ${size(slot)} and start it at a multiple of ${size(slot)}`;
    const notes = [`a recursive slot must be exactly ${entry}`];
    if (r.size.value !== slot) {
      ctx.report("E0214", [r], r.nameSpan, () => ({
        message: `recursive slot ${tick(r.name)} is ${size(r.size.value)}, not ${size(slot)}`,
        labels,
        notes,
        help,
      }));
    } else if (ctx.parametric(r)) {
      const cex = refuteEqual(r.size.sym, slot, ctx.domains);
      if (cex) {
        ctx.reportParametric(
          "E0214",
          [r],
          `the size of recursive slot ${tick(r.name)} can differ from ${size(slot)}`,
          r.nameSpan,
          cex,
          (values) => [`there ${tick(r.name)} is ${size(floor(evaluate(r.size.sym, values)))}`],
          { labels, notes },
        );
      }
    }
    if (r.start.value % slot !== 0n) {
      ctx.report("E0214", [r], r.nameSpan, () => ({
        message: `recursive slot ${tick(r.name)} starts at ${hex(r.start.value)}, which is not on a ${size(slot)} boundary`,
        labels,
        notes,
        help,
      }));
    } else if (ctx.parametric(r)) {
      const cex = refuteMultiple(r.start.sym, slot, ctx.domains, ctx.defaults);
      if (cex) {
        ctx.reportParametric(
          "E0214",
          [r],
          `recursive slot ${tick(r.name)} can start off a ${size(slot)} boundary`,
          r.nameSpan,
          cex,
          (values) => [`there ${ctx.describeAt(r, values)}`],
          { labels, notes },
        );
      }
    }
  }
}
