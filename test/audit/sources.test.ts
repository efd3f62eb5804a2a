/**
 * `vmlayout audit --ptdump`: the same boot audited from its tables (`--image`) and from their
 * ptdump listing (`vmlayout dump` prints Linux x86 ptdump) gives the same bases and findings,
 * less where pages point (E0402, which a listing without physical addresses cannot show: said in
 * a note). Real ptdump text (a dmesg boot log) is read; unreadable lines are E0503.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { readPtdump } from "../../src/audit/ptdump.js";
import { Flag, type Level, levelIndex } from "../../src/runtime/entry.js";
import { install, type Installation } from "../../src/runtime/install.js";
import { dumpInstallation } from "../../src/runtime/dump.js";
import { MapBit } from "../../src/verifier/audit.js";
import { vmlayout } from "../cli-helpers.js";
import { GiB, specLayout } from "../runtime/qemu/layouts.js";

const SPEC = "specs/linux-x86_64.layout";
const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-audit-sources-"));
const hex = (v: bigint | number) => `0x${v.toString(16)}`;

function linux(): Installation {
  const r = install(specLayout("linux-x86_64", "4-level"), { kaslrSeed: 7n, ram: 4n * GiB });
  if (!r.value) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.value;
}

/** Physical address of the entry at `level` on the walk of `va`. */
function entryPa(inst: Installation, va: bigint, level: Level): number {
  let table = inst.kernel.mapper.root;
  for (let l = inst.levels as number; l > level; l--) {
    table = Number(
      inst.memory.read64(table + levelIndex(va, l as Level) * 8) & 0x000f_ffff_ffff_f000n,
    );
  }
  return table + levelIndex(va, level) * 8;
}

function write(name: string, data: string | Uint8Array): string {
  const file = path.join(dir, `${name}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, data);
  return file;
}

const AUDIT = ["audit", SPEC, "--variant", "4-level", "--ram", "4GB", "--format", "json"];

interface Finding {
  code: string;
  message: string;
}

/** The kernel space audited from its image and from its ptdump listing. */
function auditBoth(inst: Installation) {
  const image = inst.image(0);
  const fromImage = vmlayout([
    ...AUDIT,
    "--image",
    write("img", image.bytes),
    "--image-base",
    hex(image.imageBase),
    "--cr3",
    hex(image.cr3),
  ]);
  const fromDump = vmlayout([...AUDIT, "--ptdump", write("dump", dumpInstallation(inst))]);
  return { image: JSON.parse(fromImage.stdout), dump: JSON.parse(fromDump.stdout) };
}

const findings = (report: { diagnostics: Finding[] }): Finding[] =>
  report.diagnostics.map((d) => ({ code: d.code, message: d.message }));

describe("vmlayout audit --ptdump", () => {
  it("finds the same bases and findings as the image of the same boot", () => {
    const { image, dump } = auditBoth(linux());
    expect(dump.bases).toEqual(image.bases);
    expect(dump.bases.find((b: { member: string }) => b.member === "direct_map").source).toBe(
      "tables",
    );
    expect(findings(dump)).toEqual(findings(image));
    expect(findings(dump).map((f) => f.code)).toEqual(["W0401"]);
    expect(image.unchecked).toEqual([]);
    expect(dump.unchecked).toEqual(["where pages point (E0402) and the physical offset"]);
  });

  it("finds the planted faults the image shows, all but a wrong physical address", () => {
    const inst = linux();
    const dm = inst.instance.byName.get("direct_map")!.start;
    const pud = entryPa(inst, dm, 3);
    inst.memory.write64(pud, (inst.memory.read64(pud) & ~Flag.XD) | Flag.US);
    const kt = entryPa(inst, 0xffff_ffff_8000_0000n, 2);
    inst.memory.write64(kt, inst.memory.read64(kt) & ~Flag.RW);
    const next = entryPa(inst, dm + GiB, 3);
    inst.memory.write64(next, inst.memory.read64(next) + 4n * GiB); // points past the RAM
    const { image, dump } = auditBoth(inst);
    const codes = (fs: Finding[]) => [...new Set(fs.map((f) => f.code))].sort();
    expect(codes(findings(image))).toEqual(["E0402", "E0403", "E0404", "E0406", "W0401"]);
    expect(findings(dump)).toEqual(findings(image).filter((f) => f.code !== "E0402"));
    expect(dump.bases).toEqual(image.bases);
  });

  it("says in text output that physical addresses were not checked", () => {
    const r = vmlayout([
      ...AUDIT.slice(0, -2),
      "--ptdump",
      write("dump", dumpInstallation(linux())),
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/from ptdump `.*`.*: clean\n/);
    expect(r.stdout).toMatch(
      /\nnote: the ptdump listing does not show where pages point \(E0402\) and the physical offset: not checked\n$/,
    );
  });

  it("reads a real kernel's ptdump boot log (dmesg prefixes, markers, not-present runs)", () => {
    const file = "test/fixtures/ptdump/pixelbook-dmesg.txt";
    const r = readPtdump(file, readFileSync(file, "utf8"), 4);
    expect(r.diagnostics).toEqual([]);
    expect(r.value.physical).toBe(false);
    expect(r.value.mappings.map((m) => [hex(m.va), hex(m.end), m.flags])).toEqual([
      ["0xffffe20000000000", "0xffffe20002000000", MapBit.W | MapBit.NX],
      ["0xffffe20004000000", "0xffffe20012000000", MapBit.W | MapBit.NX],
      ["0xfffffe0000000000", "0xfffffe0000002000", MapBit.G | MapBit.NX],
      ["0xfffffe0000002000", "0xfffffe0000003000", MapBit.W | MapBit.G | MapBit.NX],
      ["0xfffffe0000003000", "0xfffffe0000008000", MapBit.G | MapBit.NX],
    ]);
  });

  it("reads skipped-entry lines and old lines without a level; reports unreadable lines as E0503", () => {
    const ok = readPtdump(
      "old.txt",
      [
        "---[ Kernel Space ]---",
        "0xffff880000000000-0xffff880000200000           2M     RW     GLB x",
        "... 131067 entries skipped ... ",
        "0xffffffffff600000-0x0000000000000000           2M USR ro     GLB x  pmd",
      ].join("\n"),
      4,
    );
    expect(ok.diagnostics).toEqual([]);
    expect(ok.value.mappings.map((m) => [hex(m.va), hex(m.end), m.flags])).toEqual([
      ["0xffff880000000000", "0xffff880000200000", MapBit.W | MapBit.G],
      ["0xffffffffff600000", "0x10000000000000000", MapBit.U | MapBit.G],
    ]);
    const bad = readPtdump(
      "bad.txt",
      "0x1000-0x2000 4K RW x pte\nhello\n0x3000-0x2000 4K RW x pte\n0x4000-0x5000 4K WRITE pte\n",
      4,
    );
    expect(bad.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "E0503",
        expect.stringMatching(
          /^line 2 of `bad.txt` cannot be read as Linux x86 ptdump: not a ptdump line/,
        ),
      ],
      [
        "E0503",
        "line 3 of `bad.txt` cannot be read as Linux x86 ptdump: the range ends before it starts",
      ],
      [
        "E0503",
        "line 4 of `bad.txt` cannot be read as Linux x86 ptdump: `WRITE` is not a ptdump flag",
      ],
    ]);
    const cli = vmlayout([...AUDIT.slice(0, -2), "--ptdump", write("bad", "hello\n")]);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/bad-\w+:1:1: error\[E0503\]/);
  });

  it("takes exactly one source", () => {
    const both = vmlayout([...AUDIT, "--ptdump", "x", "--image", "y", "--cr3", "0"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/give one source of tables/);
    expect(vmlayout([...AUDIT, "--ptdump", "x", "--cr3", "0"]).stderr).toMatch(
      /--cr3 and --image-base go with --image/,
    );
    const missing = vmlayout([...AUDIT, "--ptdump", path.join(dir, "none")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read listing/);
  });
});
