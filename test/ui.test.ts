/**
 * UI tests, after rustc's tests/ui: every `test/ui/<band>/<CODE>-<case>.layout` (and every
 * seed mistake in test/fixtures/seed-mistakes) is run and its rendered diagnostics (no colour)
 * are compared with `<case>.stderr` beside it; `npx vitest run -u` writes a new case's
 * `.stderr`, which is then reviewed.
 *
 * How a case runs is said by its header, the `//` lines it opens with:
 *   - no header: `vmlayout check` through the library (`checkSpec`);
 *   - `// flags: ARGS`: the same, with check options (`--deny-warnings`, `--variant V`,
 *     `--limit NAME=N`);
 *   - `// run: vmlayout ARGS`: the built CLI with ARGS, `$FILE` standing for the case and
 *     `$DIR` for its directory, for the stages past `check` (emit, install, audit, import).
 *
 * Markers: a line ending in `//~ CODE [CODE...]`, in the case or in a file it includes,
 * expects exactly those diagnostics to start on that line, and no other line may have one; a
 * line `//~? CODE [CODE...]` expects diagnostics that point at no line of the case (an
 * installed page table's finding, a line of an imported table).
 *
 * Last, every catalogue code must have been emitted by some case.
 */
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../src/diagnostics/catalogue.js";
import { renderText } from "../src/diagnostics/render.js";
import { type Limits, LIMIT_NAMES } from "../src/limits.js";
import { type CheckOptions, checkSpec } from "../src/pipeline.js";
import { ROOT, vmlayout } from "./cli-helpers.js";

/** Where the cases are: the diagnostic bands, then the seed mistakes. */
const SUITES = [
  ...readdirSync(path.join(ROOT, "test", "ui"), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join("test", "ui", d.name))
    .sort(),
  path.join("test", "fixtures", "seed-mistakes"),
];

/** The codes the cases emitted, collected as they run. */
const emitted = new Set<string>();

interface Header {
  readonly run: readonly string[] | undefined;
  readonly flags: readonly string[];
}

function header(text: string): Header {
  let run: string[] | undefined;
  let flags: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("//")) break;
    const m = /^\/\/\s*(run|flags):\s*(.*?)\s*(?:\/\/~.*)?$/.exec(line);
    if (m?.[1] === "run")
      run = m[2]!.trim().split(/\s+/).slice(1); // without `vmlayout`
    else if (m?.[1] === "flags") flags = m[2]!.trim().split(/\s+/);
  }
  return { run, flags };
}

function checkOptions(flags: readonly string[]): CheckOptions {
  const limits: { -readonly [K in keyof Limits]?: Limits[K] } = {};
  let options: CheckOptions = { limits };
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === "--deny-warnings") options = { ...options, denyWarnings: true };
    else if (flag === "--variant") options = { ...options, variant: flags[++i]! };
    else if (flag === "--limit") {
      const [name, value] = flags[++i]!.split("=");
      limits[LIMIT_NAMES[name!]!] = Number(value);
    } else throw new Error(`unknown flag ${flag}`);
  }
  return options;
}

/** `file:line:CODE` for each `//~` marker in `text`, `?:CODE` for each `//~?`. */
function expectations(file: string, text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    const unplaced = /^\s*\/\/~\?\s*((?:[EW]\d{4}\s*)+)$/.exec(line);
    if (unplaced) {
      for (const code of unplaced[1]!.trim().split(/\s+/)) out.push(`?:${code}`);
      return;
    }
    const m = /\/\/~\s*((?:[EW]\d{4}\s*)+)$/.exec(line);
    if (m) for (const code of m[1]!.trim().split(/\s+/)) out.push(`${file}:${i + 1}:${code}`);
  });
  return out;
}

/** What a library run of `check` rendered, and where its diagnostics point. */
function checkThroughLibrary(spec: string, flags: readonly string[]) {
  const read: string[] = [];
  const checked = checkSpec(spec, {
    ...checkOptions(flags),
    readFile: (f) => {
      const text = readFileSync(f, "utf8");
      read.push(...expectations(f, text));
      return text;
    },
  });
  const actual = checked.diagnostics.map((d) => {
    const line = d.span ? checked.sources.get(d.span.file)!.position(d.span.start).line : 0;
    return `${d.span?.file ?? "?"}:${d.span ? `${line}:` : ""}${d.code}`;
  });
  return {
    expected: read,
    actual,
    messages: checked.diagnostics.map((d) => d.message),
    stderr: renderText(checked.diagnostics, checked.sources, { color: false }),
  };
}

/** What the CLI printed on stderr for `args`, and where its diagnostics point. */
function runCli(spec: string, args: readonly string[]) {
  const dir = path.dirname(spec);
  const argv = args.map((a) => a.replace(/\$FILE/g, spec).replace(/\$DIR/g, dir));
  const { stderr } = vmlayout(argv);
  const actual = [
    ...stderr.matchAll(/^(?:(\S+?):(\d+):\d+: )?(?:error|warning)\[([EW]\d{4})\]/gm),
  ].map(([, file, line, code]) => (file === spec ? `${file}:${line}:${code}` : `?:${code}`));
  const messages = [...stderr.matchAll(/(?:error|warning)\[[EW]\d{4}\]: (.*)$/gm)].map(
    (m) => m[1]!,
  );
  return { expected: expectations(spec, readFileSync(spec, "utf8")), actual, messages, stderr };
}

for (const suite of SUITES) {
  const cases = readdirSync(path.join(ROOT, suite))
    .filter((f) => f.endsWith(".layout"))
    .sort();
  describe(suite, () => {
    for (const file of cases) {
      it(file, async () => {
        const spec = path.join(suite, file);
        const { run, flags } = header(readFileSync(path.join(ROOT, spec), "utf8"));
        const result = run ? runCli(spec, run) : checkThroughLibrary(spec, flags);
        const codes = result.actual.map((a) => a.slice(a.lastIndexOf(":") + 1));
        for (const code of codes) emitted.add(code);
        if (suite.startsWith(path.join("test", "ui"))) {
          // `<CODE>-<case>.layout` in the directory of CODE's band, and it emits CODE.
          expect(file).toMatch(new RegExp(`^${path.basename(suite)}\\d\\d-[a-z0-9-]+\\.layout$`));
          expect(codes).toContain(file.slice(0, 5));
        }
        expect(result.actual.sort()).toEqual([...new Set(result.expected)].sort());
        // The house style of messages: lowercase (acronyms aside), no final period.
        for (const message of result.messages) expect(message).not.toMatch(/^[A-Z][a-z]|\.$/);
        await expect(result.stderr).toMatchFileSnapshot(
          path.join(ROOT, suite, file.replace(/\.layout$/, ".stderr")),
        );
      });
    }
  });
}

/**
 * Codes no case can show, with the test that does: the CLI reports them as a usage error
 * (exit 2) on one line, without a rendered diagnostic.
 */
const COVERED_ELSEWHERE: Readonly<Record<string, string>> = {
  E0010: "test/pipeline.test.ts and test/cli/check.test.ts (a spec that cannot be read)",
};

describe("the catalogue through the cases", () => {
  it("every code is emitted by a case", () => {
    const missing = CATALOGUE.map((e) => e.code).filter(
      (c) => !emitted.has(c) && !(c in COVERED_ELSEWHERE),
    );
    expect(missing).toEqual([]);
  });
});
