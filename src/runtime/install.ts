/**
 * The installer: a verified Layout plus boot parameters -> real page tables of the layout's
 * architecture (x86-64, RISC-V Sv39/48/57) in emulated physical memory (docs/runtime.md,
 * "Installer"). The plan is shared; the architecture's writer (`spaceWriter`, registry.ts)
 * writes it.
 *
 *  - `map ram` maps every RAM range inside the region (from the RAM base, up to the region's
 *    size), `map phys BASE` the region from BASE (plus the kernel's relocation), each with the
 *    largest pages alignment and `max_page` allow (1 GiB / 2 MiB / 4 KiB, split at the edges,
 *    at attribute changes and around RAM holes). `map none`, regions without `map`, holes,
 *    guards and the non-canonical range stay not present.
 *  - `map recursive` points the region's top-level entry at the top-level table itself.
 *  - Leaf flags follow the segment's attributes (x86_64/writer.ts, riscv64/writer.ts); intermediate
 *    entries are the mapper's permissive P | R/W | U/S (RISC-V: V alone), so the leaf decides.
 *  - Address spaces: the kernel's maps the shared regions. Each process space gets its own
 *    top-level table whose entries for shared-only ranges are copies of the kernel's (the same
 *    lower tables, as kernels share their upper half); an entry whose range mixes shared and
 *    per-process addresses gets a private table, recursively, whose shared entries are again
 *    copies. Per-process regions are then mapped into the private tables only.
 *  - Work is bounded: the table frames needed are estimated first and an install that needs more
 *    than `maxTableFrames` is refused (E0411) instead of running for hours.
 *
 * Errors are diagnostics (E0410 bad boot parameter, E0411 too large, E0412 the tables could not
 * be written); the installation is undefined when there is one.
 */

import type { Layout } from "../model/layout.js";
import { type Diagnostic, type Result, diagnostic } from "../diagnostics/diagnostic.js";
import { hex, size as showSize, tick } from "../model/format.js";
import { type Level, type PagingLevels, levelIndex } from "../arch/x86_64/entry.js";
import { FrameAllocator } from "../arch/frame-allocator.js";
import type { Arch, SpaceWriter } from "../arch/arch.js";
import { archOf, spaceWriter } from "../arch/registry.js";
import { type PageTableImage, exportImage } from "./image.js";
import {
  type BootParams,
  type ExpectedMapping,
  type Instance,
  type PageRun,
  type PlacedRegion,
  type Segment,
  expectedMappings,
  instantiate,
  pageRuns,
  segments,
  tableFramesBound,
  tablePool,
} from "./install-plan.js";
import type { Mapper } from "../arch/x86_64/mapper.js";
import { Mmu, type MmuOptions } from "../arch/x86_64/mmu.js";
import { SvMmu } from "../arch/riscv64/mmu.js";
import type { SvMapper } from "../arch/riscv64/mapper.js";
import { Mmu as Aarch64Mmu } from "../arch/aarch64/mmu.js";
import type { Aarch64Tables } from "../arch/aarch64/writer.js";
import { FRAME_SIZE, PhysicalMemory } from "../arch/physical-memory.js";

export type { BootParams } from "./install-plan.js";

/** One address space: the kernel's (`process` 0) or a process's (1..N). */
export interface AddressSpace {
  /** `kernel` or `process N`. */
  readonly name: string;
  readonly process: number;
  /** The architecture's mapper: x86-64 `Mapper`, RISC-V `SvMapper`, `Aarch64Tables`. */
  readonly mapper: Mapper | SvMapper | Aarch64Tables;
  /**
   * The root register to load (`Arch.rootRegister`): CR3 on x86-64 (PCIDE = 0), `satp` on
   * RISC-V (ASID 0), TTBR1_EL1 on AArch64.
   */
  readonly cr3: bigint;
  /** TTBR0_EL1 on AArch64 when the lower half has tables. */
  readonly lowerRoot: bigint | undefined;
  /** The other registers the tables need, by name (AArch64: TTBR0_EL1, TCR_EL1, MAIR_EL1). */
  readonly control: readonly (readonly [string, bigint])[];
}

/** What one mapping call wrote: a run of pages of one size, from one segment. */
export interface InstalledRun extends PageRun {
  readonly segment: Segment;
  /** 0 for the kernel space (shared mappings), else the process. */
  readonly process: number;
}

/** A recursive slot written into an address space. */
export interface RecursiveSlot {
  readonly region: PlacedRegion;
  readonly index: number;
}

export interface Installation {
  readonly instance: Instance;
  readonly layout: Layout;
  readonly levels: number;
  /** The architecture and mode of `layout.paging`, for the walker, the dump and the audit. */
  readonly arch: Arch;
  readonly maxPhyAddr: number;
  readonly memory: PhysicalMemory;
  readonly allocator: FrameAllocator;
  readonly segments: readonly Segment[];
  readonly kernel: AddressSpace;
  readonly processes: readonly AddressSpace[];
  /** Every mapping written, in order (shared ones once, in the kernel space). */
  readonly runs: readonly InstalledRun[];
  readonly recursive: readonly RecursiveSlot[];
  /** `space(0)` is the kernel's, `space(p)` process p's. */
  space(process?: number): AddressSpace;
  /** An x86-64 MMU on `space(process)` (CR0.WP, EFER.NXE and CR4.PGE set; SMEP/SMAP off). */
  mmu(
    process?: number,
    options?: Omit<MmuOptions, "memory" | "cr3" | "levels" | "maxPhyAddr">,
  ): Mmu;
  /** A RISC-V MMU in S-mode on `space(process)` (SUM and MXR off, Svadu). */
  svMmu(process?: number): SvMmu;
  /** An AArch64 MMU on `space(process)`, its system registers as the installation sets them. */
  aarch64Mmu(process?: number): Aarch64Mmu;
  /** All table frames (every space's) as one raw image, CR3 of `space(process)`. */
  image(process?: number): PageTableImage;
  /** Table frames allocated per level (shared tables once). */
  framesPerLevel(): Record<Level, number>;
}

export interface InstallOptions extends BootParams {}

/**
 * Installs `layout` (which the caller has verified) for `boot`. See the file comment for what
 * is mapped and how.
 */
export function install(
  layout: Layout,
  boot: InstallOptions = {},
): Result<Installation | undefined> {
  const inst = instantiate(layout, boot);
  if (inst.value === undefined) return { value: undefined, diagnostics: inst.diagnostics };
  const instance = inst.value;
  const segs = segments(instance);
  const failed = (d: Diagnostic): Result<undefined> => ({
    value: undefined,
    diagnostics: [...inst.diagnostics, d],
  });

  // Plan every space's runs and bound the work before writing anything.
  const unmappable = checkMappable(instance, segs);
  if (unmappable) return failed(unmappable);
  const arch = archOf(layout.paging);
  const kernelRuns = toRuns(expectedMappings(instance, segs, 0), 0, arch.pageSizes);
  const processRuns: InstalledRun[][] = [];
  for (let p = 1; p <= instance.processes; p++) {
    processRuns.push(toRuns(expectedMappings(instance, segs, p, "private"), p, arch.pageSizes));
  }
  const pool = tablePool(boot, instance.ramBase);
  const tooLarge = checkWorkBound(instance, arch, kernelRuns, processRuns, pool.limit);
  if (tooLarge) return failed(tooLarge);
  const badPool = checkPool(pool, instance.maxPhyAddr);
  if (badPool) return failed(badPool);

  const { levels, maxPhyAddr } = instance;
  const memory = new PhysicalMemory();
  const allocator = new FrameAllocator(memory, { base: pool.base, bytes: pool.bytes });
  const recursive = recursiveSlots(segs, levels);
  const privateRanges = mergeRanges(segs.filter((s) => s.perProcess).map((s) => [s.start, s.end]));
  const recursiveIndices = new Set(recursive.map((r) => r.index));
  /** One address space; a process's shares the kernel's tables where it has nothing private. */
  const writeSpace = (process: number, runs: readonly InstalledRun[], kernel?: SpaceWriter) => {
    const shared = kernel && { kernel, privateRanges, keep: recursiveIndices };
    const tables = spaceWriter(layout.paging, memory, allocator, maxPhyAddr, shared);
    if (!tables) {
      const why = `process address spaces are not built for ${arch.name} layouts yet: give no processes`;
      return { error: diagnostic("E0410", why, undefined) };
    }
    const error = mapRuns(tables, runs) ?? writeRecursive(tables, recursive);
    return error ? { error } : { tables, space: addressSpace(process, tables) };
  };

  const kernelSpace = writeSpace(0, kernelRuns);
  if (!kernelSpace.space) return failed(kernelSpace.error);
  const kernel = kernelSpace.space;
  const processes: AddressSpace[] = [];
  for (let p = 1; p <= instance.processes; p++) {
    const written = writeSpace(p, processRuns[p - 1]!, kernelSpace.tables);
    if (!written.space) return failed(written.error);
    processes.push(written.space);
  }

  const space = (process = 0): AddressSpace => {
    if (process === 0) return kernel;
    const s = processes[process - 1];
    if (!s) throw new RangeError(`no process ${process}: ${processes.length} were installed`);
    return s;
  };
  const installation: Installation = {
    instance,
    layout,
    levels,
    arch,
    maxPhyAddr,
    memory,
    allocator,
    segments: segs,
    kernel,
    processes,
    runs: [...kernelRuns, ...processRuns.flat()],
    recursive,
    space,
    mmu: (process = 0, options = {}) =>
      new Mmu({
        ...options,
        memory,
        levels: levels as PagingLevels,
        maxPhyAddr,
        cr3: space(process).cr3,
      }),
    svMmu: (process = 0) =>
      new SvMmu({ memory, satp: space(process).cr3, physAddrBits: maxPhyAddr }),
    aarch64Mmu: (process = 0) => {
      const mmu = new Aarch64Mmu(memory, { physAddrBits: 52 });
      Object.assign(mmu.regs, (space(process).mapper as Aarch64Tables).registers);
      return mmu;
    },
    image: (process = 0) => {
      const s = space(process);
      const r = exportImage({
        memory,
        allocator,
        cr3: s.cr3,
        lowerRoot: s.lowerRoot,
        arch,
        maxPhyAddr,
      });
      if (!r.ok) throw new Error(`internal error: page table outside the image (${r.error.kind})`);
      return r.value;
    },
    framesPerLevel: () => allocator.framesPerLevel(),
  };
  return { value: installation, diagnostics: inst.diagnostics };
}

// ---------------------------------------------------------------------------------------------
// The steps of `install`.

/** The page runs of `maps` for address space `process`, in pages of `pageSizes`. */
function toRuns(
  maps: readonly ExpectedMapping[],
  process: number,
  pageSizes: readonly bigint[],
): InstalledRun[] {
  return maps.flatMap((m) =>
    pageRuns(m.va, m.pa, m.end - m.va, m.segment.maxPage, pageSizes).map((r) => ({
      ...r,
      segment: m.segment,
      process,
    })),
  );
}

/** E0412 for a mapped segment that is not whole 4 KiB pages, E0410 for a negative base. */
function checkMappable(instance: Instance, segs: readonly Segment[]): Diagnostic | undefined {
  for (const s of segs) {
    if (
      (s.mapping === "ram" || s.mapping === "phys" || s.mapping === "alloc") &&
      (s.start % 4096n !== 0n || s.end % 4096n !== 0n)
    ) {
      return diagnostic(
        "E0412",
        `region ${tick(s.owner.name)} cannot be mapped: ${hex(s.start)}..${hex(s.end - 1n)} is not whole 4 KiB pages`,
        s.owner.region.nameSpan,
      );
    }
    if (s.mapping === "phys") {
      const map = s.source!.region.map as { kind: "phys"; base: bigint };
      if (map.base + instance.physOffset < 0n)
        return diagnostic(
          "E0410",
          `the relocated physical base of ${tick(s.source!.name)} is negative`,
          s.source!.region.nameSpan,
        );
    }
  }
  return undefined;
}

/** E0411 when the tables the runs may need exceed `limit` frames. */
function checkWorkBound(
  instance: Instance,
  arch: Arch,
  kernelRuns: readonly InstalledRun[],
  processRuns: readonly (readonly InstalledRun[])[],
  limit: number,
): Diagnostic | undefined {
  const { levels } = instance;
  const estimate =
    tableFramesBound(kernelRuns, arch) +
    processRuns.reduce((s, r) => s + tableFramesBound(r, arch), 0n) +
    BigInt((1 + instance.processes) * (1 + 2 * levels * 8));
  if (estimate <= BigInt(limit)) return undefined;
  const worst = [...kernelRuns, ...processRuns.flat()].sort((a, b) =>
    tableFramesBound([a], arch) > tableFramesBound([b], arch) ? -1 : 1,
  )[0];
  return diagnostic(
    "E0411",
    `installing would take up to ${estimate} page-table frames (${showSize(estimate * 4096n)}); the limit is ${limit}`,
    worst?.segment.owner.region.nameSpan,
    {
      help: "allow larger pages with `max_page`, give less RAM, or raise the limit (`--limit table-frames=N`; `maxTableFrames` in the library)",
    },
  );
}

/** E0410 when the table pool is misaligned or reaches past MAXPHYADDR. */
function checkPool(
  pool: { readonly base: number; readonly bytes: number },
  maxPhyAddr: number,
): Diagnostic | undefined {
  const { base, bytes } = pool;
  if (
    Number.isSafeInteger(base) &&
    base >= 0 &&
    base % FRAME_SIZE === 0 &&
    base + bytes <= 2 ** maxPhyAddr
  ) {
    return undefined;
  }
  return diagnostic(
    "E0410",
    `the page-table pool at ${hex(BigInt(base))} does not fit below MAXPHYADDR (${maxPhyAddr} bits) or is not 4 KiB aligned`,
    undefined,
  );
}

/** One top-level entry per `map recursive` region. */
function recursiveSlots(segs: readonly Segment[], levels: number): RecursiveSlot[] {
  const recursive: RecursiveSlot[] = [];
  for (const s of segs) {
    if (s.mapping !== "recursive") continue;
    const region = s.source!;
    if (recursive.some((r) => r.region === region)) continue;
    recursive.push({ region, index: levelIndex(region.start, levels as Level) });
  }
  return recursive;
}

function addressSpace(process: number, tables: SpaceWriter): AddressSpace {
  return {
    name: process === 0 ? "kernel" : `process ${process}`,
    process,
    mapper: tables.mapper as Mapper | SvMapper | Aarch64Tables,
    cr3: tables.root,
    lowerRoot: tables.lowerRoot,
    control: tables.control ?? [],
  };
}

/** Maps `runs` into `tables`; E0412 for the first that cannot be. */
function mapRuns(tables: SpaceWriter, runs: readonly InstalledRun[]): Diagnostic | undefined {
  for (const r of runs) {
    const error = tables.map(r.va, r.pa, r.bytes, BigInt(r.size), r.segment);
    if (error !== undefined) {
      return diagnostic(
        "E0412",
        `cannot map ${tick(r.segment.owner.name)} at ${hex(r.va)}: ${error}`,
        r.segment.owner.region.nameSpan,
      );
    }
  }
  return undefined;
}

/**
 * Writes the recursive slots into `tables`' top-level table: XD unless the region's `perm`
 * executes, R/W cleared unless it writes. E0412 for one that cannot be written.
 */
function writeRecursive(
  tables: SpaceWriter,
  slots: readonly RecursiveSlot[],
): Diagnostic | undefined {
  for (const slot of slots) {
    const error = tables.mapRecursive
      ? tables.mapRecursive(slot.index, slot.region.region.perm ?? "rw")
      : "this architecture's walk cannot recurse (E0214 refuses `map recursive` there)";
    if (error !== undefined) {
      return diagnostic(
        "E0412",
        `cannot write the recursive slot of ${tick(slot.region.name)}: ${error}`,
        slot.region.region.nameSpan,
      );
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

/** Sorted, merged half-open ranges. */
function mergeRanges(ranges: readonly (readonly [bigint, bigint])[]): [bigint, bigint][] {
  const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = e > last[1] ? e : last[1];
    else out.push([s, e]);
  }
  return out;
}
