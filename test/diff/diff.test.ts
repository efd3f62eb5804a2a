/**
 * `vmlayout diff`: hand-made changes of each kind to one base spec, each reported as one line a
 * reviewer can read (and in Markdown and JSON); a reformatted spec is equivalent; every pair of
 * adjacent git revisions of `specs/` diffs without error, and the same in reverse mirrors it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, vmlayout } from "../cli-helpers.js";

const BASE_FILE = path.join(ROOT, "test", "fixtures", "diff", "base.layout");
const BASE = readFileSync(BASE_FILE, "utf8");
const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-diff-"));

/** Writes `text` as a spec and diffs the base against it. */
function diffWith(text: string, ...args: string[]) {
  const file = path.join(dir, "changed.layout");
  writeFileSync(file, text);
  return vmlayout(["diff", BASE_FILE, file, ...args]);
}

function edit(from: string, to: string): string {
  expect(BASE).toContain(from);
  return BASE.replace(from, to);
}

const CASES: readonly [what: string, from: string, to: string, expected: string][] = [
  [
    "added",
    "ffffea0000000000 .. ffffffff7fffffff hole",
    'ffffea0000000000 +4GB cpu_entry "cpu entry area" { map none }\nffffea0100000000 .. ffffffff7fffffff hole',
    "cpu_entry: added: 0xffffea0000000000..0xffffea00ffffffff (4 GiB)",
  ],
  [
    "removed",
    'ffffea0000000000 .. ffffffff7fffffff hole "unused"\n',
    "",
    "hole_ffffea0000000000: removed: was 0xffffea0000000000..0xffffffff7fffffff (22526 GiB)",
  ],
  [
    "renamed",
    "guard guard_hole",
    "guard guard_gap",
    "guard_hole: renamed to `guard_gap`: 0xffff800000000000..0xffff87ffffffffff (8 TiB)",
  ],
  [
    "grown",
    "+32TB vmalloc",
    "+33TB vmalloc",
    "vmalloc: grown by 1 TiB, 32 TiB -> 33 TiB: 0xffffc80000000000..0xffffe7ffffffffff -> 0xffffc80000000000..0xffffe8ffffffffff",
  ],
  [
    "shrunk",
    "+512MB kernel_text",
    "+256MB kernel_text",
    "kernel_text: shrunk by 256 MiB, 512 MiB -> 256 MiB: 0xffffffff80000000..0xffffffff9fffffff -> 0xffffffff80000000..0xffffffff8fffffff",
  ],
  ["kind", "+8TB guard guard_hole", "+8TB hole guard_hole", "guard_hole: kind: guard -> hole"],
  // Same 48-bit halves, another architecture: the mode's name says which.
  ["paging mode", "paging 4", "paging sv48", "paging: 4-level paging -> Sv48"],
  [
    "mapping",
    "map phys 0x1000000",
    "map phys 0x2000000",
    "kernel_text: map: phys 0x0000000001000000 -> phys 0x0000000002000000",
  ],
  [
    "permission",
    'modules "modules" { map none; perm rwx }',
    'modules "modules" { map none; perm rx }',
    "modules: permissions: rwx -> rx",
  ],
  [
    "parameter range",
    "in 1GB .. 64TB",
    "in 1GB .. 32TB",
    "param ram: range 0x0000000040000000..0x0000400000000000 -> 0x0000000040000000..0x0000200000000000",
  ],
  [
    "exported name",
    "export KERNEL_BASE",
    "export KERNEL_START",
    "const kernel_base: exported as KERNEL_START, was KERNEL_BASE",
  ],
  [
    "KASLR range and entropy",
    "range ffff880000000000 ..< ffffea0000000000",
    "range ffff880000000000 ..< ffffe98000000000",
    "kaslr memory: range 0xffff880000000000..0xffffe9ffffffffff -> 0xffff880000000000..0xffffe97fffffffff",
  ],
];

describe("vmlayout diff", () => {
  it("finds no change between a spec and itself, or its reformatted copy", () => {
    expect(diffWith(BASE).status).toBe(0);
    const messy = BASE.replace(/\n/g, "\n\n")
      .replace(/ \+/g, "    +")
      .replace(/ \.\. /g, "..");
    const r = diffWith(messy);
    expect(r.stdout).toMatch(/: equivalent\n$/);
    expect(r.status).toBe(0);
  });

  for (const [what, from, to, expected] of CASES) {
    it(`reports a change of ${what}`, () => {
      const r = diffWith(edit(from, to));
      expect(r.stderr).toBe("");
      expect(r.status).toBe(1);
      expect(r.stdout.split("\n")).toContain(expected);
    });
  }

  it("writes a count parameter's values as counts, not bytes or hex", () => {
    const param = (text: string): string => edit("param ram:", `${text}\nparam ram:`);
    const old = path.join(dir, "count-old.layout");
    const now = path.join(dir, "count-new.layout");
    writeFileSync(old, param('param ents: count = 8 in 2 .. 64 align 2 "entries"'));
    writeFileSync(now, param('param ents: count = 12 in 4 .. 32 align 4 "entries"'));
    const r = vmlayout(["diff", old, now]);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines).toContain("param ents: range 2..64 -> 4..32");
    expect(lines).toContain("param ents: default 8 -> 12");
    expect(lines).toContain("param ents: align 2 -> 4");
  });

  it("moves a region and reports KASLR reach in slots and bits", () => {
    const r = diffWith(
      edit(
        "ffffffffa0000000 .. ffffffffffffffff modules",
        "ffffffffb0000000 .. ffffffffffffffff modules",
      ).replace("+512MB kernel_text", "+768MB kernel_text"),
    );
    expect(r.status).toBe(1);
    const k = diffWith(
      edit(
        "range ffff880000000000 ..< ffffea0000000000",
        "range ffff880000000000 ..< ffffe98000000000",
      ),
    );
    expect(k.stdout).toMatch(
      /kaslr memory: `vmemmap` starts in .* \(\d+ slots, \d+ bits\) -> now .* \(\d+ slots, \d+ bits\)/,
    );
  });

  it("reports a moved region with its distance, and a constant's new value", () => {
    const moved = diffWith(edit("ffffe80000000000 +1TB vmemmap", "ffffe88000000000 +1TB vmemmap"));
    expect(moved.stdout.split("\n")).toContain(
      "vmemmap: moved up by 512 GiB: 0xffffe80000000000..0xffffe8ffffffffff -> 0xffffe88000000000..0xffffe97fffffffff",
    );
    const text = edit("(kernel_base) +512MB", "(kernel_base + 1GB) +512MB");
    const m = diffWith(text.replace("const kernel_base = -2GB", "const kernel_base = -3GB"));
    expect(m.stdout.split("\n")).toContain("const kernel_base: value -0x80000000 -> -0xc0000000");
  });

  it("writes Markdown for a review and JSON for tools", () => {
    const changed = edit("{ map none; perm rwx }", "{ map none; perm rx }");
    const md = diffWith(changed, "--format", "md");
    expect(md.status).toBe(1);
    expect(md.stdout).toMatch(
      /^\*\*vmlayout diff\*\* `.*base\.layout` → `.*changed\.layout`: 1 change\n\n- \*\*modules\*\*: permissions: rwx -> rx\n$/,
    );
    const json = JSON.parse(diffWith(changed, "--format", "json").stdout);
    expect(json).toMatchObject({
      schema: "vmlayout-diff/1",
      equivalent: false,
      changes: [{ kind: "region-attribute", variant: null, subject: "modules" }],
    });
  });

  it("matches variants by name and says which one a change is in", () => {
    const spec = (b: string, extra = "") =>
      `layout v\npaging 4\nvariant "a" { 0 +4KB x }\nvariant "b" { 0 +${b} x }\n${extra}`;
    const old = path.join(dir, "v-old.layout");
    const now = path.join(dir, "v-new.layout");
    writeFileSync(old, spec("8KB"));
    writeFileSync(now, spec("16KB", 'variant "c" { 0 +4KB y }\n'));
    const r = vmlayout(["diff", old, now]);
    expect(r.stdout.split("\n").slice(1)).toEqual([
      "[b] x: grown by 8 KiB, 8 KiB -> 16 KiB: 0x0000000000000000..0x0000000000001fff -> 0x0000000000000000..0x0000000000003fff",
      "[c] variant c: added",
      "",
    ]);
    expect(vmlayout(["diff", old, now, "--variant", "a"]).status).toBe(0);
  });

  it("refuses what it cannot read with exit 2", () => {
    const missing = vmlayout(["diff", BASE_FILE, path.join(dir, "nope.layout")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.layout/);
    const bad = diffWith("layout x\n0 +4KB a b c d\n");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/error\[E0001\]/);
    const rev = vmlayout(["diff", "no-such-rev:specs/emerald.layout", "specs/emerald.layout"]);
    expect(rev.status).toBe(2);
    expect(rev.stderr).toMatch(/cannot read `no-such-rev:specs\/emerald\.layout`/);
    expect(vmlayout(["diff", BASE_FILE]).status).toBe(2);
    expect(vmlayout(["diff", BASE_FILE, BASE_FILE, "--format", "html"]).status).toBe(2);
  });
});

/** Every commit that changed a spec, with the specs it changed (none in a shallow clone). */
function specRevisions(): { rev: string; files: string[] }[] {
  const git = (...args: string[]) =>
    spawnSync("git", args, { cwd: ROOT, encoding: "utf8" }).stdout?.trim() ?? "";
  if (git("rev-parse", "--is-shallow-repository") !== "false") return [];
  return git("log", "--format=%H", "--", "specs")
    .split("\n")
    .filter(Boolean)
    .map((rev) => ({
      rev,
      files: git("diff", "--name-only", "--diff-filter=M", `${rev}~1`, rev, "--", "specs")
        .split("\n")
        .filter(Boolean),
    }))
    .filter((r) => r.files.length > 0);
}

describe("vmlayout diff on the history of specs/", () => {
  const revisions = specRevisions();
  it("has history to diff (a full clone)", () => {
    expect(revisions.length).toBeGreaterThan(2);
  });
  for (const { rev, files } of revisions) {
    for (const file of files) {
      it(`${rev.slice(0, 8)} ${file}: diffs, and in reverse mirrors it`, () => {
        const forward = vmlayout([
          "diff",
          `${rev}~1:${file}`,
          `${rev}:${file}`,
          "--format",
          "json",
        ]);
        const backward = vmlayout([
          "diff",
          `${rev}:${file}`,
          `${rev}~1:${file}`,
          "--format",
          "json",
        ]);
        expect(forward.stderr).toBe("");
        expect([0, 1]).toContain(forward.status);
        expect(backward.status).toBe(forward.status);
        const kinds = (out: string) =>
          (JSON.parse(out).changes as { kind: string }[]).map((c) => c.kind).sort();
        const mirror = (k: string) =>
          k
            .replace(/added$/, "@")
            .replace(/removed$/, "added")
            .replace(/@$/, "removed");
        expect(kinds(backward.stdout)).toEqual(kinds(forward.stdout).map(mirror).sort());
      });
    }
  }
});
