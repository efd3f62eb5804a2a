/**
 * A paused `qemu-system-riscv64 -machine virt` whose MMU translates through a page-table image:
 * the image is loaded into RAM (which starts at 0x8000_0000 on `virt`; `-bios none`, so no
 * firmware runs or occupies it), `satp`, `sstatus` and the privilege level are set through the
 * gdbstub (its target description has the CSRs, and QEMU adds a virtual `priv` register), and
 * `gva2gpa` asks QEMU's own page walker, as for x86 (`QemuSession`).
 *
 * QEMU 7.2's `rv64` CPU implements Sv39, Sv48 and Sv57 (satp's MODE is checked against them on
 * write; there are no per-mode CPU properties before QEMU 8.0); Svpbmt is off by default and
 * turned on here; Svnapot stays off, as in the emulated MMU. PMP is turned off: with PMP and no
 * entry programmed, every S-mode access fails its PMP check, page-table reads included (firmware
 * such as OpenSBI grants S-mode all memory with a catch-all entry, which is what `pmp=false`
 * amounts to).
 */
import { QemuSession, qemuVersion, type MachineOptions } from "./machine.js";
import { fromLittleEndian } from "./gdb-client.js";

export const QEMU_RISCV = "qemu-system-riscv64";
/** Where `virt` puts RAM. */
export const RAM_BASE = 0x8000_0000;

/** The QEMU version line, or undefined when qemu-system-riscv64 is not installed. */
export function riscvQemuVersion(): string | undefined {
  return qemuVersion(QEMU_RISCV);
}

/** sstatus.SUM (bit 18) and MXR (bit 19). */
export const SSTATUS_SUM = 1n << 18n;
export const SSTATUS_MXR = 1n << 19n;

export class RiscvMachine extends QemuSession {
  private regs: { satp: number; sstatus: number; priv: number } | undefined;

  static async start(options: MachineOptions): Promise<RiscvMachine> {
    return QemuSession.launch(
      {
        ...options,
        binary: QEMU_RISCV,
        machineArgs: ["-machine", "virt", "-bios", "none", "-cpu", "rv64,svpbmt=on,pmp=false"],
        xmlRegisters: "riscv",
        ramBase: RAM_BASE,
      },
      (child, dir, gdb, qmp, log) => new RiscvMachine(child, dir, gdb, qmp, log),
    );
  }

  protected override async ready(): Promise<void> {
    const described = await this.describedRegisters();
    const number = (name: string): number => {
      const n = described.get(name);
      if (n === undefined) throw new Error(`the gdbstub describes no ${name} register`);
      return n;
    };
    this.regs = { satp: number("satp"), sstatus: number("sstatus"), priv: number("priv") };
  }

  /**
   * Enters S-mode with `satp` and `sstatus` bits `status` (SUM, MXR), reading both back: a MODE
   * QEMU does not implement leaves satp unchanged, which is an error here.
   */
  async enterSupervisor(satp: bigint, status: bigint): Promise<void> {
    const r = this.regs!;
    await this.gdb.writeRegister(r.priv, 1n, 8);
    await this.gdb.writeRegister(r.satp, satp, 8);
    const sstatus = await this.read(r.sstatus);
    await this.gdb.writeRegister(r.sstatus, (sstatus & ~(SSTATUS_SUM | SSTATUS_MXR)) | status, 8);
    const [gotSatp, gotStatus, priv] = [
      await this.read(r.satp),
      await this.read(r.sstatus),
      await this.read(r.priv),
    ];
    if (gotSatp !== satp || (gotStatus & (SSTATUS_SUM | SSTATUS_MXR)) !== status || priv !== 1n) {
      throw new Error(
        `QEMU did not take the state: satp=${gotSatp.toString(16)} sstatus=${gotStatus.toString(16)} priv=${priv}`,
      );
    }
  }

  private async read(n: number): Promise<bigint> {
    return fromLittleEndian((await this.gdb.readRegister(n)) ?? "");
  }
}
