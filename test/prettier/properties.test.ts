/**
 * Property tests: any whitespace mangling of a formatted file formats back to it; and random
 * specs (regions, bodies, attributes, comments, blank lines, `;`) format idempotently, to the
 * same AST and comments (the formatter also checks that itself and throws if not).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  astWithoutSpans,
  comments,
  format,
  formatterTexts,
  rewriteGaps,
  type Gap,
} from "./helpers.js";

/**
 * Formatted texts and their options: the specs, and the fixtures' outputs (except
 * `prettier-ignore`'s, which keeps the spacing of the statement it ignores).
 */
const FORMATTED = formatterTexts("output").filter(([name]) => name !== "prettier-ignore");

const hexWord = (s: string | undefined) => s !== undefined && /^[0-9A-Fa-f]{8}$/.test(s);

/**
 * A random replacement for the whitespace of one gap: spaces and tabs anywhere, no line break
 * added or removed except blank lines where the formatter drops them (at the edges of the
 * file and of blocks) or collapses them (next to another blank line).
 */
function mangled(space: string, gap: Gap, choices: readonly number[]): string {
  let k = 0;
  const next = () => choices[k++ % choices.length]!;
  const run = (min: number) => " \t  "[next() % 4]!.repeat(min + (next() % 3));
  if (gap.before === undefined) return "\n".repeat(next() % 3) + run(0) + space.trimStart();
  if (!space.includes("\n")) {
    if (gap.after === undefined) return space;
    // Two 8-digit hex words one space apart would lex as one GayBSD address.
    if (space === "") return next() % 2 === 0 ? "" : run(hexWord(gap.before) ? 2 : 1);
    return run(hexWord(gap.before) && hexWord(gap.after) ? 2 : 1);
  }
  const breaks = space.split("\n").length - 1;
  const droppable =
    breaks > 1 || gap.after === undefined || gap.before === "{" || gap.after === "}";
  const total = breaks + (droppable ? next() % 3 : 0);
  let out = run(0);
  for (let i = 0; i < total; i++) out += "\n" + run(0);
  return out;
}

describe("formatting properties", () => {
  for (const [name, text, options] of FORMATTED) {
    it(`${name}: every whitespace mangling formats back`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(1000), { minLength: 1, maxLength: 64 }), async (seed) => {
          let n = 0;
          const copy = rewriteGaps(text, (space, gap) =>
            mangled(space, gap, seed.slice(n++ % seed.length)),
          );
          expect(await format(copy, options)).toBe(text);
        }),
        { numRuns: 40 },
      );
    });
  }

  const name = fc.constantFrom("a", "kernel", "direct_map", "x_1", "deadbeef", "user");
  const number = fc.constantFrom(
    "ffff888000000000",
    "FFFF_FF80_0000_0000",
    "0xFFFFFFFF.FB800000",
    "ffff8000 00000000",
    "0x10_0000",
    "-2GB",
    "-119.5TB",
    "4KB",
    "0.5 TB",
    "16M TB",
    "kernel.end",
    "align_up(a, 2MB)",
    "(a - 4KB)",
  );
  const size = fc.constantFrom("4KB", "64TB", "0.5TB", "32 * 4KB", "(1GB + 2MB)", "n");
  const comment = fc.constantFrom(
    "// note",
    "/* block */",
    "/* two\n   lines */",
    "/**\n * doc\n */",
  );
  const ws = fc.constantFrom("", " ", "  ", "\t");
  const attribute = fc.constantFrom(
    "user",
    "global",
    "per_process",
    "map ram",
    "map phys 0",
    "perm rw",
    "cache uc",
    "max_page 2MB",
    "align 4KB",
    "export FOO",
    'allow overlap "why"',
  );
  const placement = fc.oneof(
    fc.tuple(number, size).map(([s, z]) => `${s} +${z}`),
    fc.tuple(number, number).map(([s, e]) => `${s} .. ${e}`),
    fc.tuple(number, number).map(([s, e]) => `${s} ..< ${e}`),
    size.map((z) => `+${z}`),
    number.map((e) => `..< ${e}`),
    size.map((z) => `align 2MB +${z}`),
  );
  const kind = fc.constantFrom("", "hole", "guard", "region", "noncanonical");
  const description = fc.constantFrom("", '"a description"', '"a \\"quoted\\" one"');

  /** A line of a block at `depth`, with random spacing, comments and separators. */
  const statement = (depth: number): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 3, arbitrary: region(depth) },
      {
        weight: 1,
        arbitrary: fc
          .array(region(1), { maxLength: 3 })
          .map((rs) => `repeat 2 as i {\n${rs.join("\n")}\n}`),
      },
      { weight: 1, arbitrary: attribute },
      { weight: 1, arbitrary: comment },
      { weight: 1, arbitrary: fc.constant("") },
    );
  const region = (depth: number): fc.Arbitrary<string> =>
    fc
      .tuple(
        placement,
        kind,
        fc.option(name, { nil: "" }),
        description,
        depth < 2
          ? fc.option(fc.array(fc.oneof(attribute, region(depth + 1)), { maxLength: 3 }), {
              nil: undefined,
            })
          : fc.constant(undefined),
        fc.option(comment, { nil: "" }),
        ws,
        fc.boolean(),
      )
      .map(([p, k, n, d, body, c, w, oneLine]) => {
        const head = [p, k, n, d].filter((x) => x !== "").join(w === "" ? " " : w);
        const braces =
          body === undefined
            ? ""
            : oneLine && !body.some((b) => b.includes("\n") || b.includes("//"))
              ? ` {${w}${body.join("; ")}${w}}`
              : ` {\n${body.join("\n")}\n}`;
        const trailing = c && ` ${c}`;
        return head + braces + trailing;
      });
  const spec = fc
    .array(statement(0), { maxLength: 12 })
    .map((lines) => ["layout t", "paging 4", ...lines].join("\n") + "\n");

  it("random specs format idempotently, keeping the AST and every comment", async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (text) => {
        const once = await format(text);
        expect(await format(once)).toBe(once);
        expect(astWithoutSpans(once)).toEqual(astWithoutSpans(text));
        expect(comments(once).length).toBe(comments(text).length);
      }),
      { numRuns: 300 },
    );
  });
});
