/**
 * The formatter from the command line: Prettier's own CLI with the repository's
 * configuration, and `vmlayout fmt` (both run as built; `npm test` builds first).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { vmlayout } from "../cli-helpers.js";
import { MANGLES, readSpec, ROOT, SPECS, SPECS_DIR } from "./helpers.js";

function npx(args: readonly string[], cwd = ROOT) {
  const r = spawnSync("npx", ["--no-install", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDir = () => mkdtempSync(path.join(tmpdir(), "vmlayout-fmt-"));

/** A spec that is valid but not formatted. */
const UNFORMATTED = MANGLES["runs of spaces collapsed to one"]!(readSpec("linux-2.6.24.layout"));

describe("prettier CLI with the repository's configuration", () => {
  it("`npx prettier --check specs` passes", () => {
    const r = npx(["prettier", "--check", "specs"]);
    expect(r.stderr).not.toContain("[warn]");
    expect(r.stderr).not.toContain("[error]");
    expect(r.status).toBe(0);
  });

  it("`npx prettier --check` flags an unformatted spec", () => {
    const file = path.join(tempDir(), "x.layout");
    writeFileSync(file, UNFORMATTED);
    const r = npx(["prettier", "--config", ".prettierrc.json", "--check", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("x.layout");
  });

  it("`npx prettier --debug-check` passes on an unformatted spec: its tree is the formatted one's", () => {
    const file = path.join(tempDir(), "x.layout");
    writeFileSync(file, UNFORMATTED);
    const r = npx(["prettier", "--config", ".prettierrc.json", "--debug-check", file]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("reports a syntax error with its location and code", () => {
    const r = spawnSync(
      "npx",
      ["--no-install", "prettier", "--stdin-filepath", "specs/bad.layout"],
      {
        cwd: ROOT,
        encoding: "utf8",
        input: "layout x\n0 +1TB foo {\n  perm rw\n",
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/SyntaxError: `\{` is never closed \[E0001\] \(2:12\)/);
  });
});

describe("vmlayout fmt", () => {
  it("--check exits 0 on formatted specs and prints nothing", () => {
    const r = vmlayout(["fmt", "--check", ...SPECS.map((s) => path.join("specs", s))]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  it("--check exits 1 on an unformatted copy, shows the diff and the fix, and writes nothing", () => {
    const dir = tempDir();
    const good = path.join(dir, "good.layout");
    const bad = path.join(dir, "bad.layout");
    cpSync(path.join(SPECS_DIR, "linux-2.6.24.layout"), good);
    writeFileSync(bad, UNFORMATTED);
    const r = vmlayout(["fmt", "--check", good, bad]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^--- ${bad}\n\\+\\+\\+ ${bad} \\(formatted\\)\n@@ -`));
    expect(r.stderr).toBe(
      `vmlayout fmt: 1 file is not formatted; run \`vmlayout fmt ${bad}\` to format it\n`,
    );
    expect(readFileSync(bad, "utf8")).toBe(UNFORMATTED);
    // The diff is a patch that formats the file.
    const out = path.join(dir, "patched.layout");
    expect(spawnSync("patch", ["-o", out, bad], { input: r.stdout }).status).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(good, "utf8"));
  });

  it("rewrites unformatted files in place and leaves formatted ones alone", () => {
    // No configuration: the plugin's printWidth for specs (100) is the checkout's.
    const dir = tempDir();
    const good = path.join(dir, "good.layout");
    const bad = path.join(dir, "bad.layout");
    cpSync(path.join(SPECS_DIR, "solaris-amd64.layout"), good);
    writeFileSync(bad, UNFORMATTED);
    const untouched = statSync(good).mtimeMs;
    const r = vmlayout(["fmt", good, bad]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(bad, "utf8")).toBe(readSpec("linux-2.6.24.layout"));
    expect(statSync(good).mtimeMs).toBe(untouched);
    expect(vmlayout(["fmt", "--check", good, bad]).status).toBe(0);
  });

  it("uses the Prettier configuration that applies to the file", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, ".prettierrc.json"), '{ "tabWidth": 4 }\n');
    const file = path.join(dir, "x.layout");
    writeFileSync(file, "layout x\n0 +1TB a {\n  +4KB b\n}\n");
    expect(vmlayout(["fmt", file]).status).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("layout x\n0 +1TB  a {\n    +4KB  b\n}\n");
  });

  it("exits 1 with a coded diagnostic on a syntax error, and does not touch the file", () => {
    const dir = tempDir();
    const file = path.join(dir, "bad.layout");
    const text = "layout x\r\n0 +1TB foo {\r\n  perm rw\r\n";
    writeFileSync(file, text);
    const r = vmlayout(["fmt", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:2:12: error[E0001]: \`{\` is never closed`);
    expect(r.stderr).toContain("1 error emitted");
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("exits 2 on usage and I/O errors, after trying every file", () => {
    const none = vmlayout(["fmt"]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("no file given");
    const dir = tempDir();
    const bad = path.join(dir, "bad.layout");
    writeFileSync(bad, UNFORMATTED);
    const missing = vmlayout(["fmt", "--check", path.join(dir, "missing.layout"), bad]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("cannot read");
    expect(missing.stdout).toMatch(new RegExp(`^--- ${bad}\n`));
    expect(vmlayout(["fmt", "--bogus", bad]).status).toBe(2);
  });
});
