/** The CLI contract of DESIGN.md, exercised on the built binary. */
import { mkdtempSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { vmlayout } from "../cli-helpers.js";

const tmp = () => mkdtempSync(path.join(tmpdir(), "vmlayout-"));

function spec(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const OVERLAPPING = `layout t
paging 4
ffff800000000000 +2TB  a "first"
ffff810000000000 +1TB  b "second"
`;

describe("usage", () => {
  it("--help lists every command and exits 0", () => {
    const r = vmlayout(["--help"]);
    expect(r.status).toBe(0);
    for (const c of ["check", "build", "explain"]) expect(r.stdout).toContain(`  ${c} `);
  });

  it("no command is a usage error (2)", () => {
    expect(vmlayout([]).status).toBe(2);
  });

  it("an unknown command or option is a usage error (2)", () => {
    expect(vmlayout(["frobnicate"]).status).toBe(2);
    const r = vmlayout(["check", "--frob", "x.layout"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "vmlayout check: unknown option `--frob` (`vmlayout check --help` lists the options)\n",
    );
    expect(vmlayout(["check", "x.layout", "--variant"]).stderr).toBe(
      "vmlayout check: option `--variant` needs a value\n",
    );
    expect(vmlayout(["fmt", "--check=yes", "x.layout"]).stderr).toBe(
      "vmlayout fmt: option `--check` takes no value\n",
    );
  });

  it("a missing spec is an I/O error (2) without a stack trace", () => {
    const r = vmlayout(["check", "does/not/exist.layout"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot read `does/not/exist.layout`");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("check", () => {
  it("prints file:line:col: error[CODE]: message, the source line and a caret span; exit 1", () => {
    const dir = tmp();
    const file = spec(dir, "bad.layout", OVERLAPPING);
    const r = vmlayout(["check", "bad.layout"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^bad\.layout:4:24: error\[E0201\]: /m);
    expect(r.stderr).toContain("4 | ffff810000000000 +1TB  b");
    expect(r.stderr).toMatch(/\|\s+\^/);
    expect(r.stderr).not.toContain("\x1b[");
    expect(file).toBeTruthy();
  });

  it("exits 0 and prints nothing for a clean spec", () => {
    const dir = tmp();
    spec(dir, "ok.layout", "layout t\npaging 4\nffff800000000000 +1TB a\n");
    const r = vmlayout(["check", "ok.layout"], { cwd: dir });
    expect([r.status, r.stderr, r.stdout]).toEqual([0, "", ""]);
  });

  it("--format json prints the diagnostics as data on stdout", () => {
    const dir = tmp();
    spec(dir, "bad.layout", OVERLAPPING);
    const r = vmlayout(["check", "--format", "json", "bad.layout"], { cwd: dir });
    expect(r.status).toBe(1);
    const [d] = JSON.parse(r.stdout);
    expect(d).toMatchObject({ code: "E0201", name: "overlap", severity: "error" });
    expect(d.location).toMatchObject({ file: "bad.layout", line: 4, column: 24 });
    expect(d.labels.length).toBeGreaterThan(0);
  });

  it("--format sarif prints SARIF 2.1.0 with rules and physical locations", () => {
    const dir = tmp();
    spec(dir, "bad.layout", OVERLAPPING);
    const r = vmlayout(["check", "--format", "sarif", "bad.layout"], { cwd: dir });
    expect(r.status).toBe(1);
    const log = JSON.parse(r.stdout);
    expect(log.version).toBe("2.1.0");
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toContain("E0201");
    const result = run.results[0];
    expect(result.ruleId).toBe("E0201");
    expect(run.tool.driver.rules[result.ruleIndex].id).toBe("E0201");
    expect(result.locations[0].physicalLocation).toMatchObject({
      artifactLocation: { uri: "bad.layout" },
      region: { startLine: 4, startColumn: 24 },
    });
  });

  it("--deny-warnings turns a warning into an error", () => {
    const dir = tmp();
    spec(dir, "gap.layout", "layout t\npaging 4\nexhaustive\n0000000000000000 +1TB a\n");
    const warn = vmlayout(["check", "gap.layout"], { cwd: dir });
    expect(warn.status).toBe(0);
    expect(warn.stderr).toContain("warning[W0201]");
    const deny = vmlayout(["check", "--deny-warnings", "gap.layout"], { cwd: dir });
    expect(deny.status).toBe(1);
    expect(deny.stderr).toContain("error[W0201]");
  });

  it("an unknown --variant is a usage error (2) that names the variants", () => {
    const r = vmlayout(["check", "--variant", "6-level", "specs/linux-x86_64.layout"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'vmlayout check: `specs/linux-x86_64.layout`: spec has no variant "6-level"; did you mean "4-level"? the variants are "4-level", "5-level"\n',
    );
  });

  it("reports an include cycle and a missing include", () => {
    const dir = tmp();
    spec(dir, "a.layout", 'layout t\npaging 4\ninclude "b.layout"\n');
    spec(dir, "b.layout", 'include "a.layout"\ninclude "missing.layout"\n');
    const r = vmlayout(["check", "a.layout"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[E0105]");
    expect(r.stderr).toContain("error[E0104]");
  });
});

describe("bad input never crashes", () => {
  const cases: [string, () => string][] = [
    [
      "random binary bytes",
      () =>
        Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)).toString(
          "latin1",
        ),
    ],
    [
      "a 10 MB file",
      () => "layout t\npaging 4\n" + "ffff800000000000 +4KB hole // filler\n".repeat(280_000),
    ],
    [
      "20,000 nested parentheses",
      () => "layout t\npaging 4\nconst x = " + "(".repeat(20_000) + "1" + ")".repeat(20_000) + "\n",
    ],
    [
      "20,000 nested braces",
      () => "layout t\npaging 4\n" + "0 +1TB a {\n".repeat(20_000) + "}\n".repeat(20_000),
    ],
    [
      "unterminated string and block",
      () => 'layout t "oops\npaging 4\n0 +1TB a {\n/* never closed',
    ],
    [
      "values past 2^64",
      () => "layout t\npaging 4\n0xffffffffffffffff0 +1TB a\nffff800000000000 +17EB b\n",
    ],
  ];
  for (const [name, make] of cases) {
    it(name, () => {
      const dir = tmp();
      spec(dir, "x.layout", make());
      const started = Date.now();
      const r = vmlayout(["check", "x.layout"], { cwd: dir });
      // A hang guard, not a benchmark: the 10 MB case takes about 3 s on a 2-core machine.
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/error\[E\d{4}\]/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    });
  }
});

describe("explain", () => {
  it("prints the long explanation of a code", () => {
    const r = vmlayout(["explain", "E0201"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# E0201/);
  });
  it("lists every code without an argument", () => {
    const r = vmlayout(["explain"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("E0201  overlap");
  });
  it("rejects an unknown code (2)", () => {
    expect(vmlayout(["explain", "E9999"]).status).toBe(2);
  });
});

describe("build", () => {
  it("emits an array for a multi-variant spec and one document with --variant", () => {
    const all = JSON.parse(
      vmlayout(["build", "specs/linux-x86_64.layout", "--emit", "json"]).stdout,
    );
    expect(all.map((d: { variant: string }) => d.variant)).toEqual(["4-level", "5-level"]);
    const one = JSON.parse(
      vmlayout(["build", "specs/linux-x86_64.layout", "--emit", "json", "--variant", "5-level"])
        .stdout,
    );
    expect(one).toMatchObject({
      schema: "vmlayout/2",
      variant: "5-level",
      paging: { arch: "x86_64", levels: 5, vaBits: 57 },
    });
  });

  it("-o writes the same bytes as stdout; --check passes on it and fails on a stale copy without writing", () => {
    const dir = tmp();
    const out = path.join(dir, "layout.json");
    const stdout = vmlayout(["build", "specs/emerald.layout", "--emit", "json"]).stdout;
    expect(vmlayout(["build", "specs/emerald.layout", "--emit", "json", "-o", out]).status).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(stdout);
    expect(
      vmlayout(["build", "specs/emerald.layout", "--emit", "json", "-o", out, "--check"]).status,
    ).toBe(0);
    writeFileSync(out, stdout.replace("kernel_heap", "kernel_hoop"));
    const before = statSync(out).mtimeMs;
    const r = vmlayout(["build", "specs/emerald.layout", "--emit", "json", "-o", out, "--check"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("is stale");
    expect(readFileSync(out, "utf8")).toContain("kernel_hoop");
    expect(statSync(out).mtimeMs).toBe(before);
  });

  it("is byte-identical run to run", () => {
    const a = vmlayout(["build", "specs/solaris-amd64.layout", "--emit", "json"]).stdout;
    const b = vmlayout(["build", "specs/solaris-amd64.layout", "--emit", "json"]).stdout;
    expect(a).toBe(b);
  });

  it("refuses an unknown emitter (2)", () => {
    expect(vmlayout(["build", "specs/emerald.layout", "--emit", "pdf"]).status).toBe(2);
  });
});

describe("pipes", () => {
  it("a closed stdout ends the output quietly, without a stack trace", async () => {
    const { spawn } = await import("node:child_process");
    const { CLI } = await import("../cli-helpers.js");
    const child = spawn(process.execPath, [
      CLI,
      "build",
      "specs/linux-x86_64.layout",
      "--emit",
      "json",
    ]);
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.once("data", () => child.stdout.destroy());
    const status = await new Promise((r) => child.on("close", r));
    expect(stderr).toBe("");
    expect(status).toBe(0);
  });
});

describe("negative addresses on the command line", () => {
  it("are values, not options, and keep their place among the arguments", () => {
    const r = vmlayout([
      "translate",
      "specs/linux-x86_64.layout",
      "--variant",
      "4-level",
      "-2GB",
      "ffff888000001234",
      "-119.5TB",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n").map((l) => l.split(" ")[0])).toEqual([
      "0xffffffff80000000",
      "0xffff888000001234",
      "0xffff888000000000",
      "",
    ]);
  });
});
