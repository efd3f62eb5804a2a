/**
 * `--emit svg`: golden files for every spec, well-formed XML (a small checker: no new
 * dependencies), determinism, the scale (every box readable, the 4 KiB guard page included),
 * and the committed pictures in docs/ being up to date.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, goldenPath, vmlayout } from "../cli-helpers.js";

const SPECS = readdirSync(path.join(ROOT, "specs"))
  .filter((f) => f.endsWith(".layout"))
  .sort();

const svgOf = (spec: string): string => {
  const r = vmlayout(["build", `specs/${spec}`, "--emit", "svg"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
};

/**
 * Problems that would make `xml` not well-formed XML (or a broken SVG): unbalanced or
 * mis-nested tags, unquoted or repeated attributes, bad entities, stray `<`/`&`, duplicate
 * ids, `url(#id)` references to nothing.
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const ids = new Set<string>();
  const token =
    /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->|<\?xml[^>]*\?>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  let roots = 0;
  while ((m = token.exec(xml)) !== null) {
    const [whole, close, name, attrs, selfClose, content, stray] = m;
    if (stray !== undefined) {
      problems.push(`stray "<" at ${m.index}: ${xml.slice(m.index, m.index + 40)}`);
      continue;
    }
    if (content !== undefined) {
      if (stack.length === 0 && content.trim() !== "")
        problems.push(`text outside the root: ${content.trim().slice(0, 40)}`);
      for (const amp of content.matchAll(/&[^;\s]*;?/g))
        if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(amp[0]))
          problems.push(`bad entity ${amp[0]}`);
      continue;
    }
    if (name === undefined) continue; // comment or declaration
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
      continue;
    }
    if (stack.length === 0) roots++;
    const seen = new Set<string>();
    for (const a of attrs!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (seen.has(a[1]!)) problems.push(`<${name}> repeats ${a[1]}`);
      seen.add(a[1]!);
      for (const amp of a[2]!.matchAll(/&[^;\s]*;?/g))
        if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);$/.test(amp[0]))
          problems.push(`bad entity ${amp[0]}`);
      if (a[1] === "id") {
        if (ids.has(a[2]!)) problems.push(`duplicate id ${a[2]}`);
        ids.add(a[2]!);
      }
    }
    if (!selfClose) stack.push(name);
    void whole;
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(" > ")}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  for (const ref of xml.matchAll(/url\(#([\w-]+)\)/g))
    if (!ids.has(ref[1]!)) problems.push(`url(#${ref[1]}) is not defined`);
  return problems;
}

describe("--emit svg", () => {
  it("the XML checker catches what it should", () => {
    expect(xmlProblems("<svg><g></svg>")).not.toEqual([]);
    expect(xmlProblems('<svg a="1" a="2"/>')).not.toEqual([]);
    expect(xmlProblems("<svg>a & b</svg>")).not.toEqual([]);
    expect(xmlProblems('<svg><rect fill="url(#x)"/></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text x="1">a &lt; b</text></svg>')).toEqual([]);
  });

  for (const spec of SPECS) {
    describe(spec, () => {
      const svg = svgOf(spec);
      const base = spec.replace(/\.layout$/, "");

      it("matches the golden file", async () => {
        await expect(svg).toMatchFileSnapshot(goldenPath(base, "svg"));
      });

      it("is well-formed SVG", () => {
        expect(xmlProblems(svg)).toEqual([]);
        expect(svg).toMatch(
          /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="[\d.]+" height="[\d.]+" viewBox="0 0 [\d.]+ [\d.]+">\n/,
        );
        expect(svg.endsWith("</svg>\n")).toBe(true);
      });

      it("writes numbers with at most one decimal", () => {
        for (const num of svg.matchAll(/="(-?\d+\.\d+)"/g)) expect(num[1]).toMatch(/^-?\d+\.\d$/);
        expect(svg).not.toMatch(/NaN|Infinity|undefined/);
      });

      it("draws every region as a box at least 16 px tall", () => {
        const boxes = [
          ...svg.matchAll(/<rect [^>]*height="([\d.]+)"[^>]*><title>([^<]*)<\/title>/g),
        ];
        expect(boxes.length).toBeGreaterThan(0);
        for (const [, h, title] of boxes) expect(Number(h), title).toBeGreaterThanOrEqual(16);
      });

      it("docs/ has it up to date", () => {
        const committed = readFileSync(path.join(ROOT, "docs", `${base}.svg`), "utf8");
        expect(
          committed === svg,
          `docs/${base}.svg is stale: vmlayout build specs/${spec} --emit svg -o docs/${base}.svg`,
        ).toBe(true);
      });
    });
  }

  it("shows a 4 KiB page and a 64 TB direct map on one scale", () => {
    const svg = svgOf("linux-x86_64.layout");
    const height = (name: string): number =>
      Number(new RegExp(`height="([\\d.]+)"[^>]*><title>${name}: `).exec(svg)![1]);
    expect(height("vsyscall")).toBeGreaterThanOrEqual(16);
    expect(height("direct_map")).toBeGreaterThan(3 * height("vsyscall"));
    expect(height("direct_map")).toBeLessThan(200);
  });

  it("marks the non-canonical hole, KASLR and parameter-dependent boundaries", () => {
    const svg = svgOf("linux-x86_64.layout");
    expect(svg.match(/>not to scale</g)).toHaveLength(2); // one break per variant
    expect(svg).toContain("KASLR memory: direct_map, vmalloc, vmemmap");
    expect(svg).toContain("~ffffffffff1ff000");
    expect(svg).toContain('fill="url(#vml-hatch)"');
  });

  it("gives each box a size strip, linear in its size: a 32 TB map is 64 times a 0.5 TB hole", () => {
    const svg = svgOf("linux-x86_64.layout");
    const strip = (name: string): number =>
      Number(
        new RegExp(
          `<title>${name}: [^<]*</title></rect>\n<rect [^>]*width="([\\d.]+)" height="4"`,
        ).exec(svg)![1],
      );
    expect(strip("user_space")).toBe(218); // a whole canonical half: the bar's full width
    expect(strip("vmalloc")).toBe(54.5);
    expect(strip("ldt_remap")).toBe(0.9);
    expect(svg).not.toMatch(/<title>vsyscall: [^<]*<\/title><\/rect>\n<rect [^>]*height="4"/);
  });

  it("labels the top of the address space as it labels 0", () => {
    for (const spec of SPECS) {
      const svg = svgOf(spec);
      const columns = svg.match(/>0000000000000000</g)!.length;
      expect(svg.match(/>ffffffffffffffff</g), spec).toHaveLength(columns);
    }
  });

  it("leaves out an offset that only repeats the one above", () => {
    const svg = svgOf("emerald.layout");
    // 13 boundaries from the first interrupt stack to kernel_extra are all ~-1.86 GB.
    expect(svg.match(/>~-1\.86 GB</g)).toHaveLength(1);
    expect(svg).toContain(">ffffffff890e7000<");
  });

  it("ties a description written once, (×N), to every box it counts", () => {
    const dots = (svg: string): number => svg.match(/<circle [^>]*r="1\.8"/g)?.length ?? 0;
    const gaybsd = svgOf("gaybsd-amd64.layout");
    expect(gaybsd).toContain(">unused (×2)<");
    expect(dots(gaybsd)).toBe(2);
    const emerald = svgOf("emerald.layout");
    expect(emerald.match(/\(×7\)</g)).toHaveLength(2);
    expect(dots(emerald)).toBe(14);
    expect(dots(svgOf("linux-x86_64.layout"))).toBe(0);
  });

  it("is byte-identical run to run", () => {
    expect(svgOf("emerald.layout")).toBe(svgOf("emerald.layout"));
  });
});
