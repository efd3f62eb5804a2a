/**
 * Bundles the built CLI (dist/src/cli/main.js) with Chevrotain into one file, the package's
 * `bin`: Chevrotain's public entry is a tree of ~700 modules (mostly lodash-es) that would cost
 * ~0.5 s at every start, the bundle one file. The library keeps importing "chevrotain" through
 * its public entry, so bundlers, Yarn PnP and `require` follow it.
 *
 * The bundle lies beside main.js because the CLI finds package.json and docs/diagnostics by
 * URLs relative to its own module. Run by `npm run build` after tsc, and by the test suite's
 * global set-up, so the CLI the tests spawn is always the one tsc just built.
 */
import { build } from "esbuild";
import { renameSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const CLI_BUNDLE = join("dist", "src", "cli", "vmlayout.js");

/** Writes the bundle under the repository `root`, atomically (two test runs may build it at once). */
export async function bundleCli(root: string): Promise<void> {
  const outfile = join(root, CLI_BUNDLE);
  const partial = `${outfile}.${process.pid}.tmp`;
  await build({
    entryPoints: [join(root, "dist", "src", "cli", "main.js")],
    outfile: partial,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20.19",
    external: ["prettier"], // an optional peer, loaded by `fmt` only (src/cli/fmt.ts)
    logLevel: "warning",
  });
  renameSync(partial, outfile);
}

// `npm run build` runs this at the repository root.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await bundleCli(process.cwd());
}
