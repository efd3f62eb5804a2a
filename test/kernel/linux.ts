/**
 * Boots Debian's real Linux kernel (fetched by test/kernel/fetch.sh) under QEMU TCG to user
 * space, stops it over QMP, and reads what an audit needs: CR3 and CR4 (`info registers`) and
 * all of RAM (`pmemsave`). `gva2gpa` then asks QEMU's own page walker about the stopped kernel.
 *
 * 4-level boots use `-cpu max,la57=off` and `no5lvl`; 5-level boots `-cpu max` (LA57 on).
 * Every wait is bounded; QEMU runs in its own process group and `close()` kills the group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { QEMU, killGroup } from "../runtime/qemu/machine.js";
import { QmpClient } from "../runtime/qemu/qmp-client.js";

export const KERNEL_CACHE =
  process.env.VMLAYOUT_KERNEL_CACHE ??
  path.resolve(import.meta.dirname, "..", "..", ".cache", "kernel-amd64");
const MARKER = "VMLAYOUT-USERSPACE-READY";

/** The cached kernel's package name, or undefined when fetch.sh has not run. */
export function cachedKernel(): string | undefined {
  const file = (f: string): string => path.join(KERNEL_CACHE, f);
  if (!existsSync(file("vmlinuz")) || !existsSync(file("initrd.gz"))) return undefined;
  return existsSync(file("package")) ? readFileSync(file("package"), "utf8").trim() : "linux";
}

export interface BootOptions {
  readonly levels: 4 | 5;
  /** Guest RAM in MiB (default 512). */
  readonly ramMiB?: number;
  /** Bound for reaching user space (default 180 s: TCG on a loaded 2-core machine). */
  readonly bootTimeoutMs?: number;
}

export class LinuxGuest {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly qmp: QmpClient,
    readonly console: () => string,
    readonly ramBytes: number,
  ) {}

  /** Boots to the initramfs' marker line, then stops the CPU. */
  static async boot(options: BootOptions): Promise<LinuxGuest> {
    const ramMiB = options.ramMiB ?? 512;
    const dir = mkdtempSync(path.join(tmpdir(), "vmlk-"));
    const append = `console=ttyS0 panic=-1 quiet${options.levels === 4 ? " no5lvl" : ""}`;
    const args = [
      "-nographic",
      "-nodefaults",
      "-no-reboot",
      "-machine",
      "q35",
      "-accel",
      "tcg",
      "-cpu",
      options.levels === 4 ? "max,la57=off" : "max",
      "-m",
      `${ramMiB}M`,
      "-serial",
      "stdio",
      "-kernel",
      path.join(KERNEL_CACHE, "vmlinuz"),
      "-initrd",
      path.join(KERNEL_CACHE, "initrd.gz"),
      "-append",
      append,
      "-qmp",
      `unix:${path.join(dir, "qmp")},server=on,wait=off`,
    ];
    const child = spawn(QEMU, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
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
      return new LinuxGuest(child, dir, qmp, () => out, ramMiB << 20);
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

  /** All of guest RAM from physical 0, as QEMU's `pmemsave` writes it. */
  async ram(): Promise<Buffer> {
    const file = path.join(this.dir, "ram.bin");
    await this.qmp.execute("pmemsave", { val: 0, size: this.ramBytes, filename: file });
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
    this.qmp.close();
    killGroup(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
