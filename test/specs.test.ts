/**
 * The committed specs: every one verifies clean (no errors, no warnings, even with
 * --deny-warnings), and `build --emit json` matches its golden file byte for byte.
 */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, goldenPath, vmlayout } from "./cli-helpers.js";

const SPECS = readdirSync(path.join(ROOT, "specs"))
  .filter((f) => f.endsWith(".layout"))
  .sort();

describe("specs", () => {
  it("are all present", () => {
    expect(SPECS).toEqual([
      "emerald.layout",
      "freebsd-amd64.layout",
      "gaybsd-amd64.layout",
      "illumos-amd64.layout",
      "linux-2.6.24.layout",
      "linux-arm64.layout",
      "linux-riscv64.layout",
      "linux-x86_64.layout",
      "solaris-amd64.layout",
    ]);
  });

  it("verify clean together, with warnings denied", () => {
    const r = vmlayout(["check", "--deny-warnings", ...SPECS.map((s) => `specs/${s}`)]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  for (const spec of SPECS) {
    it(`${spec}: --emit json matches the golden file`, async () => {
      const r = vmlayout(["build", `specs/${spec}`, "--emit", "json"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(goldenPath(spec, "json"));
    });
  }
});
