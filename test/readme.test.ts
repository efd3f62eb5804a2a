/**
 * The README's tour is real output: every `$ vmlayout ...`, `$ grep ...` and `$ echo $?` in
 * its shell blocks is run (in a directory that sees the repository's specs and tests, with the
 * files the tour writes; a pipeline or redirection runs in a shell where `vmlayout` is the
 * CLI), and the output shown must be what it prints. A block may leave lines out with `...`;
 * the others must appear in order, each exactly as printed (trailing spaces aside), locations
 * included. Without `...` the line counts agree too.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, ROOT, vmlayout } from "./cli-helpers.js";

interface Step {
  readonly command: string;
  readonly shown: readonly string[];
}

/** The `$ ` commands of every fenced block, each with the lines shown after it. */
function steps(markdown: string): Step[] {
  const out: Step[] = [];
  let inBlock = false;
  let current: { command: string; shown: string[] } | undefined;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) {
      inBlock = !inBlock;
      current = undefined;
      continue;
    }
    if (!inBlock) continue;
    if (line.startsWith("$ ")) {
      current = { command: line.slice(2), shown: [] };
      out.push(current);
    } else current?.shown.push(line);
  }
  return out;
}

function expectShown(step: Step, printed: string): void {
  const lines = printed === "" ? [] : printed.replace(/\n$/, "").split("\n");
  const shown = step.shown.map((l) => l.trimEnd());
  const elided = shown.some((l) => l.trim() === "...");
  let at = 0;
  for (const line of shown) {
    if (line.trim() === "...") continue;
    while (at < lines.length && lines[at]!.trimEnd() !== line) at++;
    expect(at, `\`${step.command}\` does not print, in this order: ${line}`).toBeLessThan(
      lines.length,
    );
    at++;
  }
  if (!elided) expect(lines.length, `\`${step.command}\`: line count`).toBe(shown.length);
}

describe("README tour", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-readme-"));
  for (const shared of ["specs", "test"])
    symlinkSync(path.join(ROOT, shared), path.join(dir, shared));
  const tour = steps(readFileSync(path.join(ROOT, "README.md"), "utf8"));
  let status: number | null = 0;

  it("has the commands the tour promises", () => {
    const commands = tour.map((s) => s.command.split(" ").slice(0, 2).join(" "));
    for (const c of [
      "vmlayout check",
      "vmlayout build",
      "vmlayout install",
      "vmlayout translate",
      "vmlayout dump",
    ])
      expect(commands).toContain(c);
  });

  for (const step of tour) {
    const [program, ...args] = step.command.split(" ");
    it(step.command, () => {
      if (program === "cat") {
        writeFileSync(path.join(dir, args[0]!), step.shown.join("\n") + "\n");
        return;
      }
      if (program === "echo") {
        expect(step.shown).toEqual([String(status)]);
        return;
      }
      // A pipeline or redirection (the import example) runs in the shell, `vmlayout` in it too.
      const shell = program !== "vmlayout" || /[|>&;]/.test(step.command);
      const run = shell
        ? spawnSync(
            "sh",
            ["-c", `vmlayout() { "$VMLAYOUT_NODE" "$VMLAYOUT_CLI" "$@"; }\n${step.command}`],
            {
              cwd: dir,
              encoding: "utf8",
              env: {
                ...process.env,
                NO_COLOR: "1",
                VMLAYOUT_NODE: process.execPath,
                VMLAYOUT_CLI: CLI,
              },
            },
          )
        : vmlayout(args.map(unquote), { cwd: dir });
      status = run.status;
      expectShown(step, run.stderr + run.stdout);
    });
  }
});

function unquote(arg: string): string {
  return arg.replace(/^'(.*)'$/, "$1");
}
