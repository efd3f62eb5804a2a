/**
 * The committed specs are formatted, and whitespace-mangled copies of each format back to it
 * byte for byte, meaning the same and keeping every comment.
 */
import { describe, expect, it } from "vitest";
import {
  astWithoutSpans,
  comments,
  compiled,
  format,
  MANGLES,
  readSpec,
  SPECS,
  specOptions,
} from "./helpers.js";

describe("committed specs", () => {
  it("are the five seeds, FreeBSD's, Linux RISC-V and arm64, and illumos' current generation", () => {
    expect(SPECS.length).toBe(9);
    expect(SPECS).toContain("freebsd-amd64.layout");
    expect(SPECS).toContain("linux-riscv64.layout");
    expect(SPECS).toContain("linux-arm64.layout");
    expect(SPECS).toContain("illumos-amd64.layout");
  });

  for (const spec of SPECS) {
    describe(spec, () => {
      const text = readSpec(spec);

      it("is formatted", async () => {
        expect(await format(text, await specOptions())).toBe(text);
      });

      it("has no line with trailing whitespace or a tab", () => {
        expect(text.split("\n").filter((l) => /\s$|\t/.test(l))).toEqual([]);
      });

      for (const [mangling, mangle] of Object.entries(MANGLES)) {
        it(`formats back from a copy with ${mangling}`, async () => {
          const mangled = mangle(text);
          expect(mangled).not.toBe(text);
          expect(astWithoutSpans(mangled)).toEqual(astWithoutSpans(text));
          expect(await format(mangled, await specOptions())).toBe(text);
        });
      }

      it("compiles to the same Layout and keeps every comment when formatted from a mangled copy", async () => {
        const mangled = MANGLES["runs of spaces collapsed to one"]!(text);
        const formatted = await format(mangled, await specOptions());
        const before = compiled(mangled);
        expect(before.json).not.toBeNull();
        expect(compiled(formatted)).toEqual(before);
        expect(comments(formatted)).toEqual(comments(mangled));
        expect(comments(formatted).length).toBeGreaterThan(0);
      });
    });
  }
});
