/**
 * `--emit json`: the versioned interchange format (schema `vmlayout/2`, see DESIGN.md).
 * 64-bit values are `0x` + 16 lowercase hex digits; `end` is inclusive; regions are sorted by
 * start with parents before children. A region whose bounds depend on parameters reports
 * them at the parameters' defaults and lists the parameters in `parameters`. A spec's `require`
 * facts are in `constraints`, each as `Σ coefficients·p + constant >= 0` (or `== 0`).
 */
import { hex } from "../../model/format.js";
import type { Layout, Paging } from "../../model/layout.js";
import { formatRational } from "../../model/rational.js";
import type { Emitter } from "./emitter.js";

/**
 * Version 2 added `paging.arch` (and `paging.mode` for RISC-V): a version-1 reader would take
 * a RISC-V Sv48 document (`levels` 4, `vaBits` 48) for x86-64 4-level paging. AArch64's
 * `granule` is additive: a version-2 reader that knows only x86-64 and RISC-V meets an `arch`
 * it does not know, never one it would misread, so the version stays.
 */
export const JSON_SCHEMA = "vmlayout/2";

/**
 * `{arch, levels, vaBits}` for x86-64, `{arch, mode, levels, vaBits}` for RISC-V, `{arch,
 * granule, levels, vaBits}` for AArch64 (`granule` in KiB; each half is 2^vaBits bytes).
 */
function pagingDocument(paging: Paging): object {
  switch (paging.arch) {
    case "x86_64":
      return { arch: paging.arch, levels: paging.levels, vaBits: paging.vaBits };
    case "riscv64":
      return { arch: paging.arch, mode: paging.mode, levels: paging.levels, vaBits: paging.vaBits };
    case "aarch64":
      return {
        arch: paging.arch,
        granule: paging.granule,
        levels: paging.levels,
        vaBits: paging.vaBits,
      };
  }
}

export function layoutDocument(layout: Layout): object {
  return {
    schema: JSON_SCHEMA,
    layout: layout.name,
    variant: layout.variant,
    paging: pagingDocument(layout.paging),
    regions: layout.regions.map((r) => ({
      name: r.name,
      start: hex(r.start.value),
      end: hex(r.end.value),
      size: hex(r.size.value),
      kind: r.kind,
      parent: r.parent,
      description: r.description ?? null,
      ...(r.dependsOn.length > 0 ? { parameters: r.dependsOn } : {}),
    })),
    parameters: layout.params.map((p) => ({
      name: p.name,
      type: p.type,
      default: hex(p.default),
      min: hex(p.min),
      max: hex(p.max),
      align: hex(p.align),
    })),
    // Only when the spec states any: `form >= 0` (or `== 0`), exact rationals as strings.
    ...(layout.constraints.length > 0
      ? {
          constraints: layout.constraints.map((c) => ({
            text: c.text,
            relation: c.fact.equal ? "==" : ">=",
            coefficients: Object.fromEntries(
              [...c.fact.form.terms].map(([name, k]) => [name, formatRational(k)]),
            ),
            constant: formatRational(c.fact.form.constant),
            description: c.description ?? null,
          })),
        }
      : {}),
    constants: layout.constants.map((c) => ({
      name: c.name,
      cName: c.exportName,
      value: hex(c.value.value),
    })),
    kaslr: layout.kaslr.map((k) => ({
      name: k.name,
      rangeStart: hex(k.rangeStart),
      rangeEnd: hex(k.rangeEnd),
      align: hex(k.align),
      members: k.members.map((m) => m.name),
      mayOverlap: k.mayOverlap.map((m) => m.name),
    })),
  };
}

/**
 * One document for a single layout; every variant (variant policy `array`): an array of
 * documents, one per variant.
 */
export const emitJson: Emitter = ({ layouts, everyVariant }) => {
  const docs = layouts.map(layoutDocument);
  return { value: JSON.stringify(everyVariant ? docs : docs[0], null, 2) + "\n", diagnostics: [] };
};
