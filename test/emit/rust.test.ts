/**
 * `--emit rust`: golden modules for every spec; each compiles with
 * `rustc --crate-type lib --edition 2021 -D warnings`; and a small program printing every
 * constant (and every `const fn`, called with the defaults) agrees with `--emit json`.
 *
 * The rustc tests skip, saying so, when rustc is not on PATH.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/pipeline.js";
import type { Layout } from "../../src/model/layout.js";
import { ROOT, goldenPath, vmlayout } from "../cli-helpers.js";

const SPECS = readdirSync(path.join(ROOT, "specs"))
  .filter((f) => f.endsWith(".layout"))
  .sort();

const tmp = (): string => mkdtempSync(path.join(tmpdir(), "vmlayout-rust-"));

function run(cmd: string, args: readonly string[], cwd?: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

const RUSTC = run("rustc", ["--version"]).status === 0;
const withRustc = RUSTC ? it : it.skip;
if (!RUSTC)
  console.warn("test/emit/rust.test.ts: rustc is not on PATH; the rustc tests are skipped");

const built = new Map<string, string>();
function build(spec: string, ...extra: string[]): string {
  const key = [spec, ...extra].join(" ");
  const cached = built.get(key);
  if (cached !== undefined) return cached;
  const r = vmlayout(["build", `specs/${spec}`, "--emit", "rust", ...extra]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  built.set(key, r.stdout);
  return r.stdout;
}

function rustc(dir: string, file: string, ...extra: string[]) {
  return run(
    "rustc",
    [
      "--edition",
      "2021",
      "-D",
      "warnings",
      "--crate-name",
      "memory_layout",
      ...extra,
      file,
      "--out-dir",
      dir,
    ],
    dir,
  );
}

interface JsonDoc {
  regions: { name: string; start: string; end: string; size: string }[];
  parameters: { name: string; default: string; min: string; max: string; align: string }[];
  constants: { name: string; cName: string; value: string }[];
  kaslr: { name: string; rangeStart: string; rangeEnd: string; align: string; members: string[] }[];
}

const screaming = (name: string): string =>
  name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
const upper = (s: string): string =>
  s
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toUpperCase();

/** Every item's value per `--emit json`, by the constant's name (a `const fn`'s in upper case). */
function expected(layout: Layout, doc: JsonDoc): Map<string, bigint> {
  const m = new Map<string, bigint>();
  const exportOf = new Map(layout.regions.map((r) => [r.name, screaming(r.exportName)]));
  for (const r of doc.regions) {
    const e = exportOf.get(r.name)!;
    m.set(`${e}_START`, BigInt(r.start));
    m.set(`${e}_END`, BigInt(r.end));
    m.set(`${e}_SIZE`, BigInt(r.size));
  }
  for (const k of doc.constants) m.set(screaming(k.cName), BigInt(k.value));
  for (const p of doc.parameters) {
    const e = screaming(layout.params.find((x) => x.name === p.name)!.exportName);
    m.set(`${e}_DEFAULT`, BigInt(p.default));
    m.set(`${e}_MIN`, BigInt(p.min));
    m.set(`${e}_MAX`, BigInt(p.max));
    m.set(`${e}_ALIGN`, BigInt(p.align));
  }
  for (const k of doc.kaslr) {
    m.set(`KASLR_${upper(k.name)}_START`, BigInt(k.rangeStart));
    m.set(`KASLR_${upper(k.name)}_END`, BigInt(k.rangeEnd));
    m.set(`KASLR_${upper(k.name)}_ALIGN`, BigInt(k.align));
    for (const member of k.members)
      m.set(
        `${exportOf.get(member)}_BASE_DEFAULT`,
        BigInt(doc.regions.find((r) => r.name === member)!.start),
      );
  }
  return m;
}

/** The default of each `const fn` argument: a parameter, or a KASLR base. */
function defaults(layout: Layout): Map<string, string> {
  const m = new Map(layout.params.map((p) => [p.name, `${screaming(p.exportName)}_DEFAULT`]));
  for (const k of layout.kaslr)
    for (const member of k.members) {
      const e = screaming(layout.regions.find((r) => r.name === member.name)!.exportName);
      m.set(`${e}_base`.toLowerCase(), `${e}_BASE_DEFAULT`);
    }
  return m;
}

/** `println!` lines for every `pub const` and `pub const fn` in `source`, under `prefix`. */
function prints(source: string, prefix: string, args: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [, name] of source.matchAll(/^\s*pub const (\w+): u64 =/gm))
    out.push(`    println!("{} {}", "${name}", ${prefix}${name});`);
  for (const [, name, params] of source.matchAll(/^\s*pub const fn (\w+)\(([^)]*)\) -> u64/gm)) {
    const values = params!
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "")
      .map((p) => `${prefix}${args.get(p.split(":")[0]!.trim())!}`);
    out.push(
      `    println!("{} {}", "${name!.toUpperCase()}", ${prefix}${name}(${values.join(", ")}));`,
    );
  }
  return out;
}

function parse(out: string): Map<string, bigint> {
  return new Map(
    out
      .trim()
      .split("\n")
      .map((l) => {
        const [n, v] = l.split(" ");
        return [n!, BigInt(v!)];
      }),
  );
}

const hex = (m: ReadonlyMap<string, bigint>): Record<string, string> =>
  Object.fromEntries([...m].map(([k, v]) => [k, "0x" + v.toString(16)]));

describe("--emit rust", () => {
  for (const spec of SPECS) {
    it(`${spec}: matches the golden module`, async () => {
      await expect(build(spec)).toMatchFileSnapshot(goldenPath(spec, "rs"));
    });
  }

  it("is byte-identical run to run and names the spec relative to the working directory", () => {
    const a = vmlayout([
      "build",
      path.join(ROOT, "specs", "solaris-amd64.layout"),
      "--emit",
      "rust",
    ]).stdout;
    expect(build("solaris-amd64.layout")).toBe(a);
    expect(a).toContain("Generated by vmlayout, do not edit");
    expect(a).toContain("`vmlayout build specs/solaris-amd64.layout --emit rust -o FILE`");
    expect(a).not.toContain(ROOT);
  });

  it("two variants whose modules would have one name are E0301 at both variants", () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, "v.layout"),
      'layout v\nvariant "a-b" { paging 4 }\nvariant "a_b" { paging 5 }\n',
    );
    const r = vmlayout(["build", "v.layout", "--emit", "rust"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'v.layout:3:9: error[E0301]: cannot emit a Rust module for `v`: `a_b` would name both the module of variant "a-b" and the module of variant "a_b"',
    );
    expect(r.stderr).toContain('the module of variant "a-b" is `a_b`');
    expect(r.stderr).toContain("help: rename one of the variants");
  });

  it("gives one module per variant", () => {
    const all = build("linux-x86_64.layout");
    expect(all).toContain("pub mod variant_4_level {");
    expect(all).toContain("pub mod variant_5_level {");
    expect(build("linux-x86_64.layout", "--variant", "4-level")).not.toContain("pub mod");
  });

  for (const spec of SPECS)
    withRustc(`${spec}: compiles warning-free, and every item equals --emit json`, () => {
      const dir = tmp();
      const source = build(spec);
      writeFileSync(path.join(dir, "memory_layout.rs"), source);
      const lib = rustc(dir, "memory_layout.rs", "--crate-type", "lib");
      expect(lib.stderr).toBe("");
      expect(lib.status).toBe(0);

      const checked = checkSpec(path.join(ROOT, "specs", spec));
      const json = JSON.parse(vmlayout(["build", `specs/${spec}`, "--emit", "json"]).stdout) as
        JsonDoc | JsonDoc[];
      const docs = Array.isArray(json) ? json : [json];
      // One module per variant in the file, or the file itself.
      const modules = checked.layouts.map((layout) => {
        if (layout.variant === null) return { layout, prefix: "memory_layout::", text: source };
        // The module after the variant's doc comment (its name is the variant's, made an
        // identifier: `4-level` is `variant_4_level`).
        const doc = source.indexOf(`/// Variant "${layout.variant}":`);
        const [decl, name] = /pub mod (\w+) \{/.exec(source.slice(doc))!;
        const start = source.indexOf(decl, doc);
        const end = source.indexOf("\n}\n", start);
        return { layout, prefix: `memory_layout::${name}::`, text: source.slice(start, end) };
      });
      const main = [
        "mod memory_layout;",
        "fn main() {",
        ...modules.flatMap((m, i) => [
          `    println!("-- {}", ${i});`,
          ...prints(m.text, m.prefix, defaults(m.layout)),
        ]),
        "}",
        "",
      ].join("\n");
      writeFileSync(path.join(dir, "main.rs"), main);
      // The binary uses only some items of the module, so dead code is allowed here.
      const bin = run(
        "rustc",
        ["--edition", "2021", "-A", "dead_code", "main.rs", "-o", "print"],
        dir,
      );
      expect(bin.stderr).toBe("");
      expect(bin.status).toBe(0);
      const sections = run(path.join(dir, "print"), [])
        .stdout.split(/^-- \d+\n/m)
        .slice(1);
      expect(sections).toHaveLength(modules.length);
      modules.forEach((m, i) => {
        expect(hex(parse(sections[i]!)), m.layout.variant ?? spec).toEqual(
          hex(expected(m.layout, docs[i]!)),
        );
      });
    });

  withRustc(
    "a bound under align_up or min/max is left out, said so, and the module still compiles",
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
          'const top = align_up(p, 2MB) export TOP "slack constant"',
          "",
        ].join("\n"),
      );
      const r = vmlayout(["build", "slack.layout", "--emit", "rust", "-o", "memory_layout.rs"], {
        cwd: dir,
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const lib = rustc(dir, "memory_layout.rs", "--crate-type", "lib");
      expect(lib.stderr).toBe("");
      expect(lib.status).toBe(0);
    },
  );

  withRustc("--variant modules compile warning-free", () => {
    for (const variant of ["4-level", "5-level"]) {
      const dir = tmp();
      writeFileSync(
        path.join(dir, "memory_layout.rs"),
        build("linux-x86_64.layout", "--variant", variant),
      );
      const r = rustc(dir, "memory_layout.rs", "--crate-type", "lib");
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
  });
});
