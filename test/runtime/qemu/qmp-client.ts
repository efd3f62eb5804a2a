/**
 * A minimal QMP client over a unix socket: greeting, `qmp_capabilities`, and commands matched to
 * their replies by `id` (so many can be in flight; events are skipped). Every wait is bounded.
 */
import type * as net from "node:net";
import { connectUnix } from "./gdb-client.js";

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class QmpClient {
  private buffer = "";
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private greeting: ((v: unknown) => void) | undefined;
  private closed: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      this.buffer += d;
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line !== "") this.onMessage(JSON.parse(line) as Record<string, unknown>);
      }
    });
    const fail = (e: Error): void => {
      this.closed = e;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(e);
      }
      this.pending.clear();
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("QMP connection closed")));
  }

  static async connect(path: string, timeoutMs: number): Promise<QmpClient> {
    const socket = await connectUnix(path, timeoutMs);
    const c = new QmpClient(socket, timeoutMs);
    await c.waitGreeting();
    await c.execute("qmp_capabilities");
    return c;
  }

  private waitGreeting(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no QMP greeting")), this.timeoutMs);
      this.greeting = (v) => {
        clearTimeout(timer);
        resolve(v);
      };
    });
  }

  private onMessage(m: Record<string, unknown>): void {
    if ("QMP" in m) {
      this.greeting?.(m);
      this.greeting = undefined;
      return;
    }
    if ("event" in m) return;
    const id = m.id as number | undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p) return;
    this.pending.delete(id!);
    clearTimeout(p.timer);
    if ("error" in m) p.reject(new Error(`QMP error: ${JSON.stringify(m.error)}`));
    else p.resolve(m.return);
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP \`${command}\` timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(
        JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + "\n",
      );
    });
  }

  /** An HMP command through `human-monitor-command`. */
  async hmp(commandLine: string): Promise<string> {
    return (await this.execute("human-monitor-command", { "command-line": commandLine })) as string;
  }

  /**
   * QEMU's own page walker on each address, in the current CR3 (`gva2gpa`), 64 requests in
   * flight at a time; undefined where it says "Unmapped".
   */
  async gva2gpa(vas: readonly bigint[]): Promise<(bigint | undefined)[]> {
    const out: (bigint | undefined)[] = [];
    for (let i = 0; i < vas.length; i += 64) {
      const batch = vas.slice(i, i + 64);
      const replies = await Promise.all(
        batch.map((va) => this.hmp(`gva2gpa 0x${va.toString(16)}`)),
      );
      replies.forEach((text, k) => {
        const m = /gpa:\s*(0x[0-9a-f]+|\d+)/i.exec(text);
        if (m) out.push(BigInt(m[1]!));
        else if (/Unmapped/i.test(text)) out.push(undefined);
        else
          throw new Error(
            `unexpected gva2gpa reply for 0x${batch[k]!.toString(16)}: ${JSON.stringify(text)}`,
          );
      });
    }
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}
