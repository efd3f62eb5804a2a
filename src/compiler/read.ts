/**
 * The one bounded reader of input files (specs, includes, import tables): reads at most
 * `maxBytes + 1` bytes whatever the file is (`/dev/zero`, a FIFO, a 3 GB log), decodes strict
 * UTF-8 and never replaces a byte it cannot decode. Its refusals are errors of their own, which
 * callers turn into diagnostics (E0007, E0009, E0104); anything else is a Node.js error
 * (ENOENT, EISDIR, ...).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { type Diagnostic, type Span, diagnostic } from "../diagnostics/diagnostic.js";
import { SourceSet } from "../diagnostics/source.js";
import { TEXT } from "../diagnostics/catalogue.js";

export interface ReadOptions {
  /** Longest accepted file, in bytes (the `input` limit). */
  readonly maxBytes: number;
  /**
   * Refuse anything but a regular file, without blocking on a FIFO (includes: a spec never
   * names a device). Files named on the command line may be pipes (`<(...)`, `/dev/stdin`).
   */
  readonly regularOnly?: boolean;
}

/** The file has more than `maxBytes` bytes (E0007). */
export class InputTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than the input limit (${describeBytes(maxBytes)})`);
  }
}

/** The file is not UTF-8 (E0009); `text` is what precedes the first byte that is not. */
export class NotUtf8 extends Error {
  constructor(
    readonly text: string,
    readonly byte: number,
  ) {
    super(`not UTF-8 (byte 0x${byte.toString(16).padStart(2, "0")})`);
  }
}

/**
 * A file that cannot be read, for a reason a `ReadFile` other than the file system's gives
 * (git: no such revision); the message says why, in a few words.
 */
export class UnreadableFile extends Error {}

/** `regularOnly` and the file is a device, FIFO or socket (E0104). */
export class NotRegularFile extends UnreadableFile {
  constructor() {
    super("not a regular file");
  }
}

const CHUNK = 1 << 16;

export function readSourceFile(file: string, options: ReadOptions): string {
  const flags = constants.O_RDONLY | (options.regularOnly ? constants.O_NONBLOCK : 0);
  const fd = openSync(file, flags);
  try {
    if (options.regularOnly && !fstatSync(fd).isFile()) throw new NotRegularFile();
    return readSource(fd, options.maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** Standard input, read as `readSourceFile` reads a file (it may be a pipe or a socket). */
export function readStandardInput(options: ReadOptions): string {
  return readSource(0, options.maxBytes);
}

function readSource(fd: number, maxBytes: number): string {
  const bytes = readAtMost(fd, maxBytes + 1);
  if (bytes.length > maxBytes) throw new InputTooLarge(maxBytes);
  return decodeUtf8(bytes);
}

/** Up to `max` bytes of `fd`, in chunks, so a file that never ends costs `max` at most. */
function readAtMost(fd: number, max: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < max) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, max - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** `bytes` as text; a BOM is kept (the parser and Prettier skip it). Throws NotUtf8. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new NotUtf8(strict.decode(bytes.subarray(0, bad)), bytes[bad]!);
  }
}

/**
 * Offset of the first byte that does not belong to a well-formed UTF-8 sequence (Unicode
 * 15, table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF); `bytes.length` if none.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const form = sequence(b);
    if (form === undefined) return i;
    const [length, low, high] = form;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      const [lo, hi] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (c === undefined || c < lo || c > hi) return i;
    }
    i += length;
  }
  return bytes.length;
}

/** The length of the sequence lead byte `b` starts, and the range of its second byte. */
function sequence(b: number): [number, number, number] | undefined {
  if (b >= 0xc2 && b <= 0xdf) return [2, 0x80, 0xbf];
  if (b === 0xe0) return [3, 0xa0, 0xbf];
  if (b === 0xed) return [3, 0x80, 0x9f]; // not a surrogate
  if (b >= 0xe1 && b <= 0xef) return [3, 0x80, 0xbf];
  if (b === 0xf0) return [4, 0x90, 0xbf];
  if (b >= 0xf1 && b <= 0xf3) return [4, 0x80, 0xbf];
  if (b === 0xf4) return [4, 0x80, 0x8f]; // not past U+10FFFF
  return undefined;
}

/** `64 MiB`, or a byte count when the limit is not a whole number of MiB. */
export function describeBytes(n: number): string {
  if (n % 2 ** 20 === 0) return `${n / 2 ** 20} MiB`;
  return n % 2 ** 10 === 0 ? `${n / 2 ** 10} KiB` : `${n} bytes`;
}

/** E0009 at the first byte of `file` that is not UTF-8 (the file's text is `error.text`). */
export function notUtf8Diagnostic(file: string, error: NotUtf8): Diagnostic {
  const at = error.text.length;
  const byte = `0x${error.byte.toString(16).padStart(2, "0")}`;
  return diagnostic(
    "E0009",
    `\`${file}\` is not UTF-8: byte ${byte} cannot be read`,
    {
      file,
      start: at,
      end: at,
    },
    {
      notes: ["vmlayout reads specs as UTF-8 and never changes a byte it cannot read"],
      help: "convert the file to UTF-8 (a Latin-1 file: `iconv -f latin1 -t utf-8`)",
    },
  );
}

/** E0007 for a file over the input limit, at `span` (the `include`, or the file itself). */
export function tooLargeDiagnostic(
  file: string,
  error: InputTooLarge,
  span: Span,
  help = TEXT.raiseLimit("split the spec into several files joined with `include`", "input"),
): Diagnostic {
  return diagnostic("E0007", `\`${file}\` is ${error.message}`, span, { help });
}

/**
 * A file named on the command line (`fmt`, `import`): its text, or the E0007 or E0009 that
 * says why it cannot be used, with the sources to render it. Throws Node.js errors.
 */
export function readInputFile(
  file: string,
  maxBytes: number,
  tooLargeHelp?: string,
): { readonly text: string } | { readonly refused: Diagnostic; readonly sources: SourceSet } {
  const sources = new SourceSet();
  try {
    return { text: readSourceFile(file, { maxBytes }) };
  } catch (e) {
    if (e instanceof NotUtf8) {
      sources.add(file, e.text);
      return { refused: notUtf8Diagnostic(file, e), sources };
    }
    if (e instanceof InputTooLarge)
      return {
        refused: tooLargeDiagnostic(file, e, { file, start: 0, end: 0 }, tooLargeHelp),
        sources,
      };
    throw e;
  }
}
