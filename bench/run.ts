/**
 * `npm run bench [-- --json] [--small] [--reps N] [--only a,b]`: the vmlayout benchmarks.
 *
 * Workloads (one module each): install-4k, walk-4k, walk-tlb, walk-sv48 (walk-4k on RISC-V
 * Sv48 tables), verify-100k, kaslr-proof, check-cold, audit-1g; install-4k and walk-4k are also
 * run in C (bench/c/pagetable.c, gcc -O2) in the same run, and the ratios printed (walk-sv48's
 * to the C 4-level walk). `--json` prints one JSON object per workload and line,
 * `{"name","ms","ops",...}`; otherwise a table. `ms` is the best of the runs (least disturbed by
 * other processes), `medianMs` and `firstMs` (cold) are given too. `--small` divides every size
 * by 64 (a CI smoke run). Exit status 1 if a workload failed (its line has `error`).
 */
import { parseArgs } from "node:util";
import { type BenchOptions, type BenchResult } from "./common.js";
import { type CResults, runC } from "./c.js";
import { runAudit1g } from "./audit-1g.js";
import { runCheckCold } from "./check-cold.js";
import { runInstall4k } from "./install-4k.js";
import { runKaslrProof } from "./kaslr-proof.js";
import { runVerify100k } from "./verify-100k.js";
import { runWalk4k } from "./walk-4k.js";
import { runWalkTlb } from "./walk-tlb.js";
import { runWalkSv48 } from "./walk-sv48.js";

type Workload = (options: BenchOptions, c: CResults | undefined) => BenchResult;

export const WORKLOADS: readonly (readonly [string, Workload])[] = [
  ["install-4k", runInstall4k],
  ["walk-4k", runWalk4k],
  ["walk-tlb", runWalkTlb],
  ["walk-sv48", runWalkSv48],
  ["verify-100k", runVerify100k],
  ["kaslr-proof", runKaslrProof],
  ["check-cold", runCheckCold],
  ["audit-1g", runAudit1g],
];

function main(): number {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      small: { type: "boolean", default: false },
      reps: { type: "string" },
      only: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: node dist/bench/run.js [--json] [--small] [--reps N] [--only NAME,...]\n" +
        `workloads: ${WORKLOADS.map(([n]) => n).join(", ")}\n`,
    );
    return 0;
  }
  const small = values.small;
  const reps = values.reps !== undefined ? Number(values.reps) : small ? 3 : 5;
  if (!Number.isInteger(reps) || reps < 1 || reps > 100) throw new Error("--reps: 1..100");
  const only = values.only?.split(",").map((s) => s.trim());
  for (const name of only ?? []) {
    if (!WORKLOADS.some(([n]) => n === name)) throw new Error(`--only: no workload \`${name}\``);
  }
  const options: BenchOptions = { small, reps };
  const selected = WORKLOADS.filter(([n]) => only === undefined || only.includes(n));

  let c: CResults | undefined;
  let cError: string | undefined;
  if (selected.some(([n]) => n === "install-4k" || n === "walk-4k" || n === "walk-sv48")) {
    const r = runC(options);
    if ("error" in r) cError = r.error;
    else c = r;
  }

  const results: BenchResult[] = [];
  let failed = false;
  for (const [name, run] of selected) {
    let result: BenchResult;
    try {
      result = run(options, c);
      if (c === undefined && (name === "install-4k" || name === "walk-4k")) {
        result = { ...result, cError };
      }
    } catch (e) {
      failed = true;
      result = { name, ms: NaN, ops: 0, error: (e as Error).stack ?? String(e) };
    }
    results.push(result);
    if (values.json) process.stdout.write(JSON.stringify(result) + "\n");
    else process.stderr.write(`${name}: done\n`);
  }
  if (!values.json) process.stdout.write(table(results, options, c, cError));
  return failed ? 1 : 0;
}

// --- human output --------------------------------------------------------------------------

function fmt(x: unknown, digits = 1): string {
  if (typeof x !== "number") return x === null || x === undefined ? "-" : String(x);
  if (!Number.isFinite(x)) return "-";
  return x >= 100 ? x.toFixed(0) : x.toFixed(digits);
}

const verdict = (met: unknown): string =>
  met === true ? "met" : met === false ? "NOT MET" : "n/a";

function table(
  results: readonly BenchResult[],
  options: BenchOptions,
  c: CResults | undefined,
  cError: string | undefined,
): string {
  const head = [
    "workload",
    "best ms",
    "median ms",
    "first ms",
    "ops",
    "ns/op",
    "C best ms",
    "ratio",
    "goal",
  ];
  const rows = results.map((r) => {
    const ratio = r.ratioC ?? r.ratioNode ?? r.ratioBig;
    const goal =
      r.goalRatioC !== undefined
        ? `<= ${r.goalRatioC}x C: ${verdict(r.goalMet)}`
        : r.goalRatioNode !== undefined
          ? `<= ${r.goalRatioNode}x node -e 0: ${verdict(r.goalMet)}`
          : r.goalMs !== undefined
            ? `< ${r.goalMs} ms: ${verdict(r.goalMet)}`
            : r.goalMet !== undefined
              ? `flat: ${verdict(r.goalMet)}`
              : "";
    return [
      r.name,
      r.error !== undefined ? "FAILED" : fmt(r.ms),
      fmt(r.medianMs),
      fmt(r.firstMs),
      String(r.ops),
      fmt(r.nsPerOp),
      fmt(r.cMs, 2),
      typeof ratio === "number" ? `${ratio.toFixed(2)}x` : "-",
      goal,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) =>
        i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!),
      )
      .join("  ")
      .trimEnd();
  const out = [
    `vmlayout benchmarks (${options.small ? "--small: sizes / 64" : "full sizes"}; ${options.reps} runs, best shown; node ${process.version}; C: ${c?.compiler ?? `unavailable (${cError ?? "not run"})`})`,
    "",
    line(head),
    ...rows.map(line),
    "",
  ];
  for (const r of results) {
    const d = details(r);
    if (d) out.push(`${r.name}: ${d}`);
  }
  return out.join("\n") + "\n";
}

function details(r: BenchResult): string {
  if (r.error !== undefined) return String(r.error);
  switch (r.name) {
    case "install-4k":
      return (
        `${r.frames} table frames (${r.tableMiB} MiB); C first run ${fmt(r.cFirstMs, 2)} ms; ` +
        `peak RSS ${r.peakRssMiB} MiB vs ${r.baselineRssMiB} MiB baseline: ` +
        `${r.rssOverTables}x the tables (goal <= ${r.rssGoal}x: ${verdict(r.rssGoalMet)})`
      );
    case "walk-4k":
      return `checksum ${r.checksum} (C ${r.cChecksum ?? "-"})`;
    case "walk-sv48":
      return `checksum ${r.checksum}; ratio to the C 4-level walk (same entries read per walk)`;
    case "walk-tlb":
      return `checksum ${r.checksum}; TLB ${r.tlbHits} hits, ${r.tlbMisses} misses, ${r.tlbEntries} entries cached`;
    case "verify-100k":
      return (
        `verify() ${fmt(r.ms)} ms; whole pipeline from ${r.textKiB} KiB of text ${fmt(r.pipelineMs)} ms ` +
        `(load+parse ${fmt(r.parseMs)}, resolve ${fmt(r.resolveMs)}); ${r.diagnostics} diagnostics ` +
        `(pipeline < 1 s: ${verdict(r.pipelineGoalMet)})`
      );
    case "kaslr-proof":
      return (
        `Linux ${r.rangeTiB} TiB range ${r.nsPerOp} ns/proof (overshoot ${r.overshootGiB} GiB); ` +
        `${r.bigRangePiB} PiB range ${r.bigNsPerOp} ns/proof (overshoot ${r.bigOvershootGiB} GiB)`
      );
    case "check-cold":
      return `${r.specs} specs, exit ${r.exitCode}; node -e 0 best ${fmt(r.nodeMs)} ms, median ${fmt(r.nodeMedianMs)} ms`;
    default:
      return "";
  }
}

process.exitCode = main();
