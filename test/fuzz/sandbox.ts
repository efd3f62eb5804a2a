/**
 * Runs `checkSpec` on in-memory files in a worker thread and waits for it synchronously with a
 * time limit, so that fast-check properties stay synchronous and a hang is a failing case (with
 * its input) rather than a stuck test run. The worker uses the built pipeline in dist/: build
 * with `npx tsc -p .` before running these tests.
 *
 * `problems()` lists every broken invariant of one run: an exception, a hang, a run slower than
 * the bound, a code missing from the catalogue, a missing span or a span (or label span) outside
 * its file's text.
 */
import { existsSync } from "node:fs";
import fc from "fast-check";
import {
  MessageChannel,
  type MessagePort,
  Worker,
  receiveMessageOnPort,
} from "node:worker_threads";
import { CATALOGUE } from "../../src/diagnostics/catalogue.js";

export const CODES = new Set(CATALOGUE.map((e) => e.code));

/** Fuzz cases: the default for CI, or VMLAYOUT_FUZZ_RUNS for a longer run. */
export function fuzzRuns(ciDefault: number): number {
  const env = process.env.VMLAYOUT_FUZZ_RUNS;
  if (env === undefined || env === "") return ciDefault;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`VMLAYOUT_FUZZ_RUNS=${env}: not a count`);
  return n;
}

/** Test timeout: vitest's default for CI, none to speak of for a VMLAYOUT_FUZZ_RUNS run. */
export const FUZZ_TIMEOUT = process.env.VMLAYOUT_FUZZ_RUNS ? 7 * 24 * 3600 * 1000 : 60_000;

/** Cases per `fc.assert` call: between them the test yields to the event loop (vitest's RPC). */
const CHUNK = 1000;

/**
 * Checks `predicate` (which throws on a failure) on `fuzzRuns(ciDefault)` values of `arb`, in
 * chunks of `CHUNK` cases with seeds `seed`, `seed + 1`, ... A failure reports fast-check's
 * seed and path: VMLAYOUT_FUZZ_SEED=<seed> VMLAYOUT_FUZZ_PATH=<path> replays it (first chunk).
 */
export async function fuzz<T>(
  arb: fc.Arbitrary<T>,
  ciDefault: number,
  predicate: (value: T) => void,
): Promise<void> {
  const total = fuzzRuns(ciDefault);
  const env = process.env.VMLAYOUT_FUZZ_SEED;
  const replay = process.env.VMLAYOUT_FUZZ_PATH;
  const seed = env !== undefined && env !== "" ? Number(env) : (Math.random() * 2 ** 31) | 0;
  for (let done = 0, k = 0; done < total; done += CHUNK, k++) {
    fc.assert(fc.property(arb, predicate), {
      numRuns: Math.min(CHUNK, total - done),
      seed: seed + k,
      ...(replay !== undefined && replay !== "" && k === 0 ? { path: replay } : {}),
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A generous bound on one `checkSpec` of a small spec (the machine may be busy). */
export const RUN_BOUND_MS = 5_000;
/** Past this the worker is considered hung and replaced. */
export const HANG_MS = 20_000;

interface SpanOut {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

export type RunResult =
  | {
      readonly ok: true;
      readonly ms: number;
      readonly layouts: number;
      readonly diagnostics: readonly {
        readonly code: string;
        readonly severity: string;
        readonly message: string;
        readonly span: SpanOut | null;
        readonly labels: readonly (SpanOut | null)[];
      }[];
      /** Properties the operation itself found broken (check-worker.mjs). */
      readonly broken: readonly string[];
      /** Files the operation wrote (`import`: the spec), which diagnostics may point into. */
      readonly produced?: Files;
    }
  | { readonly ok: false; readonly ms: number; readonly error: string }
  | { readonly ok: "hang"; readonly ms: number };

export type Files = Readonly<Record<string, string>>;

/** What the worker does with the root file: see check-worker.mjs. */
export type Operation = "check" | "emit" | "format" | "import";

const WORKER = new URL("./check-worker.mjs", import.meta.url);
const PIPELINE = new URL("../../dist/src/pipeline.js", import.meta.url);

export class Sandbox {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  /** [0]: the worker is ready; [1]: sequence number of its last answer. */
  private flag = new Int32Array(new SharedArrayBuffer(8));
  private seq = 0;

  /** `script` and `hangMs` are for the sandbox's own tests. */
  constructor(
    private readonly script: URL = WORKER,
    private readonly hangMs: number = HANG_MS,
  ) {}

  private start(): void {
    if (!existsSync(PIPELINE)) {
      throw new Error("dist/src/pipeline.js is missing: run `npx tsc -p .` before the fuzz tests");
    }
    const { port1, port2 } = new MessageChannel();
    this.flag = new Int32Array(new SharedArrayBuffer(8));
    this.seq = 0;
    this.worker = new Worker(this.script, {
      workerData: { port: port2, shared: this.flag.buffer },
      transferList: [port2],
    });
    this.worker.unref();
    this.port = port1;
    if (Atomics.wait(this.flag, 0, 0, HANG_MS) === "timed-out") {
      throw new Error("the check worker did not start");
    }
  }

  /** `op` (`checkSpec` by default) on `root`, with `files` as the file system. */
  run(files: Files, root: string, op: Operation = "check"): RunResult {
    if (this.worker === undefined) this.start();
    const seq = ++this.seq;
    const t0 = performance.now();
    this.port!.postMessage({ seq, files, root, op });
    for (;;) {
      const done = Atomics.load(this.flag, 1);
      if (done === seq) break;
      const left = this.hangMs - (performance.now() - t0);
      if (left <= 0) {
        void this.worker!.terminate();
        this.worker = undefined;
        return { ok: "hang", ms: performance.now() - t0 };
      }
      Atomics.wait(this.flag, 1, done, left);
    }
    // The answer was posted before the sequence number was stored: it is in the queue.
    for (let reply; (reply = receiveMessageOnPort(this.port!)) !== undefined;) {
      const { seq: s, result } = reply.message as { seq: number; result: RunResult };
      if (s === seq) return result;
    }
    throw new Error(`the check worker stored answer ${seq} but posted none`);
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}

/** Every broken invariant of one run, as text (empty when the run is fine). */
export function problems(files: Files, result: RunResult): string[] {
  if (result.ok === "hang") return [`no answer after ${result.ms.toFixed(0)} ms (hang)`];
  if (result.ok === false) return [`uncaught exception: ${result.error}`];
  const out = [...result.broken];
  if (result.ms > RUN_BOUND_MS) out.push(`took ${result.ms.toFixed(0)} ms (bound ${RUN_BOUND_MS})`);
  const texts = { ...files, ...result.produced };
  const checkSpan = (what: string, s: SpanOut | null): void => {
    if (s === null) {
      out.push(`${what}: no span`);
      return;
    }
    const text = texts[s.file];
    if (text === undefined) {
      out.push(`${what}: span in unknown file ${JSON.stringify(s.file)}`);
      return;
    }
    const { start, end } = s;
    if (!(
      Number.isInteger(start) &&
      Number.isInteger(end) &&
      start >= 0 &&
      start <= end &&
      end <= text.length
    )) {
      out.push(`${what}: span ${start}..${end} outside 0..${text.length} of ${s.file}`);
    }
  };
  for (const d of result.diagnostics) {
    const what = `${d.code} "${d.message}"`;
    if (!(CODES as ReadonlySet<string>).has(d.code)) out.push(`${what}: code not in the catalogue`);
    checkSpan(what, d.span);
    d.labels.forEach((l, i) => checkSpan(`${what} label ${i}`, l));
  }
  return out;
}
