/**
 * The pre-commit hooks in .pre-commit-hooks.yaml, run the way pre-commit runs them: the
 * entry, then the hook's args, then the staged files (unless pass_filenames is false).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, vmlayout } from "../cli-helpers.js";

interface Hook {
  id: string;
  entry: string;
  passFilenames: boolean;
}

/** Reads the hooks file: a list of flat `key: value` maps (the only YAML it uses). */
function hooks(): Hook[] {
  const text = readFileSync(path.join(ROOT, ".pre-commit-hooks.yaml"), "utf8");
  return text
    .split(/^- /m)
    .slice(1)
    .map((block) => {
      const fields = new Map(
        block
          .split("\n")
          .map((l) => /^\s*(\w+): (.*)$/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[1]!, m[2]!]),
      );
      return {
        id: fields.get("id")!,
        entry: fields.get("entry")!,
        passFilenames: fields.get("pass_filenames") !== "false",
      };
    });
}

function run(hook: Hook, args: string[], files: string[], cwd: string) {
  const [program, ...entryArgs] = hook.entry.split(" ");
  expect(program).toBe("vmlayout");
  return vmlayout([...entryArgs, ...args, ...(hook.passFilenames ? files : [])], { cwd });
}

describe("pre-commit hooks", () => {
  const byId = new Map(hooks().map((h) => [h.id, h]));

  it("declares check, fmt --check and build --check", () => {
    expect([...byId.keys()]).toEqual(["vmlayout-check", "vmlayout-fmt", "vmlayout-build-check"]);
  });

  it("vmlayout-check passes a good spec and fails a bad one", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hooks-"));
    cpSync(path.join(ROOT, "specs", "emerald.layout"), path.join(dir, "good.layout"));
    writeFileSync(
      path.join(dir, "bad.layout"),
      "layout t\npaging 4\nffff800000000000 +2TB a\nffff810000000000 +1TB b\n",
    );
    const hook = byId.get("vmlayout-check")!;
    expect(run(hook, [], ["good.layout"], dir).status).toBe(0);
    const bad = run(hook, [], ["good.layout", "bad.layout"], dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("bad.layout:4:23: error[E0201]");
  });

  it("vmlayout-fmt passes a formatted spec and fails a mangled one", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hooks-"));
    cpSync(path.join(ROOT, "specs", "gaybsd-amd64.layout"), path.join(dir, "good.layout"));
    const mangled = readFileSync(path.join(ROOT, "specs", "gaybsd-amd64.layout"), "utf8").replace(
      / {2,}/g,
      " ",
    );
    writeFileSync(path.join(dir, "bad.layout"), mangled);
    const hook = byId.get("vmlayout-fmt")!;
    expect(run(hook, [], ["good.layout"], dir).status).toBe(0);
    expect(run(hook, [], ["good.layout", "bad.layout"], dir).status).toBe(1);
  });

  it("vmlayout-build-check passes a fresh header and fails a stale one", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hooks-"));
    cpSync(path.join(ROOT, "specs", "gaybsd-amd64.layout"), path.join(dir, "gaybsd.layout"));
    const hook = byId.get("vmlayout-build-check")!;
    const args = ["gaybsd.layout", "--emit", "c", "-o", "memory_layout.h"];
    expect(
      vmlayout(["build", ...args.slice(0, 3), "-o", "memory_layout.h"], { cwd: dir }).status,
    ).toBe(0);
    expect(run(hook, args, ["gaybsd.layout"], dir).status).toBe(0);
    const header = path.join(dir, "memory_layout.h");
    writeFileSync(
      header,
      readFileSync(header, "utf8").replace("0xffff800000000000", "0xffff800000001000"),
    );
    const stale = run(hook, args, ["gaybsd.layout"], dir);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain("is stale");
  });
});
