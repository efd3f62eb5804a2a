/**
 * The hooks of .pre-commit-hooks.yaml under the real pre-commit framework (Debian's package in
 * CI; .ci/run installs it): `pre-commit try-repo` on this repository, and a project whose
 * .pre-commit-config.yaml names this repository at a commit (`rev:` = HEAD's SHA), the way
 * the README says. pre-commit clones the repository, runs `npm install` and `npm pack` in it
 * and installs the tarball, so this also proves that `npm pack` prints only the tarball's name.
 * Every hook runs on a good project (passes) and on a broken one (fails).
 *
 * Needs `pre-commit` on PATH: without it the file is skipped, except in CI (CI=true), where
 * that fails. Slow (each hook environment is an `npm install` from the registry).
 */
import { execFile, spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT } from "./cli-helpers.js";

const available = spawnSync("pre-commit", ["--version"]).status === 0;
const inCi = process.env.CI === "true";
if (!available && !inCi)
  console.warn("test/pre-commit.test.ts skipped: `pre-commit` is not installed");

const HOOK_NAMES = {
  "vmlayout-check": "vmlayout check",
  "vmlayout-fmt": "vmlayout fmt --check",
  "vmlayout-build-check": "vmlayout build --check",
} as const;
type HookId = keyof typeof HOOK_NAMES;

/** `Passed` or `Failed` for each hook pre-commit ran, read from its report. */
function verdicts(output: string): Partial<Record<HookId, string>> {
  const out: Partial<Record<HookId, string>> = {};
  for (const [id, name] of Object.entries(HOOK_NAMES) as [HookId, string][]) {
    const line = output.split("\n").find((l) => l.startsWith(`${name}.`));
    if (line) out[id] = /(Passed|Failed)$/.exec(line)?.[1] ?? line;
  }
  return out;
}

describe.skipIf(!available && !inCi)("pre-commit hooks under the pre-commit framework", () => {
  let project: string;
  let env: NodeJS.ProcessEnv;
  let header: string;

  const run = (command: string, args: readonly string[]) =>
    new Promise<{ status: number; output: string }>((done, fail) => {
      execFile(
        command,
        args,
        { cwd: project, env, encoding: "utf8", timeout: 900_000, maxBuffer: 64 << 20 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== "number") fail(error);
          else done({ status: error ? (error.code as number) : 0, output: stdout + stderr });
        },
      );
    });
  const git = (...args: string[]) => run("git", args);

  beforeAll(async () => {
    expect(available, "CI needs `pre-commit` on PATH: .ci/run installs it").toBe(true);
    project = mkdtempSync(path.join(tmpdir(), "vmlayout-pre-commit-"));
    // Hermetic: pre-commit's store in the scratch directory, and no npm settings of ours.
    env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(npm_|GIT_|PRE_COMMIT)/i.test(k)),
    );
    env.PRE_COMMIT_HOME = path.join(project, ".pre-commit-home");
    const rev = spawnSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" });
    expect(rev.status, "the repository must be a git checkout").toBe(0);
    writeFileSync(
      path.join(project, ".pre-commit-config.yaml"),
      [
        "repos:",
        `  - repo: ${ROOT}`,
        `    rev: ${rev.stdout.trim()}`,
        "    hooks:",
        "      - id: vmlayout-check",
        "      - id: vmlayout-fmt",
        "      - id: vmlayout-build-check",
        "        args: [kernel.layout, --emit, c, -o, memory_layout.h]",
        "",
      ].join("\n"),
    );
    writeFileSync(path.join(project, ".gitignore"), ".pre-commit-home/\n");
    cpSync(path.join(ROOT, "specs", "emerald.layout"), path.join(project, "kernel.layout"));
    const build = spawnSync(process.execPath, [CLI, "build", "kernel.layout", "--emit", "c"], {
      cwd: project,
      encoding: "utf8",
    });
    expect(build.status, build.stderr).toBe(0);
    header = build.stdout;
    writeFileSync(path.join(project, "memory_layout.h"), header);
    expect((await git("init", "-q")).status).toBe(0);
    expect((await git("add", "-A")).status).toBe(0);
  }, 60_000);

  it("a config with `rev:` a commit installs every hook; they pass on a good project and fail on a broken one", async () => {
    const good = await run("pre-commit", ["run", "--all-files"]);
    expect(verdicts(good.output), good.output).toEqual({
      "vmlayout-check": "Passed",
      "vmlayout-fmt": "Passed",
      "vmlayout-build-check": "Passed",
    });
    expect(good.status).toBe(0);

    // An overlap, an unformatted spec and a stale header: each hook fails on its own mistake.
    writeFileSync(
      path.join(project, "overlap.layout"),
      "layout t\npaging 4\n\nffff800000000000 +2TB a\nffff810000000000 +1TB b\n",
    );
    const spec = readFileSync(path.join(project, "kernel.layout"), "utf8");
    writeFileSync(path.join(project, "kernel.layout"), spec.replace("paging 4", "paging    4"));
    appendFileSync(path.join(project, "memory_layout.h"), "/* edited by hand */\n");
    await git("add", "-A");
    const broken = await run("pre-commit", ["run", "--all-files"]);
    expect(verdicts(broken.output), broken.output).toEqual({
      "vmlayout-check": "Failed",
      "vmlayout-fmt": "Failed",
      "vmlayout-build-check": "Failed",
    });
    expect(broken.output).toContain("error[E0201]");
    expect(broken.output).toContain("kernel.layout");
    expect(broken.status).toBe(1);

    // Back to the good project, for try-repo.
    writeFileSync(path.join(project, "kernel.layout"), spec);
    writeFileSync(path.join(project, "memory_layout.h"), header);
    await git("rm", "-q", "-f", "overlap.layout");
    await git("add", "-A");
  }, 1_800_000);

  it("try-repo installs this repository (with its uncommitted changes) and runs the hooks", async () => {
    for (const id of ["vmlayout-check", "vmlayout-fmt"] as const) {
      const good = await run("pre-commit", ["try-repo", ROOT, id, "--all-files"]);
      expect(verdicts(good.output), good.output).toEqual({ [id]: "Passed" });
      expect(good.status).toBe(0);
    }
    writeFileSync(
      path.join(project, "overlap.layout"),
      "layout  t\npaging 4\nffff800000000000 +2TB a\nffff810000000000 +1TB b\n",
    );
    await git("add", "-A");
    for (const id of ["vmlayout-check", "vmlayout-fmt"] as const) {
      const bad = await run("pre-commit", ["try-repo", ROOT, id, "--all-files"]);
      expect(verdicts(bad.output), bad.output).toEqual({ [id]: "Failed" });
      expect(bad.status).toBe(1);
    }
  }, 1_800_000);
});

describe("the README's pre-commit config", () => {
  const git = (...args: string[]) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  const shallow = git("rev-parse", "--is-shallow-repository").stdout.trim() !== "false";

  it.skipIf(shallow)("names a commit of this repository's history as `rev`", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const rev = /^ {4}rev: ([0-9a-f]{40}) /m.exec(readme)?.[1];
    expect(rev, "README's .pre-commit-config.yaml has `rev: <commit SHA>`").toBeDefined();
    expect(git("merge-base", "--is-ancestor", rev!, "HEAD").status).toBe(0);
  });
});
