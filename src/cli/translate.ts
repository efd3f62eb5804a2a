/**
 * `vmlayout translate <spec> [install options] [--access read|write|exec] [--user] <VA>...`:
 * installs the layout and translates each address through the emulated MMU (a pure walk: no
 * accessed/dirty update), one line per address:
 *
 *     0xffff888000001234 -> 0x0000000000001234 1G RW NX GLB (direct_map)
 *     0xffff800000000000 -> fault #PF(0x0) not-present at PML4E (hypervisor_hole)
 *
 * On RISC-V the walk is an S-mode one (U-mode with `--user`; SUM and MXR off), and a fault
 * names its `scause` exception code and the reason:
 *
 *     0xffffffc000000000 -> fault scause 13 invalid at PGD entry (fixmap)
 *
 * On AArch64 the access is at EL1 (EL0 with `--user`; PAN off) with the registers `install`
 * prints, and a fault gives the status code ESR_EL1 would hold (DFSC for data, IFSC for an
 * instruction fetch), the fault and its lookup level (Arm's: -1..3):
 *
 *     0xffff800040000000 -> fault DFSC 0x05 translation fault at level 1 (vmalloc)
 *
 * Flags are the effective ones (SDM 4.6.1) in ptdump's words: `USR`, `RW`/`ro`, `NX`/`x`,
 * `GLB`, `PWT`, `PCD`, `PAT`; the page size comes first and the most specific region last.
 * Addresses are expressions in the spec language: literals, negative ones included (`-2GB`),
 * and the layout's names at this boot: a region's bounds (`kernel_text.start`, `.end`, `.size`,
 * `.limit`, also under its export name, and the C header's `KERNEL_TEXT_START`, `_END`,
 * `_SIZE`), a constant or a parameter (by name or export name).
 *
 * `--expect mapped|fault`: exit 1 when an address is not mapped (faults) or is mapped; every
 * line is printed either way.
 */
import { Access, type AccessType, type WalkResult, entryName } from "../runtime/index.js";
import { evalAt, segmentAt, type Instance } from "../runtime/install-plan.js";
import type { Installation } from "../runtime/install.js";
import type { SvAccess } from "../arch/riscv64/mmu.js";
import type { Access as Aarch64Access } from "../arch/aarch64/mmu.js";
import { Perm } from "../arch/aarch64/tlb.js";
import { words as descriptorWords } from "../arch/aarch64/entry.js";
import { pageName } from "./install.js";
import type { Paging } from "../model/layout.js";
import { isZero } from "../model/rational.js";
import { hex } from "../model/format.js";
import { MapBit } from "../arch/arch.js";
import { describeFlags } from "../audit/checks.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, type Run } from "./common.js";
import { prepareInstall } from "./install-options.js";
import { type ArgumentNames, numberParser } from "./numbers.js";

type AccessName = "read" | "write" | "exec";
const ACCESS_NAMES: readonly string[] = ["read", "write", "exec"];

const X86_ACCESSES: Readonly<Record<AccessName, readonly [AccessType, AccessType]>> = {
  read: [Access.read, Access.userRead],
  write: [Access.write, Access.userWrite],
  exec: [Access.fetch, Access.userFetch],
};
const SV_KINDS: Readonly<Record<AccessName, SvAccess["kind"]>> = {
  read: "load",
  write: "store",
  exec: "fetch",
};
const A64_KINDS: Readonly<Record<AccessName, Aarch64Access["kind"]>> = {
  read: "read",
  write: "write",
  exec: "fetch",
};

/** A translation of one address: whether it maps, and the part of its line after `->`. */
type Probe = (va: bigint) => { readonly ok: boolean; readonly text: string };

/** Each architecture's MMU, probing (a pure walk) `process`'s space for one kind of access. */
const PROBES: Readonly<
  Record<
    Paging["arch"],
    (installation: Installation, process: number, access: AccessName, user: boolean) => Probe
  >
> = {
  x86_64: (installation, process, access, user) => {
    const mmu = installation.mmu(process);
    const type = X86_ACCESSES[access][user ? 1 : 0];
    return (va) => {
      const walk = mmu.probe(va, type);
      return { ok: walk.ok, text: describeTranslation(walk) };
    };
  },
  riscv64: (installation, process, access, user) => {
    const mmu = installation.svMmu(process);
    const format = installation.arch.tableFormat(installation.maxPhyAddr);
    const svAccess: SvAccess = { kind: SV_KINDS[access], user };
    return (va) => {
      const r = mmu.probe(va, svAccess);
      if (!r.ok) {
        const at = installation.arch.entryName(r.level);
        return { ok: false, text: `fault scause ${r.cause} ${r.reason} at ${at}` };
      }
      const lo = Number(r.pte & 0xffff_ffffn);
      const hi = Number(r.pte >> 32n);
      const flags = format.inherit(0, lo, hi, r.level) | format.leafAttributes(lo, hi, r.level);
      const bytes = installation.arch.leafSize(r.level)!;
      return { ok: true, text: `${hex(r.pa)} ${pageName(bytes)} ${describeFlags(flags)}` };
    };
  },
  aarch64: (installation, process, access, user) => {
    const mmu = installation.aarch64Mmu(process);
    const format = installation.arch.tableFormat(installation.maxPhyAddr);
    const a64Access: Aarch64Access = { el: user ? 0 : 1, kind: A64_KINDS[access] };
    // ESR_ELx names the status code of an instruction abort IFSC, of a data abort DFSC.
    const fsc = access === "exec" ? "IFSC" : "DFSC";
    return (va) => {
      const r = mmu.translate(va, a64Access);
      if (!r.ok) {
        const code = `0x${r.statusCode.toString(16).padStart(2, "0")}`;
        return { ok: false, text: `fault ${fsc} ${code} ${r.kind} fault at level ${r.level}` };
      }
      const [lo, hi] = descriptorWords(r.descriptor);
      const rights =
        (r.perms & (user ? Perm.EL0_WRITE : Perm.EL1_WRITE) ? MapBit.W : 0) |
        (r.perms & Perm.EL0_READ ? MapBit.U : 0) |
        (r.perms & (user ? Perm.EL0_EXEC : Perm.EL1_EXEC) ? 0 : MapBit.NX);
      const flags = rights | format.leafAttributes(lo, hi, 0);
      return { ok: true, text: `${hex(r.pa)} ${pageName(r.size)} ${describeFlags(flags)}` };
    };
  },
};

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
    return `${hex(r.pa)} ${pageName(BigInt(r.pageSize))} ${describeFlags(flags)}`;
  }
  if (r.fault === "#GP") return "fault #GP(0) non-canonical";
  const detail = r.reservedBit ?? r.violation;
  return `fault #PF(0x${r.errorCode.toString(16)}) ${r.reason}${detail !== undefined ? ` (${detail})` : ""} at ${entryName(r.level)}`;
}

export const runTranslate: Run = async (values, positionals, context) => {
  if (positionals.length < 2) {
    throw new UsageError("translate takes a spec and at least one address");
  }
  const accessName = (values.access as string | undefined) ?? "read";
  if (!ACCESS_NAMES.includes(accessName))
    throw new UsageError(`unknown --access \`${accessName}\`; use read, write or exec`);
  const expect = values.expect as string | undefined;
  if (expect !== undefined && expect !== "mapped" && expect !== "fault")
    throw new UsageError(`unknown --expect \`${expect}\`; use mapped or fault`);
  const prepared = await prepareInstall(values, positionals[0]!, context, { audit: false });
  if (typeof prepared === "number") return prepared;
  const { installation, process: space } = prepared;
  const parseNumber = await numberParser(bootNames(installation.instance));
  const vas = positionals.slice(1).map((t) => parseNumber(t, "address", "address"));
  const probe = PROBES[installation.layout.paging.arch](
    installation,
    space,
    accessName as AccessName,
    values.user === true,
  );
  let unexpected = 0;
  const lines = vas.map((va) => {
    const seg = segmentAt(installation.segments, va);
    const walk = probe(va);
    if (expect !== undefined && walk.ok !== (expect === "mapped")) unexpected++;
    return `${hex(va)} -> ${walk.text} (${seg?.owner.name ?? "no region"})`;
  });
  process.stdout.write(lines.join("\n") + "\n");
  if (unexpected === 0) return EXIT_OK;
  const one = unexpected === 1;
  const what = expect === "mapped" ? (one ? "faults" : "fault") : one ? "is mapped" : "are mapped";
  process.stderr.write(
    `vmlayout translate: ${unexpected} address${one ? "" : "es"} ${what} (--expect ${expect})\n`,
  );
  return EXIT_ERRORS;
};

/** The names an address may use, with their values on this boot (KASLR and `--param` applied). */
function bootNames(instance: Instance): ArgumentNames {
  const names = new Map<string, bigint>();
  for (const r of instance.regions) {
    const bounds = { start: r.start, end: r.end, size: r.size, limit: r.end + 1n };
    for (const name of new Set([r.name, r.region.exportName]))
      for (const [prop, value] of Object.entries(bounds)) names.set(`${name}.${prop}`, value);
    // The names the C header defines.
    names.set(`${r.region.exportName}_START`, r.start).set(`${r.region.exportName}_END`, r.end);
    names.set(`${r.region.exportName}_SIZE`, r.size);
  }
  for (const p of instance.layout.params) {
    const value = instance.params.get(p.name)!;
    names.set(p.name, value).set(p.exportName, value);
  }
  for (const c of instance.layout.constants) {
    // A constant that is not linear in the parameters has its value at their defaults.
    const linear = isZero(c.value.sym.slackLo) && isZero(c.value.sym.slackHi);
    const at = linear ? evalAt(c.value.sym, instance.params) : undefined;
    const value = at && at.den === 1n ? at.num : c.value.value;
    names.set(c.name, value).set(c.exportName, value);
  }
  return names;
}
