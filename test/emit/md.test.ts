/** `--emit md`: golden files for every spec, table shape, notation, determinism. */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, goldenPath, vmlayout } from "../cli-helpers.js";

const SPECS = readdirSync(path.join(ROOT, "specs"))
  .filter((f) => f.endsWith(".layout"))
  .sort();

/** Cells of a Markdown table row (pipes escaped as `\|` do not split). */
const cells = (row: string): string[] => row.replace(/\\\|/g, "").split("|").slice(1, -1);

describe("--emit md", () => {
  for (const spec of SPECS) {
    it(`${spec}: matches the golden file`, async () => {
      const r = vmlayout(["build", `specs/${spec}`, "--emit", "md"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(goldenPath(spec, "md"));
    });

    it(`${spec}: every table row has its header's number of cells`, () => {
      const lines = vmlayout(["build", `specs/${spec}`, "--emit", "md"]).stdout.split("\n");
      let width = 0;
      for (const line of lines) {
        if (!line.startsWith("|")) {
          width = 0;
          continue;
        }
        if (width === 0) width = cells(line).length;
        else expect(cells(line), line).toHaveLength(width);
      }
    });
  }

  it("writes the Linux tables in mm.rst's notation, one heading per variant", () => {
    const md = vmlayout(["build", "specs/linux-x86_64.layout", "--emit", "md"]).stdout;
    expect(md).toContain("## 4-level\n");
    expect(md).toContain("## 5-level\n");
    expect(md).toContain("| Start | Offset | End | Size | Description |");
    for (const row of [
      "| `0000000000000000` | 0 | `00007fffffffefff` | ~128 TB |",
      "| `0000800000000000` | +128 TB | `ffff7fffffffffff` | ~16M TB |",
      "| `ffff888000000000` | -119.5 TB | ~`ffffc87fffffffff` | ~64 TB |",
      "| ~`ffffffffc0000000` | ~-1 GB | `fffffffffeffffff` | ~1008 MB |",
      "| `ffffffffff600000` | -10 MB | `ffffffffff600fff` | 4 kB |",
      "| `ffa0000000000000` | -24 PB | `ffd1ffffffffffff` | 12.5 PB |",
      "| `ffdffc0000000000` | -8196 TB | `fffffbffffffffff` | 8 PB |",
    ])
      expect(md).toContain(row);
    // Holes are rows too, and say so; parameter-dependent values are marked and named.
    expect(md).toContain(
      "| `ffffe90000000000` | -23 TB | `ffffe9ffffffffff` | 1 TB | *hole*: unused hole |",
    );
    expect(md).toMatch(
      /\| ~`ffffffffff1ff000` \| ~-14340 kB \| .* \(~ varies with `fixaddr_start`\) \|/,
    );
  });

  it("shows every range no region covers as a row", () => {
    const md = vmlayout(["build", "test/fixtures/emit/gaps.layout", "--emit", "md"]).stdout;
    expect(md.split("\n").filter((l) => l.includes("*gap*"))).toEqual([
      "| `0000000000001000` | +4 kB | `00000000001fffff` | 2044 kB | *gap*: not in any region |",
      "| `0000000000200000` | +2 MB | `00000000003fffff` | 2 MB | ↳ *gap*: not in any region within `user` |",
      "| `0000000000600000` | +6 MB | `00000000007fffff` | 2 MB | ↳ *gap*: not in any region within `user` |",
      "| `0000000000a00000` | +10 MB | ~`00006fffffffffff` | ~112 TB | ↳ *gap*: not in any region within `user` (~ varies with `user_end`) |",
      "| ~`0000700000000000` | ~+112 TB | `00007fffffffffff` | ~16 TB | *gap*: not in any region (~ varies with `user_end`) |",
      "| `ffff820000000000` | -126 TB | `ffffffffffffffff` | 126 TB | *gap*: not in any region |",
    ]);
  });

  it("marks nested regions", () => {
    const md = vmlayout(["build", "specs/emerald.layout", "--emit", "md"]).stdout;
    expect(md).toContain("| ↳ `boot_mapped`: physical 0..128 MB, mapped by boot |");
    expect(md).toContain("&emsp;↳ `kernel_elf`");
  });

  it("is byte-identical run to run", () => {
    const a = vmlayout(["build", "specs/solaris-amd64.layout", "--emit", "md"]);
    const b = vmlayout(["build", "specs/solaris-amd64.layout", "--emit", "md"]);
    expect(a.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });
});
