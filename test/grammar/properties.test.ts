/** Property tests: literals round-trip to exact values; no input breaks the parser. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSpec } from "../../src/compiler/parse.js";
import type { ConstDecl, LiteralExpr } from "../../src/compiler/ast.js";
import { mul, rat, type Rational } from "../../src/model/rational.js";

/** The value of `text` as a `const`, or the codes of its diagnostics. */
function valueOf(text: string): Rational | string[] {
  const { value, diagnostics } = parseSpec(`const x = ${text}`, "p.layout");
  if (diagnostics.length > 0) return diagnostics.map((d) => d.code);
  return ((value.ast.items[0] as ConstDecl).value as LiteralExpr).value;
}

const UNITS: [string, bigint][] = [
  ["B", 0n],
  ["K", 10n],
  ["KB", 10n],
  ["kB", 10n],
  ["KiB", 10n],
  ["M", 20n],
  ["MB", 20n],
  ["MiB", 20n],
  ["G", 30n],
  ["GB", 30n],
  ["GiB", 30n],
  ["T", 40n],
  ["TB", 40n],
  ["TiB", 40n],
  ["P", 50n],
  ["PB", 50n],
  ["PiB", 50n],
  ["E", 60n],
  ["EB", 60n],
  ["EiB", 60n],
];

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const hex16 = (v: bigint) => v.toString(16).padStart(16, "0");
/** Randomly upper- or lower-cases the hex letters. */
const cased = (s: string, upper: boolean) => (upper ? s.toUpperCase() : s);

describe("literals round-trip to exact values", () => {
  it("0x hex, with or without `_` separators", () => {
    fc.assert(
      fc.property(u64, fc.boolean(), fc.integer({ min: 1, max: 8 }), (v, upper, group) => {
        const digits = cased(v.toString(16), upper);
        const grouped = digits.replace(
          new RegExp(`(?!^)(?=(?:[0-9a-fA-F]{${group}})+$)`, "g"),
          "_",
        );
        expect(valueOf(`0x${digits}`)).toEqual(rat(v));
        expect(valueOf(`0x${grouped}`)).toEqual(rat(v));
      }),
    );
  });

  it("bare hex, Solaris dotted and GayBSD pairs", () => {
    fc.assert(
      fc.property(u64, fc.boolean(), (v, upper) => {
        const h = cased(hex16(v), upper);
        expect(valueOf(h)).toEqual(rat(v));
        expect(valueOf(h.replace(/(.{4})(?!$)/g, "$1_"))).toEqual(rat(v));
        expect(valueOf(`${h.slice(0, 8)}_${h.slice(8)}`)).toEqual(rat(v));
        expect(valueOf(`0x${h.slice(0, 8)}.${h.slice(8)}`)).toEqual(rat(v));
        expect(valueOf(`${h.slice(0, 8)} ${h.slice(8)}`)).toEqual(rat(v));
      }),
    );
  });

  it("decimals with fractions, and stacked units", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n - 1n }), // 16 digits would be bare hex
        fc.option(fc.bigInt({ min: 0n, max: 10n ** 6n }), { nil: undefined }),
        fc.array(fc.constantFrom(...UNITS), { maxLength: 3 }),
        fc.boolean(),
        (whole, frac, units, spaced) => {
          const fracText = frac === undefined ? "" : `.${frac}`;
          const text = `${whole}${fracText}${spaced ? " " : ""}${units.map((u) => u[0]).join(" ")}`;
          // `100000000000000B` is 16 hex digits, so bare hex by the documented priority.
          fc.pre(!/^[0-9A-Fa-f]{16}(?![0-9A-Fa-f_])/.test(text));
          const base =
            frac === undefined
              ? rat(whole)
              : rat(
                  whole * 10n ** BigInt(String(frac).length) + frac,
                  10n ** BigInt(String(frac).length),
                );
          const scale = units.reduce((acc, [, shift]) => acc << shift, 1n);
          expect(valueOf(text)).toEqual(mul(base, rat(scale)));
        },
      ),
    );
  });

  it("a glued word that is not a unit is E0006, any other glued word E0005", () => {
    const unitNames = new Set(UNITS.map((u) => u[0]));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.stringMatching(/^[G-Zg-z][A-Za-z]{0,4}$/),
        (n, word) => {
          fc.pre(!unitNames.has(word));
          expect(valueOf(`${n}${word}`)).toEqual(["E0006"]);
          expect(valueOf(`${n}${word}7`)).toEqual(["E0005"]);
        },
      ),
    );
  });
});

describe("robustness", () => {
  const checkSpans = (text: string) => {
    const { value, diagnostics } = parseSpec(text, "fuzz.layout");
    expect(value.ast.kind).toBe("file");
    for (const d of diagnostics) {
      expect(d.code).toMatch(/^E000[1-8]$/);
      expect(d.span).toBeDefined();
      expect(d.span!.file).toBe("fuzz.layout");
      expect(0 <= d.span!.start && d.span!.start <= d.span!.end && d.span!.end <= text.length).toBe(
        true,
      );
    }
  };

  it("random byte strings never throw, and every span lies within the text", () => {
    const bytes = fc.uint8Array({ maxLength: 400 }).map((a) => String.fromCharCode(...a));
    fc.assert(fc.property(bytes, checkSpans), { numRuns: 300 });
  });

  it("random UTF-16, including lone surrogates, never throws", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), checkSpans), {
      numRuns: 200,
    });
  });

  it("random sequences of spec fragments never throw", () => {
    const words =
      "ffff888000000000 +64TB .. ..< { } ( ) ; map ram region hole align - * / , const = " +
      'param : in kaslr range members repeat as variant "s" "open /* */ // 0x ZZ 1.5 K TB x ' +
      ". start user exhaustive 0xFFFFFFFF.FB800000 # \u0000 << >> & | ^ ~ < > fn f(x) 63 64";
    const fragment = fc.constantFrom(...words.split(" "), "\n", "ffff8000 00000000");
    const text = fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join(" "));
    fc.assert(fc.property(text, checkSpans), { numRuns: 500 });
  });
});
