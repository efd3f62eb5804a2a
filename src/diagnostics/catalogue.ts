/**
 * The one catalogue of diagnostic codes. Codes are stable and never reused; they are banded
 * by stage: E00xx syntax, E01xx names and evaluation, E02xx/W02xx layout rules (verifier),
 * E03xx emit, E04xx/W04xx install and audit, E05xx import. Each code has a long explanation
 * in `docs/diagnostics/<CODE>.md`, printed by `vmlayout explain <CODE>`, and a UI case in
 * `test/ui/<band>/` (test/ui.test.ts checks that every code is emitted by one).
 *
 * The entries are `as const`: `Code` is the union of their codes, and every API that takes a
 * code takes a `Code`, so a misspelt code does not compile. Texts written at several call
 * sites are templates here (`TEXT`).
 *
 * `name` is the check's name as written in a waiver (`allow overlap "reason"`); only
 * verifier rules (E02xx, W02xx) may be waived.
 */
/** How bad a finding is; a catalogue entry fixes it per code (`--deny-warnings` aside). */
export type Severity = "error" | "warning";

/** The shape of a catalogue entry; `CatalogueEntry` is one of the entries below. */
interface EntryShape {
  readonly code: `${"E" | "W"}0${number}`;
  readonly name: string;
  readonly severity: Severity;
  /** One line: what the rule is about. */
  readonly title: string;
}

export const CATALOGUE = [
  // E00xx: lexing and parsing
  { code: "E0001", name: "syntax", severity: "error", title: "unexpected token" },
  {
    code: "E0002",
    name: "unterminated_string",
    severity: "error",
    title: "string literal is not closed",
  },
  {
    code: "E0003",
    name: "unterminated_comment",
    severity: "error",
    title: "block comment is not closed",
  },
  {
    code: "E0004",
    name: "invalid_character",
    severity: "error",
    title: "character that cannot start a token",
  },
  {
    code: "E0005",
    name: "bad_literal",
    severity: "error",
    title: "malformed numeric or address literal",
  },
  { code: "E0006", name: "unknown_unit", severity: "error", title: "unknown size unit" },
  {
    code: "E0007",
    name: "input_too_large",
    severity: "error",
    title: "input exceeds a resource limit",
  },
  {
    code: "E0008",
    name: "nesting_too_deep",
    severity: "error",
    title: "blocks or expressions nested too deeply",
  },
  { code: "E0009", name: "not_utf8", severity: "error", title: "file is not UTF-8" },
  { code: "E0010", name: "unreadable_file", severity: "error", title: "spec file cannot be read" },
  // E01xx: names, includes, evaluation
  { code: "E0101", name: "unknown_name", severity: "error", title: "name is not defined" },
  { code: "E0102", name: "duplicate_name", severity: "error", title: "name is defined twice" },
  { code: "E0103", name: "missing_name", severity: "error", title: "region needs a name" },
  {
    code: "E0104",
    name: "include_not_found",
    severity: "error",
    title: "included file cannot be read",
  },
  {
    code: "E0105",
    name: "include_cycle",
    severity: "error",
    title: "files include each other in a cycle",
  },
  { code: "E0106", name: "unknown_variant", severity: "error", title: "no variant of that name" },
  {
    code: "E0107",
    name: "missing_layout",
    severity: "error",
    title: "spec has no `layout` declaration",
  },
  {
    code: "E0108",
    name: "unknown_check",
    severity: "error",
    title: "waiver names a check that does not exist or cannot be waived",
  },
  {
    code: "E0109",
    name: "type_mismatch",
    severity: "error",
    title: "value used where another kind of value is needed",
  },
  {
    code: "E0110",
    name: "duplicate_attribute",
    severity: "error",
    title: "attribute given twice or conflicting attributes",
  },
  {
    code: "E0111",
    name: "paging_mode",
    severity: "error",
    title: "paging mode missing, repeated or unsupported",
  },
  {
    code: "E0112",
    name: "cyclic_definition",
    severity: "error",
    title: "definition depends on itself",
  },
  {
    code: "E0113",
    name: "no_previous_region",
    severity: "error",
    title: "relative placement has nothing to follow",
  },
  {
    code: "E0114",
    name: "nonlinear_parameter",
    severity: "error",
    title: "expression is not linear in its parameters",
  },
  {
    code: "E0115",
    name: "bad_repeat",
    severity: "error",
    title: "repeat count is not a small positive constant",
  },
  {
    code: "E0116",
    name: "division",
    severity: "error",
    title: "division by zero or inexact division",
  },
  {
    code: "E0117",
    name: "bad_parameter",
    severity: "error",
    title: "parameter range is empty or its default lies outside it",
  },
  { code: "E0118", name: "bad_kaslr_group", severity: "error", title: "KASLR group is malformed" },
  {
    code: "E0119",
    name: "bad_attribute",
    severity: "error",
    title: "attribute is not allowed here or has a bad value",
  },
  {
    code: "E0120",
    name: "include_outside_root",
    severity: "error",
    title: "included file lies outside the include root",
  },
  {
    code: "E0121",
    name: "include_not_spec",
    severity: "error",
    title: "included file is not a valid spec",
  },
  {
    code: "E0130",
    name: "shift_count",
    severity: "error",
    title: "shift count is not a whole constant in 0..63",
  },
  {
    code: "E0131",
    name: "c_word",
    severity: "error",
    title: "C's 64-bit arithmetic would give a different value",
  },
  {
    code: "E0132",
    name: "bitwise_parameter",
    severity: "error",
    title: "bitwise operator on a parameter-dependent value the proof cannot follow",
  },
  {
    code: "E0133",
    name: "function_shadows",
    severity: "error",
    title: "function name is a built-in's or is declared twice",
  },
  {
    code: "E0134",
    name: "fn_parameter_region",
    severity: "error",
    title: "function parameter used as a region",
  },
  {
    code: "E0135",
    name: "bad_axis",
    severity: "error",
    title: "variant axis is malformed or misplaced",
  },
  {
    code: "E0136",
    name: "bad_combination",
    severity: "error",
    title: "combination of axis values names no variant",
  },
  {
    code: "E0140",
    name: "constraint_not_linear",
    severity: "error",
    title: "a `require` side is not linear in the parameters",
  },
  {
    code: "E0141",
    name: "constraint_false",
    severity: "error",
    title: "a `require` without parameters is false",
  },
  {
    code: "E0142",
    name: "constraint_defaults",
    severity: "error",
    title: "the parameters' defaults break a `require`",
  },
  {
    code: "E0143",
    name: "empty_parameter_space",
    severity: "error",
    title: "no parameter values satisfy every `require`",
  },
  // E02xx: layout rules, proved by the verifier for every allowed parameter value
  { code: "E0201", name: "overlap", severity: "error", title: "sibling regions overlap" },
  {
    code: "E0202",
    name: "containment",
    severity: "error",
    title: "child region extends outside its parent",
  },
  {
    code: "E0203",
    name: "canonical",
    severity: "error",
    title: "region is not canonical for the paging mode",
  },
  {
    code: "E0204",
    name: "alignment",
    severity: "error",
    title: "region violates its declared alignment",
  },
  {
    code: "E0205",
    name: "page_alignment",
    severity: "error",
    title: "region cannot be mapped with its page size",
  },
  {
    code: "E0206",
    name: "extent_mismatch",
    severity: "error",
    title: "start, size and end disagree",
  },
  {
    code: "E0207",
    name: "overflow",
    severity: "error",
    title: "value lies outside the 64-bit address space",
  },
  {
    code: "E0208",
    name: "inexact",
    severity: "error",
    title: "value is not a whole number of bytes",
  },
  {
    code: "E0209",
    name: "empty_region",
    severity: "error",
    title: "region is empty or ends before it starts",
  },
  {
    code: "E0210",
    name: "parameter_range",
    severity: "error",
    title: "a parameter value in range breaks the layout",
  },
  {
    code: "E0211",
    name: "kaslr_range",
    severity: "error",
    title: "a randomised region can leave its KASLR range",
  },
  {
    code: "E0212",
    name: "kaslr_overlap",
    severity: "error",
    title: "KASLR range overlaps a fixed region",
  },
  {
    code: "E0213",
    name: "kaslr_order",
    severity: "error",
    title: "KASLR members are not in address order or do not fit",
  },
  {
    code: "E0214",
    name: "recursive_slot",
    severity: "error",
    title: "recursive page-table slot has the wrong extent",
  },
  {
    code: "E0215",
    name: "documented_value",
    severity: "error",
    title: "documented offset or size disagrees with the region",
  },
  {
    code: "E0216",
    name: "phys_alignment",
    severity: "error",
    title: "`map phys` base is not aligned to the region's page size",
  },
  // W02xx: warnings (errors under --deny-warnings)
  {
    code: "W0201",
    name: "gap",
    severity: "warning",
    title: "bytes not accounted for by any region",
  },
  { code: "W0202", name: "unused_waiver", severity: "warning", title: "waiver suppresses nothing" },
  {
    code: "W0203",
    name: "hole_noncanonical",
    severity: "warning",
    title: "hole lies in the non-canonical range",
  },
  // E04xx: runtime (installer and audit of installed page tables)
  {
    code: "E0401",
    name: "unexpected_mapping",
    severity: "error",
    title: "present mapping where no region maps memory",
  },
  {
    code: "E0402",
    name: "wrong_frame",
    severity: "error",
    title: "mapping points at the wrong physical address",
  },
  {
    code: "E0403",
    name: "wrong_permissions",
    severity: "error",
    title: "mapping's read/write or execute rights differ from the region's `perm`",
  },
  {
    code: "E0404",
    name: "user_access",
    severity: "error",
    title: "user-accessible mapping where the spec does not say `user`, or the reverse",
  },
  {
    code: "E0405",
    name: "wrong_attributes",
    severity: "error",
    title: "mapping's global or cache attributes differ from the region's",
  },
  {
    code: "E0406",
    name: "wx_violation",
    severity: "error",
    title: "page is writable and executable outside a `perm rwx` region",
  },
  {
    code: "E0407",
    name: "incomplete_mapping",
    severity: "error",
    title: "part of a mapped region is not mapped",
  },
  {
    code: "E0408",
    name: "recursive_entry",
    severity: "error",
    title: "recursive page-table entry missing or misplaced",
  },
  {
    code: "E0409",
    name: "malformed_table",
    severity: "error",
    title: "page-table entry cannot be followed",
  },
  {
    code: "E0410",
    name: "bad_boot_parameter",
    severity: "error",
    title: "boot parameter is unknown, out of range or inconsistent",
  },
  {
    code: "E0411",
    name: "install_too_large",
    severity: "error",
    title: "installing would need too many page-table frames",
  },
  {
    code: "E0412",
    name: "install_failed",
    severity: "error",
    title: "page tables for a region cannot be written",
  },
  {
    code: "E0416",
    name: "tcr_mismatch",
    severity: "error",
    title: "TCR_EL1 configures another granule or VA size than the spec's `paging`",
  },
  {
    code: "E0417",
    name: "walks_disabled",
    severity: "error",
    title: "TCR_EL1 disables the table walks of a half the audit reads (EPD0/EPD1)",
  },
  {
    code: "W0401",
    name: "wx_mapping",
    severity: "warning",
    title: "page is writable and executable in a `perm rwx` region",
  },
  // E03xx: emit (generating headers and modules)
  {
    code: "E0301",
    name: "name_clash",
    severity: "error",
    title: "two things would get one name in a generated header or module",
  },
  {
    code: "E0302",
    name: "c_keyword",
    severity: "error",
    title: "a generated C variable or macro would be a C keyword",
  },
  {
    code: "E0303",
    name: "c_reserved_name",
    severity: "error",
    title: "a generated C name is predefined by the compiler, reserved, or `main`",
  },
  {
    code: "E0304",
    name: "map_syntax",
    severity: "error",
    title: "a line of a `--map` file is not one vmlayout reads",
  },
  {
    code: "E0305",
    name: "map_unknown",
    severity: "error",
    title: "a `--map` file names a value or variant the spec does not have",
  },
  {
    code: "E0306",
    name: "check_not_constant",
    severity: "error",
    title: "a checked value is not a compile-time constant",
  },
  {
    code: "E0307",
    name: "variants_differ",
    severity: "error",
    title: "one kernel name would be checked against different values of the variants",
  },
  // E05xx: import (reading another document's layout table)
  {
    code: "E0501",
    name: "no_table",
    severity: "error",
    title: "document holds no layout table vmlayout can read",
  },
  {
    code: "E0503",
    name: "unreadable_listing",
    severity: "error",
    title: "page-table listing has a line vmlayout cannot read",
  },
  {
    code: "E0504",
    name: "unbalanced_bracket",
    severity: "error",
    title: "an imported row's bracket is not closed, or closes none",
  },
  {
    code: "E0505",
    name: "bracketed_row_outside",
    severity: "error",
    title: "an imported bracketed row lies inside no row above it",
  },
  {
    code: "W0501",
    name: "unread_row",
    severity: "warning",
    title: "a row of an imported table cannot be read and is kept as a comment",
  },
  {
    code: "W0502",
    name: "end_convention",
    severity: "warning",
    title: "an imported row disagrees with its table's inclusive or exclusive ends",
  },
  {
    code: "W0503",
    name: "paging_defaulted",
    severity: "warning",
    title: "an imported table's heading names no granule or VA size",
  },
  {
    code: "W0504",
    name: "heading_levels",
    severity: "warning",
    title: "an imported table's heading names levels its paging does not have",
  },
] as const satisfies readonly EntryShape[];

/** A diagnostic code: one of the catalogue's, so a misspelt code does not compile. */
export type Code = (typeof CATALOGUE)[number]["code"];

/** One entry of the catalogue. */
export type CatalogueEntry = EntryShape & { readonly code: Code };

/**
 * Message, help and label shapes written at several call sites, so that they read alike
 * everywhere. The UI fixtures pin the texts byte for byte.
 */
export const TEXT = {
  /** Help for an exceeded limit (E0007, E0115): a fix, or the `--limit` that lifts it. */
  raiseLimit: (fix: string, limit: string): string =>
    `${fix}, or raise the limit (\`--limit ${limit}=N\`)`,
  /** Help naming the nearest known word. */
  didYouMean: (near: string): string => `did you mean \`${near}\`?`,
  /** The label on the earlier of two definitions (E0102). */
  firstDefinedHere: "first defined here",
} as const;

const BY_CODE: ReadonlyMap<string, CatalogueEntry> = new Map(CATALOGUE.map((e) => [e.code, e]));
const BY_NAME: ReadonlyMap<string, CatalogueEntry> = new Map(CATALOGUE.map((e) => [e.name, e]));

/** The entry for `code` (every `Code` has one). */
export function catalogueEntry(code: Code): CatalogueEntry {
  return BY_CODE.get(code)!;
}

/** Looks a check up by code (`E0201`) or name (`overlap`). */
export function findCheck(codeOrName: string): CatalogueEntry | undefined {
  return BY_CODE.get(codeOrName.toUpperCase()) ?? BY_NAME.get(codeOrName);
}

/**
 * A band of codes, named by its first three characters: `E00` syntax, `E01` names and
 * evaluation, `E02`/`W02` layout rules, `E03` emit, `E04`/`W04` install and audit, `E05` import.
 */
export type Band = Code extends `${infer S}${infer B0}${infer B1}${string}`
  ? `${S}${B0}${B1}`
  : never;

/** The band `code` belongs to. */
export function bandOf(code: Code): Band {
  return code.slice(0, 3) as Band;
}

/**
 * The codes of `band`, in catalogue order: the hook for cross-checks (the verifier rules
 * registry declares which E02/W02 codes its rules report).
 */
export function codesOfBand(band: Band): Code[] {
  return CATALOGUE.filter((e) => e.code.startsWith(band)).map((e) => e.code);
}

/** Only verifier rules can be waived: syntax and name errors leave nothing to verify. */
export function isWaivable(entry: CatalogueEntry): boolean {
  const band = bandOf(entry.code);
  return band === "E02" || band === "W02";
}

/** The long explanation of `code`: `docs/diagnostics/<CODE>.md`, shipped with the package. */
export function explanationUrl(code: Code): URL {
  return new URL(`../../../docs/diagnostics/${code}.md`, import.meta.url);
}
