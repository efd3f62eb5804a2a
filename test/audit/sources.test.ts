/**
 * `vmlayout audit --ptdump`: the same boot audited from its tables (`--image`) and from their
 * ptdump listing (`vmlayout dump` prints Linux x86 ptdump) gives the same bases and findings,
 * less where pages point (E0402, which a listing without physical addresses cannot show: said in
 * a note). Real ptdump text (a dmesg boot log) is read; unreadable lines are E0503.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readPtdump } from "../../src/audit/ptdump.js";
import { dumpInstallation } from "../../src/runtime/dump.js";
import { Flag } from "../../src/arch/x86_64/entry.js";
import { install, type Installation } from "../../src/runtime/install.js";
import { MapBit } from "../../src/arch/arch.js";
import { vmlayout } from "../cli-helpers.js";
import { GiB, specLayout } from "../runtime/qemu/layouts.js";
import {
  AUDIT_JSON as AUDIT,
  codesOf,
  entryPa,
  findings,
  hex,
  imageArgs,
  linux,
  plantFaults,
  write,
} from "./helpers.js";

/** The kernel space audited from its image and from its ptdump listing. */
function auditBoth(inst: Installation) {
  const fromImage = vmlayout([...AUDIT, ...imageArgs(inst)]);
  const fromDump = vmlayout([...AUDIT, "--ptdump", write("dump", dumpInstallation(inst))]);
  return { image: JSON.parse(fromImage.stdout), dump: JSON.parse(fromDump.stdout) };
}

describe("vmlayout audit --ptdump", () => {
  it("finds the same bases and findings as the image of the same boot", () => {
    const { image, dump } = auditBoth(linux());
    expect(dump.bases).toEqual(image.bases);
    expect(dump.bases.find((b: { member: string }) => b.member === "direct_map").source).toBe(
      "tables",
    );
    expect(findings(dump)).toEqual(findings(image));
    expect(codesOf(dump)).toEqual(["W0401"]);
    expect(image.unchecked).toEqual([]);
    expect(dump.unchecked).toEqual(["where pages point (E0402) and the physical offset"]);
  });

  it("finds the planted faults the image shows, all but a wrong physical address", () => {
    const inst = linux();
    plantFaults(inst);
    const { image, dump } = auditBoth(inst);
    expect(codesOf(image)).toEqual(["E0402", "E0403", "E0404", "E0406", "W0401"]);
    expect(findings(dump)).toEqual(findings(image).filter((f) => f.code !== "E0402"));
    expect(dump.bases).toEqual(image.bases);
  });

  it("reads a recursive slot from its top-level line (GayBSD's PML4 entry 256)", () => {
    const spec = "specs/gaybsd-amd64.layout";
    const r = install(specLayout("gaybsd-amd64"), { ram: 4n * GiB });
    const inst = r.value!;
    const slot = entryPa(inst, 0xffff_8000_0000_0000n, 4);
    const audit = () =>
      JSON.parse(
        vmlayout([
          "audit",
          spec,
          "--format",
          "json",
          "--ptdump",
          write("g", dumpInstallation(inst)),
        ]).stdout,
      );
    expect(codesOf(audit())).toEqual(["W0401"]);
    inst.memory.write64(slot, inst.memory.read64(slot) | Flag.US);
    expect(findings(audit()).filter((f) => f.code !== "W0401")).toEqual([
      {
        code: "E0404",
        message:
          "the recursive slot of `recursive_pt` is user-accessible: user code could read the page tables",
      },
    ]);
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
    const missing = vmlayout([...AUDIT, "--ptdump", write("none", "") + ".absent"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read listing/);
  });
});
