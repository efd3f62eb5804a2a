/**
 * src/pipeline.ts: the one orchestration (check -> emit, check -> pick variant -> install ->
 * audit) returns every stage's findings as values; only an internal bug throws.
 */
import { describe, expect, it } from "vitest";
import { checkSpec, emitSpec, installSpec } from "../src/pipeline.js";
import type { ReadFile } from "../src/compiler/load.js";

const TWO_VARIANTS = `layout two "two paging modes"
variant "4-level" {
  paging 4
}
variant "5-level" {
  paging 5
}
ffff888000000000 +1TB direct_map "all RAM" { map ram; perm rw; global }
`;

const OVERLAP = `layout bad
paging 4
ffff888000000000 +2TB a
ffff888000000000 +1TB b
`;

/** `files` as the file system; ENOENT (a Node.js error) for any other path. */
function inMemory(files: Record<string, string>): ReadFile {
  return (file) => {
    if (Object.hasOwn(files, file)) return files[file]!;
    throw Object.assign(new Error(`ENOENT: open '${file}'`), { code: "ENOENT" });
  };
}

describe("load stage", () => {
  it("reports a spec that cannot be read as E0010, without a span", () => {
    const checked = checkSpec("missing.layout", { readFile: inMemory({}) });
    expect(checked.layouts).toEqual([]);
    expect(checked.diagnostics.map((d) => [d.code, d.message, d.span])).toEqual([
      ["E0010", "cannot read `missing.layout`: no such file", undefined],
    ]);
  });

  it("lets a reader's bug through as a bug, not as a file that cannot be read", () => {
    const buggy: ReadFile = () => {
      throw new TypeError("reader bug");
    };
    expect(() => checkSpec("any.layout", { readFile: buggy })).toThrow("reader bug");
  });

  it("reports each spec at its own path on disk", () => {
    const checked = checkSpec("test/fixtures/no-such-dir/x.layout");
    expect(checked.diagnostics.map((d) => d.code)).toEqual(["E0010"]);
  });
});

describe("emitSpec", () => {
  it("emits every variant, as a JSON array, unless one is picked", () => {
    const readFile = inMemory({ "two.layout": TWO_VARIANTS });
    const all = emitSpec("two.layout", "json", { readFile });
    expect(all.diagnostics).toEqual([]);
    expect(JSON.parse(all.value!).map((d: { variant: string }) => d.variant)).toEqual([
      "4-level",
      "5-level",
    ]);
    const one = emitSpec("two.layout", "json", { readFile, variant: "5-level" });
    expect(JSON.parse(one.value!)).toMatchObject({ variant: "5-level" });
  });

  it("gives no text for a spec with errors, whose diagnostics are the check's", () => {
    const emitted = emitSpec("bad.layout", "c", { readFile: inMemory({ "bad.layout": OVERLAP }) });
    expect(emitted.value).toBeUndefined();
    expect(emitted.diagnostics).toEqual([]);
    expect(emitted.checked.diagnostics.map((d) => d.code)).toContain("E0201");
  });

  it("returns an emitter's refusal (E03xx) as a diagnostic", () => {
    const clash = `layout t\npaging 4\nconst x = 0x1000 export FOO_START\nffff888000000000 +1TB foo\n`;
    const emitted = emitSpec("t.layout", "c", { readFile: inMemory({ "t.layout": clash }) });
    expect(emitted.value).toBeUndefined();
    expect(emitted.diagnostics.map((d) => d.code)).toEqual(["E0301"]);
  });
});

describe("installSpec", () => {
  const readFile = inMemory({ "two.layout": TWO_VARIANTS, "bad.layout": OVERLAP });

  it("installs and audits the one variant picked", () => {
    const r = installSpec("two.layout", { readFile, variant: "5-level", boot: { ram: 1n << 30n } });
    expect(r.picked).toMatchObject({ kind: "one" });
    expect(r.installed?.diagnostics).toEqual([]);
    expect(r.installed?.value?.levels).toBe(5);
    expect(r.audited?.value.ok).toBe(true);
    const walk = r.installed!.value!.mmu(0).probe(0xffff888000001234n, {
      write: false,
      user: false,
      fetch: false,
    });
    expect(walk).toMatchObject({ ok: true, pa: 0x1234n });
  });

  it("installs nothing when several variants are left to pick from", () => {
    const r = installSpec("two.layout", { readFile });
    expect(r.picked).toEqual({ kind: "several", variants: ["4-level", "5-level"] });
    expect(r.installed).toBeUndefined();
    expect(r.audited).toBeUndefined();
  });

  it("stops after a check with errors", () => {
    const r = installSpec("bad.layout", { readFile });
    expect(r.picked).toEqual({ kind: "none" });
    expect(r.installed).toBeUndefined();
  });

  it("skips the audit when asked, and keeps to the table-frames limit", () => {
    const r = installSpec("two.layout", {
      readFile,
      variant: "4-level",
      audit: false,
      limits: { tableFrames: 2 },
    });
    expect(r.audited).toBeUndefined();
    expect(r.installed?.value).toBeUndefined();
    expect(r.installed?.diagnostics.map((d) => d.code)).toEqual(["E0411"]);
  });
});
