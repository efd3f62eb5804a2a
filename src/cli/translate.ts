/**
 * `vmlayout translate <spec> [install options] [--access read|write|exec] [--user] <VA>...`:
 * installs the layout and translates each address through the emulated MMU (a pure walk: no
 * accessed/dirty update), one line per address:
 *
 *     0xffff888000001234 -> 0x0000000000001234 1G RW NX GLB (direct_map)
 *     0xffff800000000000 -> fault #PF(0x0) not-present at PML4E (hypervisor_hole)
 *
 * Flags are the effective ones (SDM 4.6.1) in ptdump's words: `USR`, `RW`/`ro`, `NX`/`x`,
 * `GLB`, `PWT`, `PCD`, `PAT`; the page size comes first and the most specific region last.
 * Addresses use the spec language's literals, negative ones included (`-2GB`).
 */
import { Access, type AccessType, type WalkResult, entryName } from "../runtime/index.js";
import { segmentAt } from "../runtime/install-plan.js";
import { hex } from "../verifier/format.js";
import { MapBit, describeFlags } from "../verifier/audit.js";
import { EXIT_OK, UsageError, type CommandContext } from "./common.js";
import { numberParser, prepareInstall } from "./install-options.js";

const ACCESSES: Readonly<Record<string, readonly [AccessType, AccessType]>> = {
  read: [Access.read, Access.userRead],
  write: [Access.write, Access.userWrite],
  exec: [Access.fetch, Access.userFetch],
};

const PAGE = new Map([
  [4096, "4K"],
  [2 << 20, "2M"],
  [1 << 30, "1G"],
]);

/** The part of a line after `->`. */
export function describeTranslation(r: WalkResult): string {
  if (r.ok) {
    const f = r.flags;
    const flags =
      (f.writable ? MapBit.W : 0) |
      (f.user ? MapBit.U : 0) |
      (f.noExecute ? MapBit.NX : 0) |
      (f.global ? MapBit.G : 0) |
      (f.pwt ? MapBit.PWT : 0) |
      (f.pcd ? MapBit.PCD : 0) |
      (f.pat ? MapBit.PAT : 0);
    return `${hex(r.pa)} ${PAGE.get(r.pageSize)} ${describeFlags(flags)}`;
  }
  if (r.fault === "#GP") return "fault #GP(0) non-canonical";
  const detail = r.reservedBit ?? r.violation;
  return `fault #PF(0x${r.errorCode.toString(16)}) ${r.reason}${detail !== undefined ? ` (${detail})` : ""} at ${entryName(r.level)}`;
}

export async function runTranslate(
  values: Record<string, unknown>,
  positionals: readonly string[],
  context: CommandContext,
): Promise<number> {
  if (positionals.length < 2) {
    throw new UsageError("translate takes a spec and at least one address");
  }
  const accessName = (values.access as string | undefined) ?? "read";
  const access = ACCESSES[accessName];
  if (!access) throw new UsageError(`unknown --access \`${accessName}\`; use read, write or exec`);
  const acc = access[values.user === true ? 1 : 0];
  const parseNumber = await numberParser();
  const vas = positionals.slice(1).map((t) => parseNumber(t, "address", "address"));
  const prepared = await prepareInstall(values, positionals[0]!, context);
  if (typeof prepared === "number") return prepared;
  const { installation, process: space } = prepared;
  const mmu = installation.mmu(space);
  const lines = vas.map((va) => {
    const seg = segmentAt(installation.segments, va);
    return `${hex(va)} -> ${describeTranslation(mmu.probe(va, acc))} (${seg?.owner.name ?? "no region"})`;
  });
  process.stdout.write(lines.join("\n") + "\n");
  return EXIT_OK;
}
