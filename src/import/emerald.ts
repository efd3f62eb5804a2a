/**
 * Range lines, as Emerald's memory-layout document writes them:
 *
 *     FFFF_FFFF_8000_0000 .. FFFF_FFFF_FFFF_FFFF - Kernel (2 GB)
 *     FFFF_FFFF_8900_0000..FFFF_FFFF_890E_7000          interrupt stacks
 *         FFFF_FFFF_8900_0000..FFFF_FFFF_8900_1000      interrupt stack 0 guard page (4KB)
 *
 * Indentation nests a line under the line above it. `..<` marks an exclusive end; otherwise
 * each section (the lines under a heading) follows its own end convention (convention.ts):
 * the top table's ends are inclusive (`..FFFF`), the kernel layout's exclusive (`..0000`).
 * Placeholder digits (`8XXX_XXXX`) become parameters; lines of only placeholders and
 * `...` lines are kept as comments.
 */
import type { Document, Item, Reader, Row } from "./model.js";
import { cleanDescription, documentTitle } from "./pipe.js";
import { parseAddress } from "./quantity.js";

const ADDR = "(?:0x)?(?:[0-9a-zA-Z]{4}(?:_[0-9a-zA-Z]{4}){3}|[0-9a-fA-F]{16})";
const LINE = new RegExp(`^(\\s*)(${ADDR})\\s*\\.\\.(<?)\\s*(${ADDR})\\s*(?:-\\s+)?(.*?)\\s*$`);
const ELLIPSIS = /^(\s+)\.\.\.\s*(.*?)\s*$/;

function parseRangeLines(text: string): Document | undefined {
  const lines = text.split("\n");
  const top: Item[] = [];
  /** Open rows by indentation, innermost last. */
  let stack: Row[] = [];
  let count = 0;
  let heading: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = LINE.exec(line);
    const dots = m ? undefined : ELLIPSIS.exec(line);
    if (!m && !dots) {
      if (line.trim() !== "" && !/^\s/.test(line)) {
        // A short line of prose is a section heading ("Kernel layout"); it closes the nesting.
        if (line.trim().length <= 60 && !/[.:]$/.test(line.trim()))
          heading = { text: line.trim(), line: i + 1 };
        stack = [];
      }
      continue;
    }
    const indent = (m?.[1] ?? dots?.[1] ?? "").replace(/\t/g, "    ").length;
    while (stack.length > 0 && (stack[stack.length - 1]!.indent ?? 0) >= indent) stack.pop();
    const siblings = stack.length > 0 ? stack[stack.length - 1]!.children : top;
    if (heading !== undefined && stack.length === 0) {
      siblings.push({ type: "note", line: heading.line, text: heading.text, section: true });
      heading = undefined;
    }
    if (dots) {
      siblings.push({ type: "note", line: i + 1, text: `... ${cleanDescription(dots[2] ?? "")}` });
      continue;
    }
    const [, , startText = "", lt = "", endText = "", description = ""] = m!;
    const start = parseAddress(startText);
    const end = parseAddress(endText);
    if (start === undefined || end === undefined) continue;
    // `..<` and a placeholder end (the next line starts there) say exclusive themselves; the
    // other ends follow their section's convention (convention.ts).
    const endMarked = lt === "<" || end.type === "placeholder";
    const row: Row = {
      type: "row",
      line: i + 1,
      start,
      end,
      endExclusive: endMarked,
      ...(endMarked ? { endMarked: true as const } : {}),
      offset: undefined,
      size: undefined,
      description: cleanDescription(description),
      children: [],
      indent,
    };
    siblings.push(row);
    stack.push(row);
    count++;
  }
  if (count === 0) return undefined;
  return {
    format: "emerald",
    title: documentTitle(lines),
    tables: [{ heading: undefined, pagingHint: undefined, items: top, sharedFrom: undefined }],
  };
}

export const reader: Reader = {
  reads: "Emerald `START..END` lines",
  read: (text) => ({ value: parseRangeLines(text), diagnostics: [] }),
};
