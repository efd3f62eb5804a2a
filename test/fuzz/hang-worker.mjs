// A stand-in for check-worker.mjs that never answers a spec containing "hang" (it spins), for
// the sandbox's own test of hang detection; other specs get an empty, successful answer.
import { workerData } from "node:worker_threads";

const { port, shared } = workerData;
const flag = new Int32Array(shared);
port.on("message", ({ seq, files, root }) => {
  if (files[root].includes("hang")) for (;;);
  port.postMessage({ seq, result: { ok: true, ms: 0, layouts: 0, diagnostics: [], broken: [] } });
  Atomics.store(flag, 1, seq);
  Atomics.notify(flag, 1);
});
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
