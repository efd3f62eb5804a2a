/**
 * `vmlayout dump <spec> [install options]`: installs the layout and prints its page tables in
 * the format of Linux's x86 ptdump (`/sys/kernel/debug/page_tables/kernel`), with a
 * `---[ name ]---` marker wherever the spec's most specific region changes. See
 * src/runtime/dump.ts for the format and its few deviations from Linux.
 */
import { dumpInstallation } from "../runtime/dump.js";
import { EXIT_OK, UsageError, type CommandContext } from "./common.js";
import { prepareInstall } from "./install-options.js";

export async function runDump(
  values: Record<string, unknown>,
  positionals: readonly string[],
  context: CommandContext,
): Promise<number> {
  if (positionals.length !== 1) throw new UsageError("dump takes exactly one spec");
  const prepared = await prepareInstall(values, positionals[0]!, context, { audit: false });
  if (typeof prepared === "number") return prepared;
  process.stdout.write(dumpInstallation(prepared.installation, prepared.process));
  return EXIT_OK;
}
