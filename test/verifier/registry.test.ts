/**
 * The rules registry (src/verifier/rules/index.ts) against the catalogue and against what the
 * rules do: every layout code is claimed by exactly one rule (or by the verifier itself), and
 * each rule, run on every spec and fixture in the repository, reports only the codes it claims.
 */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../../src/diagnostics/catalogue.js";
import { checkSpec } from "../../src/pipeline.js";
import { Context } from "../../src/verifier/context.js";
import { RULES, VERIFIER_CODES } from "../../src/verifier/index.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** No committed spec or fixture has a child outside its parent (E0202). */
const CONTAINMENT = `layout t
paging 4
ffff888000000000 +1TB parent {
  ffff888000000000 +2TB child
}
`;

/** The `.layout` files under `dir`, recursively. */
function layoutFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".layout"))
    .map((f) => path.join(dir, f));
}

describe("the rules registry", () => {
  it("claims every layout code of the catalogue (E02xx, W02xx) exactly once", () => {
    const claimed = [...RULES.flatMap((r) => r.codes), ...VERIFIER_CODES];
    expect(new Set(claimed).size).toBe(claimed.length);
    const layoutCodes = CATALOGUE.map((e) => e.code).filter((c) => /^[EW]02/.test(c));
    expect([...claimed].sort()).toEqual([...layoutCodes].sort());
  });

  it("has rules with distinct names", () => {
    expect(new Set(RULES.map((r) => r.name)).size).toBe(RULES.length);
  });

  it("runs rules that report only the codes they claim, on every spec and fixture", () => {
    const specs = [
      ...layoutFiles(path.join(ROOT, "specs")),
      ...layoutFiles(path.join(ROOT, "test")),
    ];
    const exercised = new Set<string>();
    const layouts = [
      ...specs.flatMap((spec) => checkSpec(spec).layouts.map((layout) => ({ spec, layout }))),
      ...checkSpec("containment.layout", { readFile: () => CONTAINMENT }).layouts.map((layout) => ({
        spec: "containment.layout",
        layout,
      })),
    ];
    for (const { spec, layout } of layouts) {
      const ctx = new Context(layout);
      for (const rule of RULES) {
        const before = ctx.findings.length;
        rule.check(ctx);
        const stray = ctx.findings
          .slice(before)
          .map((f) => f.code)
          .filter((code) => code !== "E0210" && !rule.codes.includes(code));
        expect({ spec, rule: rule.name, stray }).toEqual({ spec, rule: rule.name, stray: [] });
        if (ctx.findings.length > before) exercised.add(rule.name);
      }
    }
    // Every rule finds something somewhere in the corpus, so none passes by doing nothing.
    expect([...exercised].sort()).toEqual(RULES.map((r) => r.name).sort());
  });
});
