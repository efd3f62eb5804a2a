/** The loader splices includes in place: at top level and in a variant's body. */
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/pipeline.js";

const files: Record<string, string> = {
  "root.layout": [
    "layout t",
    "paging 4",
    'variant "with-kasan" {',
    '  include "kasan.layout"',
    "}",
    'variant "plain" {',
    "}",
    "ffff800000000000 +1TB direct_map",
  ].join("\n"),
  "kasan.layout": "ffffec0000000000 +16TB kasan_shadow\n",
};

describe("include", () => {
  it("an include in a variant adds its regions to that variant only", () => {
    const checked = checkSpec("root.layout", { readFile: (f) => files[f]! });
    expect(checked.diagnostics).toEqual([]);
    expect(checked.layouts.map((l) => [l.variant, l.regions.map((r) => r.name)])).toEqual([
      ["with-kasan", ["direct_map", "kasan_shadow"]],
      ["plain", ["direct_map"]],
    ]);
  });
});
