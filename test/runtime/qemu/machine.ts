/**
 * A paused QEMU whose MMU translates through a page-table image (`QemuSession`, shared by the
 * x86-64 machine here, the RISC-V one in riscv-machine.ts and the AArch64 one in
 * aarch64-machine.ts): the image is loaded as raw physical memory
 * (`-device loader,file=IMAGE,addr=BASE,force-raw=on`), CR4/EFER/CR3/CR0 are set through the
 * gdbstub, and `gva2gpa` (QMP `human-monitor-command`) asks QEMU's own page walker
 * for translations. Unix sockets only; every wait is bounded; QEMU runs in its own process group
 * and is killed (SIGKILL to the group) by `close()`, which callers run in `finally`.
 *
 * Register numbers: the gdbstub's target description (`qXfer:features:read`) names cr0, cr3,
 * cr4 and efer, but QEMU 7.2 numbers its registers differently from the description it sends
 * (the description lists ss_base/ds_base/es_base, the stub does not), so the numbering is
 * checked: in the stub's real numbering the control registers immediately precede st0 (the
 * first 80-bit register), and CR0 reads its reset value (ET, CD, NW set) there.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { GdbClient, describedRegisters, fromLittleEndian } from "./gdb-client.js";
import { QmpClient } from "./qmp-client.js";
import {
  type ControlRegister,
  Cr0,
  enterPaging,
  pagingTaken,
} from "../../../src/arch/x86_64/control.js";

export const QEMU = "qemu-system-x86_64";

/** QEMUs still running: killed when this process exits, whatever the tests did. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) killGroup(child);
});

/** The version line of a QEMU system emulator, or undefined when it is not installed. */
export function qemuVersion(binary = QEMU): string | undefined {
  const r = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 });
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

/** What a QEMU system emulator is started with: its binary, machine options and the image. */
export interface LaunchOptions extends MachineOptions {
  readonly binary: string;
  /** `-machine ... -cpu ...` and any other options of the emulated machine. */
  readonly machineArgs: readonly string[];
  /** The `xmlRegisters=` architecture the gdbstub is asked for (`i386`, `riscv`, `aarch64`). */
  readonly xmlRegisters: string;
  /** Megabytes of RAM: at least what the image needs above `ramBase`. */
  readonly ramBase?: number;
}

/**
 * A paused QEMU with its gdbstub and QMP connections: `-S`, the image through `-device loader`,
 * unix sockets only, every wait bounded; `close()` kills its process group.
 */
export class QemuSession {
  protected constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    protected readonly gdb: GdbClient,
    private readonly qmp: QmpClient,
    private readonly stderr: () => string,
  ) {}

  /**
   * Starts QEMU and connects; `make` builds the session (a subclass) from the connections, whose
   * `ready` then runs; if anything fails QEMU is killed and its directory removed.
   */
  protected static async launch<T extends QemuSession>(
    options: LaunchOptions,
    make: (
      child: ChildProcess,
      dir: string,
      gdb: GdbClient,
      qmp: QmpClient,
      log: () => string,
    ) => T,
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const dir = mkdtempSync(path.join(tmpdir(), "vmlq-"));
    const imagePath = path.join(dir, "tables.img");
    writeFileSync(imagePath, options.image);
    const end = options.imageBase - (options.ramBase ?? 0) + options.image.length;
    const megs = Math.max(64, Math.ceil(end / (1 << 20)) + 16);
    const args = [
      "-S",
      "-nographic",
      "-nodefaults",
      ...options.machineArgs,
      "-m",
      `${megs}M`,
      "-device",
      `loader,file=${imagePath},addr=0x${options.imageBase.toString(16)},force-raw=on`,
      "-qmp",
      `unix:${path.join(dir, "qmp")},server=on,wait=off`,
      "-gdb",
      `unix:${path.join(dir, "gdb")},server=on,wait=off`,
    ];
    const child = spawn(options.binary, args, {
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    live.add(child);
    child.once("exit", () => live.delete(child));
    let err = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (d: string) => {
      if (err.length < 10_000) err += d;
    });
    const exited = new Promise<never>((_, reject) => {
      child.once("exit", (code, signal) =>
        reject(new Error(`QEMU exited (${code ?? signal}): ${err.trim()}`)),
      );
      child.once("error", (e) => reject(e));
    });
    exited.catch(() => undefined);
    let gdb: GdbClient | undefined;
    let qmp: QmpClient | undefined;
    try {
      qmp = await Promise.race([QmpClient.connect(path.join(dir, "qmp"), timeoutMs), exited]);
      gdb = await Promise.race([GdbClient.connect(path.join(dir, "gdb"), timeoutMs), exited]);
      await gdb.request(`qSupported:xmlRegisters=${options.xmlRegisters}`);
      const session = make(child, dir, gdb, qmp, () => err);
      await session.ready();
      return session;
    } catch (e) {
      gdb?.close();
      qmp?.close();
      killGroup(child);
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** What a subclass must learn from the paused machine before use (its register numbers). */
  protected async ready(): Promise<void> {}

  /** The registers the gdbstub's target description names, by name. */
  protected async describedRegisters(): Promise<Map<string, number>> {
    return describedRegisters(this.gdb);
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
    try {
      await Promise.race([this.qmp.execute("quit"), new Promise((r) => setTimeout(r, 1000))]);
    } catch {
      // QEMU may close the socket before answering.
    }
    this.gdb.close();
    this.qmp.close();
    killGroup(this.child);
    await Promise.race([
      new Promise((r) =>
        this.child.exitCode !== null || this.child.signalCode !== null
          ? r(undefined)
          : this.child.once("exit", r),
      ),
      new Promise((r) => setTimeout(r, 5000)),
    ]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** What QEMU wrote to stderr so far (for failure messages). */
  get log(): string {
    return this.stderr();
  }
}

/** The x86-64 machine: q35, `-cpu max`, IA-32e paging entered through the control registers. */
export class QemuMachine extends QemuSession {
  private regs: Registers | undefined;

  static async start(options: MachineOptions): Promise<QemuMachine> {
    return QemuSession.launch(
      {
        ...options,
        binary: QEMU,
        machineArgs: ["-machine", "q35", "-cpu", "max"],
        xmlRegisters: "i386",
      },
      (child, dir, gdb, qmp, log) => new QemuMachine(child, dir, gdb, qmp, log),
    );
  }

  protected override async ready(): Promise<void> {
    this.regs = await this.findRegisters();
  }

  /** Finds the stub's register numbers of cr0, cr3, cr4 and efer (see the file comment). */
  private async findRegisters(): Promise<Registers> {
    const regs = await this.describedRegisters();
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
}

export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
