/**
 * Box diagrams, as illumos' `usr/src/uts/i86pc/os/startup.c` draws the kernel's address
 * space (inside a C comment, high addresses at the top):
 *
 *      0xFFFFFFFF.C0000000  |-----------------------|- core_base / ekernelheap
 *                           |        Kernel         |
 *                           |         heap          |
 *      0xFFFFFXXX.XXX00000  |-----------------------|- kernelheap (floating)
 *                           |---       GDT       ---|- GDT page (GDT_VA)
 *      ---                  |-----------------------|- segkp_base (floating)
 *
 * A boundary line (`|-----|` or `+-----+`) has an address on its left (`0x...` with an
 * optional `.` between its halves, `XXX` placeholder digits, or `---`: none) and names on its
 * right (`core_base / ekernelheap`), with a mark when the diagram lets it move (`(floating)`,
 * `(lower if >256GB)`). The labels between two boundaries are one region, from the lower
 * boundary (its start) to the upper (its exclusive end); notes right of the box join its
 * description; `|--- GDT ---|` lines inside a region are markers, kept as comments. The first
 * box whose addresses are 64-bit is read.
 *
 * How boundaries become the spec's numbers (`Binding`s):
 * - an address the diagram fixes and names is a `const` of that name (a second name, an alias
 *   `const` of the first); one it fixes without a name stays a literal;
 * - an address marked `(lower if ...)` is an address `param`, from one page above the
 *   boundary below it up to the diagram's value, its default (a `const` when floating
 *   boundaries lie between: they share that span);
 * - a boundary without an address (a placeholder, `---`, a bare `+-----+`) floats: the
 *   diagram does not say where, so the k floating boundaries between two placed ones share
 *   the span between them in k equal slots, each an address `param` (named as the diagram
 *   names it, else `<region below>_end`) ranging over its slot less a page at each side,
 *   within its placeholder's digits, default its lowest: the regions between them are never
 *   empty or reversed, and the ranges are the place to narrow from the kernel's sources;
 * - the box's top without an address is the top of the address space.
 */
import { TWO_64, parseAddress } from "./quantity.js";
import type { Address, Binding, Document, Item, Note, Reader, Row } from "./model.js";
import { cleanDescription, unreadNote } from "./pipe.js";
import { identifier } from "./names.js";
import { hexDigits } from "../model/format.js";

const COMMENT_PREFIX = /^\s*\/?\*+(?!\/) ?/;
const BOUNDARY = /^\s*(0x[0-9A-Za-z.]+|-{3})?\s*-?[+|]-{3,}[+|]-?\s*(.*?)\s*$/;
const CONTENT = /^\s*[|:](.*?)[|:](.*?)\s*$/;
const INNER_MARKER = /^\s*-{3}\s*(.*?)\s*-{3}\s*$/;
const PAGE = 0x1000n;

interface Boundary {
  readonly line: number;
  /** The diagram's address; undefined for `---` or none. */
  readonly address: Address | undefined;
  readonly names: readonly string[];
  /** `(lower if >256GB)`, `(floating)`: the address may move. */
  readonly floating: boolean;
  readonly annotation: string;
}

/** The labels and markers between two boundaries. */
interface Box {
  /** Inside the box (`Kernel heap`) and right of it (`(grows downwards)`), by line. */
  readonly labels: { line: number; inside: string; right: string }[];
  readonly notes: Note[];
}

interface Parsed {
  readonly heading: string | undefined;
  /** Top to bottom. */
  readonly boundaries: Boundary[];
  /** `boxes[k]` lies between `boundaries[k]` and `boundaries[k + 1]`. */
  readonly boxes: Box[];
  readonly unread: Note[];
}

function parseBoundary(line: number, body: string, unread: Note[]): Boundary | undefined {
  const m = BOUNDARY.exec(body);
  if (!m) return undefined;
  const [, token, right = ""] = m;
  let address: Address | undefined;
  if (token !== undefined && token !== "---") {
    const read = parseAddress(token.replace(/\./g, ""));
    // It keeps the diagram's spelling (`0xFFFFFFFF.C0000000`), which the language reads.
    address = read?.type === "symbol" || read === undefined ? read : { ...read, text: token };
    if (address === undefined)
      unread.push(
        unreadNote(line, body, `\`${token}\` is not a 64-bit address (\`0xFFFFFFFF.C0000000\`)`),
      );
  }
  const annotation = right.replace(/^-\s*/, "");
  const names = (annotation.split("(")[0] ?? "")
    .split(/[/,]/)
    .map((n) => n.trim())
    .filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  return {
    line,
    address,
    names,
    floating: /\((floating|lower if|higher if)/.test(annotation),
    annotation,
  };
}

/** The box diagram's runs of lines: each run of non-blank lines with two boundaries or more. */
function parseBox(lines: readonly string[]): Parsed | undefined {
  const bodies = lines.map((l) => l.replace(COMMENT_PREFIX, ""));
  for (let i = 0; i < bodies.length;) {
    if (bodies[i]!.trim() === "") {
      i++;
      continue;
    }
    let j = i;
    while (j < bodies.length && bodies[j]!.trim() !== "") j++;
    const parsed = parseRun(bodies, i, j);
    if (parsed !== undefined) return parsed;
    i = j;
  }
  return undefined;
}

function parseRun(bodies: readonly string[], from: number, to: number): Parsed | undefined {
  const boundaryLines: number[] = [];
  for (let i = from; i < to; i++) if (BOUNDARY.test(bodies[i]!)) boundaryLines.push(i);
  if (boundaryLines.length < 2) return undefined;
  const first = boundaryLines[0]!;
  const last = boundaryLines[boundaryLines.length - 1]!;
  const unread: Note[] = [];
  const boundaries: Boundary[] = [];
  const boxes: Box[] = [];
  for (let i = first; i <= last; i++) {
    const body = bodies[i]!;
    const boundary = parseBoundary(i + 1, body, unread);
    if (boundary !== undefined) {
      boundaries.push(boundary);
      if (i < last) boxes.push({ labels: [], notes: [] });
      continue;
    }
    const box = boxes[boxes.length - 1]!;
    const content = CONTENT.exec(body);
    if (!content) {
      unread.push(
        unreadNote(i + 1, body, "a line of the box without its two edges (`|  label  |`)"),
      );
      continue;
    }
    const [, inside = "", right = ""] = content;
    const marker = INNER_MARKER.exec(inside);
    if (marker) {
      const what = cleanDescription(right.replace(/^-\s*/, "")) || marker[1]!;
      box.notes.push({ type: "note", line: i + 1, text: `marker, not a region: ${what}` });
    } else if (inside.trim() !== "" || right.trim() !== "")
      box.labels.push({ line: i + 1, inside: inside.trim(), right: right.trim() });
  }
  // Only a box drawn with 64-bit addresses is this importer's.
  const wide = boundaries.some(
    (b) => b.address !== undefined && addressMax(b.address) > 0xffffffffn,
  );
  if (!wide) return undefined;
  const heading = bodies
    .slice(from, first)
    .map((b) => b.trim())
    .join(" ")
    .trim();
  return { heading: heading === "" ? undefined : heading, boundaries, boxes, unread };
}

function addressMax(a: Address): bigint {
  return a.type === "literal" ? a.value : a.type === "placeholder" ? a.max : 0n;
}

/**
 * A box's description: its labels, then what is written right of it in parentheses
 * (`User stack shared objects, etc (User space memory; grows downwards)`); an unlabelled
 * box by the name of the boundary it starts at (`above ARGSBASE`).
 */
function describe(box: Box, start: Boundary): string {
  const inside = box.labels.map((l) => l.inside).filter((t) => t !== "");
  const right = box.labels
    .map((l) => l.right.replace(/^-\s*/, "").replace(/^\((.*)\)$/, "$1"))
    .filter((t) => t !== "");
  if (inside.length === 0)
    return start.names.length > 0
      ? `above ${start.names.join(" / ")} (not labelled in the diagram)`
      : "not labelled in the diagram";
  return cleanDescription(`${inside.join(" ")}${right.length > 0 ? ` (${right.join("; ")})` : ""}`);
}

/**
 * Each boundary's spec address (bottom to top): a literal, or a binding's name; and the
 * bindings. See the rules in the file's comment.
 */
function bind(
  up: readonly Boundary[],
  regionNames: readonly string[],
): { addresses: (Address | undefined)[]; bindings: Binding[] } {
  const bindings: Binding[] = [];
  const taken = new Set<string>();
  const bindingName = (raw: string): string => {
    let name = identifier([raw], "param");
    for (let n = 2; taken.has(name); n++) name = `${identifier([raw], "param")}_${n}`;
    taken.add(name);
    return name;
  };
  /** A boundary's further names (`core_base / ekernelheap`) are consts naming its first. */
  const bindAliases = (b: Boundary, name: string): void => {
    for (const alias of b.names.slice(1))
      bindings.push({ type: "const", name: bindingName(alias), text: name, description: alias });
  };
  const addresses: (Address | undefined)[] = [];
  /** The last placed boundary below: its highest value. */
  let previous: { max: bigint } | undefined;
  const floaters: number[] = [];
  /** Places a boundary at `value`: the floaters below it, down to the last placed one, too. */
  const place = (value: bigint): void => {
    // The floaters since the previous placed boundary share the span in equal slots.
    const base = previous?.max ?? 0n;
    const slot = (value - base) / BigInt(floaters.length + 1);
    floaters.forEach((f, n) => {
      const b = up[f]!;
      const ph = b.address?.type === "placeholder" ? b.address : undefined;
      let lo = base + slot * BigInt(n) + PAGE;
      let hi = base + slot * BigInt(n + 1) - PAGE;
      if (ph) [lo, hi] = [lo > ph.min ? lo : ph.min, hi < ph.max ? hi : ph.max];
      lo = (lo + PAGE - 1n) & ~(PAGE - 1n);
      hi &= ~(PAGE - 1n);
      if (lo > hi) {
        addresses[f] = undefined;
        return;
      }
      const name = bindingName(b.names[0] ?? `${regionNames[f - 1] ?? "region"}_end`);
      bindings.push({
        type: "param",
        name,
        lo,
        hi,
        default: lo,
        description: `${b.annotation || "unnamed boundary"}: the diagram gives no address (${b.address?.text ?? "none"}, line ${b.line}); the range is an equal share of the span`,
      });
      addresses[f] = { type: "symbol", text: name };
      bindAliases(b, name);
    });
    floaters.length = 0;
    previous = { max: value };
  };
  up.forEach((b, k) => {
    const a = b.address;
    if (a === undefined || a.type !== "literal") {
      if (k === up.length - 1 && a === undefined) {
        // The box's top without an address: the top of the address space.
        place(TWO_64);
        addresses[k] = undefined;
        return;
      }
      floaters.push(k);
      return;
    }
    const below = previous?.max ?? 0n;
    const floatersBelow = floaters.length > 0;
    place(a.value);
    if (b.names.length === 0) {
      addresses[k] = a;
      return;
    }
    const name = bindingName(b.names[0]!);
    // Lowered only down to the boundary below; with floaters between, they share that span.
    if (b.floating && !floatersBelow && k > 0) {
      bindings.push({
        type: "param",
        name,
        lo: below + PAGE,
        hi: a.value,
        default: a.value,
        description: `${b.annotation} (the diagram's ${a.text}, line ${b.line})`,
      });
    } else bindings.push({ type: "const", name, text: a.text, description: b.annotation });
    addresses[k] = { type: "symbol", text: name };
    bindAliases(b, name);
  });
  return { addresses, bindings };
}

export const reader: Reader = {
  reads: "illumos startup.c box diagrams",
  read: (text: string) => {
    const lines = text.split("\n");
    const parsed = parseBox(lines);
    if (parsed === undefined) return { value: undefined, diagnostics: [] };
    // Bottom to top: ascending addresses, as specs are written.
    const up = [...parsed.boundaries].reverse();
    const boxesUp = [...parsed.boxes].reverse(); // boxesUp[k] lies between up[k] and up[k + 1]
    const descriptions = boxesUp.map((box, k) => describe(box, up[k]!));
    const regionNames = descriptions.map((d) => identifier([d.split(/[,(]/)[0]!]));
    const { addresses, bindings } = bind(up, regionNames);
    const items: Item[] = [];
    boxesUp.forEach((box, k) => {
      const lower = up[k]!;
      const upper = up[k + 1]!;
      const top = k + 1 === up.length - 1 && upper.address === undefined;
      const line = box.labels[0]?.line ?? lower.line;
      const start = addresses[k];
      const end: Address | undefined = top
        ? { type: "literal", text: hexDigits(TWO_64 - 1n), value: TWO_64 - 1n }
        : addresses[k + 1];
      if (start === undefined || end === undefined) {
        items.push({
          type: "note",
          line,
          text: `not imported (a boundary that cannot be placed): ${descriptions[k]}`,
        });
        return;
      }
      const row: Row = {
        type: "row",
        line,
        start,
        end,
        endExclusive: !top,
        endMarked: true,
        offset: undefined,
        size: undefined,
        description: descriptions[k]!,
        children: [],
      };
      items.push(row, ...box.notes);
    });
    const document: Document = {
      format: "illumos-box",
      title: parsed.heading,
      tables: [
        {
          heading: parsed.heading,
          pagingHint: undefined,
          items: [...items, ...parsed.unread],
          sharedFrom: undefined,
        },
      ],
      bindings,
    };
    return { value: document, diagnostics: [] };
  },
};
