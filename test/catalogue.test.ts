/**
 * The diagnostic catalogue: unique codes, an explanation for each, bands that match the UI
 * cases (test/ui.test.ts checks that every code is emitted by one).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE, bandOf, codesOfBand } from "../src/diagnostics/catalogue.js";

const ROOT = path.resolve(import.meta.dirname, "..");

describe("catalogue", () => {
  it("has unique codes and names", () => {
    expect(new Set(CATALOGUE.map((e) => e.code)).size).toBe(CATALOGUE.length);
    expect(new Set(CATALOGUE.map((e) => e.name)).size).toBe(CATALOGUE.length);
  });

  it("bands codes by stage and severity", () => {
    for (const e of CATALOGUE) {
      expect(e.code).toMatch(/^[EW]0[0-5]\d\d$/);
      expect(e.severity).toBe(e.code.startsWith("W") ? "warning" : "error");
    }
  });

  for (const e of CATALOGUE) {
    it(`${e.code} has an explanation starting with its code and title`, () => {
      const text = readFileSync(path.join(ROOT, "docs", "diagnostics", `${e.code}.md`), "utf8");
      expect(text.split("\n")[0]).toMatch(new RegExp(`^# ${e.code}`));
    });
  }

  it("every code is listed in the README's diagnostics table", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const row = (code: string, name: string) =>
      new RegExp(`\\|\\s*${code}\\s*\\|\\s*\`${name}\`\\s*\\|`);
    const missing = CATALOGUE.filter((e) => !row(e.code, e.name).test(readme));
    expect(missing.map((e) => e.code)).toEqual([]);
  });

  it("every code is in one band, and every band has a directory of UI cases", () => {
    const bands = [...new Set(CATALOGUE.map((e) => bandOf(e.code)))];
    expect(bands.flatMap((b) => codesOfBand(b))).toEqual(
      expect.arrayContaining(CATALOGUE.map((e) => e.code)),
    );
    expect(bands.flatMap((b) => codesOfBand(b))).toHaveLength(CATALOGUE.length);
    const uiBands = readdirSync(path.join(ROOT, "test", "ui")).filter((d) =>
      statSync(path.join(ROOT, "test", "ui", d)).isDirectory(),
    );
    expect(uiBands.sort()).toEqual(bands.sort());
  });

  // That every code is emitted is checked by running the UI cases: test/ui.test.ts.
});
