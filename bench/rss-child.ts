/**
 * Child process for the peak-memory measurement of install-4k: `baseline` only imports the
 * runtime (and this module's dependencies); `install` also builds the tables once. Prints
 * `{"maxRssBytes": N}`: the peak resident set size of this process image.
 *
 * On Linux that is VmHWM from /proc/self/status: `getrusage`'s maxrss survives execve, so a
 * child spawned by a large parent would report at least the parent's size at fork time.
 */
import { readFileSync } from "node:fs";
import { checkDirectMap, installDirectMap } from "./install-4k.js";

function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

const mode = process.argv[2];
const small = process.argv.includes("--small");
if (mode === "install") checkDirectMap(installDirectMap(small), small);
else if (mode !== "baseline") throw new Error("usage: rss-child.js baseline|install [--small]");
process.stdout.write(JSON.stringify({ maxRssBytes: peakRssBytes() }) + "\n");
