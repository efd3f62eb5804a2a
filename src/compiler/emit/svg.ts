/**
 * `--emit svg`: a picture of the address space. One column per variant; in each, a bar per
 * canonical half with the non-canonical hole drawn broken between them (not to scale).
 *
 * - Scale: a box's height grows with log2 of its size (16 px for 4 KiB and less, +1.8 px per
 *   doubling), so a 4 KiB guard page and a 64 TB direct map are both visible; a strip along
 *   each box's bottom, linear in its size (a canonical half is the bar's full width), shows
 *   what the log scale hides. Addresses and offsets are written at every boundary on the left
 *   (an offset that repeats the one above is left out), down to the last address at the
 *   bottom; inside a box, a position is linear.
 * - Regions are filled by what they map (user, direct map, kernel image, on demand, recursive
 *   page tables, other); holes are shaded grey, guards hatched, addresses in no region dashed.
 *   Nested regions are inset boxes inside their parent, whose name runs up its left edge.
 * - Descriptions sit on the right, moved apart where boxes are small and tied to their box by
 *   a leader line; siblings sharing a description get it once, `(×N)`, with a comb to each. KASLR groups are brackets over the range their members move in, with a dot
 *   per member. A boundary that depends on a parameter is dashed orange at the default, with
 *   a whisker over every position it can take; its address is marked `~`.
 *
 * Output is deterministic: fixed ids (prefixed `vml-`), coordinates rounded to 0.1 px.
 */
import * as path from "node:path";
import { hexDigits } from "../../model/format.js";
import { bounds } from "../../model/affine.js";
import type { Affine } from "../../model/affine.js";
import type { Layout, Region } from "../../model/layout.js";
import { ADDRESS_SPACE_END } from "../../model/layout.js";
import { describe as describeRow, isAutoNamed, layoutTitle } from "./table.js";
import type { Emitter } from "./emitter.js";
import { Escapes, plainText, withSpecText } from "./escape.js";
import {
  formatOffset,
  formatQuantity,
  formatSize,
  sizeQuantity,
  topUnit,
  type Unit,
} from "./units.js";

// --- Geometry ----------------------------------------------------------------------------

const H_MIN = 16;
const H_PER_DOUBLING = 1.8;
const NC_HEIGHT = 70;
const INSET = 16;
const BAR_W = 250;
const HEX_W = 110;
const OFFSET_W = 72;
const LANE_W = 9;
const KASLR_W = 26;
const LABEL_W = 330;
const LINE_H = 13;
const COMB_LANES = 3;
const COMB_GAP = 6;
const COLUMN_GAP = 36;
const MARGIN = 24;
const MONO_EM = 0.602; // DejaVu Sans Mono, Menlo and Consolas advance
const FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif";
const MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace";

/** A number for an attribute: at most one decimal, no `-0`. */
function n(x: number): string {
  const r = Math.round(x * 10) / 10;
  return (Object.is(r, -0) ? 0 : r).toString();
}

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function log2(v: bigint): number {
  const bits = v.toString(2).length;
  const shift = Math.max(0, bits - 53);
  return Math.log2(Number(v >> BigInt(shift))) + shift;
}

export function boxHeight(size: bigint): number {
  return H_MIN + Math.max(0, log2(size) - 12) * H_PER_DOUBLING;
}

/**
 * The size strip along a box's bottom edge, growing left from the bar's right edge (common to
 * every depth, so strips compare like the bars of a chart): linear in the size, the full
 * `STRIP_W` for a whole canonical half. Heights are logarithmic, so that a 4 KiB page shows;
 * the strip shows what they hide, that a 64 TB map is 128 times a 0.5 TB hole. A box under
 * 1/436 of a half (0.5 px) gets none.
 */
const STRIP_W = BAR_W - 2 * INSET;
const STRIP_H = 4;
const stripWidth = (size: bigint, half: bigint): number =>
  (STRIP_W * Number((size * 1_000_000n) / half)) / 1_000_000;

// --- Segments: regions, and the addresses between them ----------------------------------

interface Seg {
  readonly start: bigint;
  /** Exclusive. */
  readonly limit: bigint;
  /** Undefined for addresses no sibling covers: in no region at top level, else the parent's own. */
  readonly region: Region | undefined;
  readonly depth: number;
  readonly children: Seg[];
  y: number;
  h: number;
}

function buildSegs(
  regions: readonly Region[],
  byParent: ReadonlyMap<string | null, Region[]>,
  start: bigint,
  limit: bigint,
  depth: number,
): Seg[] {
  const segs: Seg[] = [];
  let at = start;
  const gap = (to: bigint): void => {
    if (to > at)
      segs.push({ start: at, limit: to, region: undefined, depth, children: [], y: 0, h: 0 });
  };
  for (const r of regions) {
    gap(r.start.value);
    const rLimit = r.end.value + 1n;
    const kids = byParent.get(r.name) ?? [];
    const children =
      kids.length > 0 && r.kind !== "noncanonical"
        ? buildSegs(kids, byParent, r.start.value, rLimit, depth + 1)
        : [];
    segs.push({ start: r.start.value, limit: rLimit, region: r, depth, children, y: 0, h: 0 });
    at = rLimit > at ? rLimit : at;
  }
  gap(limit);
  return segs;
}

const isBreak = (s: Seg): boolean => s.region?.kind === "noncanonical";

/** Heights, bottom up. */
function measure(s: Seg): number {
  if (isBreak(s)) s.h = NC_HEIGHT;
  else if (s.children.length > 0) s.h = s.children.reduce((sum, c) => sum + measure(c), 0);
  else s.h = boxHeight(s.limit - s.start);
  return s.h;
}

function place(s: Seg, y: number): void {
  s.y = y;
  let at = y;
  for (const c of s.children) {
    place(c, at);
    at += c.h;
  }
}

function* walk(segs: readonly Seg[]): Generator<Seg> {
  for (const s of segs) {
    yield s;
    yield* walk(s.children);
  }
}

/** The y of an address (a boundary between bytes): linear inside the deepest segment. */
function addressY(segs: readonly Seg[], a: bigint): number {
  for (const s of segs) {
    if (a < s.start || a > s.limit) continue;
    if (a === s.limit && s !== segs[segs.length - 1] && segs.some((t) => t.start === a)) continue;
    if (s.children.length > 0) return addressY(s.children, a);
    const frac = Number(((a - s.start) * 1_000_000n) / (s.limit - s.start)) / 1_000_000;
    return s.y + frac * s.h;
  }
  return segs.length > 0 ? segs[segs.length - 1]!.y + segs[segs.length - 1]!.h : 0;
}

// --- Styles -----------------------------------------------------------------------------

interface Style {
  readonly key: string;
  readonly fill: string;
  readonly stroke: string;
  readonly legend: string;
}

const STYLES: readonly Style[] = [
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

function styleOf(seg: Seg): Style {
  const r = seg.region;
  if (!r) return style("gap");
  if (r.kind === "hole") return style("hole");
  if (r.kind === "guard") return style("guard");
  if (r.user && r.perProcess) return style("user");
  switch (r.map?.kind) {
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
  }
  return r.user ? style("user") : style("other");
}

const INK = "#1f2328";
const MUTED = "#57606a";
const PARAM = "#d2691e";
const KASLR = "#8250df";

const DEFS = [
  "<defs>",
  '<pattern id="vml-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    '<rect width="6" height="6" fill="#fbefef"/><line x1="0" y1="0" x2="0" y2="6" stroke="#d49a9a" stroke-width="2.2"/></pattern>',
  '<pattern id="vml-nc" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    '<rect width="8" height="8" fill="#f6f7f8"/><line x1="0" y1="0" x2="0" y2="8" stroke="#e1e4e8" stroke-width="1"/></pattern>',
  "</defs>",
];

// --- Text helpers -------------------------------------------------------------------------

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

const monoWidth = (s: string, size: number): number => [...s].length * MONO_EM * size;

/** `s`, or `s` cut short with `…` to fit `width`; undefined when not even a few letters fit. */
function fit(s: string, width: number, measure: (t: string) => number): string | undefined {
  if (measure(s) <= width) return s;
  const chars = [...s];
  for (let keep = chars.length - 1; keep >= 3; keep--) {
    const cut = chars.slice(0, keep).join("").trimEnd() + "…";
    if (measure(cut) <= width) return cut;
  }
  return undefined;
}

/** Words wrapped to `width` px of 11 px sans-serif, at most `maxLines` lines. */
function wrapWords(s: string, width: number, maxLines: number): string[] {
  const measure = (t: string): number => sansWidth(t, 11);
  const lines: string[] = [];
  let line = "";
  for (const word of s.split(/\s+/).filter((w) => w !== "")) {
    if (line === "") line = word;
    else if (measure(line + " " + word) <= width) line += " " + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    const last = kept[maxLines - 1] + " " + lines.slice(maxLines).join(" ");
    kept[maxLines - 1] = fit(last, width, measure) ?? kept[maxLines - 1]!;
    return kept;
  }
  return lines;
}

const text = (x: number, y: number, content: string, attrs: string): string =>
  `<text x="${n(x)}" y="${n(y)}" ${attrs}>${esc(content)}</text>`;

// --- One column ---------------------------------------------------------------------------

interface Boundary {
  readonly y: number;
  readonly address: bigint;
  readonly varies: boolean;
}

interface Whisker {
  readonly address: bigint;
  readonly min: bigint;
  readonly max: bigint;
  readonly params: string[];
}

interface Label {
  readonly anchor: number;
  /** The other boxes a `(×N)` label describes, by their anchors: a comb ties them to it. */
  readonly also: readonly number[];
  readonly lines: string[];
  readonly depth: number;
  readonly muted: boolean;
  top: number;
}

interface Column {
  readonly width: number;
  readonly height: number;
  readonly body: string[];
}

function sizeOfBound(sym: Affine, layout: Layout, delta: bigint): { min: bigint; max: bigint } {
  const domains = new Map(layout.params.map((p) => [p.name, p]));
  const b = bounds(sym, domains);
  // Floor of min, ceiling of max (bounds may be rational with slack).
  const floor = (r: { num: bigint; den: bigint }): bigint =>
    r.num >= 0n ? r.num / r.den : -((-r.num + r.den - 1n) / r.den);
  const ceil = (r: { num: bigint; den: bigint }): bigint => -floor({ num: -r.num, den: r.den });
  return { min: floor(b.min) + delta, max: ceil(b.max) + delta };
}

/**
 * What a box says: the region's name; for an unnamed hole or guard its description when that
 * fits the box, else its kind.
 */
function boxName(s: Seg): string {
  const r = s.region;
  if (r === undefined) return "in no region";
  if (!isAutoNamed(r)) return r.name;
  const desc = r.description;
  const room = BAR_W - s.depth * INSET - 20 - monoWidth("8188 kB", 11);
  if (desc !== undefined && sansWidth(desc, 11) <= room) return desc;
  return r.kind === "noncanonical" ? "non-canonical" : r.kind;
}

function renderColumn(layout: Layout, x0: number, y0: number, heading: string | undefined): Column {
  const unit: Unit = topUnit(layout.paging.vaBits);
  const half = 1n << BigInt(layout.paging.vaBits - 1);
  const byParent = new Map<string | null, Region[]>();
  for (const r of layout.regions) {
    const list = byParent.get(r.parent) ?? [];
    list.push(r);
    byParent.set(r.parent, list);
  }
  const top = buildSegs(byParent.get(null) ?? [], byParent, 0n, ADDRESS_SPACE_END, 0);
  top.forEach(measure);

  // Parameter-dependent boundaries, merged by position.
  const whiskers = new Map<bigint, Whisker>();
  const addWhisker = (address: bigint, sym: Affine, delta: bigint): void => {
    const { min, max } = sizeOfBound(sym, layout, delta);
    const params = [...sym.terms.keys()];
    const old = whiskers.get(address);
    whiskers.set(
      address,
      old
        ? {
            address,
            min: old.min < min ? old.min : min,
            max: old.max > max ? old.max : max,
            params: [...new Set([...old.params, ...params])].sort(),
          }
        : { address, min, max, params: params.sort() },
    );
  };
  for (const r of layout.regions) {
    if (r.start.sym.terms.size > 0) addWhisker(r.start.value, r.start.sym, 0n);
    if (r.end.sym.terms.size > 0) addWhisker(r.end.value + 1n, r.end.sym, 1n);
  }

  // Lanes for whiskers (assigned after y positions are known) and KASLR brackets.
  const lanes = Math.min(6, Math.max(whiskers.size > 0 ? 1 : 0, whiskers.size));
  const kaslrW = layout.kaslr.length * KASLR_W;
  const hexX = x0;
  const offsetRight = x0 + HEX_W + 8 + OFFSET_W;
  const laneX = offsetRight + 10;
  const barX = laneX + lanes * LANE_W + (lanes > 0 ? 6 : 0);
  const barRight = barX + BAR_W;
  const kaslrX = barRight + 12;
  const labelX = kaslrX + kaslrW + 22;
  const width = labelX + LABEL_W - x0;

  // Vertical placement: heading, then the bars with captions, the breaks between them.
  const out: string[] = [];
  let y = y0;
  if (heading !== undefined) {
    out.push(
      text(
        x0,
        y + 14,
        heading,
        `font-family="${FONT}" font-size="15" font-weight="bold" fill="${INK}"`,
      ),
    );
    y += 24;
  }
  out.push(
    text(
      x0,
      y + 11,
      `${layout.paging.levels}-level paging · ${layout.paging.vaBits}-bit virtual addresses · ${layout.name}`,
      `font-family="${FONT}" font-size="11" fill="${MUTED}"`,
    ),
  );
  y += 26;
  const captions: { y: number; text: string }[] = [];
  const halves = top.filter((s) => !isBreak(s)).length > 0;
  let barIndex = 0;
  let inBar = false;
  for (const s of top) {
    if (isBreak(s)) {
      y += 8;
      place(s, y);
      y += s.h + 8;
      inBar = false;
      continue;
    }
    if (!inBar) {
      const lower = barIndex === 0 && top.some(isBreak);
      const upper = barIndex > 0;
      if (halves && (lower || upper)) {
        captions.push({ y: y + 10, text: lower ? "LOWER CANONICAL HALF" : "UPPER CANONICAL HALF" });
        y += 16;
      }
      barIndex++;
      inBar = true;
    }
    place(s, y);
    y += s.h;
  }
  const bottom = y;
  const all = [...walk(top)];

  // Boxes.
  for (const c of captions)
    out.push(
      text(
        barX,
        c.y,
        c.text,
        `font-family="${FONT}" font-size="9.5" letter-spacing="0.8" fill="${MUTED}"`,
      ),
    );
  const boxX = (s: Seg): number => barX + s.depth * INSET;
  for (const s of all) {
    const r = s.region;
    if (s.depth > 0 && r === undefined) continue; // the parent's own space: its fill shows
    const x = boxX(s);
    const w = barRight - x;
    const size = formatSize(s.limit - s.start, unit);
    if (isBreak(s)) {
      out.push(breakShape(x, s.y, w, s.h, r!, size));
      continue;
    }
    const st = styleOf(s);
    const tip = `${r ? r.name : "in no region"}: ${hexDigits(s.start)}..${hexDigits(s.limit - 1n)} (${size})`;
    const dash = r ? "" : ' stroke-dasharray="4 3"';
    out.push(
      `<rect x="${n(x)}" y="${n(s.y)}" width="${n(w)}" height="${n(s.h)}" fill="${st.fill}" stroke="${st.stroke}" stroke-width="1"${dash}><title>${esc(tip)}</title></rect>`,
    );
    const strip = Math.min(stripWidth(s.limit - s.start, half), w - 2);
    if (s.children.length === 0 && strip >= 0.5)
      out.push(
        `<rect x="${n(barRight - 1 - strip)}" y="${n(s.y + s.h - 1 - STRIP_H)}" width="${n(strip)}" height="${STRIP_H}" fill="${st.stroke}"/>`,
      );
  }
  // Names: inside leaf boxes; up the left edge of parents.
  for (const s of all) {
    const r = s.region;
    if (isBreak(s) || (s.depth > 0 && r === undefined)) continue;
    const x = boxX(s);
    const w = barRight - x;
    const varies = r !== undefined && r.size.sym.terms.size > 0;
    const sizeText = formatQuantity(sizeQuantity(s.limit - s.start, unit), varies);
    const name = boxName(s);
    const italic = r === undefined || isAutoNamed(r);
    if (s.children.length > 0) {
      const room = s.h - 8;
      const whole = `${name} · ${sizeText}`;
      const mono10 = (t: string): number => monoWidth(t, 10);
      const label = mono10(whole) <= room ? whole : fit(name, room, mono10);
      if (label !== undefined) {
        const cx = x + INSET / 2 + 0.5;
        const cy = s.y + s.h / 2;
        out.push(
          `<text x="${n(cx)}" y="${n(cy)}" transform="rotate(-90 ${n(cx)} ${n(cy)})" text-anchor="middle" dominant-baseline="central" font-family="${MONO}" font-size="10" fill="${INK}">${esc(label)}</text>`,
        );
      }
      continue;
    }
    const cy = s.y + s.h / 2;
    const sizeW = monoWidth(sizeText, 11);
    // On hatching, letters get a halo of the background colour.
    const halo =
      r?.kind === "guard" ? ' stroke="#fbefef" stroke-width="3" paint-order="stroke"' : "";
    out.push(
      text(
        barRight - 6,
        cy,
        sizeText,
        `text-anchor="end" dominant-baseline="central" font-family="${MONO}" font-size="11" fill="${MUTED}"${halo}`,
      ),
    );
    const shown = fit(name, w - 20 - sizeW, (t) => (italic ? sansWidth(t, 11) : monoWidth(t, 11)));
    if (shown !== undefined)
      out.push(
        text(
          x + 6,
          cy,
          shown,
          italic
            ? `dominant-baseline="central" font-family="${FONT}" font-size="11" font-style="italic" fill="${MUTED}"`
            : `dominant-baseline="central" font-family="${MONO}" font-size="11" font-weight="bold" fill="${INK}"${halo}`,
        ),
      );
  }

  // Boundaries: the address and offset of every start, on the left.
  const seen = new Map<bigint, Boundary>();
  const varying = new Set(whiskers.keys());
  for (const s of all) {
    if (!seen.has(s.start))
      seen.set(s.start, { y: s.y, address: s.start, varies: varying.has(s.start) });
  }
  // An offset that only repeats the one above (`~-1.86 GB` down a stack of small boxes, `~`
  // aside) says nothing new: the address beside it is exact.
  let lastOffset = "";
  const boundary = (y: number, address: string, offset: string, varies: boolean): void => {
    const plain = offset.replace(/^~/, "");
    out.push(
      `<line x1="${n(offsetRight + 4)}" y1="${n(y)}" x2="${n(barX)}" y2="${n(y)}" stroke="#c5ccd3" stroke-width="1"/>`,
      text(
        hexX,
        y,
        address,
        `dominant-baseline="central" font-family="${MONO}" font-size="10.5" fill="${varies ? PARAM : INK}"`,
      ),
    );
    if (varies || plain !== lastOffset)
      out.push(
        text(
          offsetRight,
          y,
          offset,
          `text-anchor="end" dominant-baseline="central" font-family="${MONO}" font-size="10.5" fill="${varies ? PARAM : MUTED}"`,
        ),
      );
    lastOffset = plain;
  };
  for (const b of [...seen.values()].sort((a, c) => a.y - c.y))
    boundary(
      b.y,
      (b.varies ? "~" : "") + hexDigits(b.address),
      formatOffset(b.address, unit, b.varies),
      b.varies,
    );
  // The top of the address space, as 0 is labelled at the start: its last byte.
  boundary(bottom, hexDigits(ADDRESS_SPACE_END - 1n), "", false);

  // Parameter whiskers: a range per dependent boundary, in lanes that do not collide.
  const laneEnds: number[] = [];
  for (const w of [...whiskers.values()].sort((a, b) => (a.address < b.address ? -1 : 1))) {
    const yDefault = addressY(top, w.address);
    const yMin = addressY(top, w.min);
    const yMax = addressY(top, w.max);
    let lane = laneEnds.findIndex((end) => end < yMin - 4);
    if (lane < 0 && laneEnds.length < lanes) lane = laneEnds.length;
    if (lane < 0) lane = laneEnds.indexOf(Math.min(...laneEnds));
    laneEnds[lane] = yMax;
    const lx = laneX + lane * LANE_W + LANE_W / 2;
    const tip = `${w.params.join(", ")}: ${hexDigits(w.min)}..${hexDigits(w.max)}, ${hexDigits(w.address)} at the default`;
    out.push(
      `<g stroke="${PARAM}" stroke-width="1.5"><title>${esc(tip)}</title>` +
        `<line x1="${n(lx)}" y1="${n(yMin)}" x2="${n(lx)}" y2="${n(yMax)}"/>` +
        `<line x1="${n(lx - 3)}" y1="${n(yMin)}" x2="${n(lx + 3)}" y2="${n(yMin)}"/>` +
        `<line x1="${n(lx - 3)}" y1="${n(yMax)}" x2="${n(lx + 3)}" y2="${n(yMax)}"/></g>`,
      `<circle cx="${n(lx)}" cy="${n(yDefault)}" r="2.6" fill="${PARAM}"/>`,
      `<line x1="${n(barX)}" y1="${n(yDefault)}" x2="${n(barRight)}" y2="${n(yDefault)}" stroke="${PARAM}" stroke-width="1.6" stroke-dasharray="5 3"/>`,
    );
  }

  // KASLR brackets.
  layout.kaslr.forEach((k, i) => {
    const bx = kaslrX + i * KASLR_W + 4;
    const yTop = addressY(top, k.rangeStart);
    const yBottom = addressY(top, k.rangeEnd + 1n);
    out.push(
      `<path d="M${n(bx - 5)} ${n(yTop)}H${n(bx)}V${n(yBottom)}H${n(bx - 5)}" fill="none" stroke="${KASLR}" stroke-width="2"/>`,
    );
    for (const m of k.members) {
      const seg = all.find((s) => s.region?.name === m.name);
      if (seg)
        out.push(`<circle cx="${n(bx)}" cy="${n(seg.y + seg.h / 2)}" r="3.2" fill="${KASLR}"/>`);
    }
    const cy = (yTop + yBottom) / 2;
    const cx = bx + 10;
    const label = fit(
      `KASLR ${k.name}: ${k.members.map((m) => m.name).join(", ")} · ${formatSize(k.align, unit)} steps`,
      yBottom - yTop - 10,
      (t) => sansWidth(t, 11) * 1.1, // bold
    );
    if (label !== undefined)
      out.push(
        `<text x="${n(cx)}" y="${n(cy)}" transform="rotate(-90 ${n(cx)} ${n(cy)})" text-anchor="middle" dominant-baseline="central" font-family="${FONT}" font-size="11" font-weight="bold" fill="${KASLR}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${esc(label)}</text>`,
      );
  });

  // Descriptions on the right, spread apart where boxes are small, with leader lines.
  const labels: Label[] = [];
  // Siblings repeating a description (a `repeat`) are described once: "... (×7)".
  const repeats = new Map<string, Seg[]>();
  const repeatKey = (r: Region): string => `${r.parent}\u0000${r.kind}\u0000${r.description}`;
  for (const s of all)
    if (s.region?.description !== undefined) {
      const key = repeatKey(s.region);
      const list = repeats.get(key);
      if (list) list.push(s);
      else repeats.set(key, [s]);
    }
  const described = new Set<string>();
  for (const s of all) {
    const r = s.region;
    if (r === undefined) continue;
    let desc =
      r.description ?? (r.kind === "region" ? undefined : describeRow(r).replace(/^\.\.\. /, ""));
    if (desc === undefined) continue;
    if (boxName(s) === desc && !isBreak(s) && r.dependsOn.length === 0) continue; // in the box
    if (r.description !== undefined) {
      const key = repeatKey(r);
      if (described.has(key)) continue;
      described.add(key);
      const count = repeats.get(key)!.length;
      if (count > 1) desc += ` (×${count})`;
    }
    if (r.dependsOn.length > 0) desc += ` (varies with ${r.dependsOn.join(", ")})`;
    const indent = Math.min(s.depth, 3) * 12;
    const lines = wrapWords(desc, LABEL_W - indent, isBreak(s) ? 4 : 3);
    const anchorOf = (t: Seg): number => (t.children.length > 0 ? t.y + 8 : t.y + t.h / 2);
    const also =
      r.description === undefined
        ? []
        : repeats
            .get(repeatKey(r))!
            .filter((t) => t !== s)
            .map(anchorOf);
    const muted = r.kind !== "region";
    labels.push({ anchor: anchorOf(s), also, lines, depth: s.depth, muted, top: 0 });
  }
  labels.sort((a, b) => a.anchor - b.anchor);
  const heightOf = (l: Label): number => l.lines.length * LINE_H;
  let prev = -Infinity;
  for (const l of labels) {
    l.top = Math.max(l.anchor - heightOf(l) / 2, prev + 3);
    prev = l.top + heightOf(l);
  }
  let next = Math.max(bottom, prev);
  for (let i = labels.length - 1; i >= 0; i--) {
    const l = labels[i]!;
    l.top = Math.min(l.top, next - heightOf(l));
    next = l.top - 3;
  }
  // Combs: a vertical line per `(×N)` label in the gutter, in lanes that do not overlap, with a
  // tick from each box it counts.
  const combEnds: number[] = [];
  for (const l of labels) {
    if (l.also.length === 0) continue;
    const ys = [l.anchor, ...l.also];
    // No spread into Math.min: a repeat can count a million boxes.
    const lo = ys.reduce((a, b) => (b < a ? b : a));
    const hi = ys.reduce((a, b) => (b > a ? b : a));
    let lane = combEnds.findIndex((end) => end < lo - 2);
    if (lane < 0) lane = Math.min(combEnds.length, COMB_LANES - 1);
    combEnds[lane] = hi;
    const cx = labelX - 16 - lane * COMB_GAP;
    out.push(
      `<line x1="${n(cx)}" y1="${n(lo)}" x2="${n(cx)}" y2="${n(hi)}" stroke="#aab3bd" stroke-width="1"/>`,
    );
    for (const y of l.also)
      out.push(
        `<line x1="${n(barRight + 2)}" y1="${n(y)}" x2="${n(cx)}" y2="${n(y)}" stroke="#c5ccd3" stroke-width="1"/>`,
      );
    for (const y of ys) out.push(`<circle cx="${n(cx)}" cy="${n(y)}" r="1.8" fill="#aab3bd"/>`);
  }
  let labelBottom = bottom;
  for (const l of labels) {
    const mid = l.top + heightOf(l) / 2;
    const tx = labelX + Math.min(l.depth, 3) * 12;
    if (Math.abs(mid - l.anchor) < 0.5)
      out.push(
        `<line x1="${n(barRight + 2)}" y1="${n(l.anchor)}" x2="${n(tx - 4)}" y2="${n(l.anchor)}" stroke="#c5ccd3" stroke-width="1"/>`,
      );
    else
      out.push(
        `<polyline points="${n(barRight + 2)},${n(l.anchor)} ${n(labelX - 16)},${n(l.anchor)} ${n(tx - 4)},${n(mid)}" fill="none" stroke="#c5ccd3" stroke-width="1"/>`,
      );
    l.lines.forEach((line, i) =>
      out.push(
        text(
          tx,
          l.top + i * LINE_H + LINE_H / 2,
          line,
          `dominant-baseline="central" font-family="${FONT}" font-size="11" fill="${l.muted ? MUTED : INK}"`,
        ),
      ),
    );
    labelBottom = Math.max(labelBottom, l.top + heightOf(l));
  }
  return { width, height: labelBottom - y0, body: out };
}

/** The non-canonical hole: a box with torn top and bottom edges, not to scale. */
function breakShape(x: number, y: number, w: number, h: number, r: Region, size: string): string {
  const teeth = Math.round(w / 12);
  const step = w / teeth;
  const amp = 4;
  const pts: string[] = [];
  for (let i = 0; i <= teeth; i++) pts.push(`${n(x + i * step)},${n(y + (i % 2 === 0 ? amp : 0))}`);
  for (let i = teeth; i >= 0; i--)
    pts.push(`${n(x + i * step)},${n(y + h - (i % 2 === 0 ? 0 : amp))}`);
  const cx = x + w / 2;
  const tip = `${r.name}: ${hexDigits(r.start.value)}..${hexDigits(r.end.value)} (${size})`;
  return (
    `<g><title>${esc(tip)}</title><polygon points="${pts.join(" ")}" fill="url(#vml-nc)" stroke="#9aa4ae" stroke-width="1" stroke-dasharray="3 2"/>` +
    text(
      cx,
      y + h / 2 - 7,
      `non-canonical · ${size}`,
      `text-anchor="middle" dominant-baseline="central" font-family="${FONT}" font-size="11" font-weight="bold" fill="${MUTED}"`,
    ) +
    text(
      cx,
      y + h / 2 + 8,
      "not to scale",
      `text-anchor="middle" dominant-baseline="central" font-family="${FONT}" font-size="10" font-style="italic" fill="${MUTED}"`,
    ) +
    "</g>"
  );
}

// --- Legend -------------------------------------------------------------------------------

function legend(
  x0: number,
  y0: number,
  width: number,
  used: ReadonlySet<string>,
  extras: { kaslr: boolean; params: boolean; halves: readonly string[] },
): { body: string[]; height: number } {
  const out: string[] = [];
  const items: { draw: (x: number, y: number) => string; label: string }[] = [];
  for (const st of STYLES) {
    if (!used.has(st.key)) continue;
    items.push({
      label: st.legend,
      draw: (x, y) =>
        `<rect x="${n(x)}" y="${n(y - 7)}" width="22" height="14" fill="${st.fill}" stroke="${st.stroke}"${st.key === "gap" ? ' stroke-dasharray="4 3"' : ""}/>`,
    });
  }
  items.push({
    label: "size strip (linear)",
    draw: (x, y) =>
      `<rect x="${n(x)}" y="${n(y - 7)}" width="22" height="14" fill="#e9edf2" stroke="#7a8796"/>` +
      `<rect x="${n(x + 10)}" y="${n(y + 2)}" width="11" height="${STRIP_H}" fill="#7a8796"/>`,
  });
  if (used.has("noncanonical"))
    items.push({
      label: "non-canonical (not to scale)",
      draw: (x, y) =>
        `<polygon points="${n(x)},${n(y - 3)} ${n(x + 5.5)},${n(y - 7)} ${n(x + 11)},${n(y - 3)} ${n(x + 16.5)},${n(y - 7)} ${n(x + 22)},${n(y - 3)} ${n(x + 22)},${n(y + 7)} ${n(x + 16.5)},${n(y + 3)} ${n(x + 11)},${n(y + 7)} ${n(x + 5.5)},${n(y + 3)} ${n(x)},${n(y + 7)}" fill="url(#vml-nc)" stroke="#9aa4ae" stroke-dasharray="3 2"/>`,
    });
  if (extras.kaslr)
    items.push({
      label: "KASLR range (● members)",
      draw: (x, y) =>
        `<path d="M${n(x + 6)} ${n(y - 8)}H${n(x + 11)}V${n(y + 8)}H${n(x + 6)}" fill="none" stroke="${KASLR}" stroke-width="2"/><circle cx="${n(x + 11)}" cy="${n(y)}" r="3" fill="${KASLR}"/>`,
    });
  if (extras.params)
    items.push({
      label: "~ boundary set by a parameter: default and range",
      draw: (x, y) =>
        `<line x1="${n(x)}" y1="${n(y)}" x2="${n(x + 22)}" y2="${n(y)}" stroke="${PARAM}" stroke-width="1.6" stroke-dasharray="5 3"/>` +
        `<g stroke="${PARAM}" stroke-width="1.5"><line x1="${n(x + 11)}" y1="${n(y - 8)}" x2="${n(x + 11)}" y2="${n(y + 8)}"/><line x1="${n(x + 8)}" y1="${n(y - 8)}" x2="${n(x + 14)}" y2="${n(y - 8)}"/><line x1="${n(x + 8)}" y1="${n(y + 8)}" x2="${n(x + 14)}" y2="${n(y + 8)}"/></g><circle cx="${n(x + 11)}" cy="${n(y)}" r="2.6" fill="${PARAM}"/>`,
    });

  // Items in rows.
  const itemW = 250;
  const perRow = Math.max(1, Math.floor(width / itemW));
  items.forEach((item, i) => {
    const x = x0 + (i % perRow) * itemW;
    const y = y0 + 8 + Math.floor(i / perRow) * 22;
    out.push(
      item.draw(x, y),
      text(
        x + 30,
        y,
        item.label,
        `dominant-baseline="central" font-family="${FONT}" font-size="11" fill="${INK}"`,
      ),
    );
  });
  let y = y0 + 8 + Math.ceil(items.length / perRow) * 22 + 6;

  // Scale key: sample boxes side by side.
  const scale = [
    `Scale: a box is ${H_MIN} px tall at 4 kB and grows ${H_PER_DOUBLING} px each time the size doubles; positions inside a box are linear.`,
    `The size strip along its bottom is linear: the full width of the bar is a canonical half (${extras.halves.join(" / ")}).`,
  ];
  for (const line of scale) {
    out.push(
      text(
        x0,
        y + 6,
        line,
        `dominant-baseline="central" font-family="${FONT}" font-size="11" fill="${MUTED}"`,
      ),
    );
    y += 16;
  }
  y += 2;
  const samples: [string, bigint][] = [
    ["4 kB", 1n << 12n],
    ["2 MB", 1n << 21n],
    ["1 GB", 1n << 30n],
    ["1 TB", 1n << 40n],
    ["64 TB", 1n << 46n],
    ["64 PB", 1n << 56n],
  ];
  const tallest = boxHeight(1n << 56n);
  samples.forEach(([label, size], i) => {
    const h = boxHeight(size);
    const x = x0 + i * 70;
    out.push(
      `<rect x="${n(x)}" y="${n(y + tallest - h)}" width="44" height="${n(h)}" fill="#e9edf2" stroke="#7a8796"/>`,
      text(
        x + 22,
        y + tallest + 12,
        label,
        `text-anchor="middle" dominant-baseline="central" font-family="${MONO}" font-size="10.5" fill="${INK}"`,
      ),
    );
  });
  y += tallest + 24;
  return { body: out, height: y - y0 };
}

// --- The picture --------------------------------------------------------------------------

/**
 * Every variant (variant policy `sections`): a column per variant under the variant's name. One
 * layout: one column, and the title names its variant, if it is one.
 */
export const emitSvg: Emitter = ({ layouts: specLayouts, everyVariant }) => {
  // Control and bidi characters are not XML, or not what they seem: U+XXXX (noted at the end).
  const e = new Escapes();
  const layouts = withSpecText(specLayouts, (t) => plainText(t, e));
  const first = layouts[0]!;
  const titleY = MARGIN;
  const body: string[] = [];
  body.push(
    text(
      MARGIN,
      titleY + 16,
      everyVariant ? (first.description ?? first.name) : layoutTitle(first),
      `font-family="${FONT}" font-size="20" font-weight="bold" fill="${INK}"`,
    ),
    text(
      MARGIN,
      titleY + 38,
      `Generated by vmlayout from ${path.basename(first.file)}. Addresses and offsets on the left of each bar mark where a region starts.`,
      `font-family="${FONT}" font-size="11.5" fill="${MUTED}"`,
    ),
  );
  let x = MARGIN;
  const columnsTop = titleY + 60;
  let height = 0;
  const used = new Set<string>();
  for (const layout of layouts) {
    const col = renderColumn(
      layout,
      x,
      columnsTop,
      everyVariant ? (layout.variant ?? layout.name) : undefined,
    );
    for (const element of col.body) body.push(element); // no spread: one per region
    x += col.width + COLUMN_GAP;
    height = Math.max(height, col.height);
    for (const r of layout.regions) {
      if (r.kind === "noncanonical") used.add("noncanonical");
    }
  }
  const width = x - COLUMN_GAP + MARGIN;
  // Styles used, for the legend.
  for (const layout of layouts) {
    const byParent = new Map<string | null, Region[]>();
    for (const r of layout.regions) {
      const list = byParent.get(r.parent) ?? [];
      list.push(r);
      byParent.set(r.parent, list);
    }
    const segs = buildSegs(byParent.get(null) ?? [], byParent, 0n, ADDRESS_SPACE_END, 0);
    for (const s of walk(segs))
      if (!isBreak(s) && !(s.depth > 0 && s.region === undefined)) used.add(styleOf(s).key);
  }
  const legendTop = columnsTop + height + 28;
  const key = legend(MARGIN, legendTop, width - 2 * MARGIN, used, {
    kaslr: layouts.some((l) => l.kaslr.length > 0),
    params: layouts.some((l) => l.regions.some((r) => r.dependsOn.length > 0)),
    halves: [
      ...new Set(
        layouts.map((l) => formatSize(1n << BigInt(l.paging.vaBits - 1), topUnit(l.paging.vaBits))),
      ),
    ],
  });
  const totalHeight = legendTop + key.height + MARGIN;
  const svg =
    [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(totalHeight)}" viewBox="0 0 ${n(width)} ${n(totalHeight)}">`,
      ...DEFS,
      `<rect width="${n(width)}" height="${n(totalHeight)}" fill="#ffffff"/>`,
      ...body,
      `<line x1="${n(MARGIN)}" y1="${n(legendTop - 12)}" x2="${n(width - MARGIN)}" y2="${n(legendTop - 12)}" stroke="#d8dee4"/>`,
      ...key.body,
      ...e.note().map((note) => `<!-- ${note} -->`),
      "</svg>",
    ].join("\n") + "\n";
  return { value: svg, diagnostics: [] };
};
