// Worker thread for the spec fuzzers (test/fuzz/sandbox.ts): runs `checkSpec` from the built
// pipeline (dist/, so `npx tsc -p .` first) on in-memory files and answers through a port; the
// fuzzer waits with a timeout, so a hang is reported as such instead of stalling the run.
import { workerData } from "node:worker_threads";

const { checkSpec } = await import(new URL("../../dist/src/pipeline.js", import.meta.url).href);
const { port, shared } = workerData;
// flag[0]: 1 once ready; flag[1]: the sequence number of the last answer posted.
const flag = new Int32Array(shared);

const spanOf = (s) => (s === undefined ? null : { file: s.file, start: s.start, end: s.end });

port.on("message", ({ seq, files, root }) => {
  const readFile = (file) => {
    if (Object.prototype.hasOwnProperty.call(files, file)) return files[file];
    throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), { code: "ENOENT" });
  };
  let result;
  const t0 = performance.now();
  try {
    const checked = checkSpec(root, { readFile });
    result = {
      ok: true,
      ms: performance.now() - t0,
      layouts: checked.layouts.length,
      diagnostics: checked.diagnostics.map((d) => ({
        code: d.code,
        severity: d.severity,
        message: d.message,
        span: spanOf(d.span),
        labels: d.labels.map((l) => spanOf(l.span)),
      })),
    };
  } catch (e) {
    result = { ok: false, ms: performance.now() - t0, error: e?.stack ?? String(e) };
  }
  port.postMessage({ seq, result });
  Atomics.store(flag, 1, seq);
  Atomics.notify(flag, 1);
});

Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
