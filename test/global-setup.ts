/**
 * Before the suite: bundles the CLI from what tsc last built (dist/src), so the CLI the tests
 * spawn (test/cli-helpers.ts) is the package's `bin` and never older than `npx tsc`. Without a
 * build there is nothing to bundle; the CLI tests then fail saying the CLI is missing.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { bundleCli } from "../scripts/bundle.js";

export default async function setup(): Promise<void> {
  const root = path.resolve(import.meta.dirname, "..");
  if (existsSync(path.join(root, "dist", "src", "cli", "main.js"))) await bundleCli(root);
}
