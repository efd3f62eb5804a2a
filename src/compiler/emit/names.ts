/**
 * Names in generated files: the identifiers a file defines, which must not clash (E0301), and
 * how the spec's names become identifiers.
 */
import {
  type Diagnostic,
  type Result,
  type Span,
  diagnostic,
} from "../../diagnostics/diagnostic.js";

/** `4-level` -> `4_LEVEL`. */
export const upperIdent = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();

/**
 * What a spec an emitter cannot express gets: coded diagnostics (E03xx) at the declarations to
 * change, every one, each once (a clash every variant has is one diagnostic, the first
 * variant's). The emitter writes no text when there is any.
 */
export class Problems {
  private readonly seen = new Set<string>();
  readonly diagnostics: Diagnostic[] = [];

  /** Reports `d` about the identifier `name`, unless the same was reported there already. */
  report(name: string, d: Diagnostic): void {
    const key = `${d.code}\u0000${name}\u0000${d.span?.file}\u0000${d.span?.start}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push(d);
  }

  /** `text`, or no text and the diagnostics when there were any. */
  result(text: string): Result<string | undefined> {
    if (this.diagnostics.length > 0) return { value: undefined, diagnostics: this.diagnostics };
    return { value: text, diagnostics: [] };
  }
}

/**
 * Collects the identifiers a generated file defines, so that two things never get one name
 * (a region `foo` and a constant exported as `FOO_START`): that would not compile, and the
 * user should hear about it from vmlayout, at the declarations, rather than from the compiler.
 */
export class Names {
  private readonly seen = new Map<string, { readonly origin: string; readonly at?: Span }>();
  constructor(
    private readonly what: string,
    private readonly problems: Problems,
  ) {}

  /**
   * Records `name` as `origin`, declared at `at`; E0301, with `help`, when another thing has it
   * (which keeps the name: a third thing with it is another E0301).
   */
  add(
    name: string,
    origin: string,
    at: Span | undefined,
    help = "give one of them another name with `export NAME`",
  ): void {
    const first = this.seen.get(name);
    if (first === undefined) {
      this.seen.set(name, at === undefined ? { origin } : { origin, at });
      return;
    }
    const labels = first.at ? [{ span: first.at, message: `${first.origin} is \`${name}\`` }] : [];
    this.problems.report(
      name,
      diagnostic(
        "E0301",
        `cannot emit ${this.what}: \`${name}\` would name both ${first.origin} and ${origin}`,
        at ?? first.at,
        { labels, help },
      ),
    );
  }
}
