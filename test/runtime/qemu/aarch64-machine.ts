/**
 * A paused `qemu-system-aarch64 -machine virt -cpu max` whose MMU translates through a
 * translation-table image (RAM at 0x4000_0000, the DTB in its first MiB), asked through
 * `gva2gpa` as for x86 (`QemuSession`).
 *
 * QEMU 7.2's gdbstub reads system registers but ignores writes to them, so translation is turned
 * on by a stub that the image carries (`MMU_ON_STUB`, at an identity-mapped, EL1-executable
 * address): `msr` of MAIR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1 from x0..x3, `isb`,
 * `msr sctlr_el1, x4` with M set, `isb`, `b .`. `enableMmu` sets x0..x4 and the PC through the
 * gdbstub, single-steps to the loop and reads the registers back to prove they took.
 */
import { QemuSession, type MachineOptions } from "./machine.js";
import { fromLittleEndian } from "./gdb-client.js";
import { Sctlr } from "../../../src/arch/aarch64/mmu.js";

export const QEMU_AARCH64 = "qemu-system-aarch64";
/** Where `virt` puts RAM. */
export const RAM_BASE = 0x4000_0000;

/** `msr <sysreg>, x<rt>`: MSR (register), op0 = 3, op1 = 0 (Arm ARM C6.2 "MSR (register)"). */
const msr = (crn: number, crm: number, op2: number, rt: number): number =>
  (0xd518_0000 | (crn << 12) | (crm << 8) | (op2 << 5) | rt) >>> 0;
const ISB = 0xd503_3fdf;
/** `b .` */
const LOOP = 0x1400_0000;

/** The instruction words of the stub `enableMmu` runs; the image holds them at its `code`. */
export const MMU_ON_STUB: readonly number[] = [
  msr(10, 2, 0, 0), // MAIR_EL1
  msr(2, 0, 2, 1), // TCR_EL1
  msr(2, 0, 0, 2), // TTBR0_EL1
  msr(2, 0, 1, 3), // TTBR1_EL1
  ISB,
  msr(1, 0, 0, 4), // SCTLR_EL1
  ISB,
  LOOP,
];

/** The EL1 translation registers the stub writes. */
export interface TranslationRegisters {
  readonly mair: bigint;
  readonly tcr: bigint;
  readonly ttbr0: bigint;
  readonly ttbr1: bigint;
}

export class Aarch64Machine extends QemuSession {
  private described: Map<string, number> | undefined;

  static async start(options: MachineOptions): Promise<Aarch64Machine> {
    return QemuSession.launch(
      {
        ...options,
        binary: QEMU_AARCH64,
        machineArgs: ["-machine", "virt", "-cpu", "max"],
        xmlRegisters: "aarch64",
        ramBase: RAM_BASE,
      },
      (child, dir, gdb, qmp, log) => new Aarch64Machine(child, dir, gdb, qmp, log),
    );
  }

  protected override async ready(): Promise<void> {
    this.described = await this.describedRegisters();
  }

  /** A register by its target-description name (`x0`, `pc`, `SCTLR`, `ESR_EL1`). */
  async read(name: string): Promise<bigint> {
    return fromLittleEndian((await this.gdb.readRegister(this.number(name))) ?? "");
  }

  /**
   * Runs `MMU_ON_STUB` at `code` (identity-mapped by `regs`) to load `regs` and set SCTLR_EL1.M,
   * then checks that the PC reached the stub's loop and every register holds what was written.
   */
  async enableMmu(code: bigint, regs: TranslationRegisters): Promise<void> {
    const sctlr = (await this.read("SCTLR")) | Sctlr.m;
    const want: [string, bigint][] = [
      ["MAIR_EL1", regs.mair],
      ["TCR_EL1", regs.tcr],
      ["TTBR0_EL1", regs.ttbr0],
      ["TTBR1_EL1", regs.ttbr1],
      ["SCTLR", sctlr],
    ];
    for (const [i, [, value]] of want.entries())
      await this.gdb.writeRegister(this.number(`x${i}`), value, 8);
    await this.gdb.writeRegister(this.number("pc"), code, 8);
    for (let i = 0; i < MMU_ON_STUB.length - 1; i++) {
      const stop = await this.gdb.request("s");
      if (!stop.startsWith("T05")) throw new Error(`single-step stopped with ${stop}`);
    }
    const pc = await this.read("pc");
    if (pc !== code + BigInt(4 * (MMU_ON_STUB.length - 1))) {
      const esr = await this.read("ESR_EL1");
      const far = await this.read("FAR_EL1");
      throw new Error(
        `the stub did not reach its loop: pc=${pc.toString(16)} ESR_EL1=${esr.toString(16)} FAR_EL1=${far.toString(16)}`,
      );
    }
    for (const [name, value] of want) {
      const got = await this.read(name);
      if (got !== value)
        throw new Error(
          `QEMU did not take ${name}: ${got.toString(16)}, not ${value.toString(16)}`,
        );
    }
  }

  private number(name: string): number {
    const n = this.described!.get(name);
    if (n === undefined) throw new Error(`the gdbstub describes no ${name} register`);
    return n;
  }
}
