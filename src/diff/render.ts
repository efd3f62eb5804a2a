/** The three forms of `vmlayout diff`: a line per change, Markdown for a review, JSON for tools. */
import type { Change } from "./diff.js";

export type DiffFormat = "text" | "md" | "json";

export interface DiffLabels {
  /** How the user named each side (`specs/a.layout`, `HEAD~1:specs/a.layout`). */
  readonly old: string;
  readonly new: string;
}

const where = (c: Change): string => (c.variant === null ? "" : `[${c.variant}] `);

export function renderDiff(
  changes: readonly Change[],
  labels: DiffLabels,
  format: DiffFormat,
): string {
  switch (format) {
    case "json":
      return (
        JSON.stringify(
          {
            schema: "vmlayout-diff/1",
            old: labels.old,
            new: labels.new,
            equivalent: changes.length === 0,
            changes: changes.map((c) => ({
              kind: c.kind,
              variant: c.variant,
              subject: c.subject,
              detail: c.detail,
            })),
          },
          null,
          2,
        ) + "\n"
      );
    case "md":
      return markdown(changes, labels);
    case "text":
      return changes.length === 0
        ? `${labels.old} -> ${labels.new}: equivalent\n`
        : `${labels.old} -> ${labels.new}: ${count(changes.length)}\n` +
            changes.map((c) => `${where(c)}${c.subject}: ${c.detail}\n`).join("");
  }
}

const count = (n: number): string => `${n} change${n === 1 ? "" : "s"}`;

/** Markdown-safe text: no table or emphasis syntax, no HTML, no line breaks from the spec. */
const mdText = (s: string): string =>
  s
    .replace(/[\\*_[\]|#]/g, (c) => `\\${c}`)
    .replace(/</g, "&lt;")
    .replace(/[\r\n]+/g, " ");

/** Inline code that cannot end early or span lines. */
const mdCode = (s: string): string => `\`${s.replace(/[`\p{Cc}]/gu, "?")}\``;

/** A subject with its backticked name kept as code (a name holds only `[A-Za-z0-9_]`). */
const mdDetail = (s: string): string =>
  s
    .split(/(`[A-Za-z0-9_]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : mdText(part)))
    .join("");

function markdown(changes: readonly Change[], labels: DiffLabels): string {
  const title = `**vmlayout diff** ${mdCode(labels.old)} → ${mdCode(labels.new)}`;
  if (changes.length === 0) return `${title}: equivalent\n`;
  const lines = [`${title}: ${count(changes.length)}`, ""];
  let variant: string | null | undefined;
  for (const c of changes) {
    if (c.variant !== variant && c.variant !== null) {
      if (variant !== undefined) lines.push("");
      lines.push(`Variant ${mdCode(c.variant)}:`, "");
    }
    variant = c.variant;
    lines.push(`- **${mdText(c.subject)}**: ${mdDetail(c.detail)}`);
  }
  return lines.join("\n") + "\n";
}
