/**
 * A `--map` file: which of the kernel's own macros (or Rust constants) holds which of the spec's
 * values, for `--emit c-check` and `--emit rust-check`. One statement a line; `#` starts a
 * comment.
 *
 *     # Linux x86-64: arch/x86/include/asm/page_64_types.h, pgtable_64_types.h
 *     include <asm/pgtable_64_types.h>     C: an #include line of the check file
 *     use kernel::mm::layout::*            Rust: a `use` of the check file
 *     kernel_text.start  __START_KERNEL_map   spec value, then the kernel's name: every variant
 *     modules.limit      MODULES_END          (`limit` is end + 1, an exclusive end)
 *     [5-level] if defined(CONFIG_X86_5LEVEL) cfg CONFIG_X86_5LEVEL
 *     direct_map.start   __PAGE_OFFSET_BASE_L5   only in variant "5-level"
 *
 * A section `[VARIANT]` holds what only that variant has; its optional `if` (a preprocessor
 * expression, for c-check) and `cfg` (a configuration predicate, for rust-check) put that
 * variant's checks under the kernel's own configuration test. The spec's values are named as
 * `--emit c` names them from the spec (src/compiler/emit/values.ts): `REGION.start`, `.end`,
 * `.size`, `.limit`, `REGION.base` (a KASLR base's default), `CONSTANT`, `PARAM.default`, `.min`,
 * `.max`, `.align`, `kaslr.GROUP.start`, `.end`, `.align`; `@default` after a value that depends
 * on parameters or KASLR bases takes it at their defaults (`modules.start@default`).
 */
import {
  type Diagnostic,
  type Result,
  type Span,
  diagnostic,
} from "../../diagnostics/diagnostic.js";

export interface MapEntry {
  /** The spec's value: `modules.start`, `modules.limit`. */
  readonly value: string;
  readonly valueSpan: Span;
  /** The kernel's macro or constant (a Rust path may have `::`). */
  readonly kernelName: string;
  readonly nameSpan: Span;
}

export interface MapSection {
  /** Undefined: the statements before any `[VARIANT]`, which hold in every variant. */
  readonly variant: string | undefined;
  readonly span: Span | undefined;
  /** `if EXPR`: the preprocessor test c-check puts the variant's checks under. */
  readonly cCondition: string | undefined;
  /** `cfg PRED`: the `#[cfg(...)]` rust-check puts them under. */
  readonly rustCondition: string | undefined;
  readonly entries: readonly MapEntry[];
}

export interface KernelMap {
  readonly path: string;
  /** `<asm/page.h>`, `"layout.h"`. */
  readonly includes: readonly string[];
  /** `kernel::mm::layout::*`. */
  readonly uses: readonly string[];
  /** The first is every variant's (possibly empty), then each `[VARIANT]` in order. */
  readonly sections: readonly MapSection[];
}

const IDENT = String.raw`[A-Za-z_]\w*`;
const ENTRY = new RegExp(
  String.raw`^(${IDENT}(?:\.${IDENT}){0,2}(?:@default)?)\s+(${IDENT}(?:::${IDENT})*)$`,
);
const SECTION = /^\[([^\]]+)\](?:\s+if\s+(.+?))?(?:\s+cfg\s+(.+))?$/;
const INCLUDE = /^include\s+(<[^>\s]+>|"[^"\s]+")$/;
const USE = /^use\s+([\w:*{}, ]+)$/;

export function parseKernelMap(path: string, text: string): Result<KernelMap> {
  const diagnostics: Diagnostic[] = [];
  const includes: string[] = [];
  const uses: string[] = [];
  type Building = { -readonly [K in keyof MapSection]: MapSection[K] } & { entries: MapEntry[] };
  const sections: Building[] = [
    {
      variant: undefined,
      span: undefined,
      cCondition: undefined,
      rustCondition: undefined,
      entries: [],
    },
  ];
  let offset = 0;
  for (const raw of text.split("\n")) {
    const lineStart = offset;
    offset += raw.length + 1;
    const withoutComment = raw.replace(/\r$/, "").replace(/#.*$/, "");
    const line = withoutComment.trim();
    if (line === "") continue;
    const at = lineStart + withoutComment.indexOf(line);
    const span = (from: number, length: number): Span => ({
      file: path,
      start: at + from,
      end: at + from + length,
    });
    let m: RegExpExecArray | null;
    if ((m = INCLUDE.exec(line))) includes.push(m[1]!);
    else if ((m = USE.exec(line))) uses.push(m[1]!.trim());
    else if ((m = SECTION.exec(line)))
      sections.push({
        variant: m[1]!.trim(),
        span: span(1, m[1]!.length),
        cCondition: m[2]?.trim(),
        rustCondition: m[3]?.trim(),
        entries: [],
      });
    else if ((m = ENTRY.exec(line.replace(/\s+/g, " "))))
      sections[sections.length - 1]!.entries.push({
        value: m[1]!,
        valueSpan: span(0, m[1]!.length),
        kernelName: m[2]!,
        nameSpan: span(line.lastIndexOf(m[2]!), m[2]!.length),
      });
    else
      diagnostics.push(
        diagnostic(
          "E0304",
          "this line of the map is not one vmlayout reads",
          span(0, line.length),
          {
            notes: [
              "a line is `SPEC_VALUE KERNEL_NAME` (`modules.start MODULES_VADDR`), `[VARIANT]` " +
                "with an optional `if EXPR` and `cfg PRED`, `include <header.h>` or `use path::*`; " +
                "`#` starts a comment",
            ],
          },
        ),
      );
  }
  return { value: { path, includes, uses, sections }, diagnostics };
}
