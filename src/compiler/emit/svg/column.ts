/**
 * One column of the picture: a layout's bars, with addresses and offsets on the left, parameter
 * whiskers and KASLR brackets beside them, and descriptions on the right.
 */
import { type Affine, bounds } from "../../../model/affine.js";
import { groupBy } from "../../../model/collections.js";
import { hexDigits } from "../../../model/format.js";
import { ADDRESS_SPACE_END, type Layout, type Region } from "../../../model/layout.js";
import { xmlEntities } from "../escape.js";
import { halfName, pagingText } from "../text.js";
import { describe as describeRow, isAutoNamed } from "../table.js";
import {
  formatOffset,
  formatQuantity,
  formatSize,
  sizeQuantity,
  halfSize,
  topUnit,
  type Unit,
} from "../units.js";
import {
  BAR_W,
  INSET,
  STRIP_H,
  type Seg,
  addressY,
  isBreak,
  place,
  segments,
  stripWidth,
  walk,
} from "./geometry.js";
import {
  FONT,
  INK,
  KASLR,
  MONO,
  MUTED,
  PARAM,
  fit,
  monoWidth,
  n,
  sansWidth,
  styleOf,
  text,
  wrapWords,
} from "./style.js";

const HEX_W = 110;
const OFFSET_W = 72;
const LANE_W = 9;
const KASLR_W = 26;
const LABEL_W = 330;
const LINE_H = 13;
const COMB_LANES = 3;
const COMB_GAP = 6;

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

export interface Column {
  readonly width: number;
  readonly height: number;
  readonly body: string[];
  /** The `Style` keys of the boxes drawn, for the legend. */
  readonly styles: ReadonlySet<string>;
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

export function renderColumn(
  layout: Layout,
  x0: number,
  y0: number,
  heading: string | undefined,
): Column {
  const top = segments(layout);
  const whiskers = whiskersOf(layout);
  const x = columnX(layout, x0, whiskers.size);
  const out: string[] = [];
  const { bottom, captions } = placeBars(layout, top, x0, y0, heading, out);
  const f: Frame = {
    ...x,
    layout,
    unit: topUnit(halfSize(layout.paging)),
    half: halfSize(layout.paging),
    top,
    all: [...walk(top)],
    whiskers,
    bottom,
    out,
    boxX: (s) => x.barX + s.depth * INSET,
  };
  const styles = drawBoxes(f, captions);
  drawNames(f);
  drawBoundaries(f);
  drawWhiskers(f);
  drawKaslr(f);
  const labelBottom = drawLabels(f);
  return { width: x.width, height: labelBottom - y0, body: out, styles };
}

/** Where a column's parts go, left to right. */
interface ColumnX {
  readonly hexX: number;
  /** The right edge of the offsets. */
  readonly offsetRight: number;
  readonly laneX: number;
  /** Whisker lanes. */
  readonly lanes: number;
  readonly barX: number;
  readonly barRight: number;
  readonly kaslrX: number;
  readonly labelX: number;
  readonly width: number;
}

interface Caption {
  readonly y: number;
  readonly text: string;
}

/** What the drawing steps of a column share: the placed segments, where things go, the output. */
interface Frame extends ColumnX {
  readonly layout: Layout;
  readonly unit: Unit;
  /** The size of a canonical half. */
  readonly half: bigint;
  readonly top: readonly Seg[];
  /** Every segment, parents before children. */
  readonly all: readonly Seg[];
  readonly whiskers: ReadonlyMap<bigint, Whisker>;
  /** The bars' bottom. */
  readonly bottom: number;
  readonly out: string[];
  /** The left edge of a segment's box. */
  readonly boxX: (s: Seg) => number;
}

/** The boundaries that depend on a parameter, by their address at the defaults, merged. */
function whiskersOf(layout: Layout): Map<bigint, Whisker> {
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
  return whiskers;
}

/** Where a column's parts go, left to right; lanes for whiskers and one bracket per KASLR group. */
function columnX(layout: Layout, x0: number, whiskers: number): ColumnX {
  const lanes = Math.min(6, Math.max(whiskers > 0 ? 1 : 0, whiskers));
  const kaslrW = layout.kaslr.length * KASLR_W;
  const hexX = x0;
  const offsetRight = x0 + HEX_W + 8 + OFFSET_W;
  const laneX = offsetRight + 10;
  const barX = laneX + lanes * LANE_W + (lanes > 0 ? 6 : 0);
  const barRight = barX + BAR_W;
  const kaslrX = barRight + 12;
  const labelX = kaslrX + kaslrW + 22;
  const width = labelX + LABEL_W - x0;
  return { hexX, offsetRight, laneX, lanes, barX, barRight, kaslrX, labelX, width };
}

/**
 * Vertical placement: the heading, then the bars with captions, the breaks between them. Places
 * every segment; returns the bars' bottom and the captions to draw.
 */
function placeBars(
  layout: Layout,
  top: readonly Seg[],
  x0: number,
  y0: number,
  heading: string | undefined,
  out: string[],
): { bottom: number; captions: readonly Caption[] } {
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
      `${pagingText(layout, " · ")} · ${layout.name}`,
      `font-family="${FONT}" font-size="11" fill="${MUTED}"`,
    ),
  );
  y += 26;
  const captions: Caption[] = [];
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
        captions.push({ y: y + 10, text: halfName(layout, lower ? 0 : 1).toUpperCase() });
        y += 16;
      }
      barIndex++;
      inBar = true;
    }
    place(s, y);
    y += s.h;
  }
  return { bottom: y, captions };
}

/** The boxes, the size strip along each leaf's bottom, and the captions over the bars; the styles used. */
function drawBoxes(f: Frame, captions: readonly Caption[]): Set<string> {
  const { unit, half, all, barX, barRight, out, boxX } = f;
  const styles = new Set<string>();
  for (const c of captions)
    out.push(
      text(
        barX,
        c.y,
        c.text,
        `font-family="${FONT}" font-size="9.5" letter-spacing="0.8" fill="${MUTED}"`,
      ),
    );
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
    styles.add(st.key);
    const tip = `${r ? r.name : "in no region"}: ${hexDigits(s.start)}..${hexDigits(s.limit - 1n)} (${size})`;
    const dash = r ? "" : ' stroke-dasharray="4 3"';
    out.push(
      `<rect x="${n(x)}" y="${n(s.y)}" width="${n(w)}" height="${n(s.h)}" fill="${st.fill}" stroke="${st.stroke}" stroke-width="1"${dash}><title>${xmlEntities(tip)}</title></rect>`,
    );
    const strip = Math.min(stripWidth(s.limit - s.start, half), w - 2);
    if (s.children.length === 0 && strip >= 0.5)
      out.push(
        `<rect x="${n(barRight - 1 - strip)}" y="${n(s.y + s.h - 1 - STRIP_H)}" width="${n(strip)}" height="${STRIP_H}" fill="${st.stroke}"/>`,
      );
  }
  return styles;
}

/** Names: inside leaf boxes; up the left edge of parents. */
function drawNames(f: Frame): void {
  const { unit, all, barRight, out, boxX } = f;
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
          `<text x="${n(cx)}" y="${n(cy)}" transform="rotate(-90 ${n(cx)} ${n(cy)})" text-anchor="middle" dominant-baseline="central" font-family="${MONO}" font-size="10" fill="${INK}">${xmlEntities(label)}</text>`,
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
}

/** Boundaries: the address and offset of every start, on the left. */
function drawBoundaries(f: Frame): void {
  const { unit, all, whiskers, hexX, offsetRight, barX, bottom, out } = f;
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
}

/** Parameter whiskers: a range per dependent boundary, in lanes that do not collide. */
function drawWhiskers(f: Frame): void {
  const { top, whiskers, laneX, lanes, barX, barRight, out } = f;
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
      `<g stroke="${PARAM}" stroke-width="1.5"><title>${xmlEntities(tip)}</title>` +
        `<line x1="${n(lx)}" y1="${n(yMin)}" x2="${n(lx)}" y2="${n(yMax)}"/>` +
        `<line x1="${n(lx - 3)}" y1="${n(yMin)}" x2="${n(lx + 3)}" y2="${n(yMin)}"/>` +
        `<line x1="${n(lx - 3)}" y1="${n(yMax)}" x2="${n(lx + 3)}" y2="${n(yMax)}"/></g>`,
      `<circle cx="${n(lx)}" cy="${n(yDefault)}" r="2.6" fill="${PARAM}"/>`,
      `<line x1="${n(barX)}" y1="${n(yDefault)}" x2="${n(barRight)}" y2="${n(yDefault)}" stroke="${PARAM}" stroke-width="1.6" stroke-dasharray="5 3"/>`,
    );
  }
}

/** KASLR brackets: the range each group moves in, a dot per member. */
function drawKaslr(f: Frame): void {
  const { layout, unit, top, all, kaslrX, out } = f;
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
        `<text x="${n(cx)}" y="${n(cy)}" transform="rotate(-90 ${n(cx)} ${n(cy)})" text-anchor="middle" dominant-baseline="central" font-family="${FONT}" font-size="11" font-weight="bold" fill="${KASLR}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${xmlEntities(label)}</text>`,
      );
  });
}

/** Descriptions on the right, spread apart where boxes are small, with leader lines; their bottom. */
function drawLabels(f: Frame): number {
  const { barRight, labelX, bottom, out } = f;
  const labels = labelsOf(f.all);
  spread(labels, bottom);
  drawCombs(f, labels);
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
  return labelBottom;
}

const heightOf = (l: Label): number => l.lines.length * LINE_H;

/**
 * The labels of the segments, by anchor: a region's description (or, for an unnamed hole or
 * guard, what it is) unless its box already shows it. Siblings repeating a description (a
 * `repeat`) are described once: "... (×7)".
 */
function labelsOf(all: readonly Seg[]): Label[] {
  const repeatKey = (r: Region): string => `${r.parent}\u0000${r.kind}\u0000${r.description}`;
  const repeats = groupBy(
    all.filter((s) => s.region?.description !== undefined),
    (s) => repeatKey(s.region!),
  );
  const anchorOf = (t: Seg): number => (t.children.length > 0 ? t.y + 8 : t.y + t.h / 2);
  const labels: Label[] = [];
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
  return labels.sort((a, b) => a.anchor - b.anchor);
}

/**
 * Sets each label's top: centred on its anchor where there is room, pushed down past the one
 * above, then pulled up so that none ends below `bottom` (or below the last one's end).
 */
function spread(labels: readonly Label[], bottom: number): void {
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
}

/**
 * Combs: a vertical line per `(×N)` label in the gutter, in lanes that do not overlap, with a
 * tick from each box it counts.
 */
function drawCombs(f: Frame, labels: readonly Label[]): void {
  const { barRight, labelX, out } = f;
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
    `<g><title>${xmlEntities(tip)}</title><polygon points="${pts.join(" ")}" fill="url(#vml-nc)" stroke="#9aa4ae" stroke-width="1" stroke-dasharray="3 2"/>` +
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
