/**
 * Names in generated files: the identifiers a file defines, which must not clash (E0301), and
 * how the spec's names become identifiers.
 */
import { type Diagnostic, type Span, diagnostic } from "../../diagnostics/diagnostic.js";

/** `4-level` -> `4_LEVEL`. */
export const upperIdent = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();

/**
 * A spec an emitter cannot express: a coded diagnostic (E03xx) at the declaration to change,
 * reported like any other, without a stack trace.
 */
export class EmitError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(`${diagnostic.code}: ${diagnostic.message}`);
  }
}

/**
 * Collects the identifiers a generated file defines, so that two things never get one name
 * (a region `foo` and a constant exported as `FOO_START`): that would not compile, and the
 * user should hear about it from vmlayout, at the declarations, rather than from the compiler.
 */
export class Names {
  private readonly seen = new Map<string, { readonly origin: string; readonly at?: Span }>();
  constructor(private readonly what: string) {}

  /** Records `name` as `origin`, declared at `at`; E0301, with `help`, when another thing has it. */
  add(
    name: string,
    origin: string,
    at: Span | undefined,
    help = "give one of them another name with `export NAME`",
  ): void {
    const first = this.seen.get(name);
    if (first !== undefined) {
      const labels = first.at
        ? [{ span: first.at, message: `${first.origin} is \`${name}\`` }]
        : [];
      throw new EmitError(
        diagnostic(
          "E0301",
          `cannot emit ${this.what}: \`${name}\` would name both ${first.origin} and ${origin}`,
          at ?? first.at,
          { labels, help },
        ),
      );
    }
    this.seen.set(name, at === undefined ? { origin } : { origin, at });
  }
}
