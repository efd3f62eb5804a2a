/**
 * Numbers on the command line, written as the spec language writes them (`-2GB`,
 * `ffff8000 00000000`, `0.5TB`, `kernel_text.start + 2MB`): an expression read by the
 * compiler's own lexer, grammar and evaluator (`parseExpression`), so with the syntax and the
 * diagnostics of a spec. They are loaded when a command first needs a number.
 */
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { UsageError } from "./common.js";

/** What an expression never holds: statement ends, blocks, strings and comments. */
const FORBIDDEN = /[\n\r;{}"]|\/\/|\/\*/;

/** Reads one number: `address` values may be negative (they count down from 2^64). */
export type NumberParser = (
  text: string,
  what: string,
  kind?: "address" | "size" | "count",
) => bigint;

/** Names a number on the command line may use (`kernel_text.start`, `KERNBASE`), with values. */
export type ArgumentNames = ReadonlyMap<string, bigint>;

/**
 * A parser for numbers written as the spec language writes them: the text is parsed as one
 * expression and evaluated by the compiler's evaluator, with `names` as its only names.
 * `address` values may be negative (they count down from 2^64); sizes and counts must not be.
 * The parser throws a UsageError naming `what` for anything else.
 */
export async function numberParser(names: ArgumentNames = new Map()): Promise<NumberParser> {
  const { parseExpression } = await import("../compiler/parse.js");
  const { Evaluator, EvaluationFailed, valueOf } = await import("../compiler/evaluate.js");
  const { rat } = await import("../model/rational.js");
  const { closest } = await import("../diagnostics/suggest.js");
  return (text, what, kind = "address") => {
    const bad = (why: string): never => {
      throw new UsageError(`${what} \`${text}\` ${why}`);
    };
    if (text.trim() === "" || FORBIDDEN.test(text) || text.length > 200) bad("is not a number");
    const parsed = parseExpression(text, "<argument>");
    const expr = parsed.value;
    if (expr === undefined)
      bad(`is not a number${parsed.diagnostics[0] ? `: ${parsed.diagnostics[0].message}` : ""}`);
    const found: Diagnostic[] = [];
    const evaluator = new Evaluator((d) => found.push(d));
    let exact;
    try {
      exact = evaluator.evaluate(expr!, {
        domains: new Map(),
        lookup: (name) => {
          const path = name.path.map((p) => p.name).join(".");
          const value = names.get(path);
          if (value !== undefined) return valueOf(rat(value));
          const near = closest(path, [...names.keys()]);
          return evaluator.fail(
            "E0101",
            `cannot find \`${path}\`${near ? `; did you mean \`${near}\`?` : ""}`,
            name.span,
          );
        },
      }).exact;
    } catch (e) {
      if (!(e instanceof EvaluationFailed)) throw e;
      return bad(`is not a number: ${found[0]?.message ?? e.message}`);
    }
    if (exact.den !== 1n) bad("is not a whole number");
    let v = exact.num;
    if (kind === "address") {
      if (v < 0n) v += 1n << 64n;
      if (v < 0n || v >= 1n << 64n) bad("is outside the 64-bit address space");
    } else if (v < 0n) {
      bad("is negative");
    } else if (v >= 1n << 64n) {
      bad("does not fit in 64 bits");
    }
    return v;
  };
}
