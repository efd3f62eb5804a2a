/**
 * QEMU differential test: the same translation tables in the emulated MMU and in QEMU 7.2's
 * `qemu-system-aarch64 -machine virt -cpu max` (RAM at 0x4000_0000, the DTB in its first MiB),
 * compared address by address through `gva2gpa`.
 *
 * The gdbstub reads system registers but ignores writes to them, so the tables' image carries a
 * few instructions encoded here (`msr` of MAIR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1 from x0..x3,
 * `isb`, `msr sctlr_el1, x4` with M set, `isb`, `b .`); the test sets x0..x4 and the PC through
 * the gdbstub, single-steps to the loop (the code page is identity-mapped, EL1-executable),
 * reads the registers back to prove they took, then compares, mapped and unmapped addresses
 * alike. QEMU 7.2's `-cpu max` takes every granule (4K, 16K, 64K) with every VA size here (39,
 * 42, 47, 48, and 52: FEAT_LPA2 with TCR_EL1.DS for 4K/16K, FEAT_LVA/LPA for 64K), and agrees
 * on all fifteen.
 */
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { levelShift } from "../../../src/arch/aarch64/entry.js";
import { NORMAL } from "../../../src/arch/aarch64/mapper.js";
import { Sctlr } from "../../../src/arch/aarch64/mmu.js";
import { fromLittleEndian } from "../../runtime/qemu/gdb-client.js";
import { describedRegisters, launchQemu, stopQemu } from "../../runtime/qemu/launch.js";
import { GRANULES, VA_SIZES, machine } from "./helpers.js";

const QEMU = "qemu-system-aarch64";
const haveQemu = spawnSync(QEMU, ["--version"], { timeout: 10_000 }).status === 0;

/** `msr <sysreg>, x<rt>`: MSR (register), op0 = 3, op1 = 0 (Arm ARM C6.2 "MSR (register)"). */
const msr = (crn: number, crm: number, op2: number, rt: number): number =>
  (0xd518_0000 | (crn << 12) | (crm << 8) | (op2 << 5) | rt) >>> 0;
const ISB = 0xd503_3fdf;
/** `b .` */
const LOOP = 0x1400_0000;
const PROGRAM = [
  msr(10, 2, 0, 0), // MAIR_EL1
  msr(2, 0, 2, 1), // TCR_EL1
  msr(2, 0, 0, 2), // TTBR0_EL1
  msr(2, 0, 1, 3), // TTBR1_EL1
  ISB,
  msr(1, 0, 0, 4), // SCTLR_EL1
  ISB,
  LOOP,
];

const CODE = 0x4100_0000;
const TABLES = { lower: 0x4110_0000, upper: 0x4200_0000 };
const TOP = 1n << 64n;

describe.skipIf(!haveQemu)("AArch64 MMU against QEMU (virt, -cpu max)", () => {
  for (const granule of GRANULES) {
    for (const vaBits of VA_SIZES) {
      it(`${granule}K granule, ${vaBits}-bit VA: gva2gpa agrees at block boundaries and random addresses`, async () => {
        const m = machine(granule, vaBits, TABLES);
        const page = BigInt(granule) * 1024n;
        const block = 1n << BigInt(levelShift(granule, 2));
        const highPa = vaBits === 52 ? 0xf_0000_0000_0000n : 0x8000_0000_0000n;
        const ranges = [
          { half: m.lower, va: 0n, pa: 0x8000_0000n, size: 3n * page },
          {
            half: m.lower,
            va: block - page,
            pa: 0x1_0000_0000n + block - page,
            size: 2n * block + 2n * page,
          },
          { half: m.upper, va: TOP - 4n * block, pa: highPa, size: 4n * block },
          { half: m.upper, va: TOP - (1n << BigInt(vaBits)), pa: 0xc000_0000n, size: page },
        ];
        for (const r of ranges)
          expect(r.half.map(r.va, r.pa, r.size, { lo: NORMAL })).toBeUndefined();
        // The code page: identity-mapped, EL1 read-only and executable.
        const code = BigInt(CODE);
        expect(m.lower.map(code, code, page, { lo: NORMAL | (1 << 7) })).toBeUndefined();
        PROGRAM.forEach((insn, i) => m.memory.write32(CODE + 4 * i, insn));

        const probes = new Set<bigint>([
          code + 4n,
          5n * block,
          (1n << BigInt(vaBits)) - 1n,
          1n << BigInt(vaBits),
        ]);
        let seed = granule * 1000 + vaBits;
        const random = (n: bigint): bigint => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return BigInt(seed) % n;
        };
        for (const r of ranges) {
          for (let off = 0n; off < r.size; off += r.size > 8n * page ? block / 2n : page) {
            for (const d of [-1n, 0n, 1n]) probes.add(BigInt.asUintN(64, r.va + off + d));
          }
          probes.add(r.va + r.size - 1n);
          probes.add(BigInt.asUintN(64, r.va + r.size));
          for (let i = 0; i < 16; i++) probes.add(r.va + random(r.size));
        }

        const end = TABLES.upper + m.upper.tableBytes;
        const qemu = await launchQemu({
          binary: QEMU,
          machine: ["-machine", "virt", "-cpu", "max"],
          ramMegs: Math.ceil((end - 0x4000_0000) / (1 << 20)) + 16,
          image: m.memory.readBytes(CODE, end - CODE),
          imageBase: CODE,
          timeoutMs: 20_000,
        });
        try {
          const regs = await describedRegisters(qemu.gdb);
          const number = (name: string): number => {
            const n = regs.get(name);
            if (n === undefined) throw new Error(`the gdbstub describes no ${name}`);
            return n;
          };
          const read = async (name: string): Promise<bigint> =>
            fromLittleEndian((await qemu.gdb.readRegister(number(name))) ?? "");
          const sctlr = (await read("SCTLR")) | Sctlr.m;
          const want = {
            MAIR_EL1: m.mmu.regs.mair,
            TCR_EL1: m.mmu.regs.tcr,
            TTBR0_EL1: m.mmu.regs.ttbr0,
            TTBR1_EL1: m.mmu.regs.ttbr1,
            SCTLR: sctlr,
          };
          const inputs = [want.MAIR_EL1, want.TCR_EL1, want.TTBR0_EL1, want.TTBR1_EL1, sctlr];
          for (const [i, v] of inputs.entries())
            await qemu.gdb.writeRegister(number(`x${i}`), v, 8);
          await qemu.gdb.writeRegister(number("pc"), code, 8);
          for (let i = 0; i < PROGRAM.length - 1; i++) {
            expect(await qemu.gdb.request("s")).toMatch(/^T05/);
          }
          const esr = await read("ESR_EL1");
          const far = await read("FAR_EL1");
          expect(await read("pc"), `ESR_EL1 ${esr.toString(16)} FAR_EL1 ${far.toString(16)}`).toBe(
            code + BigInt(4 * (PROGRAM.length - 1)),
          );
          for (const [name, value] of Object.entries(want))
            expect(await read(name), name).toBe(value);

          const list = [...probes];
          const theirs = await qemu.qmp.gva2gpa(list);
          const ours = list.map((va) => {
            const t = m.mmu.translate(va, { el: 1, kind: "read" });
            return t.ok ? t.pa : undefined;
          });
          const differ = list
            .map((va, i) => ({
              va: va.toString(16),
              ours: ours[i]?.toString(16),
              qemu: theirs[i]?.toString(16),
            }))
            .filter((d) => d.ours !== d.qemu);
          expect(differ).toEqual([]);
          expect(ours.filter((pa) => pa !== undefined).length).toBeGreaterThan(list.length / 2);
        } finally {
          await stopQemu(qemu);
        }
      }, 60_000);
    }
  }
});
