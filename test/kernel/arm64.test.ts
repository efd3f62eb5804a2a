/**
 * A real arm64 kernel: Debian 12's cloud kernel (6.1, 48-bit VA, 4K pages, KASLR) boots once
 * under `qemu-system-aarch64 -machine virt -cpu max` (TCG) to user space; its TTBR1_EL1,
 * TTBR0_EL1, TCR_EL1, MAIR_EL1 and SCTLR_EL1 are read through the gdbstub and its 1 GiB of RAM
 * (from 0x4000_0000) through QMP `pmemsave`. The tests of this file share that one boot:
 *
 *  - the registers are the kernel's configuration: TCR_EL1 gives both halves a 4K granule and
 *    48-bit VAs, TTBR1_EL1's table lies in RAM;
 *  - the emulated AArch64 MMU (src/arch/aarch64/mmu.ts), loaded with the RAM and the registers,
 *    translates the kernel's addresses as QEMU's own walker does (`gva2gpa` on the stopped
 *    machine): around the image (`_stext`, printed by the guest's /init), across the linear map,
 *    and at seeded random addresses of both halves;
 *  - `vmlayout audit` of the RAM at TTBR1_EL1 and TTBR0_EL1, with TCR_EL1, against
 *    specs/linux-arm64.layout's v6.1 variant finds nothing, and reports the KASLR bases it
 *    inferred: the image's is `_stext`, where the kernel's mapping of its image starts (its
 *    64 KiB header from `_text` is not mapped; this kernel's kallsyms, without KALLSYMS_ALL,
 *    lists `_stext` and no `_text`);
 *    faults planted in the RAM are caught.
 *
 * The instance, not the defaults: the boot's RAM (/proc/iomem "System RAM") and its image's
 * segments ("Kernel code" = [_stext, __init_begin), "Kernel data" = [__init_end, _end), physical).
 *
 * Needs `test/kernel/fetch.sh arm64` to have run (.ci/run runs it). Outside CI a missing kernel
 * or QEMU skips, saying so; in CI it fails.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { vmlayout } from "../cli-helpers.js";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mmu, tcrHalf } from "../../src/arch/aarch64/mmu.js";
import { imageOfBytes, loadImage } from "../../src/audit/image.js";
import { seededRandom } from "../../src/model/kaslr.js";
import { QEMU_AARCH64, RAM_BASE } from "../runtime/qemu/aarch64-machine.js";
import { qemuVersion } from "../runtime/qemu/machine.js";
import { type Arm64Registers, LinuxGuest, cachedKernel, kernelCache } from "./linux.js";

const KERNEL = cachedKernel("arm64");
const READY = KERNEL !== undefined && qemuVersion(QEMU_AARCH64) !== undefined;
const RAM_MiB = 1024;
/** PAGE_OFFSET of a 48-bit kernel: the linear map, from the first byte of RAM's region. */
const PAGE_OFFSET = 0xffff_0000_0000_0000n;
const MiB = 1n << 20n;
const RANDOM = 200;
/** The kernel maps its image in whole SEGMENT_ALIGN (64 KiB) segments (vmlinux.lds.S). */
const SEGMENT_ALIGN = 64n << 10n;
const hex = (v: bigint): string => `0x${v.toString(16)}`;
const roundUp = (v: bigint, to: bigint): bigint => (v + to - 1n) & ~(to - 1n);

/** What the one boot left for the tests. */
interface Boot {
  readonly regs: Arm64Registers;
  readonly ram: Buffer;
  /** The RAM image's file, for the CLI. */
  readonly ramFile: string;
  /** Where the kernel's text starts on this boot (/proc/kallsyms `_stext`). */
  readonly stext: bigint;
  /** The arguments every audit of this boot takes (the spec, variant, RAM, parameters). */
  readonly args: readonly string[];
  /** The addresses QEMU was asked about, and its answers (undefined: "Unmapped"). */
  readonly probes: readonly bigint[];
  readonly qemu: readonly (bigint | undefined)[];
  /** Milliseconds from starting QEMU to a stopped guest with RAM read. */
  readonly ms: number;
}

const dir = mkdtempSync(path.join(tmpdir(), "vmlk-arm64-"));
let boot: Boot;

/** The addresses compared: the image's neighbourhood, the linear map, random ones. */
function probes(stext: bigint): bigint[] {
  const vas = new Set<bigint>();
  for (let d = -4n * MiB; d < 48n * MiB; d += 256n << 10n) vas.add(stext + d);
  for (let off = 0n; off < 2n * BigInt(RAM_MiB) * MiB; off += 16n * MiB + 4096n)
    vas.add(PAGE_OFFSET + off);
  const rand = seededRandom(17n);
  for (let i = 0; i < RANDOM; i++) {
    vas.add(0xffff_0000_0000_0000n | BigInt.asUintN(48, rand()));
    vas.add(BigInt.asUintN(48, rand()));
  }
  return [...vas].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

describe.runIf(READY || process.env.CI)(`a real arm64 kernel (${KERNEL})`, () => {
  beforeAll(async () => {
    expect(
      KERNEL,
      `no kernel in ${kernelCache("arm64")}: run test/kernel/fetch.sh arm64`,
    ).toBeDefined();
    const start = Date.now();
    const guest = await LinuxGuest.boot({ machine: { arch: "arm64" }, ramMiB: RAM_MiB });
    try {
      const regs = await guest.arm64Registers();
      const ram = await guest.ram();
      const ms = Date.now() - start;
      const stext = guest.symbol("_stext");
      const vas = probes(stext);
      // Physical: "Kernel code" is [_stext, __init_begin), "Kernel data" [__init_end, _end).
      const [code, initBegin] = guest.resource("Kernel code");
      const [initEnd, end] = guest.resource("Kernel data");
      const args = [
        "audit",
        "specs/linux-arm64.layout",
        "--variant",
        "v6.1",
        "--ram",
        guest
          .systemRam()
          .map(([s, e]) => `${hex(s)}..<${hex(e)}`)
          .join(","),
        "--param",
        `init_offset=${hex(initBegin - code)}`,
        "--param",
        `init_size=${hex(initEnd - initBegin)}`,
        "--param",
        `kernel_mapped=${hex(roundUp(end - code, SEGMENT_ALIGN))}`,
        "--deny-warnings",
        "--format",
        "json",
      ];
      const qemu = await guest.translate(vas);
      const ramFile = path.join(dir, "ram.bin");
      writeFileSync(ramFile, ram);
      boot = { regs, ram, ramFile, stext, args, probes: vas, qemu, ms };
    } finally {
      await guest.close();
    }
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs with the configuration it was built for: 4K granule, 48-bit VAs in both halves", () => {
    for (const upper of [true, false]) {
      const half = tcrHalf(boot.regs.tcr, upper);
      expect({ granule: half.granule, vaBits: half.vaBits, disabled: half.disabled }).toEqual({
        granule: 4,
        vaBits: 48,
        disabled: false,
      });
    }
    const root = boot.regs.ttbr1 & 0x0000_ffff_ffff_f000n;
    expect(root >= BigInt(RAM_BASE) && root < BigInt(RAM_BASE) + BigInt(boot.ram.length)).toBe(
      true,
    );
    expect(boot.stext >> 48n).toBe(0xffffn);
    expect(boot.ram.length).toBe(RAM_MiB << 20);
  });

  it("the emulated MMU and QEMU agree on the booted kernel's translations", () => {
    const memory = loadImage(imageOfBytes(boot.ram, BigInt(RAM_BASE)));
    const mmu = new Mmu(memory);
    Object.assign(mmu.regs, {
      tcr: boot.regs.tcr,
      ttbr0: boot.regs.ttbr0,
      ttbr1: boot.regs.ttbr1,
      mair: boot.regs.mair,
      sctlr: boot.regs.sctlr,
    });
    const differ: string[] = [];
    boot.probes.forEach((va, i) => {
      const r = mmu.translate(va, { el: 1, kind: "read" });
      const ours = r.ok ? r.pa : undefined;
      if (ours !== boot.qemu[i]) {
        differ.push(
          `0x${va.toString(16)}: emulator ${ours?.toString(16)}, QEMU ${boot.qemu[i]?.toString(16)}`,
        );
      }
    });
    expect(differ.slice(0, 20)).toEqual([]);
    // The comparison is not vacuous: the image and the linear map translate.
    const mapped = boot.qemu.filter((pa) => pa !== undefined).length;
    expect(mapped).toBeGreaterThan(100);
    expect(boot.qemu[boot.probes.indexOf(boot.stext)]).toBeDefined();
  });

  interface Report {
    ok: boolean;
    bases: { member: string; base: string; source: string }[];
    diagnostics: { code: string; message: string }[];
  }
  const audit = (ram: string): { status: number | null; report: Report } => {
    const r = vmlayout([
      ...boot.args,
      "--image",
      ram,
      "--ttbr1",
      hex(boot.regs.ttbr1),
      "--ttbr0",
      hex(boot.regs.ttbr0),
      "--tcr",
      hex(boot.regs.tcr),
    ]);
    expect(r.stderr).toBe("");
    return { status: r.status, report: JSON.parse(r.stdout) as Report };
  };

  it("audits clean against the v6.1 spec, at the image base KASLR chose (_stext)", () => {
    const { status, report } = audit(boot.ramFile);
    expect(report.diagnostics).toEqual([]);
    expect(status).toBe(0);
    const bases = new Map(report.bases.map((b) => [b.member, b]));
    expect([...bases.keys()]).toEqual(["kernel_image", "linear_ram"]);
    for (const b of bases.values()) expect(b.source).toBe("tables");
    expect(BigInt(bases.get("kernel_image")!.base)).toBe(boot.stext);
    // KASLR moved the image away from KIMAGE_VADDR, into the middle half of vmalloc.
    expect(BigInt(bases.get("kernel_image")!.base)).toBeGreaterThan(0xffff_8000_0800_0000n);
    // The linear map starts with RAM's first byte at PAGE_OFFSET (52-bit PARange: no room).
    expect(BigInt(bases.get("linear_ram")!.base)).toBe(PAGE_OFFSET);
  });

  /** The RAM offset of the block or page descriptor that maps `va` (4K granule, 4 levels). */
  function descriptorOffset(va: bigint): number {
    let table = boot.regs.ttbr1 & 0x0000_ffff_ffff_f000n;
    for (let level = 0; ; level++) {
      const at = Number(table - BigInt(RAM_BASE) + ((va >> BigInt(39 - 9 * level)) & 511n) * 8n);
      const d = boot.ram.readBigUInt64LE(at);
      if ((d & 1n) === 0n) throw new Error(`0x${va.toString(16)} is not mapped`);
      if (level === 3 || (d & 2n) === 0n) return at;
      table = d & 0x0000_ffff_ffff_f000n;
    }
  }

  it("catches faults planted in the RAM, each under its codes", () => {
    // Bits of a block or page descriptor (Arm ARM D8.3): AP[1] (EL0 access), AP[2] (read-only),
    // PXN. The linear map's tables set PXNTable (NO_EXEC_MAPPINGS in map_mem()), so a page
    // whose own PXN is cleared stays execute-never: no finding (D8.4.2 hierarchical attributes).
    const faults: [string, bigint, (d: bigint) => bigint, string[]][] = [
      ["kernel text made writable", boot.stext, (d) => d & ~(1n << 7n), ["W0401"]],
      [
        "a linear-map page made EL0-accessible",
        PAGE_OFFSET + 0x300_0000n,
        (d) => d | (1n << 6n),
        ["E0404"],
      ],
      [
        "a linear-map page's PXN cleared under PXNTable",
        PAGE_OFFSET + 0x300_0000n,
        (d) => d & ~(1n << 53n),
        [],
      ],
    ];
    // Each fault is planted in the boot's RAM file, 8 bytes in place, and taken out again.
    const fd = openSync(boot.ramFile, "r+");
    const put = (at: number, d: bigint): void => {
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64LE(d);
      writeSync(fd, bytes, 0, 8, at);
    };
    try {
      for (const [what, va, plant, codes] of faults) {
        const at = descriptorOffset(va);
        const original = boot.ram.readBigUInt64LE(at);
        put(at, plant(original));
        try {
          const { status, report } = audit(boot.ramFile);
          expect(status, what).toBe(codes.length > 0 ? 1 : 0);
          expect([...new Set(report.diagnostics.map((d) => d.code))].sort(), what).toEqual(codes);
        } finally {
          put(at, original);
        }
      }
    } finally {
      closeSync(fd);
    }
  });
});
