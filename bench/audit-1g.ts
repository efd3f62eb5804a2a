/**
 * audit-1g: a whole `vmlayout audit` process (the package's `bin`) on a raw RAM image of 1 GiB
 * (16 MiB with --small): Linux's 4-level layout installed with KASLR on that much RAM, its tables
 * written at their physical addresses into an image of all of RAM, as QEMU's `pmemsave` gives
 * one. Start to exit: reading the image, loading it as physical memory, walking the tables,
 * finding the KASLR bases and auditing. Goal (issue #14): under 2 s. The audit must be clean
 * (exit 0, the spec's W0401 aside) and find the direct map where the installer put it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, openSync, closeSync, rmSync, writeSync, ftruncateSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { checkSpec } from "../src/pipeline.js";
import { install } from "../src/runtime/install.js";
import { CLI_BUNDLE } from "../scripts/bundle.js";
import { type BenchOptions, type BenchResult, ROOT, SMALL_DIVISOR, summarize } from "./common.js";

const SPEC = path.join(ROOT, "specs", "linux-x86_64.layout");

export function runAudit1g(options: BenchOptions): BenchResult {
  const ram = (1n << 30n) / BigInt(options.small ? SMALL_DIVISOR : 1);
  const layout = checkSpec(SPEC, { variant: "4-level" }).layouts[0]!;
  // The pool below the image's end (16 MiB, the default, is past a --small image).
  const installed = install(layout, { ram, kaslrSeed: 42n, poolBase: 0x10_0000 });
  if (!installed.value) throw new Error(installed.diagnostics.map((d) => d.message).join("; "));
  const image = installed.value.image(0);
  const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-audit-1g-"));
  const file = path.join(dir, "ram.bin");
  try {
    const fd = openSync(file, "w");
    ftruncateSync(fd, Number(ram));
    writeSync(fd, image.bytes, 0, image.bytes.length, image.imageBase);
    closeSync(fd);
    const args = [CLI_BUNDLE, "audit", SPEC, "--variant", "4-level", "--format", "json"];
    args.push("--image", file, "--cr3", `0x${image.cr3.toString(16)}`);
    const runs: number[] = [];
    let report: { ok: boolean; bases: { member: string; base: string }[] } | undefined;
    for (let i = 0; i < options.reps; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 1 << 26,
      });
      runs.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`audit exited ${r.status}: ${r.stderr.slice(0, 500)}`);
      report = JSON.parse(r.stdout);
    }
    const directMap = report!.bases.find((b) => b.member === "direct_map")!.base;
    const placed = installed.value.instance.byName.get("direct_map")!.start;
    if (BigInt(directMap) !== placed) throw new Error(`direct map found at ${directMap}`);
    const timing = summarize(runs);
    return {
      name: "audit-1g",
      ms: timing.ms,
      ops: Number(ram >> 12n),
      medianMs: timing.medianMs,
      runs: timing.runs,
      imageBytes: Number(ram),
      goalMs: 2000,
      goalMet: timing.ms < 2000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
