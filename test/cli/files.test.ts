/**
 * Issue #11, files and resources: what the CLI reads (bounded, strict UTF-8, includes inside
 * the include root, regular files only, no file that is not a spec echoed) and writes (never an
 * input, a device or a FIFO; through symlinks; the target's mode kept; no temporary file left),
 * on real FIFOs, symlinks, modes, /dev/zero and /dev/full.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, vmlayout } from "../cli-helpers.js";

const tmp = () => mkdtempSync(path.join(tmpdir(), "vmlayout-files-"));
const SPEC = "layout t\npaging 4\nffff800000000000 +4KB a\n";
const codes = (stderr: string): string[] =>
  [...stderr.matchAll(/error\[(E\d+)\]/g)].map((m) => m[1]!);
const mkfifo = (file: string) => expect(spawnSync("mkfifo", [file]).status).toBe(0);
const temporaries = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

function files(dir: string, contents: Record<string, string | Buffer>): void {
  for (const [name, text] of Object.entries(contents)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

describe("reading", () => {
  const latin1 = Buffer.concat([Buffer.from("layout t\npaging 4\n// caf"), Buffer.from([0xe9])]);

  it("a spec that is not UTF-8 is E0009 at the byte; fmt leaves it exactly as it is", () => {
    const dir = tmp();
    files(dir, { "latin.layout": latin1 });
    const r = vmlayout(["check", "latin.layout"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "latin.layout:3:7: error[E0009]: `latin.layout` is not UTF-8: byte 0xe9 cannot be read\n3 | // caf\n  |       ^\n",
    );
    const f = vmlayout(["fmt", "latin.layout"], { cwd: dir });
    expect([f.status, codes(f.stderr)]).toEqual([1, ["E0009"]]);
    expect(readFileSync(path.join(dir, "latin.layout")).equals(latin1)).toBe(true);
    expect(codes(vmlayout(["import", "latin.layout"], { cwd: dir }).stderr)).toEqual(["E0009"]);
  });

  it("/dev/zero is read only up to the input limit (E0007), by check, fmt and import", () => {
    const r = vmlayout(["check", "/dev/zero", "--limit", "input=1M"]);
    expect([r.status, codes(r.stderr)]).toEqual([1, ["E0007"]]);
    expect(r.stderr).toContain("`/dev/zero` is larger than the input limit (1 MiB)");
    for (const command of ["fmt", "import"]) {
      const started = Date.now();
      const c = vmlayout([command, "/dev/zero"]);
      expect([c.status, codes(c.stderr)]).toEqual([1, ["E0007"]]);
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it("an include must be a regular file: /dev/zero and a FIFO are E0104, without blocking", () => {
    const dir = tmp();
    mkfifo(path.join(dir, "fifo.layout"));
    files(dir, {
      "s.layout": `${SPEC}include "/dev/zero"\ninclude "fifo.layout"\n`,
    });
    const r = vmlayout(["check", "s.layout", "--include-root", "/"], { cwd: dir });
    expect(codes(r.stderr)).toEqual(["E0104", "E0104"]);
    expect(r.stderr).toContain("cannot read included file `/dev/zero`: not a regular file");
    expect(r.stderr).toContain("cannot read included file `fifo.layout`: not a regular file");
  });

  it("an include bomb (each file includes the next twice) is refused quickly (E0007)", () => {
    const dir = tmp();
    const bomb: Record<string, string> = { "f31.layout": "// the last\n" };
    for (let i = 0; i < 31; i++)
      bomb[`f${i}.layout`] = `include "f${i + 1}.layout"\ninclude "f${i + 1}.layout"\n`;
    files(dir, { ...bomb, "s.layout": `${SPEC}include "f0.layout"\n` });
    const started = Date.now();
    const r = vmlayout(["check", "s.layout"], { cwd: dir });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(codes(r.stderr)).toEqual(["E0007"]);
    expect(r.stderr).toContain("more than 10000 files are included");
    const small = vmlayout(["check", "s.layout", "--limit", "includes=20"], { cwd: dir });
    expect(small.stderr).toContain("more than 20 files are included");
  });

  it("the spliced text is bounded by the input limit, each inclusion counted", () => {
    const dir = tmp();
    files(dir, {
      "part.layout": `// ${"x".repeat(600)}\n`,
      "s.layout": `${SPEC}include "part.layout"\ninclude "part.layout"\n`,
    });
    const r = vmlayout(["check", "s.layout", "--limit", "input=1000"], { cwd: dir });
    expect(codes(r.stderr)).toEqual(["E0007"]);
    expect(r.stderr).toContain("s.layout:5:9: error[E0007]: the spec and its includes are larger");
  });

  it("a cycle through a directory symlink is E0105, not ELOOP", () => {
    const dir = tmp();
    mkdirSync(path.join(dir, "sub"));
    symlinkSync("..", path.join(dir, "sub", "up"));
    files(dir, { "a.layout": `${SPEC}include "sub/up/a.layout"\n` });
    const r = vmlayout(["check", "a.layout"], { cwd: dir });
    expect(codes(r.stderr)).toEqual(["E0105"]);
  });

  it("includes stay inside the include root (E0120), symlinks and absolute paths too", () => {
    const dir = tmp();
    files(dir, {
      "outside.layout": "0xffff900000000000 +4KB b\n",
      "specs/inside.layout": "0xffffa00000000000 +4KB c\n",
    });
    symlinkSync("../outside.layout", path.join(dir, "specs", "link.layout"));
    const inside = path.join(dir, "specs", "inside.layout");
    files(dir, {
      "specs/s.layout": `${SPEC}include "../outside.layout"\ninclude "link.layout"\ninclude "${path.join(dir, "outside.layout")}"\ninclude "${inside}"\n`,
    });
    const r = vmlayout(["check", "specs/s.layout"], { cwd: dir });
    expect(codes(r.stderr)).toEqual(["E0120", "E0120", "E0120"]);
    expect(r.stderr).toContain(
      "specs/s.layout:4:9: error[E0120]: included file `../outside.layout` is outside the include root",
    );
    // Inside a root that holds `outside.layout`, only its region defined three times is left.
    const wider = vmlayout(["check", "specs/s.layout", "--include-root", "."], { cwd: dir });
    expect(codes(wider.stderr)).toEqual(["E0102"]);
    expect(wider.stderr).toContain("`b` is defined twice");
    const missing = vmlayout(["check", "specs/s.layout", "--include-root", "nope"], { cwd: dir });
    expect([missing.status, missing.stderr]).toEqual([
      2,
      "vmlayout check: --include-root `nope` is not a directory\n",
    ]);
  });

  it("an included file that is not a spec is one E0121, quoting its first error's line prefix only", () => {
    const dir = tmp();
    files(dir, {
      ".git/config":
        "[core]\n\tbare = false\n[http]\n\textraheader = AUTHORIZATION: basic hunter2\n",
      "s.layout": `${SPEC}include ".git/config"\n`,
    });
    for (const format of ["text", "json", "sarif"]) {
      const r = vmlayout(["check", "s.layout", "--format", format], { cwd: dir });
      expect(r.status).toBe(1);
      expect(r.stdout + r.stderr).toContain("E0121");
      for (const secret of ["hunter2", "AUTHORIZATION", "core", "bare"])
        expect(r.stdout + r.stderr).not.toContain(secret);
    }
    const text = vmlayout(["check", "s.layout"], { cwd: dir }).stderr;
    expect(text).toContain(
      "s.layout:4:9: error[E0121]: included file `.git/config` is not a valid spec\n",
    );
    expect(text).toContain("  --> .git/config:1:1\n1 | [\n  | - error[E0004]:");
    // Checked on its own, a file is quoted in full, also in one run with a spec including it.
    const both = vmlayout(["check", "s.layout", ".git/config"], { cwd: dir }).stderr;
    expect(both).toContain("[core]");
  });

  it("a long line is quoted at most 200 columns wide, around the error", () => {
    const dir = tmp();
    files(dir, { "long.layout": `${SPEC}ffff800000001000 +4KB b "${"y".repeat(5000)}" ]\n` });
    const r = vmlayout(["check", "long.layout"], { cwd: dir });
    expect(codes(r.stderr)).toEqual(["E0004"]);
    const lines = r.stderr.split("\n");
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(220);
    const quoted = lines.findIndex((l) => l.startsWith("4 | ..."));
    expect(lines[quoted]!.endsWith('" ]')).toBe(true);
    expect(lines[quoted + 1]!.indexOf("^")).toBe(lines[quoted]!.length - 1);
  });

  it("import escapes a file name's line break in the comment it writes", () => {
    const dir = tmp();
    const table =
      "| Start | End | Size | Description |\n|---|---|---|---|\n| 0000000000000000 | 0000000000000fff | 4 KB | first page |\n";
    files(dir, { "t\nlayout evil\n.md": table });
    const r = vmlayout(["import", "t\nlayout evil\n.md"], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(
      "// Imported by `vmlayout import` from t\\u{a}layout evil\\u{a}.md (Markdown table).",
    );
    expect(r.stdout).not.toMatch(/^layout evil/m);
  });
});

describe("writing", () => {
  it("refuses to overwrite an input of the run: the spec or a file it includes", () => {
    const dir = tmp();
    files(dir, { "part.layout": "// shared\n", "s.layout": `${SPEC}include "part.layout"\n` });
    for (const target of ["s.layout", "part.layout", "./sub/../part.layout"]) {
      mkdirSync(path.join(dir, "sub"), { recursive: true });
      const r = vmlayout(["build", "s.layout", "--emit", "json", "-o", target], { cwd: dir });
      expect([r.status, r.stderr]).toEqual([
        2,
        `vmlayout build: refusing to overwrite \`${target}\`: it is an input of this run\n`,
      ]);
    }
    const image = vmlayout(["install", "s.layout", "--image", "part.layout"], { cwd: dir });
    expect([image.status, image.stderr]).toEqual([
      2,
      "vmlayout install: refusing to overwrite `part.layout`: it is an input of this run\n",
    ]);
    expect(readFileSync(path.join(dir, "s.layout"), "utf8")).toBe(`${SPEC}include "part.layout"\n`);
    expect(readFileSync(path.join(dir, "part.layout"), "utf8")).toBe("// shared\n");
  });

  it("writes through a symlink (the link stays), keeps the mode, leaves no temporary file", () => {
    const dir = tmp();
    files(dir, { "s.layout": SPEC, "real.h": "old\n" });
    chmodSync(path.join(dir, "real.h"), 0o600);
    symlinkSync("real.h", path.join(dir, "link.h"));
    const r = vmlayout(["build", "s.layout", "--emit", "c", "-o", "link.h"], { cwd: dir });
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(lstatSync(path.join(dir, "link.h")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(dir, "link.h"))).toBe("real.h");
    expect(readFileSync(path.join(dir, "real.h"), "utf8")).toContain("#define");
    expect(statSync(path.join(dir, "real.h")).mode & 0o777).toBe(0o600);
    expect(temporaries(dir)).toEqual([]);
    // A new file gets the mode the umask gives.
    expect(vmlayout(["build", "s.layout", "--emit", "c", "-o", "new.h"], { cwd: dir }).status).toBe(
      0,
    );
    expect(statSync(path.join(dir, "new.h")).mode & 0o777).toBe(0o666 & ~process.umask());
  });

  it("refuses a FIFO, a device, a directory and a dangling symlink; stdout's own file is stdout", () => {
    const dir = tmp();
    files(dir, { "s.layout": SPEC });
    mkfifo(path.join(dir, "fifo"));
    mkdirSync(path.join(dir, "dir"));
    symlinkSync("nowhere", path.join(dir, "dangling.h"));
    const refused = {
      fifo: "`fifo` is a FIFO, not a regular file; leave out `-o` to write to stdout",
      "/dev/null":
        "`/dev/null` is a character device, not a regular file; leave out `-o` to write to stdout",
      dir: "`dir` is a directory, not a regular file; leave out `-o` to write to stdout",
      "dangling.h": "`dangling.h` is a symlink to `nowhere`, which cannot be followed",
    };
    for (const [target, message] of Object.entries(refused)) {
      const r = vmlayout(["build", "s.layout", "--emit", "c", "-o", target], { cwd: dir });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`vmlayout build: ${message}`);
    }
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true);
    const check = vmlayout(["build", "s.layout", "--emit", "c", "-o", "fifo", "--check"], {
      cwd: dir,
    });
    expect(check.status).toBe(1);
    expect(check.stderr).toContain("`fifo` is not a regular file");
    expect(temporaries(dir)).toEqual([]);
    const stdout = vmlayout(["build", "s.layout", "--emit", "c", "-o", "/dev/stdout"], {
      cwd: dir,
    });
    expect(stdout.status).toBe(0);
    expect(stdout.stdout).toBe(vmlayout(["build", "s.layout", "--emit", "c"], { cwd: dir }).stdout);
  });

  it("stdout on /dev/full is one line on stderr and exit 2", () => {
    const dir = tmp();
    files(dir, { "s.layout": SPEC });
    const full = openSync("/dev/full", "w");
    try {
      for (const args of [["build", "s.layout", "--emit", "c"], ["explain"]]) {
        const r = spawnSync(process.execPath, [CLI, ...args], {
          cwd: dir,
          stdio: ["ignore", full, "pipe"],
          encoding: "utf8",
        });
        expect([r.status, r.stderr]).toEqual([
          2,
          "vmlayout: cannot write to stdout: ENOSPC: no space left on device, write\n",
        ]);
      }
    } finally {
      closeSync(full);
    }
  });

  it("fmt formats a symlinked spec's target, keeps the link and the mode; --check never writes", () => {
    const dir = tmp();
    const messy = "layout  t\npaging 4\n0   +4KB  r\n";
    files(dir, { "real.layout": messy });
    chmodSync(path.join(dir, "real.layout"), 0o600);
    symlinkSync("real.layout", path.join(dir, "link.layout"));
    const check = vmlayout(["fmt", "--check", "link.layout"], { cwd: dir });
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(/^--- link\.layout\n\+\+\+ link\.layout \(formatted\)\n/);
    expect(readFileSync(path.join(dir, "real.layout"), "utf8")).toBe(messy);
    expect(vmlayout(["fmt", "link.layout"], { cwd: dir }).status).toBe(0);
    expect(lstatSync(path.join(dir, "link.layout")).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(dir, "real.layout"), "utf8")).not.toBe(messy);
    expect(statSync(path.join(dir, "real.layout")).mode & 0o777).toBe(0o600);
    expect(vmlayout(["fmt", "--check", "link.layout"], { cwd: dir }).status).toBe(0);
    expect(temporaries(dir)).toEqual([]);
  });
});
