/**
 * Source files and positions. Line and column come from a line-start table; both are
 * 1-based, and the column counts UTF-16 code units (what editors and SARIF expect).
 */
export interface Position {
  readonly line: number;
  readonly column: number;
}

export class SourceFile {
  private starts: number[] | undefined;

  constructor(
    readonly path: string,
    readonly text: string,
  ) {}

  /** Offsets at which lines start; built on first use, since most files never need it. */
  get lineStarts(): readonly number[] {
    if (!this.starts) {
      const starts = [0];
      for (let i = 0; i < this.text.length; i++)
        if (this.text.charCodeAt(i) === 10) starts.push(i + 1);
      this.starts = starts;
    }
    return this.starts;
  }

  /** Position of `offset`, clamped to the file. */
  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.lineStarts[lo]! + 1 };
  }

  /** Text of 1-based line `line`, without its line terminator. */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const next = this.lineStarts[line] ?? this.text.length + 1;
    return this.text.slice(start, next - 1).replace(/\r$/, "");
  }
}

/** All files a compilation read, by path, so any diagnostic can be rendered. */
export class SourceSet {
  private readonly files = new Map<string, SourceFile>();

  add(path: string, text: string): SourceFile {
    const file = new SourceFile(path, text);
    this.files.set(path, file);
    return file;
  }

  /**
   * Adds the files of `other` (several compilations, one report). A file both hold keeps the
   * longer text: one compilation may hold only the quotable part of a file another was asked
   * to check (see `loadSpec`).
   */
  addAll(other: SourceSet): void {
    for (const [path, file] of other.files)
      if ((this.files.get(path)?.text.length ?? -1) < file.text.length) this.files.set(path, file);
  }

  /** The paths of the files, in the order they were added. */
  paths(): IterableIterator<string> {
    return this.files.keys();
  }

  get(path: string): SourceFile | undefined {
    return this.files.get(path);
  }
}

/** The name standard input goes by in diagnostics (`vmlayout check -`). */
export const STDIN_NAME = "<stdin>";
