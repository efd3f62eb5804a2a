/** Variant axes: the product, `when`, `exclude`, naming and selection, and their mistakes. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSpec } from "../../src/compiler/parse.js";
import { resolve } from "../../src/compiler/resolve/index.js";

const resolved = (text: string, variant?: string) => {
  const parsed = parseSpec(text, "t.layout");
  expect(parsed.diagnostics).toEqual([]);
  return resolve(parsed.value.ast, { variant });
};

/** Each variant's name and its regions in order; no diagnostics. */
function expand(text: string, variant?: string): [string | null, string[]][] {
  const r = resolved(text, variant);
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return r.value.map((l) => [l.variant, l.regions.map((x) => x.name)]);
}

const errors = (text: string, variant?: string): string[][] =>
  resolved(text, variant).diagnostics.map((d) => [d.code, d.message]);

const spec = [
  "layout t",
  "paging 4",
  "0 +128TB user { user }",
  "axis paging {",
  '  variant "la48" { ffff800000000000 +1TB a48 }',
  '  variant "la57" { ffff800000000000 +2TB a57 }',
  "}",
  "axis sanitizer {",
  '  variant "plain" {}',
  '  variant "kasan" { ffff900000000000 +1TB kasan }',
  '  variant "kmsan" { ffff900000000000 +2TB kmsan }',
  "}",
  'when "kasan+la57" { ffffa00000000000 +1TB la57_kasan }',
  'exclude "la57+kmsan" "KMSAN needs LA48"',
  "ffffff0000000000 +1TB kernel",
].join("\n");

describe("axes", () => {
  it("the variants are the product, first axis outermost, named by their values joined with +", () => {
    expect(expand(spec)).toEqual([
      ["la48+plain", ["user", "a48", "kernel"]],
      ["la48+kasan", ["user", "a48", "kasan", "kernel"]],
      ["la48+kmsan", ["user", "a48", "kmsan", "kernel"]],
      ["la57+plain", ["user", "a57", "kernel"]],
      ["la57+kasan", ["user", "a57", "kasan", "la57_kasan", "kernel"]],
    ]);
  });

  it("top-level variants are one more axis, so a flat spec keeps its names", () => {
    const flat = [
      "layout t",
      "paging 4",
      'variant "pti" { ffff800000000000 +1TB p }',
      'variant "nopti" {}',
      'axis x { variant "a" {}; variant "b" { ffff900000000000 +1TB b } }',
    ].join("\n");
    expect(expand(flat).map(([name]) => name)).toEqual(["pti+a", "pti+b", "nopti+a", "nopti+b"]);
  });

  it("a `when` nested in a value applies where both hold", () => {
    const nested = [
      "layout t",
      "paging 4",
      "axis p {",
      '  variant "la48" { when "kasan" { ffff900000000000 +1TB shadow48 } }',
      '  variant "la57" {}',
      "}",
      'axis s { variant "plain" {}; variant "kasan" {} }',
    ].join("\n");
    expect(expand(nested)).toEqual([
      ["la48+plain", []],
      ["la48+kasan", ["shadow48"]],
      ["la57+plain", []],
      ["la57+kasan", []],
    ]);
  });

  it("a `when` in a region's body adds children where it holds (memory.rst's bracketed rows)", () => {
    const carved = [
      "layout t",
      "paging aarch64_4k_48",
      'axis s { variant "plain" {}; variant "kasan" {} }',
      "ffff000000000000 +128TB linear {",
      "  perm rw",
      '  when "kasan" {',
      "    ffff600000000000 +32TB shadow { perm rw }",
      '    when "plain" { ffff600000000000 +4KB never }',
      "  }",
      "  ffff7fffffff0000 +64KB last",
      "}",
    ].join("\n");
    expect(expand(carved)).toEqual([
      ["plain", ["linear", "last"]],
      ["kasan", ["linear", "shadow", "last"]],
    ]);
    const kasan = resolved(carved, "kasan").value[0]!;
    expect(kasan.regions.find((r) => r.name === "shadow")!.parent).toBe("linear");
    expect(errors(carved.replace('when "kasan"', 'when "kasn"'))[0]![0]).toBe("E0136");
  });

  it("docs/language.md's arm64 example: the shadow is a child of the linear map with KASAN only", () => {
    const doc = readFileSync(new URL("../../docs/language.md", import.meta.url), "utf8");
    const example = /### Nested regions[\s\S]*?```\n([\s\S]*?)```/.exec(doc)![1]!;
    expect(expand(example)).toEqual([
      ["plain", ["user", "noncanonical_0001000000000000", "linear", "modules"]],
      ["kasan", ["user", "noncanonical_0001000000000000", "linear", "kasan_shadow", "modules"]],
    ]);
  });

  it("--variant takes the full name, its values in any order, or a part naming one variant", () => {
    expect(expand(spec, "la57+kasan").map(([n]) => n)).toEqual(["la57+kasan"]);
    expect(expand(spec, "kasan+la57").map(([n]) => n)).toEqual(["la57+kasan"]);
    expect(expand(spec, "kmsan").map(([n]) => n)).toEqual(["la48+kmsan"]);
  });

  it("--variant naming several, none or an excluded combination is E0106", () => {
    expect(errors(spec, "kasan")).toEqual([
      ["E0106", '"kasan" is in 2 variants: "la48+kasan", "la57+kasan"'],
    ]);
    expect(errors(spec, "la57+kmsan")).toEqual([
      ["E0106", 'the variants holding "la57+kmsan" are excluded'],
    ]);
    expect(errors(spec, "la58")).toEqual([["E0106", 'spec has no variant "la58"']]);
  });

  it("an item two combining values both declare is defined twice (E0102)", () => {
    const clash = spec.replace("+2TB kmsan", "+2TB a48");
    expect(errors(clash)).toEqual([["E0102", "`a48` is defined twice"]]);
  });

  it("a value named twice, in one axis or two, is E0102; a value with + is E0135", () => {
    expect(errors(spec.replace('"kmsan" {', '"la48" {'))).toContainEqual([
      "E0102",
      'variant "la48" is defined twice',
    ]);
    expect(errors(spec.replace('"plain"', '"a+b"'))).toContainEqual([
      "E0135",
      'variant "a+b" cannot be an axis value',
    ]);
  });

  it("an axis holding other items, or none, and a nested axis or exclude are E0135", () => {
    const text = (body: string): string => `layout t\npaging 4\naxis a { ${body} }`;
    expect(errors(text("ffff800000000000 +1TB r"))).toEqual([
      ["E0135", "`region` is not allowed in an axis"],
      ["E0135", "axis `a` has no variants"],
    ]);
    expect(errors(text('variant "x" { exclude "x" }'))).toEqual([
      ["E0135", "`exclude` is allowed only at top level"],
    ]);
  });

  it("axes that multiply out to more than 1024 variants are E0135, before any is built", () => {
    const axes = Array.from(
      { length: 11 },
      (_, i) => `axis a${i} { variant "x${i}" {}; variant "y${i}" {} }`,
    );
    expect(errors(`layout t\npaging 4\n${axes.join("\n")}`)).toEqual([
      ["E0135", "the axes make 2048 variants, more than 1024"],
    ]);
  });

  it("`when` or `exclude` naming an unknown value, two of one axis, or no variant is E0136", () => {
    expect(errors(spec.replace('when "kasan+la57"', 'when "kasn"'))).toEqual([
      ["E0136", 'no axis has a variant "kasn"'],
    ]);
    expect(errors(spec.replace('exclude "la57+kmsan"', 'exclude "la48+la57"'))).toEqual([
      ["E0136", '"la48" and "la57" are values of the same axis'],
    ]);
    expect(errors(spec.replace('when "kasan+la57"', 'when "kmsan+la57"'))).toEqual([
      ["E0136", 'no variant combines "kmsan+la57"'],
    ]);
    expect(errors(`${spec}\nexclude "la48"\nexclude "la57"`)).toEqual([
      ["E0136", 'no variant combines "kasan+la57"'],
    ]);
  });
});
