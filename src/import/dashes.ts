/**
 * Dash range lines, one range per line, as two kernels' documents write them:
 *
 * - Linux 2.6's `Documentation/x86_64/mm.txt`:
 *
 *       ffff810000000000 - ffffc0ffffffffff (=46 bits) direct mapping of all phys. memory
 *       ... unused hole ...
 *       ffffffff80000000 - ffffffff82800000 (=40 MB)   kernel text mapping, from phys 0
 *
 *   `(=NN bits)` is a size of 2^NN bytes, `(=NN MB)` a size; an indented line under a row
 *   continues its description;
 * - FreeBSD's `sys/amd64/include/vmparam.h`, the same inside a C block comment:
 *
 *        * 0xfffff80000000000 - 0xfffffbffffffffff   4TB direct map
 *        *
 *        * 0xffffffff80000000                        KERNBASE
 *
 *   a size opening the description (`4TB direct map`) is the row's size; an address with a
 *   name and no end is a marker, kept as a comment.
 *
 * The table runs from its first range line to its last range or marker line (the end of the
 * comment ends it too); prose lines between them are kept as comments. A line that starts
 * like a range (`START - `) but cannot be read is kept as an unread row (W0501).
 */
import type { Document, Item, Quantity, Reader } from "./model.js";
import { cleanDescription, documentTitle, noRowRead, pagingHint, unreadNote } from "./pipe.js";
import { parseAddress, parseQuantity } from "./quantity.js";

const HEX16 = "(?:0x)?[0-9a-fA-F]{16}";
const ROW = new RegExp(
  `^(${HEX16})\\s+-\\s+(${HEX16})(?:\\s+\\(=\\s*([^)]*)\\))?(?:\\s+(\\S.*?))?\\s*$`,
);
/** What a range line starts with, read or not: something like an address, then ` - `. */
const RANGE_LIKE = /^(?:0x)?[0-9a-fA-F][0-9a-zA-Z_.]{7,}\s+-\s+/;
const MARKER = new RegExp(`^(${HEX16})\\s{2,}(\\S.*?)\\s*$`);
/** A C block comment's line prefix (` * `), its opening and its closing. */
const COMMENT_PREFIX = /^\s*\*(?!\/) ?/;
const COMMENT_END = /\*\//;

/** `46 bits` -> 2^46 bytes, spelled with the largest unit that keeps it whole (`64TB`). */
function bitsQuantity(bits: number): Quantity {
  const units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
  const k = Math.min(Math.floor(bits / 10), units.length - 1);
  return {
    text: `${1n << BigInt(bits - 10 * k)}${units[k]}`,
    approx: false,
    value: 1n << BigInt(bits),
  };
}

/** The `(=...)` cell: `46 bits` or a quantity (`40 MB`); undefined when it is neither. */
function parseSizeCell(cell: string): Quantity | undefined {
  const bits = /^(\d+)\s*bits$/.exec(cell.trim());
  if (bits) return Number(bits[1]) <= 64 ? bitsQuantity(Number(bits[1])) : undefined;
  const q = parseQuantity(cell);
  return q === undefined || /^[+-]/.test(q.text) ? undefined : q;
}

/** A size the description opens with, as FreeBSD writes them (`4TB direct map`). */
function leadingSize(description: string): Quantity | undefined {
  const m = /^(\d+\s*[KMGTPE]B)\s/.exec(description);
  return m ? parseQuantity(m[1]!) : undefined;
}

/** Why a line that starts like a range is not one. */
function whyUnread(line: string): string {
  const [start = "", , end = ""] = line.split(/\s+/);
  if (parseAddress(start)?.type !== "literal") return `\`${start}\` is not an address`;
  if (parseAddress(end)?.type !== "literal") return `\`${end}\` is not an address`;
  const size = /\(=([^)]*)\)/.exec(line);
  if (size) return `\`(=${size[1]})\` is not a size (\`(=46 bits)\`, \`(=40 MB)\`)`;
  return "it is not `START - END description`";
}

interface Parsed {
  readonly items: Item[];
  readonly heading: string | undefined;
  readonly inComment: boolean;
}

function parseTable(lines: readonly string[]): Parsed | undefined {
  // Each line without its comment prefix, and whether it was in a comment.
  const bodies = lines.map((l) => l.replace(COMMENT_PREFIX, ""));
  const first = bodies.findIndex((b) => ROW.test(b) || RANGE_LIKE.test(b));
  if (first < 0) return undefined;
  const inComment = COMMENT_PREFIX.test(lines[first]!);
  let last = first;
  for (let i = first; i < lines.length; i++) {
    if (inComment && (!COMMENT_PREFIX.test(lines[i]!) || COMMENT_END.test(lines[i]!))) break;
    if (ROW.test(bodies[i]!) || MARKER.test(bodies[i]!) || RANGE_LIKE.test(bodies[i]!)) last = i;
  }
  const items: Item[] = [];
  for (let i = first; i <= last; i++) {
    const body = bodies[i]!;
    const line = i + 1;
    const m = ROW.exec(body);
    const previous = items[items.length - 1];
    const [, startText = "", endText = "", sizeText, description = ""] = m ?? [];
    const size = sizeText === undefined ? leadingSize(description) : parseSizeCell(sizeText);
    if (m && (sizeText === undefined || size !== undefined)) {
      items.push({
        type: "row",
        line,
        start: parseAddress(startText),
        end: parseAddress(endText),
        endExclusive: false, // the table's convention decides (convention.ts)
        offset: undefined,
        size,
        description: cleanDescription(description),
        children: [],
      });
      continue;
    }
    if (m || RANGE_LIKE.test(body)) {
      items.push(unreadNote(line, body, whyUnread(body)));
      continue;
    }
    const marker = MARKER.exec(body);
    if (marker) {
      items.push({ type: "note", line, text: `marker, not a region: ${marker[1]} ${marker[2]}` });
      continue;
    }
    if (body.trim() === "") continue;
    // An indented line right under a row continues its description.
    if (/^\s{2,}/.test(body) && previous?.type === "row" && previous.line === line - 1) {
      items[items.length - 1] = {
        ...previous,
        description: cleanDescription(`${previous.description} ${body}`),
      };
      continue;
    }
    items.push({ type: "note", line, text: cleanDescription(body.replace(/\.\.\.\s*$/, "")) });
  }
  // The heading: the prose line right above the table, when it introduces it (`...:`).
  const above = bodies
    .slice(0, first)
    .reverse()
    .find((b) => b.trim() !== "");
  const heading = above?.trim().endsWith(":") ? above.trim().replace(/:$/, "") : undefined;
  return { items, heading, inComment };
}

export const reader: Reader = {
  reads: "FreeBSD vmparam.h comment tables, Linux 2.6 mm.txt `START - END` lines",
  read: (text, context) => {
    const lines = text.split("\n");
    const parsed = parseTable(lines);
    if (parsed === undefined) return { value: undefined, diagnostics: [] };
    const { items, heading, inComment } = parsed;
    const document: Document = {
      format: inComment ? "vmparam" : "mm-txt",
      title: documentTitle(lines) ?? heading,
      tables: [{ heading, pagingHint: pagingHint(heading), items, sharedFrom: undefined }],
    };
    if (items.some((it) => it.type === "row")) return { value: document, diagnostics: [] };
    const help = "a row is `START - END description`, with 16 hex digits for each address";
    const refusal = noRowRead(document, context, help);
    return { value: refusal && document, diagnostics: refusal ? [refusal] : [] };
  },
};
