/** The fuzzers' harness: it must see every kind of failure it claims to detect. */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, test } from "vitest";
import { RUN_BOUND_MS, type RunResult, Sandbox, problems } from "./sandbox.js";

const files = { "a.layout": "0123456789" };
type Completed = Extract<RunResult, { ok: true }>;
const ok = (diagnostics: Completed["diagnostics"]): Completed => ({
  ok: true,
  ms: 1,
  layouts: 0,
  diagnostics,
  broken: [],
});
const d = (code: string, span: { file: string; start: number; end: number } | null) => ({
  code,
  severity: "error",
  message: "m",
  span,
  labels: [],
});

describe("problems()", () => {
  test("accepts catalogued codes with spans inside the text, up to its end", () => {
    expect(problems(files, ok([d("E0001", { file: "a.layout", start: 10, end: 10 })]))).toEqual([]);
  });
  test("reports exceptions, hangs and slow runs", () => {
    expect(problems(files, { ok: false, ms: 1, error: "TypeError: x" })[0]).toMatch(/exception/);
    expect(problems(files, { ok: "hang", ms: 20_000 })[0]).toMatch(/hang/);
    expect(problems(files, { ...ok([]), ms: RUN_BOUND_MS + 1 })[0]).toMatch(/took/);
  });
  test("reports unknown codes, missing spans and spans outside the text or in other files", () => {
    const bad = problems(
      files,
      ok([
        d("E9999", { file: "a.layout", start: 0, end: 1 }),
        d("E0001", null),
        d("E0001", { file: "a.layout", start: 5, end: 11 }),
        d("E0001", { file: "a.layout", start: 3, end: 2 }),
        d("E0001", { file: "a.layout", start: -1, end: 0 }),
        d("E0001", { file: "b.layout", start: 0, end: 0 }),
        {
          ...d("E0001", { file: "a.layout", start: 0, end: 0 }),
          labels: [{ file: "a.layout", start: 0, end: 99 }],
        },
      ]),
    );
    expect(bad).toHaveLength(7);
  });
  test("reports what the operation found broken, and checks spans in the files it produced", () => {
    const spec = { "a.txt.layout": "0123" };
    const span = { file: "a.txt.layout", start: 0, end: 4 };
    expect(problems(files, { ...ok([]), broken: ["not idempotent"] })).toEqual(["not idempotent"]);
    expect(problems(files, { ...ok([d("E0201", span)]), produced: spec })).toEqual([]);
    expect(problems(files, ok([d("E0201", span)]))).toHaveLength(1);
  });
});

describe("Sandbox", () => {
  const sandbox = new Sandbox();
  const hanging = new Sandbox(new URL("./hang-worker.mjs", import.meta.url), 300);
  afterAll(() => {
    sandbox.close();
    hanging.close();
  });

  test("runs checkSpec on in-memory files, includes too", () => {
    const linux = readFileSync(new URL("../../specs/linux-x86_64.layout", import.meta.url), "utf8");
    const r = sandbox.run({ "specs/linux.layout": linux }, "specs/linux.layout");
    expect(r.ok).toBe(true);
    if (r.ok === true) expect(r.layouts).toBe(2);
    const broken = {
      "x.layout": 'layout x\npaging 4\ninclude "y.layout"\n',
      "y.layout": "0 +4KB ]\n",
    };
    const e = sandbox.run(broken, "x.layout");
    // An included file with errors is reported at the include, its first error as a label.
    expect(
      e.ok === true &&
        e.diagnostics.map((x) => [x.code, x.span?.file, x.labels.map((l) => l?.file)]),
    ).toEqual([["E0121", "x.layout", ["y.layout"]]]);
    expect(problems(broken, e)).toEqual([]);
  });
  test("formats, and imports a table into a checked spec", () => {
    const spec = { "s.layout": "layout s\npaging 4\n0   +4KB  r\n" };
    const formatted = sandbox.run(spec, "s.layout", "format");
    expect(formatted).toMatchObject({ ok: true, diagnostics: [], broken: [] });
    const unparsable = sandbox.run({ "s.layout": "layout s\n0 +4KB ]\n" }, "s.layout", "format");
    expect(unparsable.ok === true && unparsable.diagnostics.map((x) => x.code)).toEqual(["E0004"]);
    const table =
      "| Start | End | Size | Description |\n|---|---|---|---|\n| 0000000000000000 | 0000000000000fff | 4 KB | first page |\n";
    const imported = sandbox.run({ "t.md": table }, "t.md", "import");
    expect(imported.ok === true && Object.keys(imported.produced ?? {})).toEqual(["t.md.layout"]);
    expect(problems({ "t.md": table }, imported)).toEqual([]);
    const none = sandbox.run({ "n.txt": "no table here" }, "n.txt", "import");
    expect(none.ok === true && none.diagnostics.map((x) => x.code)).toEqual(["E0501"]);
    expect(problems({ "n.txt": "no table here" }, none)).toEqual([]);
  });
  test("reports a hang and recovers with a new worker", () => {
    expect(hanging.run({ "h.layout": "hang" }, "h.layout").ok).toBe("hang");
    expect(hanging.run({ "h.layout": "fine" }, "h.layout").ok).toBe(true);
  });
});
