/**
 * Formatter fixtures, in Prettier's style: `test/fixtures/format/<case>/input.layout` formats
 * to `output.layout` (with the options in `options.json`, if any; the plugin's defaults
 * otherwise: printWidth 100). For every case: formatting is idempotent and changes no meaning (same AST once
 * spans are stripped, same compiled Layout, same comments). `vitest -u` rewrites the outputs.
 */
import { describe, expect, it } from "vitest";
import {
  astWithoutSpans,
  comments,
  compiled,
  FIXTURE_CASES,
  format,
  readFixture,
} from "./helpers.js";

const CASES = FIXTURE_CASES;

describe("format fixtures", () => {
  it("are all present", () => {
    expect(CASES).toEqual([
      "aarch64",
      "axes",
      "blank-lines",
      "bodies",
      "comments",
      "documented",
      "empty",
      "expressions",
      "hex-words",
      "literals",
      "operators",
      "options",
      "prettier-ignore",
      "semicolons",
      "table",
      "use-tabs",
    ]);
  });

  for (const name of CASES) {
    describe(name, () => {
      const { input, outputPath, options } = readFixture(name);

      it("formats to output.layout", async () => {
        await expect(await format(input, options)).toMatchFileSnapshot(outputPath);
      });

      it("is idempotent", async () => {
        const once = await format(input, options);
        expect(await format(once, options)).toBe(once);
      });

      it("keeps the AST (spans aside), the compiled Layout and every comment", async () => {
        const output = await format(input, options);
        expect(astWithoutSpans(output)).toEqual(astWithoutSpans(input));
        expect(compiled(output)).toEqual(compiled(input));
        expect(comments(output).length).toBe(comments(input).length);
      });
    });
  }

  it("the fixtures other than `empty` compile without errors (so the Layout comparison bites)", () => {
    for (const name of CASES.filter((c) => c !== "empty"))
      expect(compiled(readFixture(name).input).json, name).not.toBeNull();
  });
});
