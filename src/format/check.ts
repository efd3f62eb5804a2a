/**
 * The formatter's self-check: its output must parse to the same AST (spans aside) with the
 * same comments, or it throws (an internal error) instead of changing what the spec means.
 */
import type { IToken } from "chevrotain";
import { parseSpec } from "../compiler/parse.js";
import type { SpecFile } from "../compiler/ast.js";
import type { PreparedSpec } from "./source.js";

/** The AST without spans (and the file path): what the spec means. */
function meaning(ast: SpecFile): string {
  return JSON.stringify(ast.items, (key, value: unknown) =>
    key === "span" ? undefined : typeof value === "bigint" ? `${value}n` : value,
  );
}

/**
 * Comments as the formatter may print them: without the spaces at the start and end of each
 * line (it re-indents block comments and drops trailing spaces).
 */
function commentWords(comments: readonly IToken[]): string[] {
  return comments.map((c) =>
    c.image
      .split(/\r\n?|\n/)
      .map((line) => line.trim())
      .join("\n"),
  );
}

/** Throws when `out`, the formatting of `spec`, does not mean the same. */
export function checkSameMeaning(spec: PreparedSpec, out: string, path: string): void {
  const again = parseSpec(out, path);
  const problem = again.diagnostics.some((d) => d.severity === "error")
    ? "the output does not parse"
    : meaning(again.value.ast) !== meaning(spec.ast)
      ? "the output means something else"
      : JSON.stringify(commentWords(again.value.comments)) !==
          JSON.stringify(commentWords(spec.commentTokens))
        ? "the output lost or changed a comment"
        : undefined;
  if (problem)
    throw new Error(`vmlayout formatter bug: ${problem} (${path}); the file was left as it was`);
}
