/**
 * `--emit c-check` and `--emit rust-check`: the kernel's own macros checked against the spec.
 *
 *   - golden files for every spec (a spec with variants: its first, picked with --variant), and
 *     for Linux x86-64 and FreeBSD with the maps of test/fixtures/kernel-headers;
 *   - without a map, the check of a spec (variant) compiles against the header `--emit c`
 *     makes of it, which defines every name it checks;
 *   - gcc compiles the mapped checks against fixture headers holding the real kernels' constants
 *     (Linux x86-64 with and without CONFIG_X86_5LEVEL, FreeBSD 10.4), and a fixture with one
 *     planted wrong value fails, naming that macro, the spec's value and the spec's line;
 *   - rustc the same with the fixtures' Rust constants (and `--cfg CONFIG_X86_5LEVEL`).
 *
 * The compile tests skip, saying so, when gcc or rustc is not on PATH.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/pipeline.js";
import { ROOT, goldenPath, vmlayout } from "../cli-helpers.js";

const SPECS = readdirSync(path.join(ROOT, "specs"))
  .filter((f) => f.endsWith(".layout"))
  .sort();
const FIXTURES = path.join(ROOT, "test", "fixtures", "kernel-headers");

function run(cmd: string, args: readonly string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

const GCC = run("gcc", ["--version"]).status === 0;
const RUSTC = run("rustc", ["--version"]).status === 0;
if (!GCC) console.warn("test/emit/check.test.ts: gcc is not on PATH; the C tests are skipped");
if (!RUSTC)
  console.warn("test/emit/check.test.ts: rustc is not on PATH; the Rust tests are skipped");

function build(spec: string, format: string, ...extra: string[]): string {
  const r = vmlayout(["build", `specs/${spec}`, "--emit", format, ...extra]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

/** `--variant` of the spec's first variant, or nothing. */
function firstVariant(spec: string): string[] {
  const variant = checkSpec(path.join(ROOT, "specs", spec)).layouts[0]!.variant;
  return variant === null ? [] : ["--variant", variant];
}

/** The kernels of the fixtures: a spec, its map, its headers' include directory. */
const KERNELS = [
  {
    spec: "linux-x86_64.layout",
    map: "test/fixtures/kernel-headers/linux-x86_64.map",
    include: "linux-x86_64",
    rust: "linux-x86_64.rs",
    // Every distribution kernel has CONFIG_RANDOMIZE_BASE=y, as the spec does (1 GiB image).
    configs: [["CONFIG_RANDOMIZE_BASE"], ["CONFIG_RANDOMIZE_BASE", "CONFIG_X86_5LEVEL"]],
    planted: {
      file: "asm/pgtable_64_types.h",
      rustValue: "0xffff_c900_0000_0000",
      value: "0xffffc90000000000UL",
      wrong: "0xffffc80000000000UL",
      macro: "__VMALLOC_BASE_L4",
      message:
        "__VMALLOC_BASE_L4: the spec says 0xffffc90000000000, the default base of `vmalloc` (linux-x86_64.layout:65)",
    },
  },
  {
    spec: "gaybsd-amd64.layout",
    map: "test/fixtures/kernel-headers/freebsd-10.4.map",
    include: "freebsd-10.4",
    rust: "freebsd-10.4.rs",
    configs: [[]],
    planted: {
      file: "machine/vmparam.h",
      rustValue: "kvaddr(496, 0, 0, 0)",
      value: "FIXTURE_KVADDR(496, 0, 0, 0)",
      wrong: "FIXTURE_KVADDR(497, 0, 0, 0)",
      macro: "DMAP_MIN_ADDRESS",
      message:
        "DMAP_MIN_ADDRESS: the spec says 0xfffff80000000000, the start of region `direct_map` (gaybsd-amd64.layout:17)",
    },
  },
] as const;

const tmp = (): string => mkdtempSync(path.join(tmpdir(), "vmlayout-check-"));

describe("--emit c-check and rust-check: golden files", () => {
  for (const spec of SPECS) {
    for (const [format, extension] of [
      ["c-check", "check.c"],
      ["rust-check", "check.rs"],
    ] as const)
      it(`${spec}: ${format}`, async () => {
        await expect(build(spec, format, ...firstVariant(spec))).toMatchFileSnapshot(
          goldenPath(spec, extension),
        );
      });
  }
  for (const k of KERNELS)
    for (const [format, extension] of [
      ["c-check", "kernel-check.c"],
      ["rust-check", "kernel-check.rs"],
    ] as const)
      it(`${k.spec}: ${format} --map ${path.basename(k.map)}`, async () => {
        await expect(build(k.spec, format, "--map", k.map)).toMatchFileSnapshot(
          goldenPath(k.spec, extension),
        );
      });
});

describe.skipIf(!GCC)("--emit c-check, compiled by gcc", () => {
  for (const spec of SPECS)
    it(`${spec}: without a map, the check passes against the header --emit c makes`, () => {
      const dir = tmp();
      writeFileSync(path.join(dir, "memory_layout.h"), build(spec, "c", ...firstVariant(spec)));
      writeFileSync(path.join(dir, "check.c"), build(spec, "c-check", ...firstVariant(spec)));
      const cc = run(
        "gcc",
        ["-std=c11", "-fsyntax-only", "-include", "memory_layout.h", "check.c"],
        dir,
      );
      expect(cc.stderr).toBe("");
      expect(cc.status).toBe(0);
    });

  for (const k of KERNELS) {
    for (const config of k.configs)
      it(`${k.spec}: passes against the kernel's constants (${config.join(", ") || "default config"})`, () => {
        const dir = tmp();
        writeFileSync(path.join(dir, "check.c"), build(k.spec, "c-check", "--map", k.map));
        const cc = run(
          "gcc",
          [
            "-std=gnu11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsyntax-only",
            "-I",
            path.join(FIXTURES, k.include),
            ...config.map((c) => `-D${c}`),
            "check.c",
          ],
          dir,
        );
        expect(cc.stderr).toBe("");
        expect(cc.status).toBe(0);
      });

    it(`${k.spec}: a planted wrong ${k.planted.macro} fails, naming it`, () => {
      const dir = tmp();
      cpSync(path.join(FIXTURES, k.include), path.join(dir, "include"), { recursive: true });
      const header = path.join(dir, "include", k.planted.file);
      const text = readFileSync(header, "utf8");
      expect(text).toContain(k.planted.value);
      writeFileSync(header, text.replace(k.planted.value, k.planted.wrong));
      writeFileSync(path.join(dir, "check.c"), build(k.spec, "c-check", "--map", k.map));
      const defines = k.configs[0]!.map((c) => `-D${c}`);
      const cc = run(
        "gcc",
        ["-std=gnu11", "-fsyntax-only", "-I", "include", ...defines, "check.c"],
        dir,
      );
      expect(cc.status).not.toBe(0);
      const failures = cc.stderr.split("\n").filter((l) => l.includes("static assertion failed"));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toContain(k.planted.message);
    });
  }
});

/** A crate of the kernel's constants (`mod kernel`) and the check (`mod check`). */
function rustCrate(rust: string, check: string): string {
  const dir = tmp();
  writeFileSync(path.join(dir, "kernel.rs"), rust);
  writeFileSync(path.join(dir, "check.rs"), check);
  writeFileSync(path.join(dir, "main.rs"), "mod check;\nmod kernel;\n\nfn main() {}\n");
  return dir;
}

const rustc = (dir: string, ...extra: string[]) =>
  run("rustc", ["--edition", "2021", "-D", "warnings", ...extra, "main.rs", "-o", "main"], dir);

describe.skipIf(!RUSTC)("--emit rust-check, compiled by rustc", () => {
  for (const k of KERNELS) {
    const rust = (): string => readFileSync(path.join(FIXTURES, k.rust), "utf8");
    for (const config of k.configs)
      it(`${k.spec}: passes against the kernel's constants (${config.join(", ") || "default config"})`, () => {
        const dir = rustCrate(rust(), build(k.spec, "rust-check", "--map", k.map));
        const rc = rustc(dir, ...config.flatMap((c) => ["--cfg", c]));
        expect(rc.stderr).toBe("");
        expect(rc.status).toBe(0);
      });

    it(`${k.spec}: a planted wrong ${k.planted.macro} fails, naming it`, () => {
      const text = rust();
      expect(text).toContain(k.planted.rustValue);
      const wrong = text.replace(
        `${k.planted.macro}: ${text.includes(`${k.planted.macro}: u64`) ? "u64" : "usize"} = ${k.planted.rustValue}`,
        `${k.planted.macro}: u64 = ${k.planted.rustValue} + 0x1000`,
      );
      expect(wrong).not.toBe(text);
      const dir = rustCrate(wrong, build(k.spec, "rust-check", "--map", k.map));
      const rc = rustc(dir, ...k.configs[0]!.flatMap((c) => ["--cfg", c]));
      expect(rc.status).not.toBe(0);
      expect(rc.stderr).toContain(k.planted.message);
      expect(
        rc.stderr.match(/evaluation panicked|evaluation of constant value failed/g),
      ).toHaveLength(1);
    });
  }
});

describe("--map: what a map says, and its mistakes", () => {
  /** `build` of Linux x86-64 with `map` as the map file. */
  function withMap(map: string, format = "c-check", ...extra: string[]) {
    const dir = tmp();
    const file = path.join(dir, "kernel.map");
    writeFileSync(file, map);
    return vmlayout([
      "build",
      "specs/linux-x86_64.layout",
      "--emit",
      format,
      "--map",
      file,
      ...extra,
    ]);
  }

  it("a value that differs between variants goes under each variant's condition", () => {
    const r = withMap(
      [
        "vmalloc.base VMALLOC_START",
        "[4-level] if !defined(CONFIG_X86_5LEVEL)",
        "[5-level] if defined(CONFIG_X86_5LEVEL)",
        "",
      ].join("\n"),
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(
      [
        "#if !defined(CONFIG_X86_5LEVEL)",
        "_Static_assert((unsigned long)(VMALLOC_START) == 0xffffc90000000000UL,",
      ].join("\n"),
    );
    expect(r.stdout).toContain(
      [
        "#if defined(CONFIG_X86_5LEVEL)",
        "_Static_assert((unsigned long)(VMALLOC_START) == 0xffa0000000000000UL,",
      ].join("\n"),
    );
  });

  it("without a condition per variant, a value that differs is E0307 at the map's line", () => {
    const r = withMap("# the base\nvmalloc.base VMALLOC_START\n");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /kernel\.map:2:14: error\[E0307\]: `vmalloc\.base` differs between variants/,
    );
    expect(r.stderr).toContain('in variant "5-level" it is 0xffa0000000000000');
  });

  it("rust-check reads the `cfg` of a section, c-check its `if`", () => {
    const map = "[4-level] if X cfg not(Y)\nvsyscall.start VSYSCALL\n";
    expect(withMap(map).stdout).toContain("#if X\n");
    expect(withMap(map, "rust-check").stdout).toContain("#[cfg(not(Y))]\nconst _: () = {\n");
  });

  it("names a variant the spec does not have (E0305), and one kernel name twice (E0301)", () => {
    const r = withMap("[5-levle]\nvsyscall.start A\n[4-level]\nvsyscall.start B\nvsyscall.end B\n");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/kernel\.map:1:2: error\[E0305\]: the spec has no variant "5-levle"/);
    expect(r.stderr).toContain('help: did you mean "5-level"?');
    expect(r.stderr).toMatch(/kernel\.map:5:14: error\[E0301\]: .*`B` would name both/);
  });

  it("with --variant, another variant's section is skipped", () => {
    const r = withMap(
      "[5-level]\nvsyscall.start A\n[4-level]\nvsyscall.start B\n",
      "c-check",
      "--variant",
      "4-level",
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("(unsigned long)(B)");
    expect(r.stdout).not.toContain("(unsigned long)(A)");
  });

  it("is a usage error with another format, or when it cannot be read", () => {
    const other = withMap("", "c");
    expect(other.status).toBe(2);
    expect(other.stderr).toContain("--map is for --emit c-check and rust-check");
    const missing = vmlayout([
      "build",
      "specs/gaybsd-amd64.layout",
      "--emit",
      "c-check",
      "--map",
      "no/such.map",
    ]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("cannot read --map `no/such.map`: ENOENT");
  });
});
