/**
 * Independent of the golden files: the addresses the seed documents give (copied into
 * test/fixtures/seed-facts) must be exactly where `build --emit json` puts each region.
 * A row's first column is the variant, `*` for every variant, `-` for a spec without any.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, vmlayout } from "./cli-helpers.js";

interface Doc {
  variant: string | null;
  regions: { name: string; start: string; end: string }[];
}

for (const spec of [
  "linux-x86_64",
  "gaybsd-amd64",
  "emerald",
  "solaris-amd64",
  "linux-2.6.24",
  "linux-riscv64",
]) {
  describe(spec, () => {
    const r = vmlayout(["build", `specs/${spec}.layout`, "--emit", "json"]);
    const parsed = JSON.parse(r.stdout || "null") as Doc | Doc[] | null;
    const docs = parsed === null ? [] : Array.isArray(parsed) ? parsed : [parsed];
    const facts = readFileSync(
      path.join(ROOT, "test", "fixtures", "seed-facts", `${spec}.txt`),
      "utf8",
    )
      .split("\n")
      .filter((l) => l.trim() && !l.startsWith("#"))
      .map((l) => l.trim().split(/\s+/) as [string, string, string, string]);
    for (const [variant, name, start, end] of facts) {
      it(`${variant} ${name} is ${start}..${end}`, () => {
        const targets = docs.filter(
          (d) => variant === "*" || variant === "-" || d.variant === variant,
        );
        expect(targets.length).toBeGreaterThan(0);
        for (const doc of targets) {
          const region = doc.regions.find((x) => x.name === name);
          expect(region, `${name} in ${doc.variant}`).toBeDefined();
          expect([region!.start, region!.end]).toEqual([`0x${start}`, `0x${end}`]);
        }
      });
    }
  });
}
