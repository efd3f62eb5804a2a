/** The diagnostic catalogue: unique codes, an explanation for each, and a test for each. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../src/diagnostics/catalogue.js";

const ROOT = path.resolve(import.meta.dirname, "..");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

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

  it("every code is exercised by a test or fixture", () => {
    const corpus = files(path.join(ROOT, "test"))
      .filter((f) => /\.(ts|layout|inc)$/.test(f) && !f.endsWith("catalogue.test.ts"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const missing = CATALOGUE.filter((e) => !corpus.includes(e.code)).map((e) => e.code);
    expect(missing).toEqual([]);
  });
});
