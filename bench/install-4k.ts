/**
 * install-4k: 4-level tables mapping `0xffff888000000000 .. +16 GiB` to `0 .. 16 GiB` with
 * 4 KiB pages, P | R/W | G | XD, table frames from a pool at 16 MiB: 4,194,304 PTEs in 8,210
 * frames (8,192 PTs, 16 PDs, a PDPT and the PML4). Each timed run installs into a new machine
 * (allocator, mapper, MMU) on the same physical memory, whose allocator zeroes the frames it hands
 * out, as the C baseline reuses its pool and memsets each table; `freshMs` times installs into
 * new physical memory instead (the first touch of 32 MiB: compare with the C run's `cFirstMs`).
 *
 * Peak memory is measured in child processes (`rss-child.ts`): the peak RSS of one install
 * against the peak RSS of the same process that stops after importing the runtime.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createMachine, type Machine, PAGE_4K, PhysicalMemory } from "../src/runtime/index.js";
import {
  type BenchOptions,
  type BenchResult,
  DIRECT_MAP_VA,
  INSTALL_REPS_FACTOR,
  LEAF_FLAGS,
  MiB,
  POOL_BASE,
  expectedFrames,
  mappedBytes,
  median,
  nsPerOp,
  round,
  timed,
} from "./common.js";
import type { CResults } from "./c.js";

/** Builds the direct map on a new machine (on `memory`, if given); throws if the mapper refuses. */
export function installDirectMap(small: boolean, memory?: PhysicalMemory): Machine {
  const machine = createMachine({ levels: 4, poolBase: POOL_BASE, ...(memory ? { memory } : {}) });
  const r = machine.mapper.mapRange(DIRECT_MAP_VA, 0, mappedBytes(small), PAGE_4K, {
    writable: true,
    global: true,
    noExecute: true,
  });
  if (!r.ok) throw new Error(`install-4k: mapRange failed: ${JSON.stringify(r.error, big)}`);
  return machine;
}

/** Checks the tables: frame count, and the first and last leaf entries. */
export function checkDirectMap(machine: Machine, small: boolean): number {
  const bytes = mappedBytes(small);
  const frames = machine.allocator.framesUsed;
  if (frames !== expectedFrames(bytes)) {
    throw new Error(`install-4k: ${frames} table frames, expected ${expectedFrames(bytes)}`);
  }
  for (const offset of [0, bytes - PAGE_4K]) {
    const t = machine.mapper.translate(DIRECT_MAP_VA + BigInt(offset));
    if (!t.ok || t.entry !== (LEAF_FLAGS | BigInt(offset))) {
      throw new Error(`install-4k: wrong leaf entry at offset ${offset}`);
    }
  }
  return frames;
}

interface RssSample {
  readonly maxRssBytes: number;
}

function rssChild(mode: "baseline" | "install", small: boolean): number {
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "rss-child.js");
  const r = spawnSync(process.execPath, [child, mode, ...(small ? ["--small"] : [])], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`rss-child ${mode} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout.trim()) as RssSample).maxRssBytes;
}

/** Median peak RSS of `n` children of each kind. */
export function measurePeakRss(small: boolean, n: number) {
  const baseline: number[] = [];
  const install: number[] = [];
  for (let i = 0; i < n; i++) {
    baseline.push(rssChild("baseline", small));
    install.push(rssChild("install", small));
  }
  const b = median([...baseline].sort((x, y) => x - y));
  const p = median([...install].sort((x, y) => x - y));
  return { baseline: b, peak: p, baselineRuns: baseline, installRuns: install };
}

export function runInstall4k(options: BenchOptions, c: CResults | undefined): BenchResult {
  const { small } = options;
  const memory = new PhysicalMemory();
  const t = timed(
    options.reps * INSTALL_REPS_FACTOR,
    () => undefined,
    () => installDirectMap(small, memory),
  );
  const fresh = timed(
    options.reps,
    () => undefined,
    () => installDirectMap(small),
  );
  const frames = checkDirectMap(t.last, small);
  const ops = mappedBytes(small) / PAGE_4K;
  const tableBytes = frames * 4096;
  const rss = measurePeakRss(small, small ? 1 : 3);
  const overhead = rss.peak - rss.baseline;
  const cInstall = c?.install;
  const ratioC = cInstall ? round(t.ms / cInstall.ms, 2) : null;
  return {
    name: "install-4k",
    ms: t.ms,
    ops,
    nsPerOp: nsPerOp(t.ms, ops),
    medianMs: t.medianMs,
    firstMs: t.firstMs,
    runs: t.runs,
    frames,
    cMs: cInstall?.ms ?? null,
    cMedianMs: cInstall?.medianMs ?? null,
    cFirstMs: cInstall?.firstMs ?? null,
    freshMs: fresh.ms,
    ratioC,
    goalRatioC: 1.5,
    goalMet: ratioC === null ? null : ratioC <= 1.5,
    tableMiB: round(tableBytes / MiB, 2),
    baselineRssMiB: round(rss.baseline / MiB, 1),
    peakRssMiB: round(rss.peak / MiB, 1),
    rssOverTables: round(overhead / tableBytes, 2),
    rssGoal: 1.3,
    // With --small the tables (0.5 MiB) are below the noise of a process's RSS.
    rssGoalMet: small ? null : overhead <= 1.3 * tableBytes,
  };
}

function big(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? "0x" + v.toString(16) : v;
}
