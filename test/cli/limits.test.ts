/** `--limit NAME=N`: every resource limit can be changed for one run, and says how. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { vmlayout } from "../cli-helpers.js";
import { DEFAULT_LIMITS } from "../../src/limits.js";

const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-limits-"));
function spec(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `layout t\npaging 4\n${body}\n`);
  return file;
}

/** The `error[CODE]` codes of a run, in order. */
const codes = (stderr: string): string[] =>
  [...stderr.matchAll(/error\[(E\d+)\]/g)].map((m) => m[1]!);

describe("--limit", () => {
  const sixRegions = spec("six.layout", "ffff800000000000 +4KB a\nrepeat 5 { +4KB hole }");

  it("regions: E0007 past the limit, clean under it", () => {
    const r = vmlayout(["check", sixRegions, "--limit", "regions=5"]);
    expect(codes(r.stderr)).toEqual(["E0007"]);
    expect(r.stderr).toContain("more than 5 regions");
    expect(r.stderr).toContain("`--limit regions=N`");
    expect(vmlayout(["check", sixRegions, "--limit", "regions=6"]).status).toBe(0);
  });

  it("repeat: E0115 past the default, raised with --limit repeat", () => {
    const big = spec(
      "repeat.layout",
      `ffff800000000000 +4KB a\nrepeat ${DEFAULT_LIMITS.repeat + 1} { }`,
    );
    const r = vmlayout(["check", big]);
    expect(codes(r.stderr)).toEqual(["E0115"]);
    expect(r.stderr).toContain("`--limit repeat=N`");
    const raised = [
      `repeat=${DEFAULT_LIMITS.repeat + 1}`,
      `iterations=${DEFAULT_LIMITS.repeat + 1}`,
    ];
    expect(vmlayout(["check", big, ...raised.flatMap((l) => ["--limit", l])]).status).toBe(0);
  });

  it("iterations: nested repeats multiply", () => {
    const nested = spec(
      "nested.layout",
      "ffff800000000000 +4KB a\nrepeat 10 { repeat 10 { +4KB hole } }",
    );
    expect(codes(vmlayout(["check", nested, "--limit", "iterations=100"]).stderr)).toEqual([
      "E0007",
    ]);
    expect(vmlayout(["check", nested, "--limit", "iterations=110"]).status).toBe(0);
  });

  it("input and nesting: E0007 and E0008 before parsing", () => {
    const deep = spec("deep.layout", "const c = (((1)))\nffff800000000000 +4KB a");
    const input = vmlayout(["check", deep, "--limit", "input=16"]);
    expect(codes(input.stderr)).toEqual(["E0007"]);
    expect(input.stderr).toContain("`--limit input=N`");
    expect(codes(vmlayout(["check", deep, "--limit", "nesting=2"]).stderr)).toEqual(["E0008"]);
    expect(vmlayout(["check", deep, "--limit", "nesting=3"]).status).toBe(0);
  });

  it("tokens: E0007 at the first token past the limit, comments and line ends counted", () => {
    // `layout t` and `paging 4` and their line ends: 6; the region (`+4KB` is 3): 5; the
    // comment and the last line end: 2. The 13th token, past the limit of 12, is that line end.
    const file = spec("tokens.layout", "ffff800000000000 +4KB a // one");
    const r = vmlayout(["check", file, "--limit", "tokens=12"]);
    expect(codes(r.stderr)).toEqual(["E0007"]);
    expect(r.stderr).toContain("input has more than 12 tokens");
    expect(r.stderr).toContain("`--limit tokens=N`");
    expect(r.stderr).toMatch(/tokens\.layout:3:31: error/);
    expect(vmlayout(["check", file, "--limit", "tokens=13"]).status).toBe(0);
  });

  it("diagnostics: the last one shown counts the rest", () => {
    const overlaps = spec("overlaps.layout", "repeat 10 { ffff800000000000 +4KB hole }");
    const r = vmlayout(["check", overlaps, "--limit", "diagnostics=3"]);
    expect(codes(r.stderr)).toHaveLength(3);
    expect(r.stderr).toMatch(/\d+ more diagnostics not shown/);
  });

  it("table-frames: E0411 for install, translate and dump", () => {
    const linux = ["specs/linux-x86_64.layout", "--variant", "4-level"];
    const r = vmlayout(["install", ...linux, "--limit", "table-frames=2"]);
    expect(codes(r.stderr)).toEqual(["E0411"]);
    expect(vmlayout(["dump", ...linux, "--limit", "table-frames=2"]).status).toBe(1);
    expect(vmlayout(["install", ...linux, "--limit", "table-frames=76"]).status).toBe(0);
  });

  it("usage errors: unknown name, not NAME=N, twice, zero (exit 2)", () => {
    for (const bad of [
      ["foo=1"],
      ["regions"],
      ["regions=1", "regions=2"],
      ["regions=0"],
      ["regions=x"],
    ]) {
      const r = vmlayout(["check", sixRegions, ...bad.flatMap((b) => ["--limit", b])]);
      expect(r.status, bad.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^vmlayout check: --limit/);
    }
  });
});
