/**
 * What `--emit json` says of a layout, by the names the C header and the Rust module give each
 * value: the emitters' differential tests compare what a compiled program prints with this.
 */
import type { Layout } from "../../src/model/layout.js";

export interface JsonDoc {
  variant: string | null;
  regions: {
    name: string;
    start: string;
    end: string;
    size: string;
    parent: string | null;
    parameters?: string[];
  }[];
  parameters: { name: string; default: string; min: string; max: string; align: string }[];
  constants: { name: string; cName: string; value: string }[];
  kaslr: { name: string; rangeStart: string; rangeEnd: string; align: string; members: string[] }[];
}

/** `4-level` -> `4_LEVEL`. */
export const upper = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();

/**
 * Every value the layout names, by its C macro (`VMALLOC_START`, `KERNEL_END_DEFAULT`), after
 * `name` (Rust: SCREAMING_SNAKE_CASE of an export name in camel case).
 */
export function expectedValues(
  layout: Layout,
  doc: JsonDoc,
  name: (exportName: string) => string = (n) => n,
): Map<string, bigint> {
  const m = new Map<string, bigint>();
  const exportOf = new Map(layout.regions.map((r) => [r.name, name(r.exportName)]));
  for (const r of doc.regions) {
    const e = exportOf.get(r.name)!;
    m.set(`${e}_START`, BigInt(r.start));
    m.set(`${e}_END`, BigInt(r.end));
    m.set(`${e}_SIZE`, BigInt(r.size));
  }
  for (const k of doc.constants) m.set(name(k.cName), BigInt(k.value));
  for (const p of doc.parameters) {
    const e = name(layout.params.find((x) => x.name === p.name)!.exportName);
    m.set(`${e}_DEFAULT`, BigInt(p.default));
    m.set(`${e}_MIN`, BigInt(p.min));
    m.set(`${e}_MAX`, BigInt(p.max));
    m.set(`${e}_ALIGN`, BigInt(p.align));
  }
  for (const k of doc.kaslr) {
    m.set(`KASLR_${upper(k.name)}_START`, BigInt(k.rangeStart));
    m.set(`KASLR_${upper(k.name)}_END`, BigInt(k.rangeEnd));
    m.set(`KASLR_${upper(k.name)}_ALIGN`, BigInt(k.align));
    for (const member of k.members)
      m.set(
        `${exportOf.get(member)}_BASE_DEFAULT`,
        BigInt(doc.regions.find((r) => r.name === member)!.start),
      );
  }
  return m;
}

/**
 * The kernel's variables (parameters, and KASLR bases `<export>_base`), each with the macro
 * prefix of its default (`KERNEL_END` of `KERNEL_END_DEFAULT`).
 */
export function kernelVariables(
  layout: Layout,
  name: (exportName: string) => string = (n) => n,
): { name: string; macro: string }[] {
  const out = layout.params.map((p) => ({ name: p.name, macro: name(p.exportName) }));
  for (const k of layout.kaslr)
    for (const m of k.members) {
      const e = name(layout.regions.find((r) => r.name === m.name)!.exportName);
      out.push({ name: `${e}_base`.toLowerCase(), macro: `${e}_BASE` });
    }
  return out;
}
