/**
 * `vmlayout diff <old> <new>`: what a change to a spec does, semantically. Each side is a file
 * or `REV:path` (read with `git show`, includes from the same revision; `path` as git takes it:
 * from the repository's top, or `./path` from the current directory). Exit 0 when equivalent,
 * 1 when they differ, 2 on a usage or I/O error or a spec that does not resolve.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { UnreadableFile } from "../compiler/read.js";
import { diffLayouts } from "../diff/diff.js";
import { type DiffFormat, renderDiff } from "../diff/render.js";
import { checkSpec, type Checked } from "../pipeline.js";
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, UsageError, type Run } from "./common.js";
import { report } from "./report.js";

export const runDiff: Run = async (values, positionals, context) => {
  if (positionals.length !== 2) {
    throw new UsageError("give two specs; usage: vmlayout diff <old> <new> (a file or REV:path)");
  }
  const format = (values.format as string | undefined) ?? "text";
  if (format !== "text" && format !== "md" && format !== "json") {
    throw new UsageError(`unknown format \`${format}\`; use text, md or json`);
  }
  const variant = values.variant as string | undefined;
  const sides = positionals.map((arg) => load(arg, variant));
  // Layouts exist when the names and includes resolved; verifier findings do not matter here.
  const failed = sides.filter((s) => s.layouts.length === 0);
  if (failed.length > 0) {
    for (const s of failed) report(s.diagnostics, s.sources, "text", context);
    return EXIT_USAGE;
  }
  const changes = diffLayouts(sides[0]!.layouts, sides[1]!.layouts);
  process.stdout.write(
    renderDiff(changes, { old: positionals[0]!, new: positionals[1]! }, format as DiffFormat),
  );
  return changes.length === 0 ? EXIT_OK : EXIT_ERRORS;
};

/**
 * Checks one side: a file on disk, or `REV:path` through git (the spec read here, so that a
 * revision or path git cannot show is a usage error naming what the user typed; its includes
 * from the same revision, through the pipeline).
 */
function load(arg: string, variant: string | undefined): Checked {
  const rev = /^([^:]+):(.+)$/.exec(arg);
  if (existsSync(arg) || rev === null) {
    const checked = checkSpec(arg, { variant, readFile: (f) => readFileSync(f, "utf8") });
    const unread = checked.diagnostics.find((d) => d.code === "E0010");
    if (unread) throw new UsageError(unread.message);
    return checked;
  }
  const [, revision, spec] = rev;
  const orRefuse = (read: () => string): string => {
    try {
      return read();
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`cannot read \`${arg}\`: ${(e as Error).message}`);
    }
  };
  const top = orRefuse(() => git(["rev-parse", "--show-toplevel"], arg).trim());
  const prefix = orRefuse(() => git(["rev-parse", "--show-prefix"], arg).trim());
  // git's REV:path is from the top of the tree; REV:./path from the current directory.
  const root = path.join(top, /^\.\.?\//.test(spec!) ? path.posix.join(prefix, spec!) : spec!);
  const show = (file: string): string => {
    const inTree = path.relative(top, file).split(path.sep).join("/");
    if (inTree.startsWith("../")) throw new UnreadableFile(`\`${file}\` is outside the repository`);
    return git(["show", `${revision}:${inTree}`], arg);
  };
  const text = orRefuse(() => show(root));
  return checkSpec(root, { variant, readFile: (file) => (file === root ? text : show(file)) });
}

function git(args: readonly string[], arg: string): string {
  const r = spawnSync("git", args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new UsageError(`cannot read \`${arg}\`: git: ${r.error.message}`);
  if (r.status !== 0) {
    throw new UnreadableFile(r.stderr.trim().split("\n")[0] || `git ${args[0]} failed`);
  }
  return r.stdout;
}
