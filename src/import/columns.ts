/**
 * Space-separated column tables, as GayBSD's (FreeBSD's) amd64 table writes them:
 *
 *     start address offset end address size description
 *     ffff8000 00000000 -128 TB ffff8040 20100fff ~ 0.25 TB recursive page table
 *
 * Addresses are two groups of 8 hex digits (or 16 hex digits / `_` groups); the offset and the
 * size are quantities with an optional `~`.
 */
import type { Document, Item, Reader } from "./model.js";
import { cleanDescription, documentTitle, pagingHint } from "./pipe.js";
import { UNIT, parseAddress, parseQuantity, parseSize } from "./quantity.js";

const ADDR =
  "(?:0x)?(?:[0-9a-fA-F]{8} [0-9a-fA-F]{8}|[0-9a-fA-F]{16}|[0-9a-fA-F]{4}(?:_[0-9a-fA-F]{4}){3})";
const QTY = `~?\\s*[+-]?\\d+(?:\\.\\d+)?(?:\\s*${UNIT}){0,2}`;
const ROW = new RegExp(`^\\s*(${ADDR})\\s+(?:(${QTY})\\s+)?(${ADDR})\\s+(${QTY})\\s+(\\S.*?)\\s*$`);

function parseColumnTable(text: string): Document | undefined {
  const lines = text.split("\n");
  const items: Item[] = [];
  let first = -1;
  for (let i = 0; i < lines.length; i++) {
    const m = ROW.exec(lines[i]!);
    if (!m) {
      // The table is one run of rows; a line that is not a row after it ends the table.
      if (items.length > 0 && lines[i]!.trim() !== "") break;
      continue;
    }
    if (first < 0) first = i;
    const [, startText = "", offsetText, endText = "", sizeText = "", description = ""] = m;
    items.push({
      type: "row",
      line: i + 1,
      start: parseAddress(startText),
      end: parseAddress(endText),
      endExclusive: false,
      offset: offsetText === undefined ? undefined : parseQuantity(offsetText),
      size: parseSize(sizeText),
      description: cleanDescription(description),
      children: [],
    });
  }
  if (items.length === 0) return undefined;
  const heading = /start/i.test(lines[first - 1] ?? "")
    ? undefined
    : lines[first - 1]?.trim() || undefined;
  return {
    format: "gaybsd",
    title: documentTitle(lines),
    tables: [{ heading, pagingHint: pagingHint(heading), items, sharedFrom: undefined }],
  };
}

export const reader: Reader = {
  reads: "GayBSD column tables",
  read: (text) => ({ value: parseColumnTable(text), diagnostics: [] }),
};
