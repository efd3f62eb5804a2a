/** The unified diff `fmt --check` prints, against GNU diff's. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "../../src/cli/unified-diff.js";

const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-diff-"));

/** `diff -u`'s hunks (its header carries timestamps). */
function gnuDiff(a: string, b: string): string {
  writeFileSync(path.join(dir, "a"), a);
  writeFileSync(path.join(dir, "b"), b);
  const r = spawnSync("diff", ["-u", "a", "b"], { cwd: dir, encoding: "utf8" });
  return r.stdout.split("\n").slice(2).join("\n");
}

const hunks = (a: string, b: string) => unifiedDiff(a, b, "a", "b").split("\n").slice(2).join("\n");

describe("unifiedDiff", () => {
  it("prints what `diff -u` prints: hunks, context, merged neighbours, a missing last newline", () => {
    const base = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const changed = [...base];
    changed[2] = "changed 2";
    changed.splice(10, 1);
    changed.splice(20, 0, "inserted");
    const a = base.join("\n") + "\n";
    for (const b of [changed.join("\n") + "\n", changed.join("\n"), "", "line 0\n"])
      expect(hunks(a, b)).toBe(gnuDiff(a, b));
  });

  it("agrees with `diff -u` on random edits", () => {
    const text = fc
      .array(fc.constantFrom("a", "b", "c", "d", ""), { maxLength: 25 })
      .map((lines) => lines.map((l) => l + "\n").join(""));
    fc.assert(
      fc.property(text, text, (a, b) => {
        // Where several diffs are equally short, diff may pick another; both must apply.
        const ours = hunks(a, b);
        if (ours !== gnuDiff(a, b)) {
          writeFileSync(path.join(dir, "a"), a);
          const p = spawnSync("patch", ["-s", "-o", "-", "a"], {
            cwd: dir,
            input: unifiedDiff(a, b, "a", "b"),
            encoding: "utf8",
          });
          expect(p.stdout).toBe(b);
        }
      }),
      { numRuns: 60 },
    );
  });
});
