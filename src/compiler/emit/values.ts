/**
 * The named values of a layout, as the C header (`--emit c`) names them: every region's
 * `R_START`, `R_END` and `R_SIZE`, every constant, every parameter's `P_DEFAULT` .. `P_ALIGN`,
 * every KASLR group's range and every member's default base. The runtime-selected emitters
 * (c-runtime, rust-runtime) and the conformance checks (c-check, rust-check) read this list;
 * each value also has the name a `--map` file uses for it (`vmalloc.start`).
 */
import type { Span } from "../../diagnostics/diagnostic.js";
import type { Form, LayoutModel } from "./model.js";
import { upperIdent } from "./names.js";

export interface NamedValue {
  /** The `--emit c` macro: `VMALLOC_START`, `PAGE_OFFSET_BASE_DEFAULT`, `KERNEL_END_MAX`. */
  readonly name: string;
  /**
   * The spec's name for it, which a `--map` file uses: `vmalloc.start`, `vmalloc.end`,
   * `vmalloc.size`, `page_offset.base` (a KASLR member's default base), a constant's name,
   * `kernel_end.default` (`.min`, `.max`, `.align`), `kaslr.memory.start` (`.end`, `.align`).
   */
  readonly key: string;
  /** Undefined: a size of 2^64, which no 64-bit integer holds. */
  readonly form: Form | undefined;
  /** How it is written: an address with all 16 hex digits, a size in short hex, a count in decimal. */
  readonly style: "address" | "size" | "count";
  /** What it is, for messages: "the start of region `vmalloc`". */
  readonly origin: string;
  /** What it belongs to, which generated files group values by: "region `vmalloc`". */
  readonly owner: string;
  readonly at: Span | undefined;
}

const fixed = (value: bigint): Form => ({ kind: "fixed", value });

/** In the order `--emit c` writes them: parameters, KASLR groups, regions, constants. */
export function namedValues(m: LayoutModel): NamedValue[] {
  const out: NamedValue[] = [];
  for (const p of m.params) {
    const owner = `parameter \`${p.name}\``;
    const entries: [string, bigint][] = [
      ["default", p.param.default],
      ["min", p.param.min],
      ["max", p.param.max],
      ["align", p.param.align],
    ];
    for (const [what, v] of entries)
      out.push({
        name: `${p.macro}_${what.toUpperCase()}`,
        key: `${p.name}.${what}`,
        form: fixed(v),
        style: what === "align" && p.param.type === "address" ? "size" : p.param.type,
        origin: `the ${what} of ${owner}`,
        owner,
        at: p.param.span,
      });
  }
  for (const k of m.kaslr) {
    const owner = `KASLR group \`${k.group.name}\``;
    const G = `KASLR_${upperIdent(k.group.name)}`;
    const entries: [string, bigint][] = [
      ["start", k.group.rangeStart],
      ["end", k.group.rangeEnd],
      ["align", k.group.align],
    ];
    for (const [what, v] of entries)
      out.push({
        name: `${G}_${what.toUpperCase()}`,
        key: `kaslr.${k.group.name}.${what}`,
        form: fixed(v),
        style: what === "align" ? "size" : "address",
        origin: `the ${what} of ${owner}`,
        owner,
        at: k.group.span,
      });
    for (const mem of k.members)
      out.push({
        name: `${mem.macro}_DEFAULT`,
        key: `${mem.region.name}.base`,
        form: fixed(mem.value),
        style: "address",
        origin: `the default base of \`${mem.region.name}\``,
        owner,
        at: mem.region.nameSpan,
      });
  }
  for (const r of m.regions) {
    const reg = r.region;
    const owner = `region \`${reg.name}\``;
    const entries: [string, Form | undefined][] = [
      ["start", r.start],
      ["end", r.end],
      ["size", r.size],
    ];
    for (const [what, form] of entries)
      out.push({
        name: `${reg.exportName}_${what.toUpperCase()}`,
        key: `${reg.name}.${what}`,
        form,
        style: what === "size" ? "size" : "address",
        origin: `the ${what} of ${owner}`,
        owner,
        at: reg.nameSpan,
      });
  }
  for (const { constant: c, form } of m.constants)
    out.push({
      name: c.exportName,
      key: c.name,
      form,
      style: c.value.value >= 1n << 32n ? "address" : "size",
      origin: `constant \`${c.name}\``,
      owner: `constant \`${c.name}\``,
      at: c.span,
    });
  return out;
}
