/**
 * A minimal GDB remote-protocol client over a unix socket, enough to set x86-64 control
 * registers in a stopped QEMU (`-S -gdb unix:PATH,server=on,wait=off`):
 * `$packet#checksum` framing with `+` acknowledgements, `qSupported`, `qXfer:features:read`
 * (the target description), `p`/`P` register read/write. Every wait is bounded.
 */
import * as net from "node:net";

export class GdbClient {
  private buffer = "";
  private waiter: { resolve: (s: string) => void; reject: (e: Error) => void } | undefined;
  private closed: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buffer += d;
      this.pump();
    });
    const fail = (e: Error): void => {
      this.closed = e;
      this.waiter?.reject(e);
      this.waiter = undefined;
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("gdbstub closed the connection")));
  }

  static async connect(path: string, timeoutMs: number): Promise<GdbClient> {
    const socket = await connectUnix(path, timeoutMs);
    return new GdbClient(socket, timeoutMs);
  }

  private pump(): void {
    for (;;) {
      while (this.buffer.startsWith("+") || this.buffer.startsWith("-"))
        this.buffer = this.buffer.slice(1);
      const start = this.buffer.indexOf("$");
      if (start < 0) return;
      const hash = this.buffer.indexOf("#", start);
      if (hash < 0 || this.buffer.length < hash + 3) return;
      const body = this.buffer.slice(start + 1, hash);
      const sum = parseInt(this.buffer.slice(hash + 1, hash + 3), 16);
      this.buffer = this.buffer.slice(hash + 3);
      if (checksum(body) !== sum) {
        this.socket.write("-");
        continue;
      }
      this.socket.write("+");
      const w = this.waiter;
      this.waiter = undefined;
      w?.resolve(unescape(body));
    }
  }

  /** Sends one packet and waits for the reply packet. */
  request(packet: string): Promise<string> {
    if (this.closed) return Promise.reject(this.closed);
    if (this.waiter) return Promise.reject(new Error("gdb request already in flight"));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(
          new Error(
            `gdbstub did not answer \`${packet.slice(0, 40)}\` within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      this.waiter = {
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(`$${packet}#${checksum(packet).toString(16).padStart(2, "0")}`);
    });
  }

  /** Reads a whole `qXfer:features:read` annex. */
  async features(annex: string): Promise<string> {
    let text = "";
    for (let offset = 0; offset < 1 << 20;) {
      const r = await this.request(`qXfer:features:read:${annex}:${offset.toString(16)},800`);
      if (r.startsWith("E") || r === "")
        throw new Error(`qXfer:features:read:${annex} failed: ${r}`);
      text += r.slice(1);
      offset += r.length - 1;
      if (r[0] === "l") return text;
    }
    throw new Error(`target description ${annex} too long`);
  }

  /** Register `n` as little-endian hex, or undefined if the stub has no such register. */
  async readRegister(n: number): Promise<string | undefined> {
    const r = await this.request(`p${n.toString(16)}`);
    return r === "" || /^E[0-9a-fA-F]{2}$/.test(r) ? undefined : r;
  }

  async writeRegister(n: number, value: bigint, bytes: number): Promise<void> {
    const r = await this.request(`P${n.toString(16)}=${littleEndian(value, bytes)}`);
    if (r !== "OK") throw new Error(`writing register ${n} failed: ${r || "(not supported)"}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

function checksum(s: string): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum = (sum + s.charCodeAt(i)) & 0xff;
  return sum;
}

/** Undoes `}` escaping (binary replies); run-length encoding is not used by the packets read. */
function unescape(s: string): string {
  return s.replace(/\}(.)/g, (_m, c: string) => String.fromCharCode(c.charCodeAt(0) ^ 0x20));
}

export function littleEndian(v: bigint, bytes: number): string {
  let out = "";
  for (let i = 0; i < bytes; i++)
    out += Number((v >> BigInt(8 * i)) & 0xffn)
      .toString(16)
      .padStart(2, "0");
  return out;
}

export function fromLittleEndian(hex: string): bigint {
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2)
    v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  return v;
}

/** Connects to a unix socket, retrying until it exists (QEMU creates it at start-up). */
export async function connectUnix(path: string, timeoutMs: number): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(path);
        s.once("connect", () => {
          s.removeAllListeners("error");
          resolve(s);
        });
        s.once("error", reject);
      });
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`cannot connect to ${path}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * The registers the gdbstub's target description names, by name, numbered as the description
 * numbers them (`regnum` where given, else one after the previous).
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
