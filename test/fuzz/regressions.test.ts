/** Inputs the fuzzers found that once hung, exhausted memory or crashed: each is now a diagnostic. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { vmlayout } from "../cli-helpers.js";

function check(text: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "regress-"));
  writeFileSync(path.join(dir, "x.layout"), text);
  return vmlayout(["check", "x.layout"], { cwd: dir });
}

describe("fuzz regressions", () => {
  it("nested repeats past the region limit stop at once (was: out of memory)", () => {
    const r = check("layout x\npaging 4\nrepeat 100000 {\nrepeat 100000 {\n+4KB a\n}\n}\n");
    expect(r.status).toBe(1);
    expect(r.stderr.match(/error\[E0007\]/g)).toHaveLength(1);
  });

  it("nested repeats of nothing are bounded too", () => {
    const r = check("layout x\npaging 4\nrepeat 100000 {\nrepeat 100000 {\n}\n}\n");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[E0007]");
  });

  it("values that grow without bound are a diagnostic (was: uncaught RangeError)", () => {
    const consts = ["const c0 = 3"];
    for (let i = 1; i < 40; i++) consts.push(`const c${i} = c${i - 1} * c${i - 1}`);
    const r = check(`layout x\npaging 4\n${consts.join("\n")}\n0 +4KB r\n`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[E0207]: value is far outside the 64-bit address space");
    expect(r.stderr).not.toContain("internal error");
  });
});
