/**
 * `vmlayout audit --ptdump` of Linux arm64 ptdump text: the listing in
 * test/fixtures/ptdump/arm64-debian-6.1.txt is the kernel half of Debian 12's 6.1 cloud kernel
 * booted under QEMU (`virt`, `-cpu max`), its TTBR1_EL1 tables printed in arch/arm64/mm/ptdump.c's
 * format (the kernel has no PTDUMP_DEBUGFS, so the lines were made from its RAM). It audits clean
 * against the 6.1 fixture spec; planted faults are caught, each under its codes. Then the options
 * of an AArch64 image audit: --ttbr1 with --tcr, whose granule, VA size and EPD bits are checked
 * before any walk (E0416, E0417).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MapBit } from "../../src/arch/arch.js";
import { readArm64Ptdump } from "../../src/audit/arm64-ptdump.js";
import { vmlayout } from "../cli-helpers.js";
import { codesOf, write } from "./helpers.js";

const SPEC = "test/fixtures/ptdump/arm64-6.1.layout";
const LISTING = "test/fixtures/ptdump/arm64-debian-6.1.txt";
const text = readFileSync(LISTING, "utf8");

const audit = (listing: string) =>
  vmlayout(["audit", SPEC, "--ptdump", listing, "--ram", "1GB", "--format", "json"]);

describe("the audit's reader of arm64 ptdump text", () => {
  it("reads a real kernel's listing: rights from AP, PXN and UXN, G, memory types", () => {
    const read = readArm64Ptdump(LISTING, text);
    expect(read.diagnostics).toEqual([]);
    const at = (va: bigint) => read.value!.mappings.find((m) => m.va <= va && va < m.end)?.flags;
    const kernel = MapBit.G;
    // The linear map: RW NX, Normal (tagged or not).
    expect(at(0xffff_0000_0000_0000n)).toBe(kernel | MapBit.W | MapBit.NX);
    // The image's text (`ro x`, UXN: a kernel page is executable where PXN, `NX`, is clear).
    expect(at(0xffff_cf5b_9741_0000n)).toBe(kernel);
    // Its read-only data.
    expect(at(0xffff_cf5b_9800_0000n)).toBe(kernel | MapBit.NX);
    // ioremap()'d Device memory and Normal non-cacheable memory.
    expect(at(0xffff_8000_0801_0000n)).toBe(
      kernel | MapBit.W | MapBit.NX | MapBit.PCD | MapBit.PWT,
    );
    expect(at(0xffff_8000_080c_d000n)).toBe(kernel | MapBit.W | MapBit.NX | MapBit.PWT);
    expect(read.value!.physical).toBe(false);
  });

  it("skips invalid runs (Linux's `F`, vmlayout's blank), markers and dmesg prefixes", () => {
    const read = readArm64Ptdump(
      "dmesg",
      [
        "[    1.000000] ---[ Linear Mapping start ]---",
        "[    1.000001] 0xffff000000000000-0xffff000000200000           2M PMD       RW NX SHD AF        BLK UXN    MEM/NORMAL",
        "0xffff000000200000-0xffff000000400000           2M PMD   F   RW x                BLK        MEM/NORMAL",
        "0xffff000000400000-0xffff000000600000           2M PMD",
        "0x0000aaaab0000000-0x0000aaaab0001000           4K PTE   USR ro NX SHD AF NG            UXN    MEM/NORMAL",
      ].join("\n"),
    );
    expect(read.diagnostics.map((d) => d.message)).toEqual([
      "line 5 of `dmesg` cannot be read as Linux arm64 ptdump: the range overlaps or precedes the line before it",
    ]);
    expect(read.value!.mappings).toEqual([
      {
        va: 0xffff_0000_0000_0000n,
        end: 0xffff_0000_0020_0000n,
        pa: 0n,
        flags: MapBit.W | MapBit.NX | MapBit.G,
      },
    ]);
    // An EL0 page: UXN is its execute-never, NG makes it not global.
    const user = readArm64Ptdump(
      "user",
      "0x0000aaaab0000000-0x0000aaaab0001000           4K PTE   USR ro NX SHD AF NG            UXN    MEM/NORMAL",
    );
    expect(user.value!.mappings[0]!.flags).toBe(MapBit.U | MapBit.NX);
  });

  it("reports lines it cannot read (E0503)", () => {
    const read = readArm64Ptdump(
      "bad",
      [
        "0xffff000000000000-0xffff000000200000           2M PMD       RW NX SHD AF        BLK UXN    MEM/WEIRD",
        "0xffff000000200000-0xffff000000400000           2M PMD       RW ro SHD AF        BLK UXN    MEM/NORMAL",
        "0xffff000000400000-0xffff000000600000           2M PMD       RW NX SHD AF        BLK UXN",
        "0xffff000000600000-0xffff000000800000           2M pmd       RW NX",
      ].join("\n"),
    );
    expect(read.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "E0503",
        "line 1 of `bad` cannot be read as Linux arm64 ptdump: `MEM/WEIRD` is not an arm64 ptdump column",
      ],
      [
        "E0503",
        "line 2 of `bad` cannot be read as Linux arm64 ptdump: a valid run shows exactly one of `ro` and `RW` and one memory type",
      ],
      [
        "E0503",
        "line 3 of `bad` cannot be read as Linux arm64 ptdump: a valid run shows exactly one of `ro` and `RW` and one memory type",
      ],
      [
        "E0503",
        "line 4 of `bad` cannot be read as Linux arm64 ptdump: not an arm64 ptdump line (`0xSTART-0xEND  SIZE LEVEL flags`)",
      ],
    ]);
  });
});

describe("vmlayout audit --ptdump on an aarch64 layout", () => {
  it("finds the real kernel's listing clean", () => {
    const r = audit(LISTING);
    expect(r.stderr).toBe("");
    const json = JSON.parse(r.stdout);
    expect(json.ok).toBe(true);
    expect(json.mappings).toBeGreaterThan(70);
    expect(json.diagnostics).toEqual([]);
  });

  it("finds it clean against specs/linux-arm64.layout's v6.1 at the image's _stext", () => {
    // ptdump shows no physical addresses, so the image among vmalloc's mappings is given
    // (`_stext` of that boot; its /proc/iomem gave the __init hole, the spec's default).
    const r = vmlayout([
      "audit",
      "specs/linux-arm64.layout",
      "--variant",
      "v6.1",
      "--ptdump",
      LISTING,
      "--ram",
      "0x40000000..0x7fffffff",
      "--param",
      "kernel_mapped=0x1aa0000",
      "--base",
      "kernel_image=0xffffcf5b97410000",
      "--deny-warnings",
      "--format",
      "json",
    ]);
    const json = JSON.parse(r.stdout);
    expect(json.diagnostics).toEqual([]);
    expect(json.ok).toBe(true);
  });

  /** The listing with the line that starts with `match` replaced by `lines`. */
  const planted = (name: string, match: string, lines: string): string => {
    const all = text.split("\n");
    const i = all.findIndex((l) => l.startsWith(match));
    if (i < 0) throw new Error(`no line ${match}`);
    all[i] = lines;
    return write(name, all.join("\n"));
  };

  it("catches planted faults, each under its codes", () => {
    const faults: [string, string, string, string[]][] = [
      [
        "a writable page of the linear map made executable",
        "0xffff000002297000",
        "0xffff000002297000-0xffff000002298000           4K PTE       RW x  SHD AF            UXN    MEM/NORMAL-TAGGED",
        ["E0403", "E0406"],
      ],
      [
        "an EL0-accessible page in the linear map",
        "0xffff000000210000",
        "0xffff000000210000-0xffff000000400000        1984K PTE   USR ro NX SHD AF            UXN    MEM/NORMAL",
        ["E0404"],
      ],
      [
        "a mapping in the guard below the fixmap",
        "0xfffffbfffdbf6000",
        [
          "0xfffffbfff0000000-0xfffffbfff0001000           4K PTE       RW NX SHD AF            UXN    MEM/NORMAL",
          "0xfffffbfffdbf6000-0xfffffbfffdbf9000          12K PTE       ro x  SHD AF            UXN    MEM/NORMAL",
        ].join("\n"),
        ["E0401"],
      ],
    ];
    for (const [what, match, line, codes] of faults) {
      const r = audit(planted(codes[0]!, match, line));
      const json = JSON.parse(r.stdout);
      expect(json.ok, what).toBe(false);
      expect(codesOf(json), what).toEqual(codes);
    }
  });
});

describe("audit's AArch64 register options", () => {
  const image = ["audit", SPEC, "--ram", "1GB", "--image", "test/ui/E04/boot.img"];
  const TCR = "0x15001f5b5503510";

  it("need --tcr with --ttbr1, and refuse --cr3", () => {
    const noTcr = vmlayout([...image, "--ttbr1", "0x40000000"]);
    expect(noTcr.status).toBe(2);
    expect(noTcr.stderr).toContain("--tcr VALUE: an AArch64 image needs TCR_EL1");
    const cr3 = vmlayout([...image, "--cr3", "0x40000000", "--tcr", TCR]);
    expect(cr3.status).toBe(2);
    expect(cr3.stderr).toContain(
      "--cr3 does not apply to a aarch64 layout: give --ttbr1 or --root",
    );
  });

  it("go with --image only, and with an aarch64 layout only", () => {
    const listing = vmlayout(["audit", SPEC, "--ptdump", LISTING, "--tcr", TCR]);
    expect(listing.status).toBe(2);
    expect(listing.stderr).toContain("go with --image, not with a listing");
    const x86 = vmlayout([
      "audit",
      "test/ui/E04/E0401-unexpected-mapping.layout",
      "--image",
      "test/ui/E04/boot.img",
      "--cr3",
      "0",
      "--tcr",
      TCR,
    ]);
    expect(x86.status).toBe(2);
    expect(x86.stderr).toContain("--ttbr0 and --tcr apply to an aarch64 layout, not to x86_64");
  });

  it("check TCR_EL1 against the spec's paging before walking (JSON names the registers)", () => {
    const r = vmlayout([
      ...image,
      "--ttbr1",
      "0x40000000",
      "--ttbr0",
      "0x40001000",
      "--tcr",
      "0x15001f5b5503590",
      "--format",
      "json",
    ]);
    expect(r.status).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ ttbr1: "0x0000000040000000", ttbr0: "0x0000000040001000" });
    expect(json.diagnostics.map((d: { code: string }) => d.code)).toEqual(["E0417"]);
  });
});
