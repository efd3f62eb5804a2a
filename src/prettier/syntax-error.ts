import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { SourceFile, type Position } from "../diagnostics/source.js";

/**
 * How the plugin's parser refuses a spec with syntax errors: Prettier reports a thrown error
 * with a `loc` as a code frame; `diagnostics` holds the coded errors (E0001 ...), which
 * `vmlayout fmt` prints as the checker would.
 */
export class SpecSyntaxError extends SyntaxError {
  /** Prettier's error location: 1-based line and column of the first error. */
  readonly loc: { start: Position; end: Position };
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    text: string,
  ) {
    const first = diagnostics[0]!;
    const source = new SourceFile("", text);
    const start = source.position(first.span?.start ?? 0);
    const end = source.position(first.span?.end ?? first.span?.start ?? 0);
    super(`${first.message} [${first.code}] (${start.line}:${start.column})`);
    this.name = "SyntaxError";
    this.loc = { start, end };
  }
}
