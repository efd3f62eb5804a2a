/**
 * The runtime and the audit on RISC-V tables, the architecture named by the caller: the ptdump
 * listing in Linux's riscv format, the audit's read-back of raw RAM + satp, and image export.
 * Tables come from the Sv mapper (a riscv Layout installs through it once the language names
 * the mode).
 */
import { describe, expect, it } from "vitest";
import { MapBit } from "../../../src/arch/arch.js";
import { FrameAllocator } from "../../../src/arch/frame-allocator.js";
import { PhysicalMemory } from "../../../src/arch/physical-memory.js";
import { riscv64 } from "../../../src/arch/riscv64/arch.js";
import { SvMapper } from "../../../src/arch/riscv64/mapper.js";
import { readTables } from "../../../src/audit/read-back.js";
import { readRiscvPtdump } from "../../../src/audit/riscv-ptdump.js";
import { ptdump } from "../../../src/runtime/dump.js";
import { exportImage } from "../../../src/runtime/image.js";

const GiB = 1n << 30n;
const MiB = 1n << 20n;

function sv39() {
  const memory = new PhysicalMemory();
  const allocator = new FrameAllocator(memory, { base: 0x8100_0000, bytes: 0x10_0000 });
  const mapper = new SvMapper(memory, { mode: "sv39", allocator });
  const map = (va: bigint, pa: bigint, bytes: bigint, flags = {}) =>
    expect(mapper.map(va, pa, bytes, flags)).toEqual({ ok: true });
  map(0xffff_ffd8_0000_0000n, 0x8000_0000n, GiB + 2n * MiB, { write: true, global: true });
  map(0xffff_ffff_8000_0000n, 0x8020_0000n, 4n * MiB + 8192n, { execute: true, global: true });
  map(0xffff_ffff_0000_0000n, 0x1000_0000n, 8192n, { write: true, pbmt: 2 });
  map(0x1_0000n, 0x8800_0000n, 4096n, { execute: true, user: true });
  return { memory, allocator, mapper, arch: riscv64("sv39") };
}

describe("the runtime on riscv64 tables", () => {
  it("dumps in Linux's riscv ptdump format: a physical-address column, no invalid runs", () => {
    const { memory, mapper, arch } = sv39();
    const text = ptdump({ memory, cr3: mapper.satp(), arch, maxPhyAddr: 52 }, [
      { start: 0xffff_ffd8_0000_0000n, name: "Linear mapping" },
      { start: 0xffff_ffff_8000_0000n, name: "Kernel mapping" },
    ]);
    expect(text.split("\n")).toEqual([
      "0x0000000000010000-0x0000000000011000    0x0000000088000000         4K PTE .   ..     ..   . A . U X . R V",
      "---[ Linear mapping ]---",
      "0xffffffd800000000-0xffffffd840000000    0x0000000080000000         1G PGD .   ..     ..   D A G . . W R V",
      "0xffffffd840000000-0xffffffd840200000    0x00000000c0000000         2M PMD .   ..     ..   D A G . . W R V",
      "0xffffffff00000000-0xffffffff00002000    0x0000000010000000         8K PTE . MT(IO)   ..   D A . . . W R V",
      "---[ Kernel mapping ]---",
      "0xffffffff80000000-0xffffffff80400000    0x0000000080200000         4M PMD .   ..     ..   . A G . X . R V",
      "0xffffffff80400000-0xffffffff80402000    0x0000000080600000         8K PTE .   ..     ..   . A G . X . R V",
      "",
    ]);
  });

  it("reads back raw RAM + satp for the audit: runs with the leaf's rights and memory type", () => {
    const { memory, mapper, arch } = sv39();
    const read = readTables(memory, mapper.satp(7), arch, 52);
    expect(read.malformed).toEqual([]);
    expect(read.recursive).toEqual([]);
    // The root; two tables each for the user page, the MMIO and the kernel tail; one for the 2 MiB.
    expect(read.tables.size).toBe(8);
    expect(read.mappings).toEqual([
      { va: 0x1_0000n, end: 0x1_1000n, pa: 0x8800_0000n, flags: MapBit.U },
      {
        va: 0xffff_ffd8_0000_0000n,
        end: 0xffff_ffd8_4020_0000n,
        pa: 0x8000_0000n,
        flags: MapBit.W | MapBit.NX | MapBit.G,
      },
      {
        va: 0xffff_ffff_0000_0000n,
        end: 0xffff_ffff_0000_2000n,
        pa: 0x1000_0000n,
        flags: MapBit.W | MapBit.NX | MapBit.PCD | MapBit.PWT,
      },
      {
        va: 0xffff_ffff_8000_0000n,
        end: 0xffff_ffff_8040_2000n,
        pa: 0x8020_0000n,
        flags: MapBit.G,
      },
    ]);
  });

  it("exports the tables as one image whose levels are the mode's", () => {
    const { memory, allocator, mapper, arch } = sv39();
    const image = exportImage({ memory, allocator, cr3: mapper.satp(), arch });
    expect(image.ok && image.value.levels).toBe(3);
    expect(image.ok && image.value.imageBase).toBe(0x8100_0000);
    expect(image.ok && image.value.bytes.length).toBe(allocator.bytesUsed);
  });
});

describe("the audit's reader of riscv ptdump text", () => {
  it("reads vmlayout's own dump back into the read-back's runs, without physical addresses", () => {
    const { memory, mapper, arch } = sv39();
    const text = ptdump({ memory, cr3: mapper.satp(), arch, maxPhyAddr: 52 }, [
      { start: 0xffff_ffff_8000_0000n, name: "Kernel mapping" },
    ]);
    const read = readRiscvPtdump("kernel_page_tables", text);
    expect(read.diagnostics).toEqual([]);
    const fromRam = readTables(memory, mapper.satp(), arch, 52).mappings;
    expect(read.value!.physical).toBe(false);
    expect(read.value!.mappings).toEqual(fromRam.map((m) => ({ ...m, pa: 0n })));
  });

  it("accepts kernels without the N and MT columns, dmesg prefixes and markers", () => {
    const text = [
      "[    0.500000] ---[ Fixmap start ]---",
      "[    0.500001] 0xff1bfffffee00000-0xff1bffffff000000    0x0000000080200000         2M PMD     ..   D A G . . W R V",
      "0xff1bffffff000000-0xff1bffffff001000    0x0000000010000000         4K PTE   RSW(2) D A . U X . R V",
    ].join("\n");
    const read = readRiscvPtdump("dmesg", text);
    expect(read.diagnostics).toEqual([]);
    expect(read.value!.mappings).toEqual([
      {
        va: 0xff1b_ffff_fee0_0000n,
        end: 0xff1b_ffff_ff00_0000n,
        pa: 0n,
        flags: MapBit.W | MapBit.G | MapBit.NX,
      },
      { va: 0xff1b_ffff_ff00_0000n, end: 0xff1b_ffff_ff00_1000n, pa: 0n, flags: MapBit.U },
    ]);
  });

  it("reports lines it cannot read (E0503), column by column", () => {
    const text = [
      "0x0000000000010000-0x0000000000011000    0x0000000088000000         4K PTE . . D A G U X W R V",
      "0x0000000000011000-0x0000000000012000    0x0000000088000000         4K PTE D A G Q X W R V",
      "0x0000000000012000-0x0000000000013000         4K     RW                     GLB NX pte",
    ].join("\n");
    const read = readRiscvPtdump("bad", text);
    expect(read.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "E0503",
        "line 2 of `bad` cannot be read as Linux riscv ptdump: `Q` is not a riscv ptdump column in its place",
      ],
      [
        "E0503",
        "line 3 of `bad` cannot be read as Linux riscv ptdump: not a riscv ptdump line (`0xSTART-0xEND  0xPA  SIZE LEVEL flags`)",
      ],
    ]);
    expect(read.value!.mappings).toHaveLength(1);
  });
});
