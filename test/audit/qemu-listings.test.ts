/**
 * `vmlayout audit --qemu-info-tlb / --qemu-info-mem`: the tables of a boot loaded into a paused
 * QEMU (4-level; QEMU's `info mem` misreads 5-level tables, so LA57 is not tested here), listed
 * by its monitor and audited, give the image's bases and findings: all of them from `info tlb`,
 * and from `info mem` those it can show (where pages are mapped, write and user rights).
 */
import { describe, expect, it } from "vitest";
import { readQemuMem } from "../../src/audit/qemu-mem.js";
import { readQemuTlb } from "../../src/audit/qemu-tlb.js";
import type { Installation } from "../../src/runtime/install.js";
import { MapBit } from "../../src/arch/arch.js";
import { vmlayout } from "../cli-helpers.js";
import { QemuMachine, qemuVersion } from "../runtime/qemu/machine.js";
import {
  AUDIT_JSON as AUDIT,
  codesOf as codes,
  findings,
  hex,
  imageArgs,
  linux,
  plantFaults,
  write,
} from "./helpers.js";

/** The kernel space audited from its image and from QEMU's `info tlb` and `info mem`. */
async function auditAll(inst: Installation) {
  const image = inst.image(0);
  const machine = await QemuMachine.start({
    image: image.bytes,
    imageBase: Number(image.imageBase),
  });
  let tlb: string;
  let mem: string;
  try {
    await machine.enablePaging(4, image.cr3);
    tlb = await machine.monitor("info tlb");
    mem = await machine.monitor("info mem");
  } finally {
    await machine.close();
  }
  const run = (...args: string[]) => JSON.parse(vmlayout([...AUDIT, ...args]).stdout);
  return {
    tlb,
    mem,
    image: run(...imageArgs(inst)),
    fromTlb: run("--qemu-info-tlb", write("tlb", tlb)),
    fromMem: run("--qemu-info-mem", write("mem", mem)),
  };
}

/** What `info mem` can show: mapped or not, write and user rights. */
const MEM_CODES = new Set(["E0401", "E0403", "E0404", "E0407"]);

describe.skipIf(qemuVersion() === undefined)("vmlayout audit of QEMU monitor listings", () => {
  it("finds the image's bases and findings in clean tables", async () => {
    const { image, fromTlb, fromMem } = await auditAll(linux());
    expect(fromTlb.bases).toEqual(image.bases);
    expect(fromMem.bases).toEqual(image.bases);
    expect(findings(fromTlb)).toEqual(findings(image));
    expect(codes(image)).toEqual(["W0401"]);
    expect(findings(fromMem)).toEqual([]);
    expect(fromTlb.unchecked).toEqual(["`cache` (E0405) beyond PCD and PWT (no PAT bit)"]);
    expect(fromMem.unchecked).toEqual([
      "where pages point (E0402) and the physical offset",
      "execute rights (E0403) and W^X (E0406)",
      "`global` (E0405)",
      "`cache` (E0405)",
    ]);
  }, 60_000);

  it("finds planted faults as the image does", async () => {
    const inst = linux();
    plantFaults(inst);
    const { image, fromTlb, fromMem } = await auditAll(inst);
    expect(codes(image)).toEqual(["E0402", "E0403", "E0404", "E0406", "W0401"]);
    expect(findings(fromTlb)).toEqual(findings(image));
    // `info mem` shows no execute rights: the planted E0403 is executable data.
    expect(codes(fromMem)).toEqual(codes(image).filter((c) => MEM_CODES.has(c) && c !== "E0403"));
    expect(fromMem.bases).toEqual(image.bases);
  }, 60_000);
});

describe("QEMU listing readers", () => {
  it("read `info tlb` lines: page sizes, flags, runs", () => {
    const r = readQemuTlb(
      "tlb.txt",
      [
        "ffff888000000000: 0000000000000000 XGPDA---W",
        "ffff888040000000: 0000000040000000 XGPDA---W",
        "ffffffff80000000: 0000000001000000 -GPDA---W",
        "ffffffff80200000: 0000000001200000 -GPDA---W",
        "ffffffffff5fd000: 00000000fec00000 XG-DACT-W",
        "ffffffffff600000: 0000000002000000 -G-DA--U-",
      ].join("\n"),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.value.mappings.map((m) => [hex(m.va), hex(m.end), hex(m.pa), m.flags])).toEqual([
      ["0xffff888000000000", "0xffff888080000000", "0x0", MapBit.NX | MapBit.G | MapBit.W],
      ["0xffffffff80000000", "0xffffffff80400000", "0x1000000", MapBit.G | MapBit.W],
      [
        "0xffffffffff5fd000",
        "0xffffffffff5fe000",
        "0xfec00000",
        MapBit.NX | MapBit.G | MapBit.PCD | MapBit.PWT | MapBit.W,
      ],
      ["0xffffffffff600000", "0xffffffffff601000", "0x2000000", MapBit.G | MapBit.U],
    ]);
    const bad = readQemuTlb(
      "t",
      "ffff888000000000: 0 rw\n0000000000002000: 0000000000000000 ---DA---W\n0000000000001000: 0000000000000000 ---DA---W",
    );
    expect(bad.diagnostics.map((d) => d.message)).toEqual([
      "line 1 of `t` cannot be read as QEMU `info tlb`: not an `info tlb` line (`VA: PA XGPDACTUW`)",
      "line 3 of `t` cannot be read as QEMU `info tlb`: the address does not ascend from the line before it",
    ]);
    expect(bad.diagnostics.every((d) => d.code === "E0503")).toBe(true);
  });

  it("read `info mem` lines, the top of the space as 2^48", () => {
    const r = readQemuMem(
      "mem.txt",
      [
        "0000000000400000-0000000000401000 0000000000001000 ur-",
        "ffff888000000000-ffff888100000000 0000000100000000 -rw",
        "ffffffffff600000-0001000000000000 0000000000a00000 -r-",
      ].join("\n"),
      4,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.value.mappings.map((m) => [hex(m.va), hex(m.end), m.flags])).toEqual([
      ["0x400000", "0x401000", MapBit.U],
      ["0xffff888000000000", "0xffff888100000000", MapBit.W],
      ["0xffffffffff600000", "0x10000000000000000", 0],
    ]);
    expect(readQemuMem("m", "ffff-0000 0 -rw", 4).diagnostics[0]!.message).toBe(
      "line 1 of `m` cannot be read as QEMU `info mem`: not an `info mem` line (`START-END SIZE urw`)",
    );
  });

  it("take exactly one source from the CLI", () => {
    const both = vmlayout([...AUDIT, "--qemu-info-tlb", "x", "--qemu-info-mem", "y"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/give one source of tables/);
  });
});
