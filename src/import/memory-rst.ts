/**
 * Linux arm64's `Documentation/arm64/memory.rst` (`memory.txt` before 5.3, later
 * `Documentation/arch/arm64/memory.rst`): whitespace-separated (tab) columns under a
 * `Start End Size Use` header and a rule, one table per granule and VA size:
 *
 *     AArch64 Linux memory layout with 4KB pages + 4 levels (48-bit)::
 *
 *       Start			End			Size		Use
 *       -----------------------------------------------------------------------
 *       ffff000000000000	ffff7fffffffffff	 128TB		kernel logical memory map
 *      [ffff600000000000	ffff7fffffffffff]	  32TB		[kasan shadow region]
 *
 * A row whose addresses are bracketed is a config-dependent part of the row above that holds
 * it (the KASAN shadow carved out of the top of the linear map): it becomes that row's child.
 * A bracketed use alone (`[guard region]`, `[gap]`) only marks the range as no region's.
 * The heading names the granule, the levels and the VA size; each table gets the AArch64
 * paging they give (W0503 when the heading leaves the granule or the VA size out, W0504 when
 * its levels are not those of its granule and VA size).
 */
import { type Diagnostic, diagnostic, hasErrors } from "../diagnostics/diagnostic.js";
import type { Paging } from "../model/layout.js";
import { aarch64 } from "../arch/aarch64/arch.js";
import type { VaBits } from "../arch/aarch64/entry.js";
import { pagingOfGranule } from "../arch/registry.js";
import {
  type Document,
  type Item,
  type ReadContext,
  type Reader,
  type Row,
  type Table,
  rowsOf,
} from "./model.js";
import {
  aarch64Words,
  cleanDescription,
  documentTitle,
  hasRows,
  noRowRead,
  unreadNote,
} from "./pipe.js";
import { parseAddress, parseSize } from "./quantity.js";

const HEADER = /^\s*start\s+end\s+size\s+use\s*$/i;
const RULE = /^\s*-{3,}\s*$/;
/** `[START END] SIZE USE`, the brackets optional; cells are runs of spaces apart (tabs expanded). */
const ROW = /^\s*(\[?)\s*(\S+)\s+([^\s\]]+)(\]?)\s+(~?\s*[\d.]+\s*[A-Za-z]*)\s+(\S.*?)\s*$/;

const VA_SIZES: readonly VaBits[] = [39, 42, 47, 48, 52];

export const reader: Reader = {
  reads: "Linux arm64 memory.rst tables (`Start End Size Use`)",
  conclusive: true,
  read: readMemoryRst,
};

function readMemoryRst(text: string, context: ReadContext): ReturnType<Reader["read"]> {
  const lines = text.split("\n");
  const tables: Table[] = [];
  const diagnostics: Diagnostic[] = [];
  const firstHeader = lines.findIndex((l) => HEADER.test(l));
  for (let i = Math.max(firstHeader, 0); i < lines.length; i++) {
    if (!HEADER.test(lines[i]!)) continue;
    const heading = headingAbove(lines, i);
    const items: Item[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j]!.trim() !== ""; j++) {
      if (RULE.test(lines[j]!)) continue;
      const read = readRow(lines[j]!, j + 1, items, context);
      diagnostics.push(...read.diagnostics);
      if (read.child) read.child.parent.children.push(read.child.row);
      else items.push(read.item);
    }
    const paging = tablePaging(heading, i + 1, items, context);
    diagnostics.push(...paging.diagnostics);
    tables.push({ heading: heading?.text, pagingHint: paging.value, items, sharedFrom: undefined });
    i = j - 1;
  }
  if (tables.length === 0) return { value: undefined, diagnostics: [] };
  // A title underlined above the first table (the header's rule underlines no title), else a
  // lone table's heading.
  const title =
    documentTitle(lines.slice(0, firstHeader)) ??
    (tables.length === 1 ? tables[0]!.heading : undefined);
  const doc: Document = { format: "memory-rst", title, tables };
  if (!hasErrors(diagnostics) && !tables.some(hasRows)) {
    const refusal = noRowRead(
      doc,
      context,
      "a row is `START END SIZE USE`: two 16-digit hex addresses, a size (`128TB`, `~4PB`), what the range is for",
    );
    if (refusal) diagnostics.push(refusal);
  }
  return { value: doc, diagnostics };
}

interface Heading {
  readonly text: string;
  readonly line: number;
}

/** The paragraph above a header (blank lines skipped), without its closing `:` / `::`. */
function headingAbove(lines: readonly string[], header: number): Heading | undefined {
  let end = header - 1;
  while (end >= 0 && lines[end]!.trim() === "") end--;
  let start = end;
  while (start > 0 && lines[start - 1]!.trim() !== "") start--;
  if (end < 0) return undefined;
  const text = lines
    .slice(start, end + 1)
    .join(" ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/:+$/, "")
    .trim();
  return text === "" ? undefined : { text, line: start + 1 };
}

type ReadRow =
  | { readonly item: Item; readonly child?: undefined; readonly diagnostics: Diagnostic[] }
  | {
      readonly item?: undefined;
      readonly child: { readonly row: Row; readonly parent: Row };
      readonly diagnostics: Diagnostic[];
    };

/**
 * One line of a table: a row, a bracketed row with the row of `above` that holds it, or an
 * unread note (W0501). E0504 for a bracket left open or closed alone, E0505 for a bracketed
 * row no row above holds.
 */
function readRow(
  line: string,
  lineNo: number,
  above: readonly Item[],
  context: ReadContext,
): ReadRow {
  const m = ROW.exec(line);
  if (!m) {
    const why = "a row is `START END SIZE USE`, four columns apart";
    return { item: unreadNote(lineNo, line, why), diagnostics: [] };
  }
  const [, open = "", startText = "", endText = "", close = "", sizeText = "", use = ""] = m;
  const start = parseAddress(startText);
  const end = parseAddress(endText);
  const size = parseSize(sizeText);
  const unread = (why: string): ReadRow => ({
    item: unreadNote(lineNo, line, why),
    diagnostics: [],
  });
  if (start?.type !== "literal") return unread(`\`${startText}\` is not an address`);
  if (end?.type !== "literal") return unread(`\`${endText}\` is not an address`);
  if (size === undefined) return unread(`\`${sizeText.trim()}\` is not a size`);
  const useBracket = /^\[.*\]$/.test(use);
  const unbalanced =
    (open === "") !== (close === "")
      ? open
        ? "its addresses open `[` and no `]` closes them"
        : "its addresses close `]` that no `[` opened"
      : use.split("[").length !== use.split("]").length
        ? "its use has a `[` without its `]`, or a `]` without its `[`"
        : undefined;
  const row: Row = {
    type: "row",
    line: lineNo,
    start,
    end,
    endExclusive: false, // the table's convention decides (convention.ts)
    offset: undefined,
    size,
    description: cleanDescription(useBracket ? use.slice(1, -1) : use),
    children: [],
    ...(open ? { bracketed: true as const } : {}),
  };
  if (unbalanced)
    return {
      item: row,
      diagnostics: [
        diagnostic(
          "E0504",
          `the row at line ${lineNo} has an unbalanced bracket: ${unbalanced}`,
          context.lineSpan(lineNo),
          {
            help: "a bracketed row is `[START END]`, both addresses inside one pair; correct the document and import again",
          },
        ),
      ],
    };
  if (!open) return { item: row, diagnostics: [] };
  const parent = holder(above, start.value, end.value);
  if (parent) return { child: { row, parent }, diagnostics: [] };
  return {
    item: row,
    diagnostics: [
      diagnostic(
        "E0505",
        `the bracketed row at line ${lineNo} (\`${startText}\`..\`${endText}\`) lies inside no row above it`,
        context.lineSpan(lineNo),
        {
          notes: ["brackets mark a config-dependent part of the row above that holds it"],
          help: "correct the addresses in the document, or drop the brackets if the range is a region of its own",
        },
      ),
    ],
  };
}

/** The innermost row of `items` (or their children) that holds `lo`..`hi` (inclusive ends). */
function holder(items: readonly Item[], lo: bigint, hi: bigint): Row | undefined {
  for (const it of [...items].reverse()) {
    if (it.type !== "row" || it.start?.type !== "literal" || it.end?.type !== "literal") continue;
    if (it.start.value <= lo && hi <= it.end.value) return holder(it.children, lo, hi) ?? it;
  }
  return undefined;
}

/**
 * The table's paging from its heading (`4KB pages + 4 levels (48-bit)`): the granule (4 KB
 * when it names none), the VA size (else the smallest whose halves hold the table's
 * addresses, among those its levels allow), each default W0503; W0504 when the levels it
 * names are not its granule's and VA size's.
 */
function tablePaging(
  heading: Heading | undefined,
  headerLine: number,
  items: readonly Item[],
  context: ReadContext,
): { value: Paging; diagnostics: Diagnostic[] } {
  const text = heading?.text ?? "";
  const where = context.lineSpan(heading?.line ?? headerLine);
  const named = aarch64Words(text);
  const granule = named.granule ?? 4;
  const levels = named.levels;
  const addresses = rowsOf(items).flatMap((r) =>
    [r.start, r.end].flatMap((a) => (a?.type === "literal" ? [a.value] : [])),
  );
  const holds = (va: VaBits): boolean =>
    addresses.every((v) => aarch64(granule, va).isCanonical(v));
  const candidates = VA_SIZES.filter(
    (va) => levels === undefined || aarch64(granule, va).levels === levels,
  );
  const vaBits = named.vaBits
    ? named.vaBits
    : (candidates.find(holds) ?? VA_SIZES.find(holds) ?? 48);
  const diagnostics: Diagnostic[] = [];
  const quoted = heading ? `the heading \`${heading.text}\`` : "the table has no heading and";
  const missing = [named.granule ? [] : ["granule"], named.vaBits ? [] : ["VA size"]].flat();
  if (missing.length > 0)
    diagnostics.push(
      diagnostic(
        "W0503",
        `${quoted} names no ${missing.join(" and no ")}: imported as ${granule}KB pages, ${vaBits}-bit VA`,
        where,
        {
          notes: [
            named.granule ? [] : ["a heading without `NKB pages` gets the 4KB granule"],
            named.vaBits
              ? []
              : [
                  `a heading without \`(NN-bit)\` gets the smallest VA size whose halves hold every address of its table${levels ? `, among those with ${levels} levels of ${granule}KB tables` : ""}`,
                ],
          ].flat(),
          help: "check the imported `paging` against the document, or name it in the heading (`4KB pages + 4 levels (48-bit)`)",
        },
      ),
    );
  const arch = aarch64(granule, vaBits);
  if (levels !== undefined && arch.levels !== levels)
    diagnostics.push(
      diagnostic(
        "W0504",
        `the heading \`${text}\` says ${levels} levels, but ${granule}KB pages with a ${vaBits}-bit VA take ${arch.levels}`,
        where,
        {
          notes: ["imported with the granule and VA size it names; the levels follow from them"],
          help: "correct the levels or the VA size in the document",
        },
      ),
    );
  return { value: pagingOfGranule(granule, vaBits), diagnostics };
}
