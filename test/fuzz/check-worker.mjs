// Worker thread for the fuzzers (test/fuzz/sandbox.ts): runs one operation of the built
// pipeline (dist/, so `npx tsc -p .` first) on in-memory files and answers through a port; the
// fuzzer waits with a timeout, so a hang is reported as such instead of stalling the run.
// Every operation goes through src/pipeline.ts, the orchestration the CLI uses:
//   check:  `checkSpec(root)`;
//   emit:   `checkSpec`, then, if it found no error, every emitter on the layouts (an emitter may
//           refuse a spec it cannot express with an E03xx diagnostic), and each variant through
//           `installSpec` (1 GiB of RAM, one process where the architecture builds them: installed, audited) and dumped (the
//           kernel's space and the process's);
//   format: `formatSpec` of the root file: formatted text, formatted again, must not change (a
//           spec that does not parse gives its diagnostics);
//   import: `importTable` of the root file: a spec (then checked like `check`, its text returned
//           as `produced`) or no spec and E0501.
// A stage must not throw on any input: anything thrown is an uncaught exception; `broken` lists
// other broken properties.
import { workerData } from "node:worker_threads";

const dist = (p) => new URL(`../../dist/src/${p}`, import.meta.url).href;
const { checkSpec, emit: emitFormat, installSpec } = await import(dist("pipeline.js"));
const { formatSpec } = await import(dist("format/index.js"));
const { importTable } = await import(dist("import/index.js"));
const { dumpInstallation } = await import(dist("runtime/dump.js"));
const { EMIT_FORMATS } = await import(dist("compiler/emit/registry.js"));
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

/** The file system the pipeline reads: `files`, and ENOENT for any other path. */
function inMemory(files) {
  return (file) => {
    if (Object.prototype.hasOwnProperty.call(files, file)) return files[file];
    throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), { code: "ENOENT" });
  };
}

function check(files, root) {
  const checked = checkSpec(root, { readFile: inMemory(files) });
  return { layouts: checked.layouts.length, diagnostics: described(checked.diagnostics) };
}

function emit(files, root) {
  const readFile = inMemory(files);
  const checked = checkSpec(root, { readFile });
  const diagnostics = [...checked.diagnostics];
  if (!checked.diagnostics.some((d) => d.severity === "error")) {
    for (const f of EMIT_FORMATS) diagnostics.push(...emitFormat(checked.layouts, f).diagnostics);
    for (const layout of checked.layouts) {
      // Process address spaces are built for x86-64 only so far (E0410 elsewhere).
      const processes = layout.paging.arch === "x86_64" ? 1 : 0;
      const { installed, audited } = installSpec(root, {
        readFile,
        variant: layout.variant ?? undefined,
        boot: { ram: 1n << 30n, processes },
      });
      diagnostics.push(...(installed?.diagnostics ?? []), ...(audited?.diagnostics ?? []));
      if (installed?.value === undefined) continue;
      for (let space = 0; space <= processes; space++) dumpInstallation(installed.value, space);
    }
  }
  return { layouts: checked.layouts.length, diagnostics: described(diagnostics) };
}

function format(files, root) {
  const formatted = formatSpec(files[root], { path: root });
  if (formatted.value === undefined)
    return { layouts: 0, diagnostics: described(formatted.diagnostics) };
  const again = formatSpec(formatted.value, { path: root });
  return {
    layouts: 0,
    diagnostics: [],
    broken:
      again.value === formatted.value ? [] : ["formatting the formatted text changes it again"],
  };
}

function importDocument(files, root) {
  const imported = importTable(files[root], { fileName: root });
  if (imported.value === undefined)
    return { layouts: 0, diagnostics: described(imported.diagnostics) };
  const path = `${root}.layout`;
  const spec = imported.value.spec;
  return { ...check({ [path]: spec }, path), produced: { [path]: spec } };
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
