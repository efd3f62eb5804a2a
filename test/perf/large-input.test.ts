/**
 * Large inputs through the CLI, as a user would run them, with the resource limits raised: the
 * results must be right and the run must finish. No timing assertions (timed tests are flaky on a shared machine; the
 * benchmarks measure speed): the only bound is a generous one that catches a hang.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { vmlayout } from "../cli-helpers.js";

/** Far above any expected run time; only a hang or a quadratic blow-up gets here. */
const HANG = 20_000;

const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-large-"));
const write = (name: string, text: string | Buffer): string => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

/**
 * These inputs are far beyond the default limits (src/limits.ts), which refuse them early
 * (test/perf/resource-bounds.test.ts): raised, they measure how the stages scale.
 */
const RAISED = ["input=16000000", "tokens=4000000", "regions=1000000"].flatMap((l) => [
  "--limit",
  l,
]);

const timed = (args: readonly string[]) => {
  const started = Date.now();
  const run = vmlayout([...args, ...RAISED]);
  return { ...run, ms: Date.now() - started };
};

/** 1,000 exhaustive parents of 99 children each (every tenth placed with `align`), params. */
function nested(): string {
  const HIGH = 0xffff800000000000n;
  const lines = [
    'layout big "generated"',
    "paging 4",
    "param n: size = 0 in 0 .. 64KB align 4KB",
    "const PAGE = 4KB",
  ];
  for (let i = 0; i < 1000; i++) {
    const base = HIGH + BigInt(i) * 1584n * 1024n;
    lines.push(`${base.toString(16)} +1584KB p${i} "parent ${i}" {`, "  exhaustive; perm rw");
    for (let j = 0; j < 99; j++) {
      if (j === 0) lines.push(`  ${base.toString(16)} +8KB c${i}_${j} { map ram; perm rw }`);
      else if (j === 98) lines.push(`  +(8KB + n) c${i}_${j}`);
      else if (j % 10 === 0) lines.push(`  align PAGE +2 * PAGE c${i}_${j} "child" { map ram }`);
      else lines.push(`  +8KB c${i}_${j}`);
    }
    lines.push(`  .. p${i}.end hole`, "}");
  }
  return lines.join("\n") + "\n";
}

describe("large inputs", () => {
  it("280,000 overlapping holes (10 MB): 200 diagnostics and a count of the rest", () => {
    const file = write(
      "overlaps.layout",
      "layout t\npaging 4\n" + "ffff800000000000 +4KB hole // filler\n".repeat(280_000),
    );
    const r = timed(["check", file]);
    expect(r.status).toBe(1);
    // Every hole but the first overlaps an earlier one: 279,999 errors, 200 shown.
    expect(r.stderr).toContain("= note: 279799 more diagnostics not shown");
    expect(r.stderr).toMatch(/\n200 errors emitted\n$/);
    expect(r.stderr.match(/^\S+: error\[E0201\]/gm)).toHaveLength(200);
    expect(r.stderr).toContain("`hole_ffff800000000000_2` overlaps `hole_ffff800000000000`");
    expect(r.ms).toBeLessThan(HANG);

    const json = timed(["check", file, "--format", "json"]);
    expect(json.status).toBe(1);
    const diagnostics = JSON.parse(json.stdout) as { code: string; notes: string[] }[];
    expect(diagnostics).toHaveLength(200);
    expect(diagnostics.at(-1)!.notes).toContain("279799 more diagnostics not shown");
  });

  it("101,000 nested regions: clean, and all of them in `build --emit json`", () => {
    const file = write("nested.layout", nested());
    const check = timed(["check", file]);
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(check.ms).toBeLessThan(HANG);

    const build = timed(["build", file, "--emit", "json"]);
    expect(build.status).toBe(0);
    const doc = JSON.parse(build.stdout) as {
      regions: { name: string; parent?: string | null }[];
    };
    expect(doc.regions).toHaveLength(101_000);
    expect(doc.regions.filter((r) => r.name.startsWith("c"))).toHaveLength(99_000);
    expect(build.ms).toBeLessThan(HANG);

    // Once a stack overflow: the C emitter spread one argument per region into a `push`.
    const header = timed(["build", file, "--emit", "c"]);
    expect(header.stderr).toBe("");
    expect(header.status).toBe(0);
    expect(header.stdout).toContain("#define C999_98_START");
    expect(header.ms).toBeLessThan(HANG);
  });

  it("100,000 flat siblings, one of them too big: exactly one overlap", () => {
    const HIGH = 0xffff800000000000n;
    const lines = ["layout flat", "paging 4"];
    for (let j = 0; j < 100_000; j++)
      lines.push(`${(HIGH + BigInt(j) * 8192n).toString(16)} +${j === 77_777 ? 12 : 4}KB r${j}`);
    const r = timed(["check", write("flat.layout", lines.join("\n") + "\n")]);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/^\S+: error\[\w+\]/gm)).toEqual([
      expect.stringMatching(/error\[E0201\]$/),
    ]);
    expect(r.stderr).toContain("`r77778` overlaps `r77777`");
    expect(r.ms).toBeLessThan(HANG);
  });

  it("two variants of 50,000 overlapping holes: each verified under the cap, then merged", () => {
    const holes = "ffff800000000000 +4KB hole\n".repeat(50_000);
    const file = write(
      "variants.layout",
      `layout t\nvariant "a" { paging 4 }\nvariant "b" { paging 5 }\n${holes}`,
    );
    const r = timed(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/error\[E0201\]/g)).toHaveLength(200);
    // Shared by both variants: no "in variant" note; the count is a lower bound.
    expect(r.stderr).not.toContain("in variant");
    expect(r.stderr).toContain("= note: at least 49799 more diagnostics not shown");
    expect(r.ms).toBeLessThan(HANG);
  });

  it("280,000 unnamed regions: the resolver's errors are capped too", () => {
    const file = write(
      "unnamed.layout",
      "layout t\npaging 4\n" + "ffff800000000000 +4KB\n".repeat(280_000),
    );
    const r = timed(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("= note: 279800 more diagnostics not shown");
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.ms).toBeLessThan(HANG);
  });
});

describe("hostile large inputs", () => {
  /** `n` bytes of a fixed pseudo-random sequence (an LCG, as in C's rand). */
  const randomBytes = (n: number): Buffer => {
    let seed = 1;
    const bytes = Buffer.alloc(n);
    for (let i = 0; i < bytes.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      bytes[i] = (seed >>> 15) & 255;
    }
    return bytes;
  };

  it("10 MB of random bytes: E0009 at the first byte that is not UTF-8, no crash", () => {
    const r = timed(["check", write("random.bin", randomBytes(10_000_000))]);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/error\[\w+\]/g)).toEqual(["error[E0009]"]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.ms).toBeLessThan(HANG);
  });

  it("20,000 nesting levels: one E0008", () => {
    const text = "layout t\npaging 4\n" + "0 +1TB a {\n".repeat(20_000) + "}\n".repeat(20_000);
    const r = timed(["check", write("deep.layout", text)]);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/error\[\w+\]/g)).toEqual(["error[E0008]"]);
    expect(r.ms).toBeLessThan(HANG);
  });
});
