/** What the readers of page-table listings (ptdump, QEMU `info mem`/`info tlb`) share. */
import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import type { FoundMapping } from "./read-back.js";

/** Unreadable lines reported per listing (the last one shown counts the rest). */
const MAX_BAD_LINES = 10;

/** A dmesg prefix: `[    0.889245] `, with or without a `<6>` log level. */
const DMESG = /^(?:<\d+>)?\[\s*\d+\.\d+\]\s?/;

export interface ListingLine {
  /** 1-based. */
  readonly number: number;
  /** The line without a dmesg prefix, trimmed. */
  readonly text: string;
  /** Offset of the raw line in the file. */
  readonly start: number;
  readonly end: number;
}

/** The lines of a listing. */
export function listingLines(text: string): ListingLine[] {
  const out: ListingLine[] = [];
  let offset = 0;
  text.split("\n").forEach((raw, i) => {
    out.push({
      number: i + 1,
      text: raw.replace(DMESG, "").trim(),
      start: offset,
      end: offset + raw.length,
    });
    offset += raw.length + 1;
  });
  return out;
}

/**
 * The lines of a one-line-per-entry listing that `pattern` matches, with the match; blank and
 * `#` lines are skipped, any other line is reported to `bad` as not `expected`.
 */
export function* matchingLines(
  text: string,
  pattern: RegExp,
  bad: UnreadableLines,
  expected: string,
): Generator<{ readonly line: ListingLine; readonly match: RegExpExecArray }> {
  for (const line of listingLines(text)) {
    if (line.text === "" || line.text.startsWith("#")) continue;
    const match = pattern.exec(line.text);
    if (match === null) bad.add(line, expected);
    else yield { line, match };
  }
}

/** `... N entries skipped ...` (x86's ptdump between runs it leaves out). */
const SKIPPED = /^\.\.\. .*\.\.\.$/;
const TWO64 = 1n << 64n;

/**
 * The range lines of a Linux ptdump listing (any architecture's), with `[va, end)` (an end of
 * 0x0000000000000000 is 2^64) from `pattern`'s first two groups, the hex digits of the range.
 * Blank and `#` lines, `---[ name ]---` markers and `... N entries skipped ...` are skipped;
 * a line `pattern` does not match is reported to `bad` as not `expected`, and so is a range
 * that is empty or does not follow the one before it.
 */
export function* ptdumpRanges(
  text: string,
  pattern: RegExp,
  bad: UnreadableLines,
  expected: string,
): Generator<{
  readonly line: ListingLine;
  readonly match: RegExpExecArray;
  readonly va: bigint;
  readonly end: bigint;
}> {
  for (const line of listingLines(text)) {
    const t = line.text;
    if (t === "" || t.startsWith("#") || t.startsWith("---[") || SKIPPED.test(t)) continue;
    const match = pattern.exec(t);
    if (match === null) {
      bad.add(line, expected);
      continue;
    }
    const va = BigInt("0x" + match[1]!);
    const end = BigInt("0x" + match[2]!) || TWO64;
    if (bad.inOrder(line, va, end)) yield { line, match, va, end };
  }
}

/** Collects the lines a reader of `format` cannot read, as E0503. */
export class UnreadableLines {
  private readonly bad: { line: ListingLine; why: string }[] = [];

  constructor(
    private readonly file: string,
    private readonly format: string,
    private readonly help: string,
  ) {}

  add(line: ListingLine, why: string): void {
    this.bad.push({ line, why });
  }

  /** End of the last range accepted: a listing's ranges ascend and do not overlap. */
  private rangesEnd = 0n;

  /** Whether `[va, end)` is a range that follows the previous one; if not, the line is bad. */
  inOrder(line: ListingLine, va: bigint, end: bigint): boolean {
    const why =
      end <= va
        ? "the range ends before it starts"
        : va < this.rangesEnd
          ? "the range overlaps or precedes the line before it"
          : undefined;
    if (why !== undefined) this.add(line, why);
    else this.rangesEnd = end;
    return why === undefined;
  }

  diagnostics(): Diagnostic[] {
    const more = this.bad.length - MAX_BAD_LINES;
    return this.bad.slice(0, MAX_BAD_LINES).map(({ line, why }, k) =>
      diagnostic(
        "E0503",
        `line ${line.number} of \`${this.file}\` cannot be read as ${this.format}: ${why}`,
        { file: this.file, start: line.start, end: line.end },
        {
          help: this.help,
          notes: k === MAX_BAD_LINES - 1 && more > 0 ? [`${more} more unreadable lines`] : [],
        },
      ),
    );
  }
}

/** Appends a run, merged into the last one when it continues it (VA, PA and flags). */
export function appendRun(runs: FoundMapping[], run: FoundMapping, physical: boolean): void {
  const last = runs.at(-1);
  if (
    last !== undefined &&
    last.end === run.va &&
    last.flags === run.flags &&
    (!physical || last.pa + (last.end - last.va) === run.pa)
  ) {
    runs[runs.length - 1] = { ...last, end: run.end };
  } else {
    runs.push(run);
  }
}
