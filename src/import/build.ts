/**
 * From an imported document to spec text. The rules, in the order they apply:
 *
 * - **Paging**: the table's heading when it says so ("4-level", "57-bit", RISC-V's "SV39": `paging
 *   sv39`, the variant then named "sv39"); otherwise from its
 *   addresses: any canonical address of a region (not a hole) that only 57-bit paging allows
 *   (`00ffffffffffffff`, `ff11000000000000`) means `paging 5`, else `paging 4`.
 * - **Kinds**: the kind the document tags a row with (`--emit md`'s `*guard*`); else
 *   "non-canonical" in the description, or exactly the non-canonical range of the
 *   paging mode -> `noncanonical`; "guard" -> `guard`; "unused", "hole", "gap" or "not in any
 *   region" -> `hole`; else a region. AArch64 tables get the range between the TTBR halves as
 *   `noncanonical` where no row of theirs covers it (Linux's memory.rst lists neither).
 *   "recursive page table" adds `map recursive`, so the verifier checks the slot; "optional"
 *   (a build option's range, FreeBSD's KASAN and KMSAN shadows) on a row that overlaps
 *   another adds `allow overlap`: it stands in for what it overlaps in the builds that have it.
 * - **Variants**: several tables become `variant`s named after their headings ("4-level"),
 *   AArch64 ones after their granule and VA size ("4k-48");
 *   rows after a banner "Identical layout ... from here on" that are the same in every table
 *   are written once, at top level, after the variants.
 * - **Extents**: `START +SIZE .. END` when the document gives an exact size and an end (so the
 *   verifier checks start + size - 1 == end, E0206), `START .. END` otherwise, `..` or `..<`
 *   as the table's end convention has it (convention.ts); the Offset column and approximate
 *   or fractional sizes go to `documentAttributes` (attributes.ts).
 * - **Symbolic starts** (`FIXADDR_START`) become an address `param` of that name, in lower
 *   case: its range runs from the end of the region above + 1 to one 4 KB page before the row's
 *   end, 4 KB aligned; its default is the Offset column's value when that lies in the range
 *   (`~-11 MB`), else the low end.
 * - **Placeholders** (`FFFF_FFFF_8XXX_XXXX`) become an address `param` named after the region
 *   ending there (`kernel_elf_end`): the placeholder's digits bound it, and it stays one page
 *   inside the regions on either side; default the low end. Rows of nothing but placeholders
 *   (`XXXX_XXXX_XXXX_XXXX`) and marker rows (a start and an offset only) are kept as comments.
 * - **Nesting** (range-line documents): indentation nests; a top-level line inside an earlier
 *   line's range becomes its child (Emerald's "Kernel layout" rows go inside "Kernel").
 *   memory.rst's bracketed rows and `--emit md`'s `↳` rows come nested from their readers.
 * - Every region line ends with `// line N`, the line of the document it came from, and the
 *   spec's first line names the document: src/diagnostics/line-notes.ts reads both to note
 *   `from FILE:N` on diagnostics (keep the two formats in step).
 */
import { type Address, type Document, type Item, type Row, type Table, rowsOf } from "./model.js";
import { Names, identifier, layoutName, nameFromDescription } from "./names.js";
import { isFullPlaceholder, offsetAddress } from "./quantity.js";
import { hexDigits } from "../model/format.js";
import { assertNever } from "../model/collections.js";
import { documentAttributes } from "./attributes.js";
import { archOf, pagingOfLevels, pagingWord } from "../arch/registry.js";
import type { Paging } from "../model/layout.js";

export interface BuildOptions {
  /** Name of the imported file (for the layout's name and the header comment). */
  readonly fileName: string;
  /** Write `offset` / `size ~` attributes (true) or keep them in the line's comment (false). */
  readonly attributes: boolean;
}

type Kind = "region" | "hole" | "guard" | "noncanonical";

interface Param {
  readonly name: string;
  readonly lo: bigint;
  readonly hi: bigint;
  readonly defaultText: string;
  readonly description: string;
}

const PAGE = 0x1000n;
const alignUp = (v: bigint): bigint => (v + PAGE - 1n) & ~(PAGE - 1n);
const alignDown = (v: bigint): bigint => v & ~(PAGE - 1n);

function kindOf(row: Row, paging: Paging): Kind {
  if (row.kind !== undefined) return row.kind;
  const d = row.description.toLowerCase();
  if (/non-?canonical/.test(d)) return "noncanonical";
  const [lower, upper] = archOf(paging).halves;
  if (
    row.start?.type === "literal" &&
    row.start.value === lower.end &&
    lastByte(row) === upper.start - 1n
  )
    return "noncanonical";
  if (/\bguard\b/.test(d)) return "guard";
  if (HOLE.test(d)) return "hole";
  return "region";
}

/**
 * Descriptions of a range no region covers; vmlayout's own tables write "... not in any
 * region", arm64's memory.rst "[gap]".
 */
const HOLE = /\bunused\b|\bhole\b|\bgap\b|\bnot in any region\b/;

function detectPaging(table: Table): Paging {
  if (table.pagingHint) return table.pagingHint;
  const narrow = archOf(pagingOfLevels(4));
  const wide = archOf(pagingOfLevels(5));
  for (const row of rowsOf(table.items)) {
    const d = row.description.toLowerCase();
    if (/non-?canonical/.test(d) || HOLE.test(d)) continue;
    // An exclusive end is the byte after the row: its last byte tells.
    const ends = [
      row.start?.type === "literal" ? row.start.value : undefined,
      row.end?.type === "literal" ? lastByte(row) : undefined,
    ];
    for (const v of ends) {
      if (v === undefined) continue;
      if (wide.isCanonical(v) && !narrow.isCanonical(v)) return pagingOfLevels(5);
    }
  }
  return pagingOfLevels(4);
}

/**
 * The byte an address cell stands for: a literal's value, a placeholder's with its letters at
 * their lowest (`min`) or highest (`max`); none for a symbol or a missing cell.
 */
function addressValue(a: Address | undefined, extreme: "min" | "max"): bigint | undefined {
  if (a === undefined) return undefined;
  switch (a.type) {
    case "literal":
      return a.value;
    case "placeholder":
      return a[extreme];
    case "symbol":
      return undefined;
    default:
      return assertNever(a, "address cell");
  }
}
/** Lowest byte an address cell can be (a placeholder at its lowest). */
function low(a: Address | undefined): bigint | undefined {
  return addressValue(a, "min");
}
/** Highest byte a row can reach (a placeholder end at its highest, or lowest with `inner`). */
function lastByte(row: Row, inner = false): bigint | undefined {
  const v = addressValue(row.end, inner ? "min" : "max");
  return v === undefined ? undefined : row.endExclusive ? v - 1n : v;
}
/** Lowest start a row surely covers from (a placeholder start at its highest). */
function innerStart(a: Address | undefined): bigint | undefined {
  return addressValue(a, "max");
}

/** Range-line documents: a top-level row inside an earlier row's range becomes its child. */
function nestByContainment(items: Item[]): Item[] {
  const out: Item[] = [];
  let notes: Item[] = [];
  const findParent = (list: readonly Item[], lo: bigint, hi: bigint): Row | undefined => {
    for (const it of list) {
      if (it.type !== "row") continue;
      const plo = innerStart(it.start);
      const phi = lastByte(it, true);
      if (plo !== undefined && phi !== undefined && plo <= lo && hi <= phi) {
        return findParent(it.children, lo, hi) ?? it;
      }
    }
    return undefined;
  };
  for (const it of items) {
    if (it.type === "note") {
      notes.push(it);
      continue;
    }
    const lo = low(it.start);
    const hi = lastByte(it);
    const parent = lo !== undefined && hi !== undefined ? findParent(out, lo, hi) : undefined;
    const into = parent ? parent.children : out;
    for (const note of notes) into.push(note); // no spread: a table can hold many notes
    into.push(it);
    notes = [];
  }
  return [...out, ...notes];
}

/** The rows after "Identical layout from here on", when every table has the same ones. */
function sharedTail(tables: readonly Table[]): number | undefined {
  if (tables.length < 2 || tables.some((t) => t.sharedFrom === undefined)) return undefined;
  const key = (t: Table): string =>
    JSON.stringify(
      t.items
        .slice(t.sharedFrom! + 1)
        .map((it) =>
          it.type === "note"
            ? ["note", it.text]
            : [it.start?.text, it.end?.text, it.offset?.text, it.size?.text, it.description],
        ),
    );
  const first = key(tables[0]!);
  return tables.every((t) => key(t) === first) ? 0 : undefined;
}

export function buildSpec(doc: Document, options: BuildOptions): string {
  const tables = doc.tables.map((t) => ({ ...t, paging: detectPaging(t) }));
  const sharing = sharedTail(tables) !== undefined;
  const first = tables[0]!;
  // The shared rows, from the first table, remembering the other tables' lines.
  let shared: Item[] = [];
  if (sharing) {
    shared = first.items.slice(first.sharedFrom!).map((it, k) => {
      if (it.type !== "row") return it;
      const also = tables.slice(1).map((t) => t.items[t.sharedFrom! + k]!.line);
      return { ...it, alsoLines: also };
    });
  }
  const own = tables.map((t) =>
    sharing
      ? t.items.slice(0, t.sharedFrom!)
      : doc.format === "emerald"
        ? nestByContainment(t.items)
        : t.items,
  );
  const sharedPaging = first.paging;

  // Names: the shared scope first, then each table's own.
  const names = new Map<Row, string | undefined>();
  const kinds = new Map<Row, Kind>();
  const nameAll = (items: readonly Item[], scope: Names, paging: Paging): void => {
    for (const row of rowsOf(items)) {
      const kind = kindOf(row, paging);
      kinds.set(row, kind);
      if (row.name !== undefined) names.set(row, scope.take(identifier([row.name])));
      else if (kind === "hole" || kind === "noncanonical") names.set(row, undefined);
      else names.set(row, scope.take(nameFromDescription(row.description, kind)));
    }
  };
  const bindings = doc.bindings ?? [];
  const root = new Names(bindings.map((b) => b.name));
  nameAll(shared, root, sharedPaging);
  own.forEach((items, k) => nameAll(items, root.fork(), tables[k]!.paging));

  // Parameters for symbolic starts and placeholders.
  const params = new Map<string, Param>();
  const paramOf = new Map<string, string>(); // address text -> parameter name
  const skipped = new Set<Row>();
  for (const b of bindings) {
    paramOf.set(b.name, b.name);
    if (b.type === "param") params.set(b.name, { ...b, defaultText: hexDigits(b.default) });
  }
  const collectParams = (items: readonly Item[]): void => {
    const rows = items.filter((it): it is Row => it.type === "row");
    rows.forEach((row, k) => {
      // A placeholder start (`FFFF_FFFF_8XXX_XXXX`) is imported only as the parameter that the
      // row before made of the same placeholder as its end.
      if (
        (row.start?.type === "placeholder" && !paramOf.has(row.start.text)) ||
        [row.start, row.end].some((a) => a !== undefined && isFullPlaceholder(a))
      ) {
        skipped.add(row);
        return;
      }
      const prev = rows[k - 1];
      const next = rows[k + 1];
      if (row.start?.type === "symbol" && !paramOf.has(row.start.text)) {
        const prevEnd = prev ? lastByte(prev) : undefined;
        const nextStart = next ? low(next.start) : undefined;
        const hiEnd = lastByte(row) ?? (nextStart === undefined ? undefined : nextStart - 1n);
        const lo = prevEnd === undefined ? undefined : alignUp(prevEnd + 1n);
        const hi = hiEnd === undefined ? undefined : alignDown(hiEnd + 1n - PAGE);
        if (lo === undefined || hi === undefined || lo > hi) skipped.add(row);
        else {
          const off = row.offset ? offsetAddress(row.offset) : undefined;
          const useOffset = off !== undefined && off >= lo && off <= hi && off % PAGE === 0n;
          const name = identifier([row.start.text], "param");
          params.set(name, {
            name,
            lo,
            hi,
            // `-11MB` is an address (down from 2^64); `+112TB` is not: written in hex.
            defaultText: useOffset
              ? row.offset!.text.startsWith("-")
                ? row.offset!.text
                : hexDigits(off!)
              : hexDigits(lo),
            description: `${row.start.text}${row.offset ? ` (the document's offset: ${row.offset.approx ? "~" : ""}${row.offset.text})` : ""}`,
          });
          paramOf.set(row.start.text, name);
        }
      }
      if (row.end?.type === "placeholder" && !paramOf.has(row.end.text)) {
        const ph = row.end;
        const starting = next?.start?.text === ph.text ? next : undefined;
        const startLow = low(row.start);
        const lo = alignUp(maxOf(ph.min, startLow === undefined ? ph.min : startLow + PAGE));
        const nextEnd = starting ? lastByte(starting) : undefined;
        const hi = alignDown(
          minOf(ph.max + 1n, nextEnd === undefined ? ph.max + 1n : nextEnd + 1n) - PAGE,
        );
        if (lo > hi) skipped.add(row);
        else {
          const name = `${names.get(row) ?? "region"}_end`;
          params.set(name, {
            name,
            lo,
            hi,
            defaultText: hexDigits(lo),
            description: `${ph.text} in the document`,
          });
          paramOf.set(ph.text, name);
        }
      }
      collectParams(row.children);
    });
  };
  collectParams(shared);
  own.forEach(collectParams);
  // A name the document uses as an address, which no row defines, cannot be imported.
  const unbound = (a: Address | undefined): boolean => a?.type === "symbol" && !paramOf.has(a.text);
  for (const row of [...rowsOf(shared), ...own.flatMap(rowsOf)])
    if (unbound(row.start) || unbound(row.end)) skipped.add(row);

  const out: string[] = [];
  const title = doc.title;
  out.push(
    `// Imported by \`vmlayout import\` from ${printable(options.fileName.replace(/^.*[\\/]/, ""))} (${FORMAT_NAMES[doc.format]}).`,
    "// Each region keeps the document's own numbers and ends with the line it came from, so",
    "// `vmlayout check` reports the document's inconsistencies at those lines.",
    `layout ${layoutName(options.fileName)}${title ? ` ${quote(title)}` : ""}`,
  );
  if (tables.length === 1) out.push(`paging ${pagingWord(first.paging)}`);
  for (const p of params.values()) {
    out.push(
      `param ${p.name}: address = ${p.defaultText} in ${hexDigits(p.lo)} .. ${hexDigits(p.hi)} align 4KB ${quote(p.description)}`,
    );
  }
  for (const b of bindings)
    if (b.type === "const") out.push(`const ${b.name} = ${b.text} ${quote(b.description)}`);

  const writeItems = (items: readonly (Item | TtbrGap)[], depth: number): void => {
    const pad = "  ".repeat(depth);
    for (const it of items) {
      if (it.type === "gap") {
        out.push(
          `${pad}${hexDigits(it.first)} .. ${hexDigits(it.last)} noncanonical ${quote("between the TTBR0 and TTBR1 halves")} // not in the document: no address here translates`,
        );
        continue;
      }
      if (it.type === "note") {
        out.push(`${pad}// line ${it.line}: ${it.text}`);
        continue;
      }
      if (skipped.has(it)) {
        out.push(
          `${pad}// line ${it.line}, not imported (placeholder or unbounded address): ${it.start?.text ?? ""} .. ${it.end?.text ?? ""} ${it.description}`,
        );
        writeItems(it.children, depth);
        continue;
      }
      const standIn = isOptional(it) && overlapsSibling(it, items);
      const line = regionLine(
        it,
        kinds.get(it)!,
        names.get(it),
        paramOf,
        options.attributes,
        standIn,
      );
      if (it.children.length === 0) out.push(pad + line.text + line.body + line.comment);
      else {
        out.push(
          `${pad}${line.text}${line.body === "" ? " {" : line.body.replace(/ }$/, "")}${line.comment}`,
        );
        writeItems(it.children, depth + 1);
        out.push(`${pad}}`);
      }
    }
  };

  if (tables.length === 1) writeItems(withTtbrGap(own[0]!, first.paging), 0);
  else {
    const variants = new Names();
    tables.forEach((t, k) => {
      out.push("");
      out.push(`variant ${quote(variants.take(variantName(t, k)))} {`);
      out.push(`  paging ${pagingWord(t.paging)}`);
      writeItems(withTtbrGap(own[k]!, t.paging), 1);
      out.push("}");
    });
    if (shared.length > 0) {
      out.push("");
      writeItems(shared, 0);
    }
  }
  return out.join("\n") + "\n";
}

const FORMAT_NAMES: Readonly<Record<Document["format"], string>> = {
  "memory-rst": "Linux arm64 memory.rst tables",
  "mm-rst": "Linux mm.rst ascii table",
  markdown: "Markdown table",
  gaybsd: "space-separated columns",
  emerald: "range lines",
  vmparam: "FreeBSD vmparam.h comment table",
  "mm-txt": "Linux 2.6 mm.txt range lines",
  "illumos-box": "illumos startup.c box diagram",
};

const isOptional = (row: Row): boolean => /\boptional\b/i.test(row.description);

/** Whether `row` shares a byte with another row of `siblings` (both at their widest). */
function overlapsSibling(row: Row, siblings: readonly (Item | TtbrGap)[]): boolean {
  const lo = low(row.start);
  const hi = lastByte(row);
  if (lo === undefined || hi === undefined) return false;
  return siblings.some((it) => {
    if (it === row || it.type !== "row") return false;
    const olo = low(it.start);
    const ohi = lastByte(it);
    return olo !== undefined && ohi !== undefined && olo <= hi && lo <= ohi;
  });
}

/** Why a range the document calls optional may overlap others (see the rules above). */
const OPTIONAL =
  "the document calls this range optional: it is there only in some builds, in place of what it overlaps";

/**
 * The range between AArch64's two halves (D8.2: an address there faults at any level), where
 * the table has no row of its own there: written before the first row of the upper half.
 */
interface TtbrGap {
  readonly type: "gap";
  readonly first: bigint;
  readonly last: bigint;
}

function withTtbrGap(items: readonly Item[], paging: Paging): readonly (Item | TtbrGap)[] {
  if (paging.arch !== "aarch64") return items;
  const [lower, upper] = archOf(paging).halves;
  const gap: TtbrGap = { type: "gap", first: lower.end, last: upper.start - 1n };
  const rows = items.filter((it): it is Row => it.type === "row");
  const covered = rows.some((r) => {
    const lo = low(r.start);
    const hi = lastByte(r);
    return lo !== undefined && hi !== undefined && lo <= gap.last && gap.first <= hi;
  });
  if (covered) return items;
  const at = items.findIndex((it) => it.type === "row" && (low(it.start) ?? 0n) >= upper.start);
  const k = at < 0 ? items.length : at;
  return [...items.slice(0, k), gap, ...items.slice(k)];
}

/** The comment of a row the document brackets (memory-rst.ts). */
const BRACKETED = "bracketed in the document: only some configurations have it";

function variantName(t: Table & { readonly paging: Paging }, k: number): string {
  // AArch64's tables differ in granule and VA size: `4k-48`, `64k-52`.
  if (t.paging.arch === "aarch64") return `${t.paging.granule}k-${t.paging.vaBits}`;
  const m = t.heading
    ? (/\b(\d+-level)\b/i.exec(t.heading) ?? /\b(sv\d+)\b/i.exec(t.heading))
    : null;
  return m ? m[1]!.toLowerCase() : (t.heading ?? `table ${k + 1}`);
}

const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minOf = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** `s` with control characters (a line break would end a `//` comment) as `\u{a}`. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

export function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function regionLine(
  row: Row,
  kind: Kind,
  name: string | undefined,
  paramOf: ReadonlyMap<string, string>,
  attributes: boolean,
  standIn: boolean,
): { text: string; body: string; comment: string } {
  const addr = (a: Address): string => paramOf.get(a.text) ?? a.text;
  const start = addr(row.start!);
  const exactSize =
    row.size !== undefined &&
    !row.size.approx &&
    row.size.value !== undefined &&
    row.size.value > 0n
      ? row.size
      : undefined;
  const dots = row.endExclusive ? "..<" : "..";
  let extent: string;
  if (row.end !== undefined)
    extent = `${exactSize ? `+${exactSize.text} ` : ""}${dots} ${addr(row.end)}`;
  else extent = `+${row.size!.text}`;
  const doc = documentAttributes(row, { sizeInExtent: exactSize !== undefined, attributes });
  const attrs = [
    ...(/recursive page table/i.test(row.description) ? ["map recursive"] : []),
    ...(standIn ? [`allow overlap ${quote(OPTIONAL)}`] : []),
    ...doc.attributes,
  ];
  const parts = [start, extent, kind === "region" ? "" : kind, name ?? "", quote(row.description)];
  const lines = [row.line, ...(row.alsoLines ?? [])];
  const where = `line ${row.line}${lines.length > 1 ? ` (and ${lines.slice(1).join(", ")})` : ""}`;
  return {
    text: parts.filter((p) => p !== "").join(" "),
    body: attrs.length > 0 ? ` { ${attrs.join("; ")} }` : "",
    comment: ` // ${[where, ...(row.bracketed ? [BRACKETED] : []), ...doc.comments].join("; ")}`,
  };
}
