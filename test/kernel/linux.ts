/**
 * Boots Debian's real Linux kernel (fetched by test/kernel/fetch.sh) under QEMU TCG to user
 * space, stops it over QMP, and reads what an audit needs: on x86-64 CR3 and CR4 (`info
 * registers`), on arm64 TTBR1_EL1, TTBR0_EL1 and TCR_EL1 (through the gdbstub, which reads system
 * registers), and all of RAM (`pmemsave` from the RAM base). `gva2gpa` then asks QEMU's own page
 * walker about the stopped kernel.
 *
 * x86-64: 4-level boots use `-cpu max,la57=off` and `no5lvl`; 5-level boots `-cpu max` (LA57 on).
 * arm64: `-machine virt -cpu max`, RAM at 0x4000_0000.
 * Every wait is bounded; QEMU runs in its own process group and `close()` kills the group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { QEMU, killGroup } from "../runtime/qemu/machine.js";
import { QEMU_AARCH64, RAM_BASE } from "../runtime/qemu/aarch64-machine.js";
import { GdbClient, describedRegisters, fromLittleEndian } from "../runtime/qemu/gdb-client.js";
import { QmpClient } from "../runtime/qemu/qmp-client.js";

/** Debian's name of the kernel's architecture, as fetch.sh takes it. */
export type KernelArch = "amd64" | "arm64";

/** Where fetch.sh caches the kernel of `arch`. */
export function kernelCache(arch: KernelArch): string {
  return arch === "amd64" && process.env.VMLAYOUT_KERNEL_CACHE !== undefined
    ? process.env.VMLAYOUT_KERNEL_CACHE
    : path.resolve(import.meta.dirname, "..", "..", ".cache", `kernel-${arch}`);
}
export const KERNEL_CACHE = kernelCache("amd64");
const MARKER = "VMLAYOUT-USERSPACE-READY";

/** The cached kernel's package name, or undefined when fetch.sh has not run. */
export function cachedKernel(arch: KernelArch = "amd64"): string | undefined {
  const file = (f: string): string => path.join(kernelCache(arch), f);
  if (!existsSync(file("vmlinuz")) || !existsSync(file("initrd.gz"))) return undefined;
  return existsSync(file("package")) ? readFileSync(file("package"), "utf8").trim() : "linux";
}

export interface BootOptions {
  /** x86-64 with 4- or 5-level paging, or arm64 (its paging is the kernel's configuration). */
  readonly machine: { readonly arch: "amd64"; readonly levels: 4 | 5 } | { readonly arch: "arm64" };
  /** Guest RAM in MiB (default 512). */
  readonly ramMiB?: number;
  /** Bound for reaching user space (default 180 s: TCG on a loaded 2-core machine). */
  readonly bootTimeoutMs?: number;
}

/** The EL1 translation registers of a stopped arm64 guest. */
export interface Arm64Registers {
  readonly ttbr1: bigint;
  readonly ttbr0: bigint;
  readonly tcr: bigint;
  readonly mair: bigint;
  readonly sctlr: bigint;
}

/** The emulator, its machine arguments and the kernel's console for one boot. */
function machineArgs(options: BootOptions, cache: string): { binary: string; args: string[] } {
  const m = options.machine;
  const kernel = ["-kernel", path.join(cache, "vmlinuz"), "-initrd", path.join(cache, "initrd.gz")];
  if (m.arch === "arm64") {
    return {
      binary: QEMU_AARCH64,
      args: [
        "-machine",
        "virt",
        "-cpu",
        "max",
        ...kernel,
        "-append",
        "console=ttyAMA0 panic=-1 quiet",
      ],
    };
  }
  return {
    binary: QEMU,
    args: [
      "-machine",
      "q35",
      "-cpu",
      m.levels === 4 ? "max,la57=off" : "max",
      ...kernel,
      "-append",
      `console=ttyS0 panic=-1 quiet${m.levels === 4 ? " no5lvl" : ""}`,
    ],
  };
}

export class LinuxGuest {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly qmp: QmpClient,
    private readonly gdb: GdbClient | undefined,
    readonly console: () => string,
    readonly ramBytes: number,
    /** The physical address of RAM's first byte (0 on a PC, 0x4000_0000 on arm64 `virt`). */
    readonly ramBase: bigint,
  ) {}

  /** Boots to the initramfs' marker line, then stops the CPU. */
  static async boot(options: BootOptions): Promise<LinuxGuest> {
    const ramMiB = options.ramMiB ?? 512;
    const dir = mkdtempSync(path.join(tmpdir(), "vmlk-"));
    const arm64 = options.machine.arch === "arm64";
    const { binary, args: machine } = machineArgs(options, kernelCache(options.machine.arch));
    const args = [
      "-nographic",
      "-nodefaults",
      "-no-reboot",
      "-accel",
      "tcg",
      "-m",
      `${ramMiB}M`,
      "-serial",
      "stdio",
      ...machine,
      "-qmp",
      `unix:${path.join(dir, "qmp")},server=on,wait=off`,
      ...(arm64 ? ["-gdb", `unix:${path.join(dir, "gdb")},server=on,wait=off`] : []),
    ];
    const child = spawn(binary, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const collect = (d: Buffer): void => {
      if (out.length < 1_000_000) out += d.toString("latin1");
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    try {
      const timeout = options.bootTimeoutMs ?? 180_000;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${MARKER} within ${timeout} ms:\n${out.slice(-2000)}`)),
          timeout,
        );
        const check = (): void => {
          if (!out.includes(MARKER)) return;
          clearTimeout(timer);
          child.stdout!.off("data", check);
          resolve();
        };
        child.stdout!.on("data", check);
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`QEMU exited (${code ?? signal}):\n${out.slice(-2000)}`));
        });
      });
      // pmemsave of 1 GiB takes seconds on a loaded machine.
      const qmp = await QmpClient.connect(path.join(dir, "qmp"), 60_000);
      await qmp.execute("stop");
      let gdb: GdbClient | undefined;
      if (arm64) {
        gdb = await GdbClient.connect(path.join(dir, "gdb"), 60_000);
        await gdb.request("qSupported:xmlRegisters=aarch64");
      }
      return new LinuxGuest(
        child,
        dir,
        qmp,
        gdb,
        () => out,
        ramMiB << 20,
        arm64 ? BigInt(RAM_BASE) : 0n,
      );
    } catch (e) {
      killGroup(child);
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** CR3 and CR4 of the (only) CPU, from `info registers`. */
  async controlRegisters(): Promise<{ cr3: bigint; cr4: bigint }> {
    const text = await this.qmp.hmp("info registers");
    const reg = (name: string): bigint => {
      const m = new RegExp(`\\b${name}=([0-9a-f]+)`, "i").exec(text);
      if (!m) throw new Error(`no ${name} in info registers:\n${text}`);
      return BigInt(`0x${m[1]}`);
    };
    return { cr3: reg("CR3"), cr4: reg("CR4") };
  }

  /**
   * TTBR1_EL1, TTBR0_EL1, TCR_EL1, MAIR_EL1 and SCTLR_EL1 of the (only) arm64 CPU, as the
   * gdbstub reads them (its target description names the system registers).
   */
  async arm64Registers(): Promise<Arm64Registers> {
    if (this.gdb === undefined) throw new Error("not an arm64 guest");
    const numbers = await describedRegisters(this.gdb);
    const reg = async (name: string): Promise<bigint> => {
      const n = numbers.get(name);
      const value = n === undefined ? undefined : await this.gdb!.readRegister(n);
      if (value === undefined) throw new Error(`the gdbstub does not read ${name}`);
      return fromLittleEndian(value);
    };
    return {
      ttbr1: await reg("TTBR1_EL1"),
      ttbr0: await reg("TTBR0_EL1"),
      tcr: await reg("TCR_EL1"),
      mair: await reg("MAIR_EL1"),
      sctlr: await reg("SCTLR"),
    };
  }

  /** All of guest RAM from its base, as QEMU's `pmemsave` writes it. */
  async ram(): Promise<Buffer> {
    const file = path.join(this.dir, "ram.bin");
    await this.qmp.execute("pmemsave", {
      val: Number(this.ramBase),
      size: this.ramBytes,
      filename: file,
    });
    const bytes = readFileSync(file);
    rmSync(file);
    if (bytes.length !== this.ramBytes) throw new Error(`pmemsave wrote ${bytes.length} bytes`);
    return bytes;
  }

  /** A QEMU monitor command's output (`info tlb`, `info mem`). */
  async monitor(command: string): Promise<string> {
    return this.qmp.hmp(command);
  }

  /**
   * The RAM the kernel found, `[start, end)` per range, as its init printed /proc/iomem's
   * "System RAM" lines.
   */
  systemRam(): [bigint, bigint][] {
    return [...this.console().matchAll(/VMLAYOUT-RAM\s+([0-9a-f]+)-([0-9a-f]+) : System RAM/g)].map(
      (m) => [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`) + 1n],
    );
  }

  /** `[start, end)` of the /proc/iomem resource `name` ("Kernel code"), as its init printed it. */
  resource(name: string): [bigint, bigint] {
    const m = new RegExp(`VMLAYOUT-RAM\\s+([0-9a-f]+)-([0-9a-f]+) : ${name}\\s`).exec(
      this.console(),
    );
    if (!m) throw new Error(`the guest did not print ${name}:\n${this.console().slice(-2000)}`);
    return [BigInt(`0x${m[1]}`), BigInt(`0x${m[2]}`) + 1n];
  }

  /** A symbol's address on this boot, as its init printed /proc/kallsyms. */
  symbol(name: string): bigint {
    const m = new RegExp(`VMLAYOUT-SYM ([0-9a-f]{16}) \\w ${name}\\s`).exec(this.console());
    if (!m) throw new Error(`the guest did not print ${name}:\n${this.console().slice(-2000)}`);
    return BigInt(`0x${m[1]}`);
  }

  /** QEMU's translation of each address in the current CR3 (undefined: "Unmapped"). */
  async translate(vas: readonly bigint[]): Promise<(bigint | undefined)[]> {
    return this.qmp.gva2gpa(vas);
  }

  async close(): Promise<void> {
    this.gdb?.close();
    this.qmp.close();
    killGroup(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
