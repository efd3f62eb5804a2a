/**
 * `--emit c-runtime` and `--emit rust-runtime`: every variant in one file, chosen at boot.
 *
 *   - golden files for every spec;
 *   - gcc: a C11 program (`-Wall -Wextra -Werror -pedantic`) defines the kernel's variables,
 *     sets the variant variable to each variant in turn, and prints every value, through its
 *     accessor macro where there is one (which reads the variable) and its per-variant macro
 *     otherwise; each must equal what `--emit json` says of that variant;
 *   - rustc: a program walks `Variant::ALL` and prints every field of `variant.layout()`
 *     (calling the `fn` fields with the variables' defaults); the same comparison.
 *
 * The compile tests skip, saying so, when gcc or rustc is not on PATH.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Layout } from "../../src/model/layout.js";
import { type EmitFormat, emit } from "../../src/index.js";
import { checkSpec } from "../../src/pipeline.js";
import { ROOT, goldenPath, vmlayout } from "../cli-helpers.js";
import { type JsonDoc, expectedValues, kernelVariables, upper } from "./json-values.js";

const SPECS = readdirSync(path.join(ROOT, "specs"))
  .filter((f) => f.endsWith(".layout"))
  .sort();

function run(cmd: string, args: readonly string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

const GCC = run("gcc", ["--version"]).status === 0;
const RUSTC = run("rustc", ["--version"]).status === 0;
if (!GCC) console.warn("test/emit/runtime.test.ts: gcc is not on PATH; the C tests are skipped");
if (!RUSTC)
  console.warn("test/emit/runtime.test.ts: rustc is not on PATH; the Rust tests are skipped");

function build(spec: string, format: string): string {
  const r = vmlayout(["build", `specs/${spec}`, "--emit", format]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

interface Spec {
  readonly layouts: readonly Layout[];
  readonly docs: readonly JsonDoc[];
}

function load(spec: string): Spec {
  const checked = checkSpec(path.join(ROOT, "specs", spec));
  const json = JSON.parse(build(spec, "json")) as JsonDoc | JsonDoc[];
  return { layouts: checked.layouts, docs: Array.isArray(json) ? json : [json] };
}

/** `TAG NAME VALUE` lines: `A` through the accessor, `V` through the per-variant value. */
function parse(out: string): Map<string, { tag: string; value: bigint }>[] {
  const variants: Map<string, { tag: string; value: bigint }>[] = [];
  for (const line of out.trim().split("\n")) {
    const [tag, name, value] = line.split(" ");
    if (tag === "variant") variants.push(new Map());
    else variants[variants.length - 1]!.set(name!, { tag: tag!, value: BigInt(value!) });
  }
  return variants;
}

const tmp = (): string => mkdtempSync(path.join(tmpdir(), "vmlayout-runtime-"));

describe("--emit c-runtime and rust-runtime: golden files", () => {
  for (const spec of SPECS) {
    it(`${spec}: c-runtime`, async () => {
      await expect(build(spec, "c-runtime")).toMatchFileSnapshot(goldenPath(spec, "runtime.h"));
    });
    it(`${spec}: rust-runtime`, async () => {
      await expect(build(spec, "rust-runtime")).toMatchFileSnapshot(goldenPath(spec, "runtime.rs"));
    });
  }
});

/** A C program printing every value of every variant, the variant set at run time. */
function cProgram(s: Spec): string {
  const l0 = s.layouts[0]!;
  const L = upper(l0.name);
  const selected = l0.variant !== null;
  const variable = `vmlayout_${L.toLowerCase()}_variant`;
  const vars = new Map<string, string>();
  for (const l of s.layouts) for (const v of kernelVariables(l)) vars.set(v.name, v.macro);
  const lines = [
    "#include <stdio.h>",
    '#include "runtime.h"',
    ...(selected ? [`enum ${variable} ${variable};`] : []),
    ...[...vars.keys()].map((v) => `unsigned long ${v};`),
    "int main(void) {",
  ];
  s.layouts.forEach((l, i) => {
    const suffix = upper(l.variant ?? "");
    lines.push("  {");
    if (selected) lines.push(`    ${variable} = VMLAYOUT_${L}_VARIANT_${suffix};`);
    for (const v of kernelVariables(l)) {
      const perVariant = `${v.macro}_DEFAULT_${suffix}`;
      lines.push(
        `#if defined(${perVariant})`,
        `    ${v.name} = ${perVariant};`,
        "#else",
        `    ${v.name} = ${v.macro}_DEFAULT;`,
        "#endif",
      );
    }
    lines.push('    puts("variant");');
    for (const name of expectedValues(l, s.docs[i]!).keys()) {
      const perVariant = `${name}_${suffix}`;
      lines.push(
        `#if defined(${name})`,
        `    _Static_assert(_Generic((${name}), unsigned long: 1, default: 0), "${name} is not an unsigned long");`,
        `    printf("A %s %lu\\n", "${name}", ${name});`,
        ...(selected
          ? [`#elif defined(${perVariant})`, `    printf("V %s %lu\\n", "${name}", ${perVariant});`]
          : []),
        "#endif",
      );
    }
    lines.push("  }");
  });
  lines.push("  return 0;", "}", "");
  return lines.join("\n");
}

const WARNINGS = ["-Wall", "-Wextra", "-Werror", "-pedantic", "-Wundef"];

describe.skipIf(!GCC)("--emit c-runtime, compiled by gcc", () => {
  for (const spec of SPECS) {
    it(`${spec}: every variant's values, read through the variable, are --emit json's`, () => {
      const s = load(spec);
      const dir = tmp();
      writeFileSync(path.join(dir, "runtime.h"), build(spec, "c-runtime"));
      writeFileSync(path.join(dir, "print.c"), cProgram(s));
      const cc = run("gcc", ["-std=c11", ...WARNINGS, "print.c", "-o", "print"], dir);
      expect(cc.stderr).toBe("");
      const printed = parse(run(path.join(dir, "print"), []).stdout);
      expect(printed).toHaveLength(s.layouts.length);
      s.layouts.forEach((l, i) => {
        const want = expectedValues(l, s.docs[i]!);
        const got = printed[i]!;
        // Only a value no C expression computes exactly (align_up of a parameter) is missing.
        expect(got.size).toBeGreaterThan(want.size * 0.9);
        for (const [name, { value }] of got) expect([name, value]).toEqual([name, want.get(name)]);
      });
    });
  }

  it("linux-x86_64: the values that differ between 4- and 5-level read the variable", () => {
    const s = load("linux-x86_64.layout");
    const dir = tmp();
    writeFileSync(path.join(dir, "runtime.h"), build("linux-x86_64.layout", "c-runtime"));
    writeFileSync(path.join(dir, "print.c"), cProgram(s));
    expect(run("gcc", ["-std=c11", "print.c", "-o", "print"], dir).status).toBe(0);
    const [l4, l5] = parse(run(path.join(dir, "print"), []).stdout);
    for (const name of ["PAGE_OFFSET_BASE_DEFAULT", "USER_SPACE_END", "KASLR_MEMORY_START"]) {
      expect(l4!.get(name)!.tag).toBe("A");
      expect(l5!.get(name)!.tag).toBe("A");
      expect(l4!.get(name)!.value).not.toBe(l5!.get(name)!.value);
    }
    expect(l4!.get("PAGE_OFFSET_BASE_DEFAULT")!.value).toBe(0xffff888000000000n);
    expect(l5!.get("PAGE_OFFSET_BASE_DEFAULT")!.value).toBe(0xff11000000000000n);
  });
});

/** `pub NAME: TYPE,` of `pub struct Layout`. */
function layoutFields(source: string): { name: string; type: string }[] {
  const struct = /^pub struct Layout \{\n([\s\S]*?)^\}/m.exec(source)![1]!;
  return [...struct.matchAll(/^ {4}pub (\w+): (.+),$/gm)].map(([, name, type]) => ({
    name: name!,
    type: type!,
  }));
}

/** The argument names of each `pub const fn` (every variant's module has the same ones). */
function fnArguments(source: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [, name, params] of source.matchAll(/pub const fn (\w+)\(([^)]*)\) -> u64/g))
    out.set(
      name!,
      params!
        .split(",")
        .map((p) => p.trim().split(":")[0]!.trim())
        .filter((p) => p !== ""),
    );
  return out;
}

/** A Rust program printing every field of every variant's `Layout`. */
function rustProgram(s: Spec, source: string): string {
  const selected = s.layouts[0]!.variant !== null;
  const args = fnArguments(source);
  const lines = ["#[allow(dead_code)]", "mod runtime;", "", "fn main() {"];
  const layouts = selected
    ? "for variant in runtime::Variant::ALL { let l = variant.layout();"
    : "{ let l = &runtime::LAYOUT;";
  lines.push(`    ${layouts}`, '        println!("variant");');
  // The variables' defaults, read from the variant's own `Layout`.
  const vars = new Map<string, string>();
  for (const l of s.layouts)
    for (const v of kernelVariables(l)) vars.set(v.name, `${v.macro}_DEFAULT`.toLowerCase());
  for (const { name, type } of layoutFields(source)) {
    const NAME = name.toUpperCase();
    if (type === "u64") lines.push(`        println!("A ${NAME} {}", l.${name});`);
    else if (type === "Option<u64>")
      lines.push(`        if let Some(v) = l.${name} { println!("A ${NAME} {}", v); }`);
    else {
      const call = (args.get(name) ?? []).map((a) => {
        const field = vars.get(a.replace(/^r#/, ""))!;
        const fieldType = layoutFields(source).find((f) => f.name === field)!.type;
        return fieldType === "u64" ? `l.${field}` : `l.${field}.unwrap()`;
      });
      lines.push(`        println!("A ${NAME} {}", (l.${name})(${call.join(", ")}));`);
    }
  }
  lines.push("    }", "}", "");
  return lines.join("\n");
}

describe.skipIf(!RUSTC)("--emit rust-runtime, compiled by rustc", () => {
  for (const spec of SPECS) {
    it(`${spec}: every variant's Layout is --emit json's`, () => {
      const s = load(spec);
      const source = build(spec, "rust-runtime");
      const dir = tmp();
      writeFileSync(path.join(dir, "runtime.rs"), source);
      const lib = run(
        "rustc",
        ["--edition", "2021", "-D", "warnings", "--crate-type", "lib", "runtime.rs"],
        dir,
      );
      expect(lib.stderr).toBe("");
      writeFileSync(path.join(dir, "main.rs"), rustProgram(s, source));
      const rc = run(
        "rustc",
        ["--edition", "2021", "-D", "warnings", "main.rs", "-o", "main"],
        dir,
      );
      expect(rc.stderr).toBe("");
      const printed = parse(run(path.join(dir, "main"), []).stdout);
      expect(printed).toHaveLength(s.layouts.length);
      s.layouts.forEach((l, i) => {
        const want = expectedValues(l, s.docs[i]!);
        const got = printed[i]!;
        expect(got.size).toBeGreaterThan(0);
        for (const [name, { value }] of got) expect([name, value]).toEqual([name, want.get(name)]);
      });
    });
  }
});

describe("spec text in the runtime and check formats", () => {
  const spec = [
    'layout evil "a */ #define PWNED 1 /* \u202e"',
    'variant "x*/y" { paging 4; ffff800000000000 +1TB r "*/ PWNED \u0007" }',
    'variant "q\\"\u202e" { paging 4; ffff800000000000 +2TB r }',
    "",
  ].join("\n");
  const checked = checkSpec("evil.layout", { readFile: () => spec });
  const out = (format: EmitFormat, layouts = checked.layouts): string => {
    const r = emit(layouts, format);
    expect(r.diagnostics).toEqual([]);
    return r.value!;
  };

  it.skipIf(!GCC)("c-runtime and c-check compile, the marker only in comments", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "runtime.h"), out("c-runtime"));
    writeFileSync(path.join(dir, "memory_layout.h"), out("c", checked.layouts.slice(0, 1)));
    writeFileSync(path.join(dir, "check.c"), out("c-check", checked.layouts.slice(0, 1)));
    for (const [file, extra] of [
      ["runtime.h", []],
      ["check.c", ["-include", "memory_layout.h"]],
    ] as const) {
      const flags = ["-std=c11", ...WARNINGS, "-trigraphs", ...extra, "-x", "c", file];
      expect(run("gcc", ["-fsyntax-only", ...flags], dir).stderr).toBe("");
      expect(run("gcc", ["-E", "-dD", ...flags], dir).stdout).not.toContain("PWNED");
    }
    expect(out("c-runtime")).toContain("U+XXXX stands for");
  });

  it.skipIf(!RUSTC)("rust-runtime compiles, and keeps the variant's name exactly", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "runtime.rs"), out("rust-runtime"));
    writeFileSync(
      path.join(dir, "main.rs"),
      '#[allow(dead_code)]\nmod runtime;\nfn main() {\n    for v in runtime::Variant::ALL {\n        println!("{}", v.name());\n    }\n}\n',
    );
    const rc = run("rustc", ["--edition", "2021", "-D", "warnings", "main.rs", "-o", "main"], dir);
    expect(rc.stderr).toBe("");
    expect(run(path.join(dir, "main"), []).stdout).toBe('x*/y\nq"\u202e\n');
  });

  it("rust-check keeps the marker in comments", () => {
    const text = out("rust-check", checked.layouts.slice(0, 1));
    for (const line of text.split("\n").filter((l) => l.includes("PWNED")))
      expect(line).toMatch(/^\/\/!? /);
  });
});
