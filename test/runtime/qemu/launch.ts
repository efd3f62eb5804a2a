/**
 * Starting and stopping a paused QEMU for any target: one raw image loaded as physical memory
 * (`-device loader,file=IMAGE,addr=BASE,force-raw=on`), a QMP monitor and a gdbstub on unix
 * sockets. QEMU runs in its own process group and is killed (SIGKILL to the group) by
 * `stopQemu`, which callers run in `finally`; every wait is bounded. The x86-64 machine
 * (`machine.ts`) and the AArch64 one (`test/arch/aarch64/qemu.test.ts`) both start through here.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { GdbClient } from "./gdb-client.js";
import { QmpClient } from "./qmp-client.js";

/** QEMUs still running: killed when this process exits, whatever the tests did. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) killGroup(child);
});

export interface LaunchOptions {
  /** `qemu-system-x86_64`, `qemu-system-aarch64`. */
  readonly binary: string;
  /** The machine and CPU arguments: `-machine q35 -cpu max`. */
  readonly machine: readonly string[];
  readonly ramMegs: number;
  readonly image: Uint8Array;
  readonly imageBase: number;
  /** Bound for each wait (connect, one request). */
  readonly timeoutMs: number;
}

export interface QemuProcess {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly gdb: GdbClient;
  readonly qmp: QmpClient;
  /** What QEMU wrote to stderr so far (for failure messages). */
  stderr(): string;
}

export async function launchQemu(options: LaunchOptions): Promise<QemuProcess> {
  const { timeoutMs } = options;
  const dir = mkdtempSync(path.join(tmpdir(), "vmlq-"));
  const imagePath = path.join(dir, "tables.img");
  writeFileSync(imagePath, options.image);
  const args = [
    "-S",
    "-nographic",
    "-nodefaults",
    ...options.machine,
    "-m",
    `${options.ramMegs}M`,
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
    return { child, dir, gdb, qmp, stderr: () => err };
  } catch (e) {
    gdb?.close();
    qmp?.close();
    killGroup(child);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The register numbers the gdbstub's target description gives each name, following its
 * `xi:include`s: registers count up from 0 in document order unless a `regnum` says otherwise.
 */
export async function describedRegisters(gdb: GdbClient): Promise<Map<string, number>> {
  const regs = new Map<string, number>();
  const load = async (annex: string): Promise<void> => {
    const xml = await gdb.features(annex);
    let n = regs.size === 0 ? 0 : Math.max(...regs.values()) + 1;
    for (const m of xml.matchAll(/<xi:include\s+href="([^"]+)"|<reg\s([^>]*)>/g)) {
      if (m[1] !== undefined) {
        await load(m[1]);
        n = Math.max(...regs.values()) + 1;
        continue;
      }
      const attrs = m[2]!;
      const name = /name="([^"]+)"/.exec(attrs)?.[1];
      const num = /regnum="(\d+)"/.exec(attrs)?.[1];
      if (num !== undefined) n = Number(num);
      if (name !== undefined) regs.set(name, n);
      n++;
    }
  };
  await load("target.xml");
  return regs;
}

/** Quits QEMU (killing it if it does not go) and removes its directory. */
export async function stopQemu(p: QemuProcess): Promise<void> {
  try {
    await Promise.race([p.qmp.execute("quit"), new Promise((r) => setTimeout(r, 1000))]);
  } catch {
    // QEMU may close the socket before answering.
  }
  p.gdb.close();
  p.qmp.close();
  killGroup(p.child);
  await Promise.race([
    new Promise((r) =>
      p.child.exitCode !== null || p.child.signalCode !== null
        ? r(undefined)
        : p.child.once("exit", r),
    ),
    new Promise((r) => setTimeout(r, 5000)),
  ]);
  rmSync(p.dir, { recursive: true, force: true });
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
