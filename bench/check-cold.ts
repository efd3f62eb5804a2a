/**
 * check-cold: a whole `vmlayout check specs/*.layout` process (node on the package's `bin`, the
 * bundle `npm run build` writes), start to exit, against `node -e 0` (Node's own start-up),
 * measured alternately so both see the same machine load.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { CLI_BUNDLE } from "../scripts/bundle.js";
import { type BenchOptions, type BenchResult, ROOT, round, summarize } from "./common.js";

function wallMs(args: readonly string[]): { ms: number; status: number | null } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "ignore" });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  return { ms, status: r.status };
}

export function runCheckCold(options: BenchOptions): BenchResult {
  const reps = options.small ? Math.min(options.reps, 3) : Math.max(options.reps, 10);
  const specs = readdirSync(path.join(ROOT, "specs"))
    .filter((f) => f.endsWith(".layout"))
    .sort()
    .map((f) => path.join("specs", f));
  const cli = CLI_BUNDLE;
  const checkRuns: number[] = [];
  const nodeRuns: number[] = [];
  let exitCode: number | null = null;
  for (let i = 0; i < reps; i++) {
    const c = wallMs([cli, "check", ...specs]);
    exitCode = c.status;
    checkRuns.push(c.ms);
    nodeRuns.push(wallMs(["-e", "0"]).ms);
  }
  const check = summarize(checkRuns);
  const node = summarize(nodeRuns);
  const ratio = round(check.ms / node.ms, 2);
  return {
    name: "check-cold",
    ms: check.ms,
    ops: specs.length,
    medianMs: check.medianMs,
    runs: check.runs,
    specs: specs.length,
    exitCode,
    nodeMs: node.ms,
    nodeMedianMs: node.medianMs,
    ratioNode: ratio,
    goalRatioNode: 1.5,
    goalMet: ratio <= 1.5,
  };
}
