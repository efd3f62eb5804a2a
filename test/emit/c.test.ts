/**
 * `--emit c`: golden headers for every spec, and the header checked against gcc, which is the
 * point of it:
 *
 *   - it compiles warning-free as C99, C11 and C2x (`-Wall -Wextra -Werror -pedantic`), static
 *     asserts included, and as assembler (`-x assembler-with-cpp`), for every spec and variant;
 *   - differential test: a C program prints every macro, and an assembler file emits every macro
 *     it can see with `.quad`; each value must equal what `--emit json` says (regions' start,
 *     end and size, constants, parameters, KASLR bases), and every macro must be an
 *     `unsigned long` in C;
 *   - at every parameter's minimum and maximum the C expressions still agree with each other
 *     (START + SIZE - 1 == END, children inside parents, siblings in order);
 *   - a corrupted header (regions made to overlap) no longer compiles;
 *   - `--check` fails on a stale header without touching it.
 *
 * The gcc tests skip, saying so, when gcc is not on PATH (`.ci/run` installs it).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/pipeline.js";
import type { Layout } from "../../src/model/layout.js";
import { ROOT, goldenPath, vmlayout } from "../cli-helpers.js";
import { type JsonDoc, expectedValues, kernelVariables, upper } from "./json-values.js";

const SPECS = readdirSync(path.join(ROOT, "specs"))
  .filter((f) => f.endsWith(".layout"))
  .sort();

const tmp = (): string => mkdtempSync(path.join(tmpdir(), "vmlayout-c-"));

function run(cmd: string, args: readonly string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}

const GCC = run("gcc", ["--version"]).status === 0;
const withGcc = GCC ? it : it.skip;
if (!GCC) console.warn("test/emit/c.test.ts: gcc is not on PATH; the compile tests are skipped");

const WARNINGS = ["-Wall", "-Wextra", "-Werror", "-pedantic", "-Wundef"];

const built = new Map<string, string>();
function build(spec: string, ...extra: string[]): string {
  const key = [spec, ...extra].join(" ");
  const cached = built.get(key);
  if (cached !== undefined) return cached;
  const r = vmlayout(["build", `specs/${spec}`, "--emit", "c", ...extra]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  built.set(key, r.stdout);
  return r.stdout;
}

// ---------------------------------------------------------------- what the header must say

/** One header configuration: a spec, and the variant selected (by macro or by --variant). */
interface Config {
  readonly spec: string;
  readonly layout: Layout;
  readonly doc: JsonDoc;
  /** `-D` flags that select the variant in a combined header. */
  readonly defines: readonly string[];
}

function configs(): Config[] {
  const out: Config[] = [];
  for (const spec of SPECS) {
    const checked = checkSpec(path.join(ROOT, "specs", spec));
    const json = JSON.parse(vmlayout(["build", `specs/${spec}`, "--emit", "json"]).stdout) as
      JsonDoc | JsonDoc[];
    const docs = Array.isArray(json) ? json : [json];
    checked.layouts.forEach((layout, i) => {
      const selector =
        layout.variant === null
          ? []
          : [`-DVMLAYOUT_${upper(layout.name)}_${upper(layout.variant)}`];
      out.push({ spec, layout, doc: docs[i]!, defines: selector });
    });
  }
  return out;
}

/** Every macro the header defines for values, with the value `--emit json` gives. */
const expected = (c: Config): Map<string, bigint> => expectedValues(c.layout, c.doc);

/**
 * A C program that sets each variable (to the default, or for parameters to MIN or MAX as
 * argv[1] says) and prints `NAME value` for every macro of `names` that the header defines,
 * after checking at compile time that it is an unsigned long.
 */
function program(c: Config, names: readonly string[]): string {
  const vars = kernelVariables(c.layout);
  const params = new Set(c.layout.params.map((p) => p.name));
  return [
    "#include <stdio.h>",
    "#include <string.h>",
    '#include "memory_layout.h"',
    ...vars.map((v) => `unsigned long ${v.name} = ${v.macro}_DEFAULT;`),
    "int main(int argc, char **argv) {",
    '  const char *mode = argc > 1 ? argv[1] : "default";',
    "  (void)mode;",
    ...vars
      .filter((v) => params.has(v.name))
      .flatMap((v) => [
        `  if (strcmp(mode, "min") == 0) ${v.name} = ${v.macro}_MIN + (${v.macro}_ALIGN - ${v.macro}_MIN % ${v.macro}_ALIGN) % ${v.macro}_ALIGN;`,
        `  if (strcmp(mode, "max") == 0) ${v.name} = ${v.macro}_MAX - ${v.macro}_MAX % ${v.macro}_ALIGN;`,
      ]),
    ...names.flatMap((n) => [
      `#ifdef ${n}`,
      `  _Static_assert(_Generic((${n}), unsigned long: 1, default: 0), "${n} is not an unsigned long");`,
      `  printf("%s %lu\\n", "${n}", (unsigned long)(${n}));`,
      "#endif",
    ]),
    "  return 0;",
    "}",
    "",
  ].join("\n");
}

function parse(out: string): Map<string, bigint> {
  return new Map(
    out
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => {
        const [n, v] = l.split(" ");
        return [n!, BigInt(v!)];
      }),
  );
}

const hex = (m: ReadonlyMap<string, bigint>): Record<string, string> =>
  Object.fromEntries([...m].map(([k, v]) => [k, "0x" + v.toString(16)]));

const title = (c: Config): string =>
  `${c.spec}${c.layout.variant !== null ? ` (${c.layout.variant})` : ""}`;

// ---------------------------------------------------------------- tests

describe("--emit c", () => {
  for (const spec of SPECS) {
    it(`${spec}: matches the golden header`, async () => {
      await expect(build(spec)).toMatchFileSnapshot(goldenPath(spec, "h"));
    });
  }

  it("is byte-identical run to run, names the spec relative to the working directory, and carries no timestamp", () => {
    const a = vmlayout(["build", path.join(ROOT, "specs", "emerald.layout"), "--emit", "c"]).stdout;
    expect(build("emerald.layout")).toBe(a);
    expect(a).toContain("Generated by vmlayout, do not edit");
    expect(a).toContain("vmlayout build specs/emerald.layout --emit c -o FILE");
    expect(a).not.toContain(ROOT);
    expect(a).not.toMatch(/\b20\d\d-\d\d-\d\d\b/);
  });

  it("the banner's regenerate command is the command that wrote it: following it, --check passes", () => {
    const dir = tmp();
    const out = path.join(dir, "memory_layout.h");
    const args = ["build", "specs/linux-x86_64.layout", "--emit", "c", "--variant", "5-level"];
    const limits = ["--limit", "nesting=64", "--limit", "regions=5000"];
    expect(vmlayout([...args, ...limits, "-o", out]).status).toBe(0);
    const header = readFileSync(out, "utf8");
    // The default nesting limit is left out; the output is FILE, the file being read.
    const command = `vmlayout build specs/linux-x86_64.layout --emit c --variant 5-level --limit regions=5000 -o FILE`;
    expect(header).toContain(` *   ${command}\n`);
    // Standard output gives the same bytes.
    expect(vmlayout([...args, ...limits]).stdout).toBe(header);
    const words = command.split(" ").slice(1, -1);
    expect(vmlayout([...words, out, "--check"]).status).toBe(0);
    // However the spec's path is spelt.
    const spelt = words.map((w) => (w.endsWith(".layout") ? `./${w}` : w));
    expect(vmlayout([...spelt, out, "--check"]).status).toBe(0);
    // A stale header's help names the file.
    writeFileSync(out, header.replace("5-level", "5-levels"));
    const stale = vmlayout([...words, out, "--check"]);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain(
      `help: regenerate it with \`${command.replace("FILE", path.relative(ROOT, out))}\``,
    );
  });

  it("a spec with variants gives one header that selects with a macro; --variant gives one variant", () => {
    const all = build("linux-x86_64.layout");
    expect(all).toContain(
      "#if defined(VMLAYOUT_LINUX_X86_64_4_LEVEL) + defined(VMLAYOUT_LINUX_X86_64_5_LEVEL) != 1",
    );
    expect(all).toContain("#elif defined(VMLAYOUT_LINUX_X86_64_5_LEVEL)");
    // What both variants share is written once.
    expect(all.match(/#define CPU_ENTRY_AREA_START /g)).toHaveLength(1);
    expect(all.match(/#define USER_SPACE_END /g)).toHaveLength(2);
    const one = build("linux-x86_64.layout", "--variant", "5-level");
    expect(one).not.toContain("VMLAYOUT_LINUX_X86_64_5_LEVEL");
    expect(one).toContain('variant "5-level"');
    expect(one).toContain("--variant 5-level");
    expect(
      one.match(/#define USER_SPACE_END +VMLAYOUT_AC\(0x00ffffffffffefff, UL\)/g),
    ).toHaveLength(1);
  });

  it("--check on a stale header exits 1 and leaves it alone", () => {
    const dir = tmp();
    const out = path.join(dir, "memory_layout.h");
    expect(vmlayout(["build", "specs/gaybsd-amd64.layout", "--emit", "c", "-o", out]).status).toBe(
      0,
    );
    expect(
      vmlayout(["build", "specs/gaybsd-amd64.layout", "--emit", "c", "-o", out, "--check"]).status,
    ).toBe(0);
    const stale = readFileSync(out, "utf8").replace("0x0000800000000000", "0x0000800000001000");
    writeFileSync(out, stale);
    const before = statSync(out).mtimeMs;
    const r = vmlayout(["build", "specs/gaybsd-amd64.layout", "--emit", "c", "-o", out, "--check"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("is stale");
    expect(r.stderr).toContain(
      `help: regenerate it with \`vmlayout build specs/gaybsd-amd64.layout --emit c -o ${path.relative(ROOT, out)}\``,
    );
    expect(readFileSync(out, "utf8")).toBe(stale);
    expect(statSync(out).mtimeMs).toBe(before);
  });

  it("two names for one C identifier are an error naming both, at both (E0301)", () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, "clash.layout"),
      [
        "layout clash",
        "paging 4",
        "ffff800000000000 +1TB foo",
        "const x = 0x1000 export FOO_START",
        "",
      ].join("\n"),
    );
    const r = vmlayout(["build", "clash.layout", "--emit", "c"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "clash.layout:4:1: error[E0301]: cannot emit a C header for `clash`: `FOO_START` would name both the start of region `foo` and constant `x`",
    );
    expect(r.stderr).toContain("the start of region `foo` is `FOO_START`");
    expect(r.stderr).toContain("help: give one of them another name with `export NAME`");
    expect(r.stderr).not.toContain("internal error");
  });

  it("a constant computed with C's integer division is emitted as the verifier checked it", () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, "kasan.layout"),
      [
        "layout kasan",
        "paging 4",
        "const nkasan = div(4 + 7, 8) export NKASANPML4E",
        "(0xffff000000000000 + (496 - nkasan) * 512GB) +512GB kasan",
        "",
      ].join("\n"),
    );
    const r = vmlayout(["build", "kasan.layout", "--emit", "c"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/#define NKASANPML4E +VMLAYOUT_AC\(0x1, UL\)/);
    expect(r.stdout).toMatch(/#define KASAN_START +VMLAYOUT_AC\(0xfffff78000000000, UL\)/);
  });

  it("a parameter named like a C keyword is an error at the parameter (E0302)", () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, "kw.layout"),
      "layout kw\npaging 4\nparam int: size = 4KB in 4KB .. 8KB align 4KB\nffff800000000000 +int r\n",
    );
    const r = vmlayout(["build", "kw.layout", "--emit", "c"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "kw.layout:3:1: error[E0302]: cannot emit a C header for `kw`: its variable `int` would be a C keyword",
    );
  });

  it("a name C reserves, the compiler predefines, or `main` is an error at its declaration (E0302, E0303)", () => {
    const dir = tmp();
    const cases: [string, string][] = [
      [
        "param _Bool: size = 4KB in 4KB .. 8KB",
        "E0302]: cannot emit a C header for `kw`: its variable `_Bool` would be a C keyword",
      ],
      [
        "const x = 1 export _Static_assert",
        "E0302]: cannot emit a C header for `kw`: its macro `_Static_assert` would be a C keyword",
      ],
      [
        "param linux: size = 4KB in 4KB .. 8KB",
        "E0303]: cannot emit a C header for `kw`: its variable `linux` is a macro the compiler predefines",
      ],
      [
        "param unix: size = 4KB in 4KB .. 8KB",
        "E0303]: cannot emit a C header for `kw`: its variable `unix` is a macro the compiler predefines",
      ],
      [
        "const x = 1 export __LINE__",
        "E0303]: cannot emit a C header for `kw`: its macro `__LINE__` is a macro the compiler predefines",
      ],
      [
        "const x = 1 export __x86_64__",
        "E0303]: cannot emit a C header for `kw`: its macro `__x86_64__` is a macro the compiler predefines",
      ],
      [
        "const x = 1 export i386",
        "E0303]: cannot emit a C header for `kw`: its macro `i386` is a macro the compiler predefines",
      ],
      [
        "param main: size = 4KB in 4KB .. 8KB",
        "E0303]: cannot emit a C header for `kw`: its variable `main` is the program's entry point",
      ],
      [
        "param _Foo: size = 4KB in 4KB .. 8KB",
        "E0303]: cannot emit a C header for `kw`: its variable `_Foo` is reserved for the C implementation",
      ],
      [
        "param __foo: size = 4KB in 4KB .. 8KB",
        "E0303]: cannot emit a C header for `kw`: its variable `__foo` is reserved for the C implementation",
      ],
    ];
    for (const [decl, message] of cases) {
      writeFileSync(
        path.join(dir, "kw.layout"),
        `layout kw\npaging 4\n${decl}\nffff800000000000 +4KB r\n`,
      );
      const r = vmlayout(["build", "kw.layout", "--emit", "c"], { cwd: dir });
      expect(r.stderr, decl).toContain(`kw.layout:3:1: error[${message}`);
      expect(r.status, decl).toBe(1);
    }
    // A macro may have a reserved name that no compiler predefines, as Linux's headers do.
    writeFileSync(
      path.join(dir, "ok.layout"),
      "layout ok\npaging 4\nconst x = 1 export __PAGE_OFFSET\n",
    );
    expect(vmlayout(["build", "ok.layout", "--emit", "c"], { cwd: dir }).status).toBe(0);
  });

  it("two variants with one selector macro are E0301 at both variants", () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, "v.layout"),
      'layout v\nvariant "a-b" { paging 4 }\nvariant "a_b" { paging 5 }\n',
    );
    const r = vmlayout(["build", "v.layout", "--emit", "c"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'v.layout:3:9: error[E0301]: cannot emit a C header for `v` (variant "a-b"): `VMLAYOUT_V_A_B` would name both the macro that selects variant "a-b" and the macro that selects variant "a_b"',
    );
    expect(r.stderr).toContain('the macro that selects variant "a-b" is `VMLAYOUT_V_A_B`');
  });
});

describe("--emit c, compiled by gcc", () => {
  const all = configs();

  for (const c of all) {
    withGcc(`${title(c)}: compiles as C99, C11 and C2x and as assembler`, () => {
      const dir = tmp();
      const header = path.join(dir, "memory_layout.h");
      writeFileSync(header, build(c.spec));
      for (const std of ["c99", "c11", "c2x"]) {
        const r = run("gcc", [
          `-std=${std}`,
          ...WARNINGS,
          ...c.defines,
          "-fsyntax-only",
          "-x",
          "c",
          header,
        ]);
        expect(r.stderr, `-std=${std}`).toBe("");
        expect(r.status, `-std=${std}`).toBe(0);
      }
      const asm = run("gcc", [
        ...c.defines,
        "-x",
        "assembler-with-cpp",
        "-c",
        header,
        "-o",
        path.join(dir, "h.o"),
      ]);
      expect(asm.stderr).toBe("");
      expect(asm.status).toBe(0);
    });

    withGcc(`${title(c)}: every macro equals --emit json, in C and in assembler`, () => {
      const dir = tmp();
      writeFileSync(path.join(dir, "memory_layout.h"), build(c.spec));
      const want = expected(c);
      const names = [...want.keys()];

      writeFileSync(path.join(dir, "print.c"), program(c, names));
      const cc = run("gcc", ["-std=c11", ...WARNINGS, ...c.defines, "print.c", "-o", "print"], dir);
      expect(cc.stderr).toBe("");
      expect(cc.status).toBe(0);
      const got = parse(run(path.join(dir, "print"), []).stdout);
      // Every region bound, constant, parameter and KASLR base is there, with the JSON's value.
      expect(hex(got)).toEqual(hex(want));

      // Assembler: `.quad index, value` for every macro assembler code can use.
      const asm = [
        '#include "memory_layout.h"',
        ".data",
        ...names.flatMap((n, i) => [`#ifdef ${n}`, `.quad ${i}, ${n}`, "#endif"]),
        "",
      ].join("\n");
      writeFileSync(path.join(dir, "values.S"), asm);
      const as = run("gcc", [...c.defines, "-c", "values.S", "-o", "values.o"], dir);
      expect(as.stderr).toBe("");
      expect(as.status).toBe(0);
      expect(
        run("objcopy", ["-O", "binary", "-j", ".data", "values.o", "values.bin"], dir).status,
      ).toBe(0);
      const bin = readFileSync(path.join(dir, "values.bin"));
      const inAsm = new Map<string, bigint>();
      for (let at = 0; at < bin.length; at += 16)
        inAsm.set(names[Number(bin.readBigUInt64LE(at))]!, bin.readBigUInt64LE(at + 8));
      expect(hex(inAsm)).toEqual(hex(new Map([...inAsm.keys()].map((n) => [n, want.get(n)!]))));
      // What does not depend on a variable is there for assembler code too.
      const exportOf = new Map(c.layout.regions.map((r) => [r.name, r.exportName]));
      // KASLR members and the regions inside them move.
      const moving = new Set(c.doc.kaslr.flatMap((k) => k.members));
      for (const r of c.layout.regions)
        if (r.parent !== null && moving.has(r.parent)) moving.add(r.name);
      for (const r of c.doc.regions)
        if (!r.parameters && !moving.has(r.name))
          for (const s of ["START", "END", "SIZE"])
            expect(inAsm.has(`${exportOf.get(r.name)}_${s}`)).toBe(true);
      for (const p of c.layout.params) expect(inAsm.has(`${p.exportName}_DEFAULT`)).toBe(true);
    });

    if (c.layout.params.length > 0)
      withGcc(`${title(c)}: at the parameters' minimum and maximum the C expressions agree`, () => {
        const dir = tmp();
        writeFileSync(path.join(dir, "memory_layout.h"), build(c.spec));
        const exportOf = new Map(c.layout.regions.map((r) => [r.name, r.exportName]));
        const names = c.layout.regions.flatMap((r) =>
          ["START", "END", "SIZE"].map((s) => `${r.exportName}_${s}`),
        );
        writeFileSync(path.join(dir, "print.c"), program(c, names));
        expect(
          run("gcc", ["-std=c11", ...WARNINGS, ...c.defines, "print.c", "-o", "print"], dir).status,
        ).toBe(0);
        for (const mode of ["min", "max"]) {
          const v = parse(run(path.join(dir, "print"), [mode]).stdout);
          const at = (r: string, s: string): bigint => v.get(`${exportOf.get(r)}_${s}`)!;
          const siblings = new Map<string | null, string[]>();
          for (const r of c.doc.regions) {
            expect(at(r.name, "START") + at(r.name, "SIZE") - 1n, `${mode}: ${r.name}`).toBe(
              at(r.name, "END"),
            );
            if (r.parent) {
              expect(
                at(r.name, "START") >= at(r.parent, "START"),
                `${mode}: ${r.name} in ${r.parent}`,
              ).toBe(true);
              expect(
                at(r.name, "END") <= at(r.parent, "END"),
                `${mode}: ${r.name} in ${r.parent}`,
              ).toBe(true);
            }
            siblings.set(r.parent, [...(siblings.get(r.parent) ?? []), r.name]);
          }
          for (const group of siblings.values())
            for (let i = 1; i < group.length; i++)
              expect(
                at(group[i - 1]!, "END") < at(group[i]!, "START"),
                `${mode}: ${group[i - 1]} before ${group[i]}`,
              ).toBe(true);
        }
      });
  }

  withGcc("--variant headers compile too", () => {
    for (const variant of ["4-level", "5-level"]) {
      const dir = tmp();
      const header = path.join(dir, "memory_layout.h");
      writeFileSync(header, build("linux-x86_64.layout", "--variant", variant));
      for (const std of ["c99", "c11"]) {
        const r = run("gcc", [`-std=${std}`, ...WARNINGS, "-fsyntax-only", "-x", "c", header]);
        expect(r.stderr).toBe("");
      }
      expect(
        run("gcc", ["-x", "assembler-with-cpp", "-c", header, "-o", path.join(dir, "h.o")]).status,
      ).toBe(0);
    }
  });

  withGcc("a combined header without a variant selected stops with #error", () => {
    const dir = tmp();
    const header = path.join(dir, "memory_layout.h");
    writeFileSync(header, build("linux-x86_64.layout"));
    for (const defines of [
      [],
      ["-DVMLAYOUT_LINUX_X86_64_4_LEVEL", "-DVMLAYOUT_LINUX_X86_64_5_LEVEL"],
    ]) {
      const r = run("gcc", ["-std=c11", ...defines, "-fsyntax-only", "-x", "c", header]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(
        "define exactly one of VMLAYOUT_LINUX_X86_64_4_LEVEL and VMLAYOUT_LINUX_X86_64_5_LEVEL",
      );
    }
  });

  withGcc("the static asserts fire on a corrupted header, in C11 and in C99", () => {
    const dir = tmp();
    const header = path.join(dir, "memory_layout.h");
    const good = build("emerald.layout");
    // Make user_low run into the non-canonical range and overlap its neighbour.
    const bad = good.replace(
      /(#define USER_LOW_END +)VMLAYOUT_AC\(0x00007fffffffffff, UL\)/,
      "$1VMLAYOUT_AC(0x00008000000fffff, UL)",
    );
    expect(bad).not.toBe(good);
    writeFileSync(header, bad);
    const c11 = run("gcc", ["-std=c11", "-fsyntax-only", "-x", "c", header]);
    expect(c11.status).not.toBe(0);
    expect(c11.stderr).toContain('static assertion failed: "USER_LOW: END == START + SIZE - 1"');
    expect(c11.stderr).toContain('static assertion failed: "USER_LOW: canonical, in one half"');
    expect(c11.stderr).toContain(
      'static assertion failed: "USER_LOW: ends before NONCANONICAL_0000800000000000 starts"',
    );
    const c99 = run("gcc", ["-std=c99", "-fsyntax-only", "-x", "c", header]);
    expect(c99.status).not.toBe(0);
    expect(c99.stderr).toContain("negative");
    // Moving a region out of its parent, or off its page size, fires too.
    writeFileSync(
      header,
      good.replace(
        /(#define KERNEL_HEAP_START +)VMLAYOUT_AC\(0xffffffff88000000, UL\)/,
        "$1VMLAYOUT_AC(0xffffffff88000800, UL)",
      ),
    );
    const unaligned = run("gcc", ["-std=c11", "-fsyntax-only", "-x", "c", header]);
    expect(unaligned.stderr).toContain('"KERNEL_HEAP: START and SIZE are multiples of 0x1000"');
    writeFileSync(
      header,
      good.replace(
        /(#define KERNEL_HEAP_START +)VMLAYOUT_AC\(0xffffffff88000000, UL\)/,
        "$1VMLAYOUT_AC(0xffffffff87fff000, UL)",
      ),
    );
    const overlapping = run("gcc", ["-std=c11", "-fsyntax-only", "-x", "c", header]);
    expect(overlapping.stderr).toContain('"BOOT_MAPPED: ends before KERNEL_HEAP starts"');
  });

  withGcc(
    "a bound under align_up or min/max is left out, said so, and the header still compiles",
    () => {
      const dir = tmp();
      writeFileSync(
        path.join(dir, "slack.layout"),
        [
          "layout slack",
          "paging 4",
          'param p: address = 0xffff800000100000 in 0xffff800000001000 .. 0xffff800000200000 align 4KB "a boundary"',
          'ffff800000000000 .. ffff8000003fffff  a "parent" {',
          '  ..< align_up(p, 2MB)  b "below" { allow page_alignment "align_up keeps it on 2 MiB" }',
          '  ..< ffff800000400000  c "above" { allow page_alignment "align_up keeps it on 2 MiB"; allow overlap "b ends where c starts" }',
          "}",
          "",
        ].join("\n"),
      );
      const r = vmlayout(["build", "slack.layout", "--emit", "c", "-o", "memory_layout.h"], {
        cwd: dir,
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const h = readFileSync(path.join(dir, "memory_layout.h"), "utf8");
      expect(h).toMatch(/B_END and B_SIZE are not defined: they depend on p through align_up/);
      expect(h).not.toMatch(/#define B_END/);
      expect(h).toMatch(/#define B_START +VMLAYOUT_AC\(0xffff800000000000, UL\)/);
      for (const std of ["c99", "c11"])
        expect(
          run(
            "gcc",
            [`-std=${std}`, ...WARNINGS, "-fsyntax-only", "-x", "c", "memory_layout.h"],
            dir,
          ).stderr,
        ).toBe("");
    },
  );
});
