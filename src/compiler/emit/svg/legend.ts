/** The picture's key: what each fill means, the KASLR and parameter marks, and the scale. */
import { H_MIN, H_PER_DOUBLING, STRIP_H, boxHeight } from "./geometry.js";
import { FONT, INK, KASLR, MONO, MUTED, PARAM, STYLES, n, text } from "./style.js";

export function legend(
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
