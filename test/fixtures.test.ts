/**
 * Fixture runner. Every `.layout` under test/fixtures/{diagnostics,seed-mistakes} is checked
 * through the whole front end. A line ending in `//~ CODE [CODE...]`, in the fixture or in a
 * file it includes, expects exactly those diagnostics to start on that line, and no other
 * line may have one. The rendered text
 * (no colour) is compared with the golden `<case>.stderr` beside the fixture; update with
 * `npx vitest run -u` and review the diff.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { renderText } from "../src/diagnostics/render.js";
import { checkSpec } from "../src/pipeline.js";

const ROOT = path.join(import.meta.dirname, "fixtures");
const SUITES = ["diagnostics", "seed-mistakes"];

function expectations(file: string, text: string): string[] {
  const out: string[] = [];
  text.split("\n").forEach((line, i) => {
    const m = /\/\/~\s*((?:[EW]\d{4}\s*)+)$/.exec(line);
    if (m) for (const code of m[1]!.trim().split(/\s+/)) out.push(`${file}:${i + 1}:${code}`);
  });
  return out;
}

for (const suite of SUITES) {
  const dir = path.join(ROOT, suite);
  const cases = readdirSync(dir)
    .filter((f) => f.endsWith(".layout"))
    .sort();
  describe(suite, () => {
    for (const file of cases) {
      it(file, async () => {
        const spec = path.join("test", "fixtures", suite, file);
        const read: string[] = [];
        const checked = checkSpec(spec, {
          readFile: (f) => {
            const text = readFileSync(f, "utf8");
            read.push(...expectations(f, text));
            return text;
          },
        });
        const actual = checked.diagnostics.map((d) => {
          const line = d.span ? checked.sources.get(d.span.file)!.position(d.span.start).line : 0;
          return `${d.span?.file ?? "-"}:${line}:${d.code}`;
        });
        expect(actual.sort()).toEqual([...new Set(read)].sort());
        await expect(
          renderText(checked.diagnostics, checked.sources, { color: false }),
        ).toMatchFileSnapshot(path.join(dir, file.replace(/\.layout$/, ".stderr")));
      });
    }
  });
}
