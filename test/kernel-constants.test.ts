/**
 * The committed specs against the kernels' own sources: each fixture in
 * test/fixtures/kernel-constants/ holds constants transcribed from a kernel's headers and
 * startup code (each naming its repository, path and commit), and where a seed document says
 * otherwise, the document's value too. `build --emit json` must put every constant where the
 * kernel does, and never where the document says, when the two differ.
 *
 * A constant names what it is compared with: `REGION.start`, `REGION.end` (inclusive),
 * `REGION.limit` (the first address past it), `REGION.size`, `param:NAME` (a parameter's
 * default) or `const:NAME`; `variant` is a variant's name, `*` for every one, `-` for a spec
 * without variants.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, vmlayout } from "./cli-helpers.js";

interface Constant {
  name: string;
  variant: string;
  source: string;
  spec: string;
  value: string;
  document?: string;
}

interface Fixture {
  spec: string;
  sources: Record<string, string>;
  constants: Constant[];
}

interface Doc {
  variant: string | null;
  regions: { name: string; start: string; end: string; size: string }[];
  parameters: { name: string; default: string }[];
  constants: { name: string; value: string }[];
}

const DIR = path.join(ROOT, "test", "fixtures", "kernel-constants");

/** The value `selector` names in one variant's JSON, or undefined when it names nothing. */
function lookup(doc: Doc, selector: string): bigint | undefined {
  const [kind, name] = selector.includes(":") ? selector.split(":") : ["region", selector];
  if (kind === "param") {
    const p = doc.parameters.find((x) => x.name === name);
    return p && BigInt(p.default);
  }
  if (kind === "const") {
    const c = doc.constants.find((x) => x.name === name);
    return c && BigInt(c.value);
  }
  const [region, edge] = name!.split(".");
  const r = doc.regions.find((x) => x.name === region);
  if (r === undefined) return undefined;
  switch (edge) {
    case "start":
      return BigInt(r.start);
    case "end":
      return BigInt(r.end);
    case "limit":
      return BigInt(r.end) + 1n;
    case "size":
      return BigInt(r.size);
  }
  return undefined;
}

for (const file of readdirSync(DIR).filter((f) => f.endsWith(".json"))) {
  const fixture = JSON.parse(readFileSync(path.join(DIR, file), "utf8")) as Fixture;
  describe(`${fixture.spec}: the kernel's constants`, () => {
    const r = vmlayout(["build", `specs/${fixture.spec}.layout`, "--emit", "json"]);
    const parsed = JSON.parse(r.stdout || "null") as Doc | Doc[] | null;
    const docs = parsed === null ? [] : Array.isArray(parsed) ? parsed : [parsed];

    it("builds, and every constant cites a source the fixture names", () => {
      expect(r.status).toBe(0);
      for (const c of fixture.constants) expect(fixture.sources, c.name).toHaveProperty(c.source);
      for (const source of Object.values(fixture.sources)) expect(source).toMatch(/@[0-9a-f]{12}/);
    });

    for (const c of fixture.constants) {
      it(`${c.variant} ${c.name} = ${c.value} (${c.spec})`, () => {
        const targets = docs.filter(
          (d) => c.variant === "*" || c.variant === "-" || d.variant === c.variant,
        );
        expect(targets.length, `variant ${c.variant}`).toBeGreaterThan(0);
        for (const doc of targets) {
          const value = lookup(doc, c.spec);
          expect(value, `${c.spec} in ${doc.variant ?? "the spec"}`).toBeDefined();
          expect(`0x${value!.toString(16)}`).toBe(`0x${BigInt(c.value).toString(16)}`);
          // The document's value, where it differs, is kept to show what the spec corrects.
          if (c.document !== undefined) expect(value).not.toBe(BigInt(c.document));
        }
      });
    }
  });
}
