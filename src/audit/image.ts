/**
 * The audit of page tables found in a raw physical-memory image (QEMU `pmemsave`, a crash
 * dump's RAM, `vmlayout install --image`) against a Layout: the tables are read back from CR3,
 * the boot they implement is reconstructed (each KASLR member's base, the kernel's physical
 * load offset), and the mappings are checked as for an installation (`auditTables`).
 *
 * Every source (the image here, ptdump and QEMU listings in this directory) yields the same
 * `FoundSpace`, and `auditFound` does the rest for all of them.
 *
 * Reconstruction, per KASLR group in placement order: a member's base is the one given, or
 * else the first mapped address at or after the previous member's end within the starts the
 * verifier proved reachable for it, aligned down to the group's alignment (Linux maps a direct
 * map from physical 0 at `page_offset_base`, and vmalloc and vmemmap grow up from their bases);
 * with nothing mapped there it keeps its unrandomised start. The physical offset of `map phys`
 * regions is the one given, or else read from the first mapped page of the first such region.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Result } from "../diagnostics/diagnostic.js";
import type { Layout } from "../model/layout.js";
import { archOf } from "../arch/registry.js";
import { type BootParams, type Instance, instantiate, segments } from "../runtime/install-plan.js";
import { FRAME_SIZE, PhysicalMemory } from "../arch/physical-memory.js";
import { type FoundSpace, auditMappings } from "./checks.js";
import { type FoundMapping, readTables } from "./read-back.js";
import { hex } from "../model/format.js";
import { isPowerOfTwo, kaslrMemberSizes, proveKaslr } from "../model/kaslr.js";
import { partitionPoint } from "../model/collections.js";

/** Physical memory as a dump holds it, read a frame at a time (a dump can be many GiB). */
export interface MemoryImage {
  /** Physical address of the image's first byte; 4 KiB aligned. */
  readonly base: bigint;
  /** Its length in bytes. */
  readonly bytes: number;
  /** Fills `into` with the bytes at `offset` in the image (`offset + into.length <= bytes`). */
  readAt(offset: number, into: Uint8Array): void;
}

/** An image held in memory. */
export function imageOfBytes(bytes: Uint8Array, base = 0n): MemoryImage {
  return {
    base,
    bytes: bytes.length,
    readAt: (offset, into) => into.set(bytes.subarray(offset, offset + into.length)),
  };
}

/** An image in a file, read with `pread` as frames are needed; `close` releases it. */
export function imageOfFile(file: string, base = 0n): MemoryImage & { close(): void } {
  const fd = openSync(file, "r");
  return {
    base,
    bytes: fstatSync(fd).size,
    readAt: (offset, into) => {
      readSync(fd, into, 0, into.length, offset);
    },
    close: () => closeSync(fd),
  };
}

/** What the audit of any source is told about the boot. */
export interface SourceAuditOptions {
  /** The process the space belongs to (0: the kernel's; `per_process` regions differ). */
  readonly process?: number;
  /** Parameters, RAM and process count of the boot. */
  readonly boot?: Omit<BootParams, "kaslrSeed" | "kaslrBases">;
  /** KASLR bases known from elsewhere (`/proc/kallsyms`, a boot log), by member name. */
  readonly bases?: ReadonlyMap<string, bigint>;
  /** MAXPHYADDR of the machine the tables were built for (default 52, the architectural most). */
  readonly maxPhyAddr?: number;
}

export interface ImageAuditOptions extends SourceAuditOptions {
  /** CR3 of the address space to audit (its low 12 bits, a PCID or flags, are ignored). */
  readonly cr3: bigint;
  /** TTBR0_EL1, where each half has its own root (`cr3` is then TTBR1_EL1). */
  readonly lowerRoot?: bigint | undefined;
}

export interface InferredBase {
  readonly group: string;
  readonly member: string;
  readonly base: bigint;
  /** How the base was found. */
  readonly source: "given" | "tables" | "unrandomised";
}

export interface SourceAudit {
  readonly found: FoundSpace;
  readonly instance: Instance;
  readonly bases: readonly InferredBase[];
  /** The physical offset audited against (given, found, or 0 when the source has no PAs). */
  readonly physOffset: bigint;
}

/** The image as emulated physical memory: a frame is read when a walk first reads it. */
export function loadImage(image: MemoryImage): PhysicalMemory {
  const memory = new PhysicalMemory();
  const basePfn = Number(image.base / BigInt(FRAME_SIZE));
  const frames = Math.floor(image.bytes / FRAME_SIZE);
  memory.backWith({
    frames,
    read: (pfn, into) => {
      const index = pfn - basePfn;
      if (index < 0 || index >= frames) return false;
      image.readAt(index * FRAME_SIZE, into);
      return true;
    },
  });
  return memory;
}

/**
 * Reads the tables at the root register (CR3, satp) in the image and audits them. RAM defaults
 * to the image's extent, from the architecture's RAM base (or the image's base, if lower).
 */
export function auditImage(
  layout: Layout,
  image: MemoryImage,
  options: ImageAuditOptions,
): Result<SourceAudit | undefined> {
  const maxPhyAddr = options.maxPhyAddr ?? 52;
  // The architecture's root-register format keeps only the root table's address (CR3 bits
  // MAXPHYADDR-1:12, satp.PPN).
  const arch = archOf(layout.paging);
  const read = readTables(loadImage(image), options.cr3, arch, maxPhyAddr, options.lowerRoot);
  // RAM from the RAM base (x86-64 0, RISC-V 0x80000000) or the image, whichever is lower.
  const ramBase = options.boot?.ramBase ?? arch.ramBase;
  const ramStart = image.base < ramBase ? image.base : ramBase;
  const ram = options.boot?.ram ?? [{ start: ramStart, end: image.base + BigInt(image.bytes) }];
  return auditFound(
    layout,
    { ...read, physical: true },
    { ...options, boot: { ...options.boot, ram } },
  );
}

/**
 * Audits mappings from any source (a table walk, a ptdump or QEMU listing): finds the boot they
 * implement, then checks them against it.
 */
export function auditFound(
  layout: Layout,
  found: FoundSpace,
  options: SourceAuditOptions,
): Result<SourceAudit | undefined> {
  const boot = options.boot ?? {};
  // The boot's parameter values size the KASLR members, as the kernel sizes them.
  const values = new Map(layout.params.map((p) => [p.name, p.default]));
  const given = boot.params ?? new Map<string, bigint>();
  for (const [name, v] of given instanceof Map ? given : Object.entries(given)) {
    values.set(name, v);
  }
  const bases = inferBases(
    layout,
    found,
    options.bases ?? new Map(),
    values,
    boot.physOffset ?? 0n,
  );
  const physOffset =
    boot.physOffset ?? (found.physical ? inferPhysOffset(layout, bases, found.mappings) : 0n);
  const placed = instantiate(layout, {
    ...boot,
    physOffset,
    maxPhyAddr: options.maxPhyAddr ?? 52,
    kaslrBases: new Map(bases.map((b) => [b.member, b.base])),
  });
  if (placed.value === undefined) return { value: undefined, diagnostics: placed.diagnostics };
  const instance = placed.value;
  const checked = auditMappings(instance, segments(instance), found, options.process ?? 0);
  return {
    value: { found, instance, bases, physOffset },
    diagnostics: [...placed.diagnostics, ...checked],
  };
}

/** The first mapping that reaches `from` or later, by binary search (mappings are sorted). */
function firstFrom(mappings: readonly FoundMapping[], from: bigint): FoundMapping | undefined {
  return mappings[partitionPoint(mappings.length, (i) => mappings[i]!.end > from)];
}

/**
 * Each KASLR member's base: given, or found in the mappings. A member that maps the kernel's
 * physical load address (`map phys`) is found by where that address is mapped, when the source
 * shows physical addresses: the base that the most mapped bytes of the member's physical span
 * agree on (`imageBase`). This finds an image that KASLR placed among other mappings, as
 * arm64's inside vmalloc. Otherwise, and for every other member, the base is the aligned start
 * of the first mapping in its reach (x86's image and direct map, whose ranges hold nothing
 * else).
 */
function inferBases(
  layout: Layout,
  found: FoundSpace,
  given: ReadonlyMap<string, bigint>,
  values: ReadonlyMap<string, bigint>,
  physOffset: bigint,
): InferredBase[] {
  const mappings = found.mappings;
  const out: InferredBase[] = [];
  for (const group of layout.kaslr) {
    if (!isPowerOfTwo(group.align)) continue;
    const sizes = kaslrMemberSizes(layout, group, values);
    const proof = proveKaslr(group, sizes);
    if (!proof.fits) continue;
    let after = group.rangeStart;
    group.members.forEach((m, i) => {
      const reach = proof.members[i]!;
      const known = given.get(m.name);
      const region = layout.regions.find((r) => r.name === m.name);
      let base: bigint;
      let source: InferredBase["source"];
      const from = after > reach.minStart ? after : reach.minStart;
      const first = firstFrom(mappings, from);
      const phys = region?.map?.kind === "phys" ? region.map.base + physOffset : undefined;
      const image =
        found.physical && phys !== undefined && first !== undefined
          ? imageBase(mappings, first, phys, sizes[i]!, group.align, reach)
          : undefined;
      if (known !== undefined) {
        [base, source] = [known, "given"];
      } else if (image !== undefined) {
        [base, source] = [image, "tables"];
      } else if (first !== undefined && first.va <= reach.maxEnd) {
        const va = first.va > after ? first.va : after;
        const aligned = va & ~(group.align - 1n);
        base =
          aligned < reach.minStart
            ? reach.minStart
            : aligned > reach.maxStart
              ? reach.maxStart
              : aligned;
        source = "tables";
      } else {
        base = region?.start.value ?? reach.minStart;
        source = "unrandomised";
      }
      out.push({ group: group.name, member: m.name, base, source });
      after = base + sizes[i]!;
    });
  }
  return out;
}

/**
 * Where a member that maps physical `[phys, phys + size)` from its base starts: each mapping
 * from `first` on that points into that span names the base `va - (pa - phys)` for it; the
 * base KASLR can choose (`reach.minStart` plus multiples of `align`), not below the one that
 * holds `first` (a member's pages are not below its base), that the most mapped bytes name.
 * Undefined when none does.
 */
function imageBase(
  mappings: readonly FoundMapping[],
  first: FoundMapping,
  phys: bigint,
  size: bigint,
  align: bigint,
  reach: { minStart: bigint; maxStart: bigint; maxEnd: bigint },
): bigint | undefined {
  // KASLR's bases are `reach.minStart` plus multiples of `align` (model/kaslr.ts).
  const lowest = first.va - ((first.va - reach.minStart) % align);
  const votes = new Map<bigint, bigint>();
  for (let k = mappings.indexOf(first); k < mappings.length; k++) {
    const m = mappings[k]!;
    if (m.va >= reach.maxEnd) break;
    const lo = m.pa > phys ? m.pa : phys;
    const hi = m.pa + (m.end - m.va) < phys + size ? m.pa + (m.end - m.va) : phys + size;
    if (lo >= hi) continue;
    const base = m.va + (lo - m.pa) - (lo - phys);
    if ((base - reach.minStart) % align !== 0n || base < lowest || base > reach.maxStart) continue;
    votes.set(base, (votes.get(base) ?? 0n) + (hi - lo));
  }
  let best: bigint | undefined;
  for (const [base, bytes] of votes)
    if (best === undefined || bytes > votes.get(best)!) best = base;
  return best;
}

/**
 * The kernel's physical load offset: where the first mapped page of the first `map phys`
 * region (at its inferred base, when KASLR moves it) really points, less where the spec says
 * it points. 0 when none is mapped.
 */
function inferPhysOffset(
  layout: Layout,
  bases: readonly InferredBase[],
  mappings: readonly FoundMapping[],
): bigint {
  const moved = new Map(bases.map((b) => [b.member, b.base]));
  for (const r of layout.regions) {
    if (r.map?.kind !== "phys") continue;
    const start = moved.get(r.name) ?? r.start.value;
    const end = start + (r.end.value - r.start.value);
    const m = firstFrom(mappings, start);
    if (m === undefined || m.va > end) continue;
    const va = m.va > start ? m.va : start;
    return m.pa + (va - m.va) - (r.map.base + (va - start));
  }
  return 0n;
}

/** A line per base for a report: `direct_map 0xffff88bb00000000 (from the tables)`. */
export function describeBase(b: InferredBase): string {
  const how = {
    given: "given",
    tables: "from the tables",
    unrandomised: "nothing mapped: unrandomised",
  };
  return `${b.member} ${hex(b.base)} (${how[b.source]})`;
}
