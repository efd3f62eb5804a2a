/**
 * `vmlayout dump <spec> [install options]`: installs the layout and prints its page tables in
 * the format of Linux's x86 ptdump (`/sys/kernel/debug/page_tables/kernel`), with a
 * `---[ name ]---` marker wherever the spec's most specific region changes. See
 * src/runtime/dump.ts for the format and its few deviations from Linux.
 */
import { dumpInstallation } from "../runtime/dump.js";
import { EXIT_OK, onlySpec, type Run } from "./common.js";
import { prepareInstall } from "./install-options.js";

export const runDump: Run = async (values, positionals, context) => {
  const spec = onlySpec("dump", positionals);
  const prepared = await prepareInstall(values, spec, context, { audit: false });
  if (typeof prepared === "number") return prepared;
  process.stdout.write(dumpInstallation(prepared.installation, prepared.process));
  return EXIT_OK;
};
