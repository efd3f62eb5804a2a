/** Runs the built CLI (`npm test` builds first) as a user would. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { CLI_BUNDLE } from "../scripts/bundle.js";

export const ROOT = path.resolve(import.meta.dirname, "..");
/** The package's `bin`: bundled from dist/src by test/global-setup.ts. */
export const CLI = path.join(ROOT, CLI_BUNDLE);

/** The golden file of a spec's output: `test/golden/<spec>/<spec>.<extension>`. */
export function goldenPath(spec: string, extension: string): string {
  const name = path.basename(spec).replace(/\.layout$/, "");
  return path.join(ROOT, "test", "golden", name, `${name}.${extension}`);
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function vmlayout(
  args: readonly string[],
  options: { input?: string; cwd?: string; env?: Record<string, string | undefined> } = {},
): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...options.env },
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
