/** Numbers on the command line: one expression, read with a spec's lexer, grammar and evaluator. */
import { describe, expect, it } from "vitest";
import { numberParser } from "../../src/cli/numbers.js";
import { parseExpression } from "../../src/compiler/parse.js";

describe("numberParser", async () => {
  const parse = await numberParser(new Map([["kernel_text.start", 0xffffffff81000000n]]));

  it("reads every address and size form a spec reads", () => {
    expect(parse("-2GB", "a")).toBe((1n << 64n) - (2n << 30n));
    expect(parse("ffff8000 00000000", "a")).toBe(0xffff800000000000n);
    expect(parse("0xFFFFFFFF.FB800000", "a")).toBe(0xfffffffffb800000n);
    expect(parse("0xFFFF_FF80_0000_0000", "a")).toBe(0xffffff8000000000n);
    expect(parse("0.5TB", "s", "size")).toBe(1n << 39n);
    expect(parse("32 * 4KB", "s", "size")).toBe(128n << 10n);
    expect(parse("kernel_text.start + 2MB", "a")).toBe(0xffffffff81200000n);
  });

  it("refuses what a spec refuses, with the spec's diagnostic", () => {
    expect(() => parse("0x12ZZ", "--load", "size")).toThrow(/^--load `0x12ZZ` is not a number: /);
    expect(() => parse("64XB", "--ram", "size")).toThrow(/is not a number: .*unit/);
    expect(() => parse("1 +", "--ram", "size")).toThrow(/^--ram `1 \+` is not a number: /);
    expect(() => parse("1 2", "--ram", "size")).toThrow(/^--ram `1 2` is not a number: unexpected/);
    expect(() => parse("kernel_txt.start", "address")).toThrow(
      "address `kernel_txt.start` is not a number: cannot find `kernel_txt.start`; did you mean `kernel_text.start`?",
    );
  });

  it("keeps a size whole, non-negative and within 64 bits", () => {
    expect(() => parse("1.5", "--process", "count")).toThrow("is not a whole number");
    expect(() => parse("-1", "--ram", "size")).toThrow("is negative");
    expect(() => parse("16EB", "--ram", "size")).toThrow("does not fit in 64 bits");
    expect(() => parse("16EB", "va")).toThrow("is outside the 64-bit address space");
  });

  it("refuses statements, blocks, strings and comments", () => {
    for (const text of ["1; 2", "1 // c", '"1"', "{1}", "1\n2"])
      expect(() => parse(text, "--load", "size")).toThrow("is not a number");
  });
});

describe("parseExpression", () => {
  it("gives the expression and no diagnostic, or diagnostics with spans in the text", () => {
    const ok = parseExpression("align_up(x, 2MB)", "<argument>");
    expect(ok.diagnostics).toEqual([]);
    expect(ok.value).toMatchObject({ kind: "call", callee: { name: "align_up" } });
    const bad = parseExpression("(1 + ", "<argument>");
    expect(bad.value).toBeUndefined();
    expect(bad.diagnostics.map((d) => d.code)).toEqual(["E0001"]);
    for (const d of bad.diagnostics) expect(d.span!.end).toBeLessThanOrEqual(5);
  });
});
