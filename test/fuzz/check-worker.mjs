// Worker thread for the fuzzers (test/fuzz/sandbox.ts): runs one operation of the built
// pipeline (dist/, so `npx tsc -p .` first) on in-memory files and answers through a port; the
// fuzzer waits with a timeout, so a hang is reported as such instead of stalling the run.
//   check:  `checkSpec(root)`;
//   emit:   `check`, then, if it found no error, every emitter on the layouts (an emitter may
//           refuse a spec it cannot express with an E03xx diagnostic), and each layout installed
//           (1 GiB of RAM, one process), audited and dumped (the kernel's space and the process's);
//   format: `formatSpec` of the root file: formatted text, formatted again, must not change, and
//           a spec that does not parse is a SpecSyntaxError with its diagnostics;
//   import: `importTable` of the root file: a spec (then checked like `check`, its text returned
//           as `produced`) or NoTableError.
// Anything else thrown is an uncaught exception; `broken` lists other broken properties.
import { workerData } from "node:worker_threads";

const dist = (p) => new URL(`../../dist/src/${p}`, import.meta.url).href;
const { checkSpec } = await import(dist("pipeline.js"));
const { formatSpec, SpecSyntaxError } = await import(dist("prettier/format.js"));
const { importTable, NoTableError } = await import(dist("import/index.js"));
const { install } = await import(dist("runtime/install.js"));
const { audit } = await import(dist("audit/checks.js"));
const { dumpInstallation } = await import(dist("runtime/dump.js"));
const { emit: emitFormat, EMIT_FORMATS } = await import(dist("index.js"));
const { port, shared } = workerData;
// flag[0]: 1 once ready; flag[1]: the sequence number of the last answer posted.
const flag = new Int32Array(shared);

const spanOf = (s) => (s === undefined ? null : { file: s.file, start: s.start, end: s.end });
const described = (diagnostics) =>
  diagnostics.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    span: spanOf(d.span),
    labels: d.labels.map((l) => spanOf(l.span)),
  }));

function compile(files, root) {
  const readFile = (file) => {
    if (Object.prototype.hasOwnProperty.call(files, file)) return files[file];
    throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), { code: "ENOENT" });
  };
  return checkSpec(root, { readFile });
}

function check(files, root) {
  const checked = compile(files, root);
  return { layouts: checked.layouts.length, diagnostics: described(checked.diagnostics) };
}

function emit(files, root) {
  const checked = compile(files, root);
  const diagnostics = [...checked.diagnostics];
  if (!checked.diagnostics.some((d) => d.severity === "error")) {
    for (const f of EMIT_FORMATS) diagnostics.push(...emitFormat(checked.layouts, f).diagnostics);
    for (const layout of checked.layouts) {
      const installed = install(layout, { ram: 1n << 30n, processes: 1 });
      diagnostics.push(...installed.diagnostics);
      if (installed.value === undefined) continue;
      diagnostics.push(...audit(installed.value).diagnostics);
      for (const space of [0, 1]) dumpInstallation(installed.value, space);
    }
  }
  return { layouts: checked.layouts.length, diagnostics: described(diagnostics) };
}

function format(files, root) {
  let formatted;
  try {
    formatted = formatSpec(files[root], { path: root });
  } catch (e) {
    if (!(e instanceof SpecSyntaxError)) throw e;
    return { layouts: 0, diagnostics: described(e.diagnostics) };
  }
  const again = formatSpec(formatted, { path: root });
  return {
    layouts: 0,
    diagnostics: [],
    broken: again === formatted ? [] : ["formatting the formatted text changes it again"],
  };
}

function importDocument(files, root) {
  let imported;
  try {
    imported = importTable(files[root], { fileName: root });
  } catch (e) {
    if (!(e instanceof NoTableError)) throw e;
    return { layouts: 0, diagnostics: [] };
  }
  const path = `${root}.layout`;
  return { ...check({ [path]: imported.spec }, path), produced: { [path]: imported.spec } };
}

const OPERATIONS = { check, emit, format, import: importDocument };

port.on("message", ({ seq, files, root, op }) => {
  let result;
  const t0 = performance.now();
  try {
    const answer = OPERATIONS[op](files, root);
    result = { ok: true, ms: performance.now() - t0, broken: [], ...answer };
  } catch (e) {
    result = { ok: false, ms: performance.now() - t0, error: e?.stack ?? String(e) };
  }
  port.postMessage({ seq, result });
  Atomics.store(flag, 1, seq);
  Atomics.notify(flag, 1);
});

Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
