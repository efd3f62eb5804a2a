/**
 * The emitter registry (src/compiler/emit/registry.ts): one entry per format serves the
 * library's `emit`, `vmlayout build` (names, aliases, help) and the fuzzers; and every emitter
 * honours `everyVariant`, each by its variant policy.
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { EMITTERS, type VariantPolicy, emitterNamed } from "../../src/compiler/emit/registry.js";
import { EMIT_FORMATS, emit } from "../../src/index.js";
import { checkSpec } from "../../src/pipeline.js";
import { ROOT, goldenPath, vmlayout } from "../cli-helpers.js";

const linux = checkSpec(path.join(ROOT, "specs", "linux-x86_64.layout"));
const [fourLevel] = linux.layouts;

describe("emitter registry", () => {
  it("names every format and alias once", () => {
    const names = EMITTERS.flatMap((e) => [e.format, ...e.aliases]);
    expect(new Set(names).size).toBe(names.length);
    expect(EMIT_FORMATS).toEqual([
      "c",
      "c-runtime",
      "rust",
      "rust-runtime",
      "c-check",
      "rust-check",
      "md",
      "ascii",
      "svg",
      "json",
    ]);
    for (const e of EMITTERS)
      for (const name of [e.format, ...e.aliases, e.format.toUpperCase()])
        expect(emitterNamed(name)?.format).toBe(e.format);
    expect(emitterNamed("jsn")).toBeUndefined();
  });

  it("`build --help` lists every format with its aliases and description", () => {
    const help = vmlayout(["build", "--help"]).stdout;
    expect(help).toContain(`--emit ${EMIT_FORMATS.join("|")} `);
    for (const e of EMITTERS) {
      const line = help.split("\n").find((l) => l.trimStart().startsWith(`${e.format} `));
      expect(line, e.format).toContain(e.description);
      for (const alias of e.aliases) expect(line).toContain(alias);
    }
  });

  it("every format has a golden file for every spec, named by its extension", () => {
    const specs = readdirSync(path.join(ROOT, "specs")).filter((f) => f.endsWith(".layout"));
    // `c-runtime`'s is `<spec>.runtime.h`: a second format of one extension is told by its kind.
    const name = (e: (typeof EMITTERS)[number]): string =>
      e.format.includes("-") ? `${e.format.split("-")[1]}.${e.extension}` : e.extension;
    for (const e of EMITTERS)
      for (const spec of specs) {
        const golden = goldenPath(spec, name(e));
        expect(existsSync(golden), golden).toBe(true);
      }
  });

  it("`--emit` takes an alias in any case", () => {
    const byAlias = vmlayout(["build", "specs/gaybsd-amd64.layout", "--emit", "MM.RST"]);
    const byName = vmlayout(["build", "specs/gaybsd-amd64.layout", "--emit", "ascii"]);
    expect(byAlias.status).toBe(0);
    expect(byAlias.stdout).toBe(byName.stdout);
  });

  describe("every variant, or one", () => {
    /** The text, or the codes of the diagnostics that refused to write one. */
    const every = (format: (typeof EMIT_FORMATS)[number]): string => {
      const r = emit(linux.layouts, format, { everyVariant: true });
      return r.value ?? r.diagnostics.map((d) => d.code).join(" ");
    };
    const one = (format: (typeof EMIT_FORMATS)[number]): string =>
      emit([fourLevel!], format, { everyVariant: false }).value!;

    /** What each policy means, checked with Linux's "4-level" and "5-level". */
    const HOLDS: Record<VariantPolicy, (every: string, one: string) => void> = {
      array: (every, one) => {
        expect(JSON.parse(every)).toHaveLength(2);
        expect(Array.isArray(JSON.parse(one))).toBe(false);
      },
      selectable: (every, one) => {
        expect(
          every.match(/^#(el)?if defined\(VMLAYOUT_LINUX_X86_64_\d_LEVEL\)$/gm),
        ).not.toBeNull();
        expect(one).not.toMatch(/defined\(VMLAYOUT_/);
      },
      modules: (every, one) => {
        expect(every.match(/^pub mod variant_\d_level \{$/gm)).toHaveLength(2);
        expect(one).not.toContain("pub mod");
      },
      runtime: (every, one) => {
        expect(every).toMatch(/^(enum vmlayout_linux_x86_64_variant|pub enum Variant) \{$/m);
        expect(one).not.toMatch(/^(enum vmlayout_|pub enum Variant)/m);
      },
      // Without a map, the variants' values of one name differ: E0307 (test/emit/check.test.ts).
      checks: (every, one) => {
        expect(every).toBe("E0307");
        expect(one).toMatch(/^(\/\*|\/\/) variant "4-level"( \*\/)?$/m);
      },
      sections: (every, one) => {
        for (const v of ["4-level", "5-level"]) expect(every).toContain(v);
        expect(one).toContain("4-level");
        expect(one).not.toContain("5-level");
      },
    };
    for (const e of EMITTERS)
      it(`${e.format} holds every variant as its policy (${e.variants}) says`, () =>
        HOLDS[e.variants](every(e.format), one(e.format)));

    it("json (array): an array of documents, or one document", () => {
      expect(JSON.parse(every("json")).map((d: { variant: string }) => d.variant)).toEqual([
        "4-level",
        "5-level",
      ]);
      expect(JSON.parse(one("json")).variant).toBe("4-level");
    });

    it("c (selectable): a selector macro per variant, or none", () => {
      expect(every("c")).toContain("#if defined(VMLAYOUT_LINUX_X86_64_4_LEVEL)");
      expect(one("c")).not.toContain("VMLAYOUT_LINUX_X86_64_4_LEVEL");
      expect(one("c")).toContain("--emit c --variant 4-level -o FILE");
    });

    it("rust (modules): a module per variant, or none", () => {
      expect(every("rust")).toContain("pub mod variant_4_level {");
      expect(one("rust")).not.toContain("pub mod");
    });

    it("md, ascii and svg (sections): a section per variant under its name, or one titled with it", () => {
      expect(every("md")).toMatch(
        /^# Linux x86-64 virtual memory map\n[^]*\n## 4-level\n[^]*\n## 5-level\n/m,
      );
      expect(one("md")).toContain("\n# Linux x86-64 virtual memory map: 4-level\n");
      expect(one("md")).not.toContain("\n## ");
      expect(every("ascii").match(/^Linux x86-64 virtual memory map: \d-level$/gm)).toHaveLength(2);
      expect(one("ascii").match(/^Linux x86-64 virtual memory map: \d-level$/gm)).toEqual([
        "Linux x86-64 virtual memory map: 4-level",
      ]);
      expect(every("svg")).toContain(">4-level</text>");
      expect(every("svg")).toContain(">5-level</text>");
      expect(one("svg")).toContain(">Linux x86-64 virtual memory map: 4-level</text>");
      expect(one("svg")).not.toContain(">4-level</text>");
    });

    it("the library's default: every variant when there is more than one layout", () => {
      expect(emit(linux.layouts, "json").value).toBe(every("json"));
      expect(emit([fourLevel!], "json").value).toBe(one("json"));
    });
  });
});
