/**
 * Pipe tables: Linux `mm.rst`'s ascii tables (`Start addr | Offset | End addr | Size | VM area
 * description`, continuation lines, banner rows, marker rows) and Markdown pipe tables whose
 * header names Start / End / Size / Description columns (and optionally Offset and Name) in
 * any order.
 */
import { type Diagnostic, type Result, diagnostic } from "../diagnostics/diagnostic.js";
import { clipQuote } from "../diagnostics/render.js";
import type { Document, Item, Note, ReadContext, Reader, Row, Table } from "./model.js";
import { parseAddress, parseQuantity, parseSize } from "./quantity.js";
import type { Paging } from "../model/layout.js";
import { PAGING_MODES, pagingOfGranule, pagingOfLevels } from "../arch/registry.js";
import type { Granule, VaBits } from "../arch/aarch64/entry.js";

type Column = "start" | "end" | "size" | "offset" | "description" | "name";

const COLUMN_WORDS: readonly [Column, RegExp][] = [
  ["start", /^(start|start addr(ess)?|from|begin|base|first)$/],
  ["end", /^(end|end addr(ess)?|to|last|limit|top)$/],
  ["size", /^(size|length|len)$/],
  ["offset", /^(offset|distance)$/],
  ["name", /^(name|region|symbol|area)$/],
  ["description", /^(.*description|desc|what|purpose|usage|use|contents|comment|notes?)$/],
];

/**
 * Markdown rows have outer pipes (`| a | b |`) and write a pipe inside a cell as `\|` (as
 * GitHub's tables and `--emit md` do); mm.rst rows have no outer pipes (an empty first cell
 * is spaces) and no escapes.
 */
function splitCells(line: string, markdown: boolean): string[] {
  if (!markdown) return line.split("|");
  let body = line.trim();
  if (body.startsWith("|")) body = body.slice(1);
  if (body.endsWith("|") && !body.endsWith("\\|")) body = body.slice(0, -1);
  return body.split(/(?<!\\)\|/).map((cell) => cell.replaceAll("\\|", "|"));
}

/** The header's columns, when `line` is a table header naming at least start and end/size. */
function headerColumns(line: string): (Column | undefined)[] | undefined {
  if (!line.includes("|")) return undefined;
  const cols = splitCells(line, line.trim().startsWith("|")).map((c) => {
    const word = c.trim().toLowerCase().replace(/\s+/g, " ");
    return COLUMN_WORDS.find(([, re]) => re.test(word))?.[0];
  });
  if (!cols.includes("start") || !(cols.includes("end") || cols.includes("size"))) return undefined;
  return cols;
}

const RULE = /^\s*[=_\-+|: ]*$/;
const UNDERLINE = /^\s*(={3,}|-{3,}|~{3,})\s*$/;

function headingAbove(lines: readonly string[], at: number): string | undefined {
  for (let i = at - 1; i >= 0; i--) {
    const l = lines[i]!;
    const md = /^\s*#{1,6}\s+(.*\S)\s*$/.exec(l);
    if (md) return md[1];
    if (
      UNDERLINE.test(l) &&
      i > 0 &&
      lines[i - 1]!.trim() !== "" &&
      !UNDERLINE.test(lines[i - 1]!) &&
      !lines[i - 1]!.includes("|")
    )
      return lines[i - 1]!.trim();
  }
  return undefined;
}

export function documentTitle(lines: readonly string[]): string | undefined {
  for (let i = 1; i < lines.length; i++) {
    const md = /^\s*#\s+(.*\S)\s*$/.exec(lines[i - 1]!);
    if (md) return md[1];
    if (
      UNDERLINE.test(lines[i]!) &&
      lines[i - 1]!.trim() !== "" &&
      !UNDERLINE.test(lines[i - 1]!) &&
      !lines[i - 1]!.includes("|")
    )
      return lines[i - 1]!.trim();
  }
  return undefined;
}

/**
 * What a heading says of AArch64 paging, as Linux's arm64 memory.rst writes it ("4KB pages + 4
 * levels (48-bit)"): each part when it says it.
 */
export function aarch64Words(heading: string): {
  granule?: Granule;
  levels?: number;
  vaBits?: VaBits;
} {
  const granule = /\b(4|16|64)\s*KB?\s+pages?\b/i.exec(heading)?.[1];
  const levels = /\b([2-5])\s+levels?\b/i.exec(heading)?.[1];
  const vaBits = /\b(39|42|47|48|52)-bit\b/.exec(heading)?.[1];
  return {
    ...(granule ? { granule: Number(granule) as Granule } : {}),
    ...(levels ? { levels: Number(levels) } : {}),
    ...(vaBits ? { vaBits: Number(vaBits) as VaBits } : {}),
  };
}

export function pagingHint(heading: string | undefined): Paging | undefined {
  if (heading === undefined) return undefined;
  const words = aarch64Words(heading);
  if (words.granule && words.vaBits) return pagingOfGranule(words.granule, words.vaBits);
  // RISC-V's vm-layout.rst heads its tables "... SV39", "SV48", "SV57".
  const sv = /\bsv(39|48|57)\b/i.exec(heading);
  if (sv) return PAGING_MODES.get(`sv${sv[1]}`);
  // An AArch64 variant as vmlayout names an imported one (`4k-48`), or its paging word.
  const arm = /\b(?:aarch64_)?(4|16|64)k[-_](39|42|47|48|52)\b/i.exec(heading);
  if (arm) return PAGING_MODES.get(`aarch64_${arm[1]}k_${arm[2]}`);
  const m = /\b([45])[- ]level\b/i.exec(heading) ?? /\b(48|57)-bit\b/.exec(heading);
  if (!m) return undefined;
  return pagingOfLevels(m[1] === "4" || m[1] === "48" ? 4 : 5);
}

export const reader: Reader = {
  reads: "Linux mm.rst ascii tables, Markdown pipe tables with Start, End and Size columns",
  read: readPipeTables,
};

/**
 * The pipe tables in `text`; E0501 at the first row when no table has a row that could be
 * read, the others in notes. Tables without a row to try count as none.
 */
function readPipeTables(text: string, context: ReadContext): Result<Document | undefined> {
  const doc = parsePipeTables(text);
  if (doc === undefined || doc.tables.some(hasRows)) return { value: doc, diagnostics: [] };
  const refusal = noRowRead(
    doc,
    context,
    "a row needs an address for its start, and numbers (`128 TB`, `~ 0.5 MB`) for its offset and size; a size has no sign",
  );
  return refusal === undefined
    ? { value: undefined, diagnostics: [] }
    : { value: doc, diagnostics: [refusal] };
}

/**
 * E0501 at the first unread row of a document none of whose table rows could be read, the
 * next ones in notes; none when it has no unread row either.
 */
export function noRowRead(
  doc: Document,
  context: ReadContext,
  help: string,
): Diagnostic | undefined {
  const unread = doc.tables.flatMap((t) =>
    t.items.flatMap((it) => (it.type === "note" && it.unread ? [it] : [])),
  );
  const [first, ...others] = unread;
  if (first === undefined) return undefined;
  return diagnostic(
    "E0501",
    `found a table in \`${context.file}\`, but none of its rows could be read`,
    context.lineSpan(first.line),
    {
      notes: [
        ...others.slice(0, 5).map((u) => `also line ${u.line}: ${clipQuote(u.text)}`),
        ...(others.length > 5 ? [`and ${others.length - 5} more lines`] : []),
      ],
      help,
    },
  );
}

function parsePipeTables(text: string): Document | undefined {
  const lines = text.split("\n");
  const tables: Table[] = [];
  let markdown = false;
  for (let i = 0; i < lines.length; i++) {
    const columns = headerColumns(lines[i]!);
    if (!columns) continue;
    const md = lines[i]!.trim().startsWith("|");
    if (md) markdown = true;
    const heading = headingAbove(lines, i);
    const items: Item[] = [];
    /** The rows a `↳` row of each depth nests in (`--emit md`). */
    const parents: Row[] = [];
    let sharedFrom: number | undefined;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      if (!line.includes("|")) {
        if (line.trim() === "" || RULE.test(line)) {
          if (line.trim() === "" && items.length > 0) break;
          continue;
        }
        break;
      }
      if (RULE.test(line) && !/[0-9a-zA-Z]/.test(line)) continue;
      const cells = splitCells(line, md);
      const cell = (c: Column): string => {
        const k = columns.indexOf(c);
        return k < 0 ? "" : (cells[k] ?? "").trim();
      };
      const nonEmpty = cells.map((c) => c.trim()).filter((c) => c !== "");
      if (nonEmpty.length === 0) continue;
      // A banner: fewer cells than the header, only text (mm.rst's "Kernel-space ..." rows), or
      // a Markdown row of only a bold description (`--emit md`'s).
      const boldBanner =
        md && nonEmpty.length === 1 && /^\*\*[^*].*\*\*$/.test(cell("description"));
      if (
        boldBanner ||
        (cells.length < columns.length && cells.slice(0, -1).every((c) => c.trim() === ""))
      ) {
        const banner = boldBanner
          ? cell("description").slice(2, -2)
          : cells[cells.length - 1]!.trim();
        if (/identical layout/i.test(banner)) sharedFrom = items.length;
        items.push({ type: "note", line: j + 1, text: banner });
        continue;
      }
      // `--emit md` writes addresses as code (`` `ffff000000000000` ``).
      const address = (c: Column): string => cell(c).replace(/^`([^`]*)`$/, "$1");
      const startText = address("start");
      const description = cell("description");
      const prev = items[items.length - 1];
      // A continuation line: only a description, joined to the row above.
      if (startText === "" && cell("end") === "" && cell("size") === "" && description !== "") {
        if (prev?.type === "row") {
          items[items.length - 1] = {
            ...prev,
            description: cleanDescription(`${prev.description} ${description}`),
          };
        } else items.push({ type: "note", line: j + 1, text: description });
        continue;
      }
      const start = startText === "" ? undefined : parseAddress(startText);
      const endText = address("end");
      const end = endText === "" ? undefined : parseAddress(endText.replace(/^~\s*/, ""));
      const offset = cell("offset") === "" ? undefined : parseQuantity(cell("offset"));
      const size = cell("size") === "" ? undefined : parseSize(cell("size"));
      const bad =
        start === undefined ||
        (endText !== "" && end === undefined) ||
        (cell("offset") !== "" && offset === undefined) ||
        (cell("size") !== "" && size === undefined);
      if (bad) {
        items.push(
          unreadNote(
            j + 1,
            line,
            "a start that is not an address, or an offset or size that is not a number",
          ),
        );
        continue;
      }
      // A marker row: a start (and offset) without an end or a size.
      if (end === undefined && size === undefined) {
        items.push({
          type: "note",
          line: j + 1,
          text: `marker row, not a region: ${[startText, cell("offset")].filter((c) => c !== "").join(" | ")}`,
        });
        continue;
      }
      const emitted = md ? emittedDescription(description) : undefined;
      const name = cell("name") !== "" ? cell("name") : emitted?.name;
      const row: Row = {
        type: "row",
        line: j + 1,
        start,
        end,
        endExclusive: false, // the table's convention decides (convention.ts)
        offset,
        size,
        description: cleanDescription(emitted?.description ?? description),
        ...(name !== undefined ? { name } : {}),
        ...(emitted?.kind !== undefined ? { kind: emitted.kind } : {}),
        children: [],
      };
      const depth = emitted?.depth ?? 0;
      parents.length = Math.min(parents.length, depth);
      const parent = parents[depth - 1];
      (parent ? parent.children : items).push(row);
      parents.push(row);
    }
    tables.push({ heading, pagingHint: pagingHint(heading), items, sharedFrom });
    i = j - 1;
  }
  // Tables without a readable row count only when no table has one: then the reader can say
  // which rows it could not read.
  const readable = tables.filter(hasRows);
  if (tables.length === 0) return undefined;
  return {
    format: markdown ? "markdown" : "mm-rst",
    title: documentTitle(lines),
    tables: readable.length > 0 ? readable : tables,
  };
}

/** The kinds `--emit md` tags a description with (`*guard*`); its `*gap*` is no region's. */
const EMITTED_KINDS: Readonly<Record<string, NonNullable<Row["kind"]>>> = {
  hole: "hole",
  gap: "hole",
  guard: "guard",
  "non-canonical": "noncanonical",
};

/**
 * A description cell as `--emit md` writes it: `&emsp;↳ ` per level of nesting, a kind tag
 * (`*guard*`), the region's name as code, then `: ` and the description; each part optional.
 */
function emittedDescription(cell: string): {
  depth: number;
  kind: Row["kind"];
  name: string | undefined;
  description: string;
} {
  const m =
    /^((?:&emsp;)*↳\s*)?(?:\*([a-z-]+)\*\s*)?(?:`([A-Za-z_][A-Za-z0-9_]*)`)?(?::\s*|$)/.exec(cell);
  const kind = m?.[2] === undefined ? undefined : EMITTED_KINDS[m[2]];
  if (!m || m[0] === "" || (m[2] !== undefined && kind === undefined))
    return { depth: 0, kind: undefined, name: undefined, description: cell };
  const nest = m[1] ?? "";
  return {
    depth: nest === "" ? 0 : nest.split("&emsp;").length,
    kind,
    name: m[3],
    description: cell.slice(m[0].length),
  };
}

/** A line of a table that could not be read, kept as a comment (W0501 says `why`). */
export function unreadNote(line: number, text: string, why: string): Note {
  return { type: "note", line, text: `not imported: ${text.trim()}`, unread: why };
}

/** The table has a row to import (not only notes: banners, unreadable rows). */
export function hasRows(table: Table): boolean {
  return table.items.some((it) => it.type === "row");
}

/** `... unused hole.` -> `unused hole`; markdown emphasis and backticks dropped. */
export function cleanDescription(text: string): string {
  return text
    .replace(/^\.\.\.\s*/, "")
    .replace(/\*([^*]+)\*/g, "$1")
    .replace(/`([^`]+)`/g, "$1")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/\.$/, "");
}
