/**
 * Differential test of the Sv mapper and the emulated RISC-V MMU against QEMU's page walker, in
 * Sv39, Sv48 and Sv57: tables with every page size of the mode, kernel (global) and user
 * mappings, read-only, execute-only and Svpbmt NC/IO leaves are built with `SvMapper`, exported
 * as the raw bytes of their frame pool, loaded into a paused `qemu-system-riscv64 -machine virt`
 * and entered in S-mode through the gdbstub (riscv-machine.ts). QEMU's `gva2gpa` must answer
 * every boundary and seeded random address exactly as `SvMmu.probe` of an S-mode load does,
 * with sstatus.MXR clear and set; `info mem` must list the leaves the shared walker finds. QEMU's
 * debug walk (which `gva2gpa` is) takes SUM as set whatever sstatus says (`sum = ... ||
 * is_debug` in target/riscv/cpu_helper.c), so SUM is set on both sides; the access matrix covers
 * SUM clear.
 *
 * Skipped, saying so, when qemu-system-riscv64 is not installed (Debian: qemu-system-misc).
 */
import { describe, expect, it } from "vitest";
import { FrameAllocator } from "../../../src/arch/frame-allocator.js";
import { PhysicalMemory } from "../../../src/arch/physical-memory.js";
import { riscv64 } from "../../../src/arch/riscv64/arch.js";
import type { SvMode } from "../../../src/model/layout.js";
import { type SvMapFlags, SvMapper } from "../../../src/arch/riscv64/mapper.js";
import { SvMmu } from "../../../src/arch/riscv64/mmu.js";
import { walkTables } from "../../../src/arch/walk.js";
import { seededRandom } from "../../../src/model/kaslr.js";
import {
  RAM_BASE,
  RiscvMachine,
  SSTATUS_MXR,
  SSTATUS_SUM,
  riscvQemuVersion,
} from "../../runtime/qemu/riscv-machine.js";
import { disagreements } from "../../runtime/qemu/space-addresses.js";

const VERSION = riscvQemuVersion();
const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;
const TOP = 1n << 64n;
const RANDOM = 300;

interface Mapping {
  readonly va: bigint;
  readonly pa: bigint;
  readonly bytes: bigint;
  readonly flags: SvMapFlags;
}

/** The mappings of one mode: Linux-like kernel regions high, user regions low, every page size. */
function mappings(mode: SvMode): Mapping[] {
  const vaBits = riscv64(mode).vaBits;
  const upper = TOP - (1n << BigInt(vaBits - 1)); // first address of the upper half
  const out: Mapping[] = [
    // Direct map of 4 GiB + 6 MiB + 12 KiB of RAM: 1 GiB, 2 MiB and 4 KiB pages.
    {
      va: upper,
      pa: 0x8000_0000n,
      bytes: 4n * GiB + 6n * MiB + 12n * KiB,
      flags: { write: true, global: true },
    },
    // Kernel text: 2 MiB pages, executable, and an execute-only 4 KiB page (MXR decides).
    {
      va: TOP - 2n * GiB,
      pa: 0x8020_0000n,
      bytes: 16n * MiB,
      flags: { execute: true, global: true },
    },
    {
      va: TOP - 2n * GiB + 16n * MiB,
      pa: 0x8120_0000n,
      bytes: 4n * KiB,
      flags: { read: false, execute: true },
    },
    // MMIO with Svpbmt IO, a non-cacheable buffer with NC.
    { va: TOP - 4n * GiB, pa: 0x1000_0000n, bytes: 64n * KiB, flags: { write: true, pbmt: 2 } },
    {
      va: TOP - 4n * GiB + 2n * MiB,
      pa: 0x9000_0000n,
      bytes: 2n * MiB,
      flags: { write: true, pbmt: 1 },
    },
    // User text, data (SUM decides) and a misaligned-to-pa range that stays at 4 KiB.
    { va: 0x1_0000n, pa: 0x8800_0000n, bytes: 40n * KiB, flags: { execute: true, user: true } },
    { va: 0x40_0000n, pa: 0x8820_1000n, bytes: 4n * MiB, flags: { write: true, user: true } },
  ];
  if (mode !== "sv39") {
    // A 512 GiB page.
    out.push({ va: 1n << 39n, pa: 0n, bytes: 1n << 39n, flags: { write: true, user: true } });
  }
  if (mode === "sv57") {
    // A 256 TiB page.
    out.push({ va: 1n << 48n, pa: 1n << 48n, bytes: 1n << 48n, flags: {} });
  }
  return out;
}

function build(mode: SvMode) {
  const memory = new PhysicalMemory();
  const allocator = new FrameAllocator(memory, { base: RAM_BASE + 0x100_0000, bytes: 0x400_0000 });
  const mapper = new SvMapper(memory, { mode, allocator });
  for (const m of mappings(mode)) {
    const r = mapper.map(m.va, m.pa, m.bytes, m.flags);
    if (!r.ok)
      throw new Error(
        `${mode} ${m.va.toString(16)}: ${JSON.stringify(r.error, (_k, v) => (typeof v === "bigint" ? v.toString(16) : v))}`,
      );
  }
  const image = memory.readBytes(allocator.base, allocator.bytesUsed);
  return { memory, mapper, image, imageBase: allocator.base };
}

/** Boundaries of every mapping and of its pages, and seeded random addresses. */
function addresses(mode: SvMode, seed: bigint): bigint[] {
  const set = new Set<bigint>();
  const add = (va: bigint): void => void (va >= 0n && va < TOP && set.add(va));
  const ms = mappings(mode);
  for (const m of ms) {
    for (const d of [
      -1n,
      0n,
      1n,
      0xfffn,
      0x1000n,
      0x1f_ffffn,
      0x20_0000n,
      m.bytes / 2n,
      m.bytes - 1n,
      m.bytes,
    ]) {
      add(m.va + d);
    }
  }
  const rand = seededRandom(seed);
  for (let i = 0; i < RANDOM; i++) {
    const m = ms[Number(rand() % BigInt(ms.length))]!;
    add(i % 3 === 0 ? rand() : m.va + (rand() % m.bytes));
  }
  return [...set].sort((a, b) => (a < b ? -1 : 1));
}

describe.skipIf(VERSION === undefined)(
  `RISC-V differential test against QEMU's page walker${VERSION ? ` (${VERSION})` : ""}`,
  () => {
    for (const mode of ["sv39", "sv48", "sv57"] as const) {
      it(
        mode,
        async () => {
          const { memory, mapper, image, imageBase } = build(mode);
          const machine = await RiscvMachine.start({ image, imageBase });
          let compared = 0;
          try {
            const sum = true;
            for (const mxr of [false, true]) {
              const satp = mapper.satp(5);
              await machine.enterSupervisor(
                satp,
                (sum ? SSTATUS_SUM : 0n) | (mxr ? SSTATUS_MXR : 0n),
              );
              const mmu = new SvMmu({ memory, satp, sum, mxr });
              const vas = addresses(mode, 0x5eedn + (mxr ? 1n : 0n));
              const qemu = await machine.translate(vas);
              const mismatches = disagreements(
                vas,
                qemu,
                (va) => {
                  const r = mmu.probe(va, { kind: "load", user: false });
                  return r.ok ? r.pa : undefined;
                },
                `SUM=${sum} `,
              );
              expect(mismatches.slice(0, 20)).toEqual([]);
              // Both sides see mapped and unmapped addresses.
              expect(qemu.filter((x) => x === undefined).length).toBeGreaterThan(0);
              compared += vas.length;
            }
            expect(await infoMem(machine)).toEqual(walkedLeaves(memory, mapper));
          } finally {
            await machine.close();
          }
          expect(compared).toBeGreaterThan(2 * RANDOM);
        },
        60_000,
      );
    }
  },
);

/** `info mem` as [vaddr, paddr, size, attributes] rows. */
async function infoMem(machine: RiscvMachine): Promise<string[]> {
  const text = await machine.monitor("info mem");
  return text
    .split("\n")
    .filter((l) => /^[0-9a-f]{16} /.test(l))
    .map((l) => l.trim().split(/\s+/).join(" "));
}

/**
 * The leaves the shared walker finds, merged as QEMU's `info mem` merges them (target/riscv/
 * monitor.c, `walk_pte`): a leaf continues the row when its low 8 bits equal the row's, its
 * address (the PTE's bits 63:10 shifted to 12, so PBMT shows in the top bits) follows the last
 * page's, and it follows the previous leaf of the same table (the first leaf of a table always
 * starts a row); addresses count up from 0 within the mode's width.
 */
function walkedLeaves(memory: PhysicalMemory, mapper: SvMapper): string[] {
  const arch = riscv64(mapper.mode);
  const rows: { va: bigint; pa: bigint; size: bigint; attr: number }[] = [];
  const lastStart: (bigint | undefined)[] = [];
  let lastPaddr = -1n;
  let lastSize = 0n;
  walkTables(
    { arch, memory, root: mapper.satp(), physAddrBits: 52 },
    {
      table: (_pfn, level) => void (lastStart[level] = undefined),
      leaf(vpn, level, pages, _pa, _rights, lo, hi) {
        const start = BigInt.asUintN(arch.vaBits, BigInt(vpn) << 12n);
        const pte = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
        const paddr = BigInt.asUintN(64, (pte >> 10n) << 12n);
        const attr = lo & 0xff;
        const previous = lastStart[level];
        const row = rows.at(-1);
        if (
          !row ||
          row.attr !== attr ||
          lastPaddr + lastSize !== paddr ||
          previous === undefined ||
          previous + lastSize !== start
        ) {
          rows.push({ va: arch.canonicalize(start), pa: paddr, size: 0n, attr });
        }
        lastStart[level] = start;
        lastPaddr = paddr;
        lastSize = BigInt(pages) << 12n;
        rows.at(-1)!.size = lastPaddr + lastSize - rows.at(-1)!.pa;
      },
    },
  );
  const h = (v: bigint): string => v.toString(16).padStart(16, "0");
  const letters = (attr: number): string =>
    [..."rwxugad"].map((c, i) => ((attr & (2 << i)) !== 0 ? c : "-")).join("");
  return rows.map((r) => `${h(r.va)} ${h(r.pa)} ${h(r.size)} ${letters(r.attr)}`);
}

describe.runIf(VERSION === undefined)("RISC-V differential test against QEMU", () => {
  it("is skipped: qemu-system-riscv64 is not installed (apt-get install qemu-system-misc)", () => {
    console.warn("RISC-V QEMU differential test skipped: qemu-system-riscv64 not found on PATH");
  });
});
