/**
 * Writing output files, and `--check`, which compares with the existing file, says what
 * differs and never writes.
 *
 * `writeOutput` replaces a file atomically and never anything but that file: it writes a
 * temporary file with an unpredictable name (`.NAME.<random>.tmp`, created exclusively, mode
 * 0600) in the target's own directory, gives it the target's mode (and owner, as root), and
 * renames it over the target. A symlink is written through (the link stays); a device, FIFO,
 * socket or directory is refused, except the one stdout is; so is any input of the run. The
 * temporary file is removed on every error, and SIGINT, SIGTERM and SIGHUP wait for a write to
 * finish; only a SIGKILL during one can leave it behind.
 */
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { InputTooLarge, NotRegularFile, NotUtf8, readSourceFile } from "../compiler/read.js";
import { UsageError } from "./common.js";

/**
 * Writes `content` to `file` (see the module comment); `inputs` are the files the run read,
 * which it refuses to replace. Throws a UsageError when it cannot.
 */
export function writeOutput(
  file: string,
  content: string | Uint8Array,
  inputs: Iterable<string> = [],
): void {
  const target = existing(file);
  if (target && !target.stats.isFile()) {
    if (isStdout(target.stats)) {
      process.stdout.write(content);
      return;
    }
    throw new UsageError(
      `\`${file}\` is ${kind(target.stats)}, not a regular file; leave out \`-o\` to write to stdout`,
    );
  }
  if (target)
    for (const input of inputs)
      if (sameFile(target.stats, input))
        throw new UsageError(`refusing to overwrite \`${file}\`: it is an input of this run`);
  deferSignals();
  const real = target?.real ?? file;
  const tmp = path.join(
    path.dirname(real),
    `.${path.basename(real)}.${randomBytes(8).toString("hex")}.tmp`,
  );
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o600);
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
    fchmodSync(fd, target ? target.stats.mode & 0o7777 : 0o666 & ~process.umask());
    if (target && process.getuid?.() === 0) fchownSync(fd, target.stats.uid, target.stats.gid);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, real);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Never created (or already renamed).
    }
    throw new UsageError(`cannot write \`${file}\`: ${(e as Error).message}`);
  }
}

/** The file at `file` (symlinks followed) and its real path; undefined when there is none. */
function existing(file: string): { stats: Stats; real: string } | undefined {
  let link: Stats;
  try {
    link = lstatSync(file);
  } catch {
    return undefined;
  }
  try {
    return { stats: statSync(file), real: realpathSync(file) };
  } catch (e) {
    if (!link.isSymbolicLink())
      throw new UsageError(`cannot write \`${file}\`: ${(e as Error).message}`);
    throw new UsageError(
      `\`${file}\` is a symlink to \`${readlinkSync(file)}\`, which cannot be followed: ${(e as Error).message}`,
    );
  }
}

function sameFile(a: Stats, file: string): boolean {
  try {
    const b = statSync(file);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

function isStdout(stats: Stats): boolean {
  try {
    const out = fstatSync(1);
    return out.dev === stats.dev && out.ino === stats.ino;
  } catch {
    return false;
  }
}

function kind(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}

let signalsDeferred = false;

/**
 * Makes SIGINT, SIGTERM and SIGHUP wait for the running write. Writes are synchronous, so the
 * handler runs between them, never during one; it then lets the signal end the process as it
 * would have.
 */
function deferSignals(): void {
  if (signalsDeferred) return;
  signalsDeferred = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      process.off(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/** Undefined when `file` holds exactly `expected`; otherwise a description of the difference. */
export function staleness(file: string, expected: string): string | undefined {
  let actual: string;
  try {
    actual = readSourceFile(file, { maxBytes: Buffer.byteLength(expected), regularOnly: true });
  } catch (e) {
    if (e instanceof NotUtf8) actual = e.text;
    else if (e instanceof InputTooLarge) return `\`${file}\` is stale: it is longer than expected`;
    else if (e instanceof NotRegularFile) return `\`${file}\` is not a regular file`;
    else if ((e as NodeJS.ErrnoException).code === "ENOENT") return `\`${file}\` does not exist`;
    else return `cannot read \`${file}\`: ${(e as Error).message}`;
  }
  if (actual === expected) return undefined;
  const a = actual.split("\n");
  const e = expected.split("\n");
  let line = 0;
  while (line < a.length && line < e.length && a[line] === e[line]) line++;
  const show = (s: string | undefined) => (s === undefined ? "(end of file)" : JSON.stringify(s));
  return [
    `\`${file}\` is stale: first difference at line ${line + 1}`,
    `  file:     ${show(a[line])}`,
    `  expected: ${show(e[line])}`,
  ].join("\n");
}
