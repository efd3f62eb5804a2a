/**
 * The real tools the differential tests run against. On a user's machine a missing tool makes
 * those tests skip, saying so; in CI (`CI` set, as `.ci/run` runs) a missing tool is a failure
 * here, so no differential test can be skipped there unnoticed. `.ci/run` installs them.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const TOOLS: readonly (readonly [command: string, args: readonly string[], installedBy: string])[] =
  [
    ["gcc", ["--version"], "apt-get install gcc"],
    ["rustc", ["--version"], "apt-get install rustc (or rustup)"],
    ["rustdoc", ["--version"], "apt-get install rustc (or rustup)"],
    ["qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86"],
  ];

/** docutils for the reStructuredText check, from the Python on PATH or Debian's. */
const DOCUTILS = ["python3", "/usr/bin/python3"].some(
  (p) => spawnSync(p, ["-c", "import docutils"]).status === 0,
);

describe.runIf(process.env.CI !== undefined && process.env.CI !== "")("CI has every tool", () => {
  for (const [command, args, installedBy] of TOOLS) {
    it(`${command} runs (${installedBy})`, () => {
      const r = spawnSync(command, args, { encoding: "utf8", timeout: 30_000 });
      expect(r.error, `${command}: ${r.error?.message}`).toBeUndefined();
      expect(r.status).toBe(0);
    });
  }
  it("docutils imports (apt-get install python3-docutils)", () => {
    expect(DOCUTILS).toBe(true);
  });
});
