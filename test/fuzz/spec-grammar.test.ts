/**
 * Grammar-aware random specs: plausible text built from the grammar (grammar/grammar.ebnf) with
 * every literal form, units, expressions, placements, region kinds, attributes, nested bodies,
 * repeats, params, consts, variants, KASLR groups, includes and comments, mostly well formed so
 * that the resolver and the verifier are reached. `checkSpec` (then, for a clean spec, every
 * emitter, the installer, the audit and the page-table dump) and the formatter must answer each
 * with catalogued diagnostics whose spans lie inside their file, with no exception and no hang;
 * the formatter's output, formatted again, must not change.
 */
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { FUZZ_TIMEOUT, type Files, Sandbox, fuzz, problems } from "./sandbox.js";

// --- lexical pieces ----------------------------------------------------------------------------

const REGION_NAMES = ["r0", "r1", "r2", "r3", "r4", "r5", "kernel", "direct_map"] as const;
const OTHER_NAMES = ["user", "global", "x", "i", "region", "hole", "p0", "c0", "_a9"] as const;
const PARAMS = ["p0", "p1", "p2"] as const;
const CONSTS = ["c0", "c1"] as const;
const UNITS = [
  "B",
  "K",
  "KB",
  "kB",
  "KiB",
  "M",
  "MB",
  "MiB",
  "G",
  "GB",
  "GiB",
  "T",
  "TB",
  "TiB",
  "P",
  "PB",
  "PiB",
  "E",
  "EB",
  "EiB",
] as const;
const UNIT_SHIFT: Record<string, bigint> = {
  B: 0n,
  K: 10n,
  KB: 10n,
  kB: 10n,
  KiB: 10n,
  M: 20n,
  MB: 20n,
  MiB: 20n,
  G: 30n,
  GB: 30n,
  GiB: 30n,
  T: 40n,
  TB: 40n,
  TiB: 40n,
  P: 50n,
  PB: 50n,
  PiB: 50n,
  E: 60n,
  EB: 60n,
  EiB: 60n,
};

const hex = (v: bigint, digits: number): string => v.toString(16).padStart(digits, "0");
const MASK64 = (1n << 64n) - 1n;

/** Interesting addresses: region boundaries of real layouts, canonical edges, page multiples. */
const address: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(
    0n,
    0x1000n,
    0x0000_7fff_ffff_f000n,
    0x0000_8000_0000_0000n,
    0x00ff_ffff_ffff_ffffn,
    0x0100_0000_0000_0000n,
    0xff00_0000_0000_0000n,
    0xffff_8000_0000_0000n,
    0xffff_8880_0000_0000n,
    0xffff_c900_0000_0000n,
    0xffff_fe00_0000_0000n,
    0xffff_ffff_8000_0000n,
    0xffff_ffff_ff60_0000n,
    0xffff_ffff_ffff_f000n,
    MASK64,
  ),
  fc
    .tuple(
      fc.bigInt({ min: 0n, max: (1n << 36n) - 1n }),
      fc.constantFrom(0xffff_8000_0000_0000n, 0n),
    )
    .map(([pages, base]) => (base + pages * 0x1000n) & MASK64),
  fc.bigInt({ min: 0n, max: MASK64 }),
);

const size: fc.Arbitrary<bigint> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 50 }))
    .map(([n, shift]) => BigInt(n) << BigInt(shift)),
  fc.constantFrom(0x1000n, 0x20_0000n, 0x4000_0000n, 1n << 39n, 1n << 47n, 1n << 64n),
);

/** A number literal in one of the grammar's forms (with units when the value allows). */
function literal(v: bigint): fc.Arbitrary<string> {
  v &= MASK64;
  const hi = v >> 32n;
  const lo = v & 0xffff_ffffn;
  const forms: fc.Arbitrary<string>[] = [
    fc.constant(`${hex(hi, 8)} ${hex(lo, 8)}`),
    fc.constant(`0x${hex(hi, 8).toUpperCase()}.${hex(lo, 8).toUpperCase()}`),
    fc.boolean().map((u) => `0x${u ? hex(v, 16).replace(/(.{4})(?!$)/g, "$1_") : v.toString(16)}`),
    fc.constant(hex(v, 16)),
    fc.constant(
      hex(v, 16)
        .replace(/(.{4})(?!$)/g, "$1_")
        .toUpperCase(),
    ),
    fc.constant(v.toString(10)),
  ];
  const units = UNITS.filter((u) => v % (1n << UNIT_SHIFT[u]!) === 0n);
  if (units.length > 0) {
    forms.push(
      fc
        .tuple(fc.constantFrom(...units), fc.constantFrom("", " "))
        .map(([u, sp]) => `${v >> UNIT_SHIFT[u]!}${sp}${u}`),
    );
  }
  if (v > 0xffff_0000_0000_0000n && v % 0x4000_0000n === 0n) {
    forms.push(fc.constant(`-${((1n << 64n) - v) >> 30n}GB`)); // negative addresses count down
  }
  return fc.oneof(...forms);
}

/** Occasionally malformed numbers (15 hex digits, fractions, stacked units, exponent). */
const oddLiteral = fc.constantFrom(
  "ffff88800000000",
  "0.5TB",
  "119.5TB",
  "16M TB",
  "1.5",
  "0x",
  "1e9",
  "0xFFFFFFFF.FB80",
  "ffff8000 0000000",
  "00000000000000000",
  "1_000_000_000_000_000",
);

/** Joins statements with newlines or `;`, with comments and blank lines in between. */
function block(items: readonly string[], seps: readonly number[]): string {
  return items
    .map((item, i) => {
      // A line comment on the item's last line would swallow a `;` separator.
      const lineComment = item.slice(item.lastIndexOf("\n") + 1).includes("//");
      const s = lineComment ? 0 : (seps[i % Math.max(1, seps.length)] ?? 0);
      return s === 0
        ? `${item}\n`
        : s === 1
          ? `${item}; `
          : s === 2
            ? `${item}\n\n`
            : `${item} // c\n`;
    })
    .join("");
}

const seps = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 });

/**
 * The spec arbitrary. `noisy` specs also draw malformed literals, reserved words as names,
 * unterminated strings and comments, bad attribute values and stray declarations; clean ones
 * stay well formed (and mostly resolvable) so that they reach the resolver and the verifier.
 */
function grammar(noisy: boolean): fc.Arbitrary<Files> {
  const rare = <T>(clean: fc.Arbitrary<T>, odd: fc.Arbitrary<T>): fc.Arbitrary<T> =>
    noisy ? fc.oneof({ weight: 9, arbitrary: clean }, { weight: 1, arbitrary: odd }) : clean;
  const pick = <T>(clean: readonly T[], odd: readonly T[]): fc.Arbitrary<T> =>
    noisy ? fc.constantFrom(...clean, ...odd) : fc.constantFrom(...clean);

  const addressLiteral = rare(address.chain(literal), oddLiteral);
  const sizeLiteral = rare(size.chain(literal), oddLiteral);

  const field = pick([".start", ".end", ".size", ".limit"], [".bogus", ""]);
  const reference = noisy
    ? fc.oneof(
        fc.tuple(fc.constantFrom(...REGION_NAMES), field).map(([n, f]) => n + f),
        fc.constantFrom(...PARAMS, ...CONSTS, ...OTHER_NAMES),
      )
    : fc.constantFrom("c0", "p0");

  const { expr } = fc.letrec<{ expr: string; binary: string; call: string }>((tie) => ({
    expr: fc.oneof(
      { maxDepth: noisy ? 3 : 2, depthIdentifier: "expr" },
      addressLiteral,
      sizeLiteral,
      reference,
      tie("binary"),
      tie("call"),
      tie("expr").map((e) => `-${e}`),
      tie("expr").map((e) => `(${e})`),
    ),
    binary: fc
      .tuple(tie("expr"), pick([" + ", " - ", "+"], [" * ", " / ", "*"]), tie("expr"))
      .map(([a, op, b]) => a + op + b),
    call: fc
      .tuple(
        pick(["align_up", "align_down", "div", "min", "max"], ["bogus"]),
        fc.array(tie("expr"), { minLength: noisy ? 0 : 2, maxLength: noisy ? 3 : 2 }),
      )
      .map(([f, args]) => `${f}(${args.join(", ")})`),
  }));

  /** A start term: a single term, as the grammar's `unary` (literal, name, call, parentheses). */
  const startTerm = fc.oneof(
    { weight: 12, arbitrary: addressLiteral },
    { weight: 1, arbitrary: reference },
    { weight: 1, arbitrary: expr.map((e) => `(${e})`) },
    { weight: 1, arbitrary: size.chain(literal).map((l) => `-${l}`) },
  );
  const sizeExpr = fc.oneof(
    { weight: 12, arbitrary: sizeLiteral },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 64 }), sizeLiteral)
        .map(([n, s]) => `${n} * ${s}`),
    },
    { weight: 1, arbitrary: noisy ? expr : expr.map((e) => `(${e})`) },
  );
  const range = fc.constantFrom(" .. ", " ..< ", "..", "..<");

  const absolute = fc.oneof(
    fc.tuple(startTerm, sizeExpr).map(([s, z]) => `${s} +${z}`),
    fc.tuple(startTerm, range, addressLiteral).map(([s, r, e]) => `${s}${r}${e}`),
    fc
      .tuple(startTerm, sizeExpr, range, addressLiteral)
      .map(([s, z, r, e]) => `${s} +${z}${r}${e}`),
  );
  const relative = fc.oneof(
    sizeExpr.map((z) => `+${z}`),
    fc.tuple(range, addressLiteral).map(([r, e]) => `${r.trim()} ${e}`),
    fc.tuple(sizeLiteral, sizeExpr).map(([a, z]) => `align ${a} +${z}`),
  );
  // A top-level region of a clean spec is placed absolutely (a relative first one is E0113).
  const topPlacement = noisy ? fc.oneof(absolute, relative) : absolute;
  const placement = fc.oneof(absolute, relative);

  const escapes = fc.constantFrom('\\"', "\\\\", "\\n", "\\t", "é", "→", " ", "x", "{", "//", "/*");
  const description = fc
    .array(
      fc.oneof(
        fc.string({ maxLength: 6, unit: "grapheme-ascii" }).map((t) => t.replace(/["\\\r\n]/g, "")),
        escapes,
      ),
      { maxLength: 5 },
    )
    .map((parts) => `"${parts.join("")}"`)
    .chain((s) => rare(fc.constant(s), fc.constant(s.slice(0, -1))));

  const comment = fc.oneof(
    fc
      .string({ maxLength: 20, unit: "grapheme-ascii" })
      .map((s) => `// ${s.replace(/[\r\n]/g, " ")}`),
    fc
      .string({ maxLength: 20, unit: "grapheme-ascii" })
      .map((s) => `/* ${s.replace(/\*\//g, "")} */`),
    pick(["/* multi\nline\ncomment */", "// ✓ unicode"], ["/* unterminated"]),
  );

  const kind = fc.constantFrom("region", "hole", "guard", "noncanonical");
  // Clean specs draw from more names (fewer duplicates, E0102) and always name a region.
  const regionName = noisy
    ? fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(...REGION_NAMES) },
        { weight: 1, arbitrary: fc.constantFrom(...OTHER_NAMES, "layout", "map", "KB") },
      )
    : fc.oneof(
        { weight: 1, arbitrary: fc.constantFrom(...REGION_NAMES) },
        { weight: 4, arbitrary: fc.nat(999).map((n) => `r_${n}`) },
      );

  const attribute = fc.oneof(
    pick(["map ram", "map none", "map alloc", "map recursive"], ["map bogus"]),
    startTerm.map((e) => `map phys ${e}`),
    pick(["perm r", "perm rw", "perm rx", "perm rwx"], ["perm wx"]),
    pick(
      ["cache wb", "cache wt", "cache uc", "cache uc_minus", "cache wc", "cache wp"],
      ["cache xx"],
    ),
    pick(["max_page 4KB", "max_page 2MB", "max_page 1GB"], ["max_page 8KB"]),
    sizeExpr.map((e) => `align ${e}`),
    pick(["export FOO", "export BAR_2"], ["export r0"]),
    fc
      .tuple(pick(["overlap", "E0201", "kaslr_range"], ["gap", "bogus"]), fc.option(description))
      .map(([c, d]) => `allow ${c}${d === null ? "" : " " + d}`),
    fc.constantFrom("user", "global", "per_process", "shared", "exhaustive"),
    fc
      .tuple(fc.constantFrom("offset", "size"), fc.constantFrom("", "~", "+", "~+"), startTerm)
      .map(([what, prefix, e]) => `${what} ${prefix}${e}`),
  );

  const { region } = fc.letrec<{
    region: string;
    child: string;
    item: string;
    repeat: string;
  }>((tie) => ({
    region: regionOf(topPlacement, tie("item")),
    child: regionOf(placement, tie("item")),
    item: fc.oneof(
      { maxDepth: 3, depthIdentifier: "region" },
      attribute,
      attribute,
      tie("child"),
      tie("repeat"),
      comment,
    ),
    repeat: fc
      .tuple(
        rare(
          fc.integer({ min: 0, max: 8 }).map(String),
          fc.constantFrom("p0", "-1", "0.5", "100001"),
        ),
        fc.option(pick(["i", "j"], ["r0"])),
        fc.array(tie("item"), { maxLength: 3 }),
        seps,
      )
      .map(
        ([n, as, body, s]) => `repeat ${n}${as === null ? "" : ` as ${as}`} {\n${block(body, s)}}`,
      ),
  }));

  function regionOf(place: fc.Arbitrary<string>, item: fc.Arbitrary<string>): fc.Arbitrary<string> {
    return fc
      .record({
        placement: place,
        kind: fc.option(kind, { freq: 3 }),
        name: noisy ? fc.option(regionName, { freq: 6 }) : regionName,
        desc: fc.option(description, { freq: 2 }),
        body: fc.option(fc.array(item, { maxLength: 5 }), { freq: 2 }),
        seps,
      })
      .map(({ placement, kind, name, desc, body, seps }) => {
        const head = [placement, kind, name, desc].filter((x) => x !== null).join("  ");
        return body === null ? head : `${head} {\n${block(body, seps)}}`;
      });
  }

  const paging = pick(["paging 4", "paging 5"], ["paging 3", "paging 4 + 1", "paging p0"]);
  const constDecl = fc
    .tuple(
      fc.constantFrom(...CONSTS),
      noisy ? expr : sizeLiteral,
      fc.option(fc.constantFrom("export C0", "export KERNEL")),
      fc.option(description),
    )
    .map(([n, e, x, d]) => [`const ${n} = ${e}`, x, d].filter((p) => p !== null).join(" "));
  const paramDecl = fc
    .tuple(
      fc.constantFrom(...PARAMS),
      pick(["address", "size", "count"], ["bogus"]),
      noisy ? expr : sizeLiteral,
      noisy ? expr : sizeLiteral,
      range,
      noisy ? expr : sizeLiteral,
      fc.option(sizeLiteral),
      fc.option(description),
    )
    .map(
      ([n, t, d, lo, r, hi, a, desc]) =>
        `param ${n}: ${t} = ${d} in ${lo}${r}${hi}` +
        (a === null ? "" : ` align ${a}`) +
        (desc === null ? "" : ` ${desc}`),
    );
  const kaslrDecl = fc
    .tuple(
      pick(["memory", "k"], ["kaslr"]),
      addressLiteral,
      addressLiteral,
      fc.option(sizeLiteral),
      fc.array(pick(REGION_NAMES, ["nope"]), { maxLength: 4 }),
      fc.array(fc.constantFrom(...REGION_NAMES), { maxLength: 2 }),
    )
    .map(
      ([n, s, e, a, members, may]) =>
        `kaslr ${n} {\n  range ${s} ..< ${e}\n` +
        (a === null ? "" : `  align ${a}\n`) +
        (members.length > 0 ? `  members ${members.join(" ")}\n` : "") +
        (may.length > 0 ? `  may_overlap ${may.join(" ")}\n` : "") +
        "}",
    );
  const variantDecl = fc
    .tuple(
      pick(['"4-level"', '"5-level"', '"a"'], ['""']),
      noisy ? fc.option(paging) : fc.constant(null),
      fc.array(region, { maxLength: 4 }),
      seps,
    )
    .map(([n, p, rs, s]) => `variant ${n} {\n${block([...(p === null ? [] : [p]), ...rs], s)}}`);
  const includeDecl = pick(
    ['include "inc.layout"'],
    ['include "missing.layout"', 'include "spec.layout"'],
  );

  const topItem = fc.oneof(
    { weight: 10, arbitrary: region },
    { weight: noisy ? 2 : 1, arbitrary: constDecl },
    { weight: noisy ? 2 : 1, arbitrary: paramDecl },
    { weight: 1, arbitrary: variantDecl },
    { weight: 1, arbitrary: kaslrDecl },
    { weight: 1, arbitrary: includeDecl },
    { weight: 2, arbitrary: comment },
    { weight: noisy ? 1 : 0, arbitrary: fc.constantFrom("exhaustive", "paging 5", "layout again") },
  );

  return fc
    .record({
      layout: rare(
        fc
          .tuple(fc.constantFrom("linux", "x"), fc.option(description))
          .map(([n, d]) => `layout ${n}${d === null ? "" : " " + d}`),
        fc.constantFrom("", "layout layout"),
      ),
      paging: noisy ? fc.option(paging, { freq: 4 }) : paging,
      // Clean specs declare what their expressions may name.
      defs: noisy
        ? fc.constant([])
        : fc.constant(["const c0 = 4KB", 'param p0: size = 8KB in 4KB .. 64KB align 4KB "p"']),
      items: fc.array(topItem, { maxLength: noisy ? 12 : 8 }),
      include: fc.array(fc.oneof(region, constDecl, comment), { maxLength: 4 }),
      seps,
      crlf: fc.boolean(),
    })
    .map(({ layout, paging, defs, items, include, seps, crlf }) => {
      const text = block(
        [layout, ...(paging === null ? [] : [paging]), ...defs, ...items].filter((x) => x !== ""),
        seps,
      );
      return {
        "spec.layout": crlf ? text.replace(/\n/g, "\r\n") : text,
        "inc.layout": block(include, [0]),
      };
    });
}

const spec = fc.oneof(
  { weight: 3, arbitrary: grammar(false) },
  { weight: 1, arbitrary: grammar(true) },
);

const sandbox = new Sandbox();
afterAll(() => sandbox.close());

describe("grammar-aware random specs", () => {
  test(
    "never an exception, a hang or a span outside the text",
    { timeout: FUZZ_TIMEOUT },
    async () => {
      let resolved = 0;
      let runs = 0;
      await fuzz(spec, 2000, (files) => {
        const result = sandbox.run(files, "spec.layout", "emit");
        const formatted = sandbox.run(files, "spec.layout", "format");
        const found = [
          ...problems(files, result),
          ...problems(files, formatted).map((p) => `formatter: ${p}`),
        ];
        if (found.length > 0) {
          throw new Error(
            `${found.join("\n")}\n--- spec.layout ---\n${files["spec.layout"]}\n--- inc.layout ---\n${files["inc.layout"]}`,
          );
        }
        runs++;
        if (result.ok === true && result.layouts > 0) resolved++;
      });
      // The generator must reach the verifier, not only the parser's error paths.
      expect(resolved).toBeGreaterThan(runs / 10);
    },
  );
});
