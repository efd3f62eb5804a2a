/**
 * A paused QEMU whose MMU translates through a page-table image: the image is loaded as raw
 * physical memory (`-device loader,file=IMAGE,addr=BASE,force-raw=on`), CR4/EFER/CR3/CR0 are set
 * through the gdbstub, and `gva2gpa` (QMP `human-monitor-command`) asks QEMU's own page walker
 * for translations. Unix sockets only; every wait is bounded; QEMU runs in its own process group
 * and is killed (SIGKILL to the group) by `close()`, which callers run in `finally`.
 *
 * Register numbers: the gdbstub's target description (`qXfer:features:read`) names cr0, cr3,
 * cr4 and efer, but QEMU 7.2 numbers its registers differently from the description it sends
 * (the description lists ss_base/ds_base/es_base, the stub does not), so the numbering is
 * checked: in the stub's real numbering the control registers immediately precede st0 (the
 * first 80-bit register), and CR0 reads its reset value (ET, CD, NW set) there.
 */
import { spawnSync } from "node:child_process";
import { fromLittleEndian } from "./gdb-client.js";
import { type QemuProcess, describedRegisters, killGroup, launchQemu, stopQemu } from "./launch.js";
import {
  type ControlRegister,
  Cr0,
  enterPaging,
  pagingTaken,
} from "../../../src/arch/x86_64/control.js";

export const QEMU = "qemu-system-x86_64";
export { killGroup };

/** The QEMU version line, or undefined when QEMU is not installed. */
export function qemuVersion(): string | undefined {
  const r = spawnSync(QEMU, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split("\n")[0];
}

export interface MachineOptions {
  readonly image: Uint8Array;
  readonly imageBase: number;
  /** Bound for each wait (connect, one request). Default 10 s. */
  readonly timeoutMs?: number;
}

/** The gdbstub's numbers of the control registers. */
type Registers = Readonly<Record<ControlRegister, number>>;

export class QemuMachine {
  private regs: Registers | undefined;

  private constructor(private readonly qemu: QemuProcess) {}

  private get gdb() {
    return this.qemu.gdb;
  }

  private get qmp() {
    return this.qemu.qmp;
  }

  static async start(options: MachineOptions): Promise<QemuMachine> {
    const end = options.imageBase + options.image.length;
    const qemu = await launchQemu({
      binary: QEMU,
      machine: ["-machine", "q35", "-cpu", "max"],
      ramMegs: Math.max(64, Math.ceil(end / (1 << 20)) + 16),
      image: options.image,
      imageBase: options.imageBase,
      timeoutMs: options.timeoutMs ?? 10_000,
    });
    try {
      await qemu.gdb.request("qSupported:xmlRegisters=i386");
      const m = new QemuMachine(qemu);
      m.regs = await m.findRegisters();
      return m;
    } catch (e) {
      await stopQemu(qemu);
      throw e;
    }
  }

  /** Finds the stub's register numbers of cr0, cr3, cr4 and efer (see the file comment). */
  private async findRegisters(): Promise<Registers> {
    const regs = await describedRegisters(this.gdb);
    const need = ["cr0", "cr3", "cr4", "efer", "st0"];
    for (const r of need)
      if (!regs.has(r)) throw new Error(`the gdbstub describes no ${r} register`);
    // The stub's real st0: its first 80-bit (10-byte) register.
    let st0 = -1;
    for (let i = 0; i < 128 && st0 < 0; i++) {
      const v = await this.gdb.readRegister(i);
      if (v !== undefined && v.length === 20) st0 = i;
    }
    const xmlSt0 = regs.get("st0")!;
    const offsets = [...new Set([0, st0 >= 0 ? st0 - xmlSt0 : 0])];
    for (const off of offsets) {
      const at = (name: string): number => regs.get(name)! + off;
      const cr0 = await this.gdb.readRegister(at("cr0"));
      if (cr0 === undefined) continue;
      const v = fromLittleEndian(cr0);
      // Reset value 0x60000010: CD, NW and ET.
      if ((v & Cr0.ET) !== 0n && (v & 0x6000_0000n) === 0x6000_0000n && (v & Cr0.PG) === 0n) {
        return { cr0: at("cr0"), cr3: at("cr3"), cr4: at("cr4"), efer: at("efer") };
      }
    }
    throw new Error("cannot locate CR0 in the gdbstub's registers");
  }

  /**
   * Enters IA-32e paging on `cr3`: CR4.PAE (and LA57 for 5 levels), EFER.LME|NXE, CR3, then
   * CR0.PE|WP|PG (which sets EFER.LMA). Reads everything back.
   */
  async enablePaging(levels: 4 | 5, cr3: bigint): Promise<void> {
    const r = this.regs!;
    for (const [register, value] of enterPaging(levels, cr3)) {
      await this.gdb.writeRegister(r[register], value, 8);
    }
    const read = async (n: number): Promise<bigint> =>
      fromLittleEndian((await this.gdb.readRegister(n)) ?? "");
    const cr0 = await read(r.cr0);
    const cr4 = await read(r.cr4);
    const efer = await read(r.efer);
    const got3 = await read(r.cr3);
    const ok = pagingTaken(levels, cr3, { cr0, cr3: got3, cr4, efer });
    if (!ok) {
      throw new Error(
        `QEMU did not take the paging state: cr0=${cr0.toString(16)} cr3=${got3.toString(16)} cr4=${cr4.toString(16)} efer=${efer.toString(16)}`,
      );
    }
  }

  /** QEMU's translation of each address (`gva2gpa`), undefined where it says "Unmapped". */
  async translate(vas: readonly bigint[]): Promise<(bigint | undefined)[]> {
    return this.qmp.gva2gpa(vas);
  }

  /** The text of a monitor command (`info tlb`, `info mem`). */
  async monitor(command: string): Promise<string> {
    return this.qmp.hmp(command);
  }

  async close(): Promise<void> {
    await stopQemu(this.qemu);
  }

  /** What QEMU wrote to stderr so far (for failure messages). */
  get log(): string {
    return this.qemu.stderr();
  }
}
