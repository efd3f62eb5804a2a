/**
 * How the picture looks: fills and strokes by what a region maps, colours, fonts, the SVG
 * number and text helpers, and estimates of how wide a text is.
 */
import { assertNever } from "../../../model/collections.js";
import { xmlEntities } from "../escape.js";
import { wrap } from "../text.js";
import type { Seg } from "./geometry.js";

export const MONO_EM = 0.602; // DejaVu Sans Mono, Menlo and Consolas advance
export const FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";
export const MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace";

/** A number for an attribute: at most one decimal, no `-0`. */
export function n(x: number): string {
  const r = Math.round(x * 10) / 10;
  return (Object.is(r, -0) ? 0 : r).toString();
}

export interface Style {
  readonly key: string;
  readonly fill: string;
  readonly stroke: string;
  readonly legend: string;
}

export const STYLES: readonly Style[] = [
  { key: "user", fill: "#dbe9f8", stroke: "#5b8cc4", legend: "user-accessible" },
  { key: "ram", fill: "#d6efda", stroke: "#4f9a61", legend: "direct map (map ram)" },
  { key: "phys", fill: "#fbe4c6", stroke: "#c98a3a", legend: "kernel image (map phys)" },
  { key: "none", fill: "#e8e1f6", stroke: "#8068b0", legend: "on demand (map none)" },
  { key: "alloc", fill: "#fff1c2", stroke: "#b8962e", legend: "allocated RAM (map alloc)" },
  { key: "recursive", fill: "#f8d8e4", stroke: "#b9587b", legend: "recursive page tables" },
  { key: "other", fill: "#e9edf2", stroke: "#7a8796", legend: "other region" },
  { key: "hole", fill: "#eeeeee", stroke: "#b4b4b4", legend: "hole (unused)" },
  { key: "guard", fill: "url(#vml-hatch)", stroke: "#b46a6a", legend: "guard (never mapped)" },
  { key: "gap", fill: "#ffffff", stroke: "#9aa4ae", legend: "in no region" },
];
const style = (key: string): Style => STYLES.find((s) => s.key === key)!;

export function styleOf(seg: Seg): Style {
  const r = seg.region;
  if (!r) return style("gap");
  if (r.kind === "hole") return style("hole");
  if (r.kind === "guard") return style("guard");
  if (r.user && r.perProcess) return style("user");
  if (r.map === undefined) return r.user ? style("user") : style("other");
  switch (r.map.kind) {
    case "ram":
      return style("ram");
    case "phys":
      return style("phys");
    case "none":
      return style("none");
    case "alloc":
      return style("alloc");
    case "recursive":
      return style("recursive");
    default:
      return assertNever(r.map, "mapping");
  }
}

export const INK = "#1f2328";
export const MUTED = "#57606a";
export const PARAM = "#d2691e";
export const KASLR = "#8250df";

export const DEFS = [
  "<defs>",
  '<pattern id="vml-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    '<rect width="6" height="6" fill="#fbefef"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d49a9a" stroke-width="2.2"/></pattern>',
  '<pattern id="vml-nc" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    '<rect width="8" height="8" fill="#f6f7f8"/><line x1="0" y1="0" x2="0" y2="8" stroke="#e1e4e8" stroke-width="1"/></pattern>',
  "</defs>",
];

/**
 * Advance widths of DejaVu Sans (Verdana's are close) in em, for estimating how much room a
 * label takes: no font is measured, so the estimate errs on the wide side.
 */
const SANS_EM: Readonly<Record<string, number>> = (() => {
  const table: Record<string, number> = {};
  const set = (chars: string, em: number): void => {
    for (const c of chars) table[c] = em;
  };
  set("abdeghnopqu", 0.635);
  set("cksvxyz", 0.6);
  set("fijlrt()[]{}.,:;'|!", 0.42);
  set("mw", 0.98);
  set("ABCDEGHKNOPQRSTUVXYZ&", 0.78);
  set("FJIL", 0.62);
  set("MW%", 1.0);
  set("0123456789_*/\\-", 0.64);
  set("~=+<>", 0.84);
  set(" ", 0.32);
  return table;
})();

export function sansWidth(s: string, size: number): number {
  let em = 0;
  for (const c of s) em += SANS_EM[c] ?? 0.7;
  return em * size;
}

export const monoWidth = (s: string, size: number): number => [...s].length * MONO_EM * size;

/** `s`, or `s` cut short with `…` to fit `width`; undefined when not even a few letters fit. */
export function fit(s: string, width: number, measure: (t: string) => number): string | undefined {
  if (measure(s) <= width) return s;
  const chars = [...s];
  for (let keep = chars.length - 1; keep >= 3; keep--) {
    const cut = chars.slice(0, keep).join("").trimEnd() + "…";
    if (measure(cut) <= width) return cut;
  }
  return undefined;
}

/** Words wrapped to `width` px of 11 px sans-serif, at most `maxLines` lines. */
export function wrapWords(s: string, width: number, maxLines: number): string[] {
  const measure = (t: string): number => sansWidth(t, 11);
  const lines = wrap(s, width, "", measure);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    const last = kept[maxLines - 1] + " " + lines.slice(maxLines).join(" ");
    kept[maxLines - 1] = fit(last, width, measure) ?? kept[maxLines - 1]!;
    return kept;
  }
  return lines;
}

export const text = (x: number, y: number, content: string, attrs: string): string =>
  `<text x="${n(x)}" y="${n(y)}" ${attrs}>${xmlEntities(content)}</text>`;
