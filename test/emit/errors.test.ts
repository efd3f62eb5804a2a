/**
 * What `vmlayout build` says about a spec a format cannot express (E03xx), as the user sees it.
 * Each `test/fixtures/emit/errors/<case>.layout` names its command on its first line
 * (`// vmlayout build --emit c: ...`); a line ending in `//~ CODE...` expects exactly those
 * diagnostics to start on it, and no other line may have one. Every diagnostic is reported (not
 * only the first), no output is written, and stderr matches the golden `<case>.stderr`.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, vmlayout } from "../cli-helpers.js";

const DIR = path.join("test", "fixtures", "emit", "errors");
const CASES = readdirSync(path.join(ROOT, DIR))
  .filter((f) => f.endsWith(".layout"))
  .sort();

/** `line:CODE` for every `//~` expectation. */
function expected(text: string): string[] {
  return text.split("\n").flatMap((line, i) => {
    const m = /\/\/~\s*((?:[EW]\d{4}\s*)+)$/.exec(line);
    return m
      ? m[1]!
          .trim()
          .split(/\s+/)
          .map((code) => `${i + 1}:${code}`)
      : [];
  });
}

describe("build errors (E03xx)", () => {
  it("has cases", () => expect(CASES.length).toBeGreaterThan(0));

  for (const file of CASES) {
    it(file, async () => {
      const spec = path.join(DIR, file);
      const text = readFileSync(path.join(ROOT, spec), "utf8");
      const format = /^\/\/ vmlayout build --emit (\w+)/.exec(text)?.[1];
      expect(format, "first line: // vmlayout build --emit FORMAT").toBeDefined();
      const r = vmlayout(["build", spec, "--emit", format!]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      const found = [...r.stderr.matchAll(/^[^\n:]+:(\d+):\d+: error\[(E\d{4})\]/gm)].map(
        (m) => `${m[1]}:${m[2]}`,
      );
      expect(found.sort()).toEqual(expected(text).sort());
      await expect(r.stderr).toMatchFileSnapshot(
        path.join(ROOT, spec.replace(/\.layout$/, ".stderr")),
      );
    });
  }
});
