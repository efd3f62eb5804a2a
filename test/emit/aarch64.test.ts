/**
 * An AArch64 spec through every emitter (test/fixtures/aarch64/arm64.layout: one variant each
 * of the 4K, 16K and 64K granules):
 *
 *   - golden files of every format;
 *   - the C header's static asserts follow the TTBR halves, not sign extension: the linear map
 *     at 0xffff000000000000 (which bit 47 would call non-canonical) is checked to be in a half,
 *     and the header fails to compile when a region is moved out of its half or the gap is
 *     moved into one;
 *   - gcc compiles the header (C11, every variant) and the c-runtime header, and a program
 *     prints every value of every variant, equal to `--emit json`'s; rustc the same for
 *     rust-runtime; c-check and rust-check (one variant each) compile against the header and
 *     the Rust module;
 *   - the prose says the granule and "per half", never the doubled "48-bit VA, 48-bit virtual
 *     addresses"; the tables and the picture measure a half as 2^VA bytes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/pipeline.js";
import { EMITTERS } from "../../src/compiler/emit/registry.js";
import { ROOT, goldenPath, vmlayout } from "../cli-helpers.js";
import { type JsonDoc, expectedValues, upper } from "./json-values.js";

const SPEC = "test/fixtures/aarch64/arm64.layout";
const VARIANTS = ["4k-48", "16k-47", "64k-52"];

function run(cmd: string, args: readonly string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

const GCC = run("gcc", ["--version"]).status === 0;
const RUSTC = run("rustc", ["--version"]).status === 0;
if (!GCC) console.warn("test/emit/aarch64.test.ts: gcc is not on PATH; the C tests are skipped");
if (!RUSTC)
  console.warn("test/emit/aarch64.test.ts: rustc is not on PATH; the Rust tests are skipped");

const WARNINGS = ["-Wall", "-Wextra", "-Werror", "-pedantic", "-Wundef"];
const tmp = (): string => mkdtempSync(path.join(tmpdir(), "vmlayout-aarch64-"));

function build(format: string, ...extra: string[]): string {
  const r = vmlayout(["build", SPEC, "--emit", format, ...extra]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

const layouts = () => checkSpec(path.join(ROOT, SPEC)).layouts;
const docs = (): JsonDoc[] => JSON.parse(build("json")) as JsonDoc[];

describe("an AArch64 spec: golden files of every format", () => {
  for (const e of EMITTERS) {
    if (e.variants === "checks") continue;
    // `c-runtime`'s is `arm64.runtime.h`, as test/emit/registry.test.ts names them.
    const name = e.format.includes("-") ? `${e.format.split("-")[1]}.${e.extension}` : e.extension;
    it(e.format, async () => {
      await expect(build(e.format)).toMatchFileSnapshot(goldenPath(SPEC, name));
    });
  }
  it("the spec checks clean, and JSON names the granule and the VA bits of each variant", () => {
    expect(vmlayout(["check", SPEC, "--deny-warnings"]).status).toBe(0);
    const paging = (docs() as unknown as { paging: unknown }[]).map((d) => d.paging);
    expect(paging).toEqual([
      { arch: "aarch64", granule: 4, levels: 4, vaBits: 48 },
      { arch: "aarch64", granule: 16, levels: 3, vaBits: 47 },
      { arch: "aarch64", granule: 64, levels: 3, vaBits: 52 },
    ]);
  });
});

describe("the prose of every emitter", () => {
  it("names the granule and the halves once", () => {
    for (const format of ["c", "c-runtime", "rust", "rust-runtime", "md", "svg"]) {
      const text = build(format);
      expect(text, format).toContain("AArch64 64K granule");
      expect(text, format).toContain("52-bit virtual addresses per half");
      expect(text, format).not.toMatch(/-bit VA, \d+-bit virtual/);
    }
  });
  it("install's summary names the granule once", () => {
    const r = vmlayout(["install", SPEC, "--variant", "64k-52"]);
    expect(r.stdout.split("\n")[0]).toBe("arm64 (64k-52): AArch64 64K granule, 52-bit addresses");
  });
  it("a half is 2^VA bytes: the SVG's strip measures 256 TB, 128 TB and 4 PB", () => {
    expect(build("svg")).toContain("a canonical half (256 TB / 128 TB / 4 PB)");
  });
});

// ---------------------------------------------------------------- C header

describe.skipIf(!GCC)("--emit c: the TTBR halves in the static asserts", () => {
  const header = () => build("c");
  const compile = (text: string, variant: string, std = "c11") => {
    const dir = tmp();
    writeFileSync(path.join(dir, "arm64.h"), text);
    const define = `-DVMLAYOUT_ARM64_${upper(variant)}`;
    return run("gcc", [`-std=${std}`, ...WARNINGS, define, "-x", "c", "-c", "arm64.h"], dir);
  };

  it("checks the linear map at 0xffff000000000000 in the TTBR1 half, and the gap between", () => {
    const text = header();
    expect(text).toContain("VMLAYOUT_CHECK_TTBR_HALF(LINEAR);");
    expect(text).toContain("VMLAYOUT_CHECK_TTBR_GAP(NONCANONICAL_0001000000000000);");
    expect(text).not.toMatch(/^VMLAYOUT_CHECK_(NON)?CANONICAL\(/m);
  });

  for (const variant of VARIANTS)
    for (const std of ["c99", "c11"])
      it(`compiles warning-free: ${variant}, ${std}`, () => {
        expect(compile(header(), variant, std).stderr).toBe("");
      });

  it("a region moved out of its half no longer compiles", () => {
    // 47 bits: the linear map's 0xffff000000000000 is in neither half.
    const planted = header().replace("#define VMLAYOUT_VA_BITS 48", "#define VMLAYOUT_VA_BITS 47");
    const r = compile(planted, "4k-48");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('"LINEAR: in the TTBR0 or the TTBR1 half"');
  });

  it("a gap moved into the TTBR0 half no longer compiles", () => {
    const planted = header().replace(
      "NONCANONICAL_0001000000000000_START VMLAYOUT_AC(0x0001000000000000, UL)",
      "NONCANONICAL_0001000000000000_START VMLAYOUT_AC(0x0000ff0000000000, UL)",
    );
    const r = compile(planted, "4k-48");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      '"NONCANONICAL_0001000000000000: between the TTBR0 and the TTBR1 half"',
    );
  });

  it("a 64K-granule region is checked on 64 KiB, not 4 KiB", () => {
    expect(header()).toMatch(/VMLAYOUT_CHECK_ALIGNED\(FIXMAP, 0x10000\);/);
  });
});

// ---------------------------------------------------------------- runtime and check formats

/** `NAME VALUE` lines after a `variant` line per variant. */
function parse(out: string): Map<string, bigint>[] {
  const variants: Map<string, bigint>[] = [];
  for (const line of out.trim().split("\n")) {
    const [name, value] = line.split(" ");
    if (name === "variant") variants.push(new Map());
    else variants[variants.length - 1]!.set(name!, BigInt(value!));
  }
  return variants;
}

function expectEveryValue(printed: Map<string, bigint>[]): void {
  const ls = layouts();
  const ds = docs();
  expect(printed).toHaveLength(VARIANTS.length);
  ls.forEach((l, i) => {
    const want = expectedValues(l, ds[i]!);
    expect(printed[i]!.size).toBe(want.size);
    for (const [name, value] of printed[i]!) expect([name, value]).toEqual([name, want.get(name)]);
  });
}

describe.skipIf(!GCC)("--emit c-runtime, compiled by gcc", () => {
  it("prints every value of every variant as --emit json says", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "runtime.h"), build("c-runtime"));
    const variable = "vmlayout_arm64_variant";
    const lines = ["#include <stdio.h>", '#include "runtime.h"', `enum ${variable} ${variable};`];
    lines.push("int main(void) {");
    layouts().forEach((l, i) => {
      lines.push(
        `  ${variable} = VMLAYOUT_ARM64_VARIANT_${upper(l.variant!)};`,
        '  puts("variant");',
      );
      for (const name of expectedValues(l, docs()[i]!).keys())
        lines.push(
          `#if defined(${name})`,
          `  printf("%s %lu\\n", "${name}", ${name});`,
          "#else",
          `  printf("%s %lu\\n", "${name}", ${name}_${upper(l.variant!)});`,
          "#endif",
        );
    });
    lines.push("  return 0;", "}", "");
    writeFileSync(path.join(dir, "print.c"), lines.join("\n"));
    expect(run("gcc", ["-std=c11", ...WARNINGS, "print.c", "-o", "print"], dir).stderr).toBe("");
    expectEveryValue(parse(run(path.join(dir, "print"), []).stdout));
  });

  for (const variant of VARIANTS)
    it(`c-check of ${variant} compiles against the header of that variant`, () => {
      const dir = tmp();
      writeFileSync(path.join(dir, "memory_layout.h"), build("c", "--variant", variant));
      writeFileSync(path.join(dir, "check.c"), build("c-check", "--variant", variant));
      const flags = ["-std=c11", ...WARNINGS, "-include", "memory_layout.h", "-x", "c"];
      expect(run("gcc", ["-fsyntax-only", ...flags, "check.c"], dir).stderr).toBe("");
    });
});

describe.skipIf(!RUSTC)("--emit rust-runtime and rust-check, compiled by rustc", () => {
  const rustc = (dir: string, ...extra: string[]) =>
    run("rustc", ["--edition", "2021", "-D", "warnings", ...extra], dir);

  it("prints every field of every variant's Layout as --emit json says", () => {
    const dir = tmp();
    const source = build("rust-runtime");
    writeFileSync(path.join(dir, "runtime.rs"), source);
    const struct = /^pub struct Layout \{\n([\s\S]*?)^\}/m.exec(source)![1]!;
    // A region only some variants have is an `Option<u64>` field.
    const prints = [...struct.matchAll(/^ {4}pub (\w+): (.+),$/gm)].map(([, f, type]) =>
      type === "u64"
        ? `        println!("${f!.toUpperCase()} {}", l.${f});`
        : `        if let Some(v) = l.${f} { println!("${f!.toUpperCase()} {}", v); }`,
    );
    writeFileSync(
      path.join(dir, "main.rs"),
      [
        "#[allow(dead_code)]",
        "mod runtime;",
        "fn main() {",
        "    for variant in runtime::Variant::ALL {",
        "        let l = variant.layout();",
        '        println!("variant");',
        ...prints,
        "    }",
        "}",
        "",
      ].join("\n"),
    );
    expect(rustc(dir, "main.rs", "-o", "main").stderr).toBe("");
    expectEveryValue(parse(run(path.join(dir, "main"), []).stdout));
  });

  for (const variant of VARIANTS)
    it(`rust-check of ${variant} compiles against the Rust module of that variant`, () => {
      const dir = tmp();
      writeFileSync(path.join(dir, "layout.rs"), build("rust", "--variant", variant));
      // The check names the constants as the kernel's crate sees them: here, `layout`'s.
      const check = build("rust-check", "--variant", variant);
      writeFileSync(path.join(dir, "check.rs"), `${check}\nuse crate::layout::*;\n`);
      writeFileSync(
        path.join(dir, "main.rs"),
        "#[allow(dead_code)]\nmod layout;\nmod check;\n\nfn main() {}\n",
      );
      expect(rustc(dir, "main.rs", "-o", "main").stderr).toBe("");
    });
});
