/**
 * What a Layout means for page tables, for one boot: the layout instantiated with parameter
 * values and a KASLR slide (`instantiate`), the attributes in force at every address
 * (`segments`), and the mappings the spec asks for (`expectedMappings`). The installer
 * (install.ts) writes these mappings; the audit (src/audit/checks.ts) reads installed tables
 * back and compares them with the same expectation.
 *
 * Semantics (docs/runtime.md, "Installer"):
 *  - At each address the most specific region wins: the deepest one, and among overlapping
 *    regions at the same depth a KASLR-moved one over a fixed one, then `region` over `guard`
 *    over `hole` over `noncanonical`.
 *  - The mapping comes from the nearest region (itself or an ancestor) with `map`; a `hole`,
 *    `guard` or `noncanonical` region on the way stays unmapped. Regions without `map` anywhere
 *    above them are not installed (the kernel maps them at run time; the audit checks only
 *    their permissions there).
 *  - `perm` and `cache` and `max_page` come from the nearest region that gives them (a child
 *    overrides its parent for its range); `user`, `global` and `per_process` hold when any
 *    enclosing region says so.
 */

import { type Rational, add, isInteger, isZero, mul, rat } from "../model/rational.js";
import type { Bound, CacheMode, KaslrGroup, Layout, Permission, Region } from "../model/layout.js";
import { domainBounds } from "../model/affine.js";
import { satisfies } from "../model/polytope.js";
import { type Diagnostic, type Span, diagnostic } from "../diagnostics/diagnostic.js";
import { DEFAULT_LIMITS } from "../limits.js";
import { hex, list, size as showSize, tick } from "../model/format.js";
import { partitionPoint } from "../model/collections.js";
import {
  type KaslrMisfit,
  type KaslrPlacement,
  describeMisfit,
  kaslrMemberSizes,
  placeKaslr,
  proveKaslr,
  seededRandom,
} from "../model/kaslr.js";
import {
  DEFAULT_MAXPHYADDR,
  PAGE_1G,
  PAGE_2M,
  PAGE_4K,
  type PageSize,
} from "../arch/x86_64/entry.js";
import { largestPageRuns } from "../arch/page-runs.js";
import { archOf } from "../arch/registry.js";
import type { Arch } from "../arch/arch.js";
import { DEFAULT_POOL_BASE, DEFAULT_POOL_BYTES } from "../arch/frame-allocator.js";
import { FRAME_SIZE } from "../arch/physical-memory.js";
import { type RamMap, type RamRange, normalizeRam, ramOfSize, ramTop, ramWithin } from "./ram.js";

/** Boot parameters: what a boot loader and the kernel's early code decide at boot. */
export interface BootParams {
  /**
   * Physical RAM: a size (RAM from `ramBase`) or a map with holes. Default 4 GiB. Ranges are
   * trimmed to whole 4 KiB frames (see ram.ts).
   */
  readonly ram?: bigint | readonly RamRange[];
  /**
   * The physical address the first byte of a direct map (`map ram`) maps, and where RAM given
   * as a size begins. Default: the architecture's `Arch.ramBase` (x86-64 0, RISC-V 0x80000000).
   */
  readonly ramBase?: bigint;
  /** Parameter values; the others keep their defaults. Each must lie in its declared range. */
  readonly params?: ReadonlyMap<string, bigint> | Readonly<Record<string, bigint>>;
  /**
   * Runs Linux's memory-region randomisation (`kernel_randomize_memory`) for every KASLR
   * group, with random values from `seededRandom(kaslrSeed)`. Without a seed nothing moves
   * (as with `nokaslr`).
   */
  readonly kaslrSeed?: bigint;
  /**
   * Where KASLR put each member on this boot (a real kernel's bases, read from its tables or
   * its boot log), by member name; exclusive with `kaslrSeed`. Each must be a start the
   * randomisation can produce: aligned, and within what the verifier proved for the member.
   */
  readonly kaslrBases?: ReadonlyMap<string, bigint>;
  /**
   * Physical address the kernel was loaded at. Every `map phys` base moves by
   * `kernelLoad - kernel_load_address` (a constant or parameter the spec must define), as
   * Linux's `phys_base` does. Exclusive with `physOffset`.
   */
  readonly kernelLoad?: bigint;
  /** The same relocation given directly: added to every `map phys` base. Default 0. */
  readonly physOffset?: bigint;
  /** Number of process address spaces to build besides the kernel's. Default 0. */
  readonly processes?: number;
  /** MAXPHYADDR of the machine (36..52), default 46. */
  readonly maxPhyAddr?: number;
  /** Physical address of the page-table pool (4 KiB aligned), default `ramBase` + 16 MiB. */
  readonly poolBase?: number;
  /**
   * Refuse to install when the tables would need more frames than this (default
   * `DEFAULT_LIMITS.tableFrames`, 65,536: 256 MiB of tables, e.g. a 128 GiB direct map at
   * 4 KiB pages). Guards against absurd work.
   */
  readonly maxTableFrames?: number;
}

export const DEFAULT_RAM = 4n << 30n;
/** Most process address spaces one install builds. */
export const MAX_PROCESSES = 64;
/** The constant or parameter that says where the spec's kernel is linked to load. */
export const LOAD_REFERENCE = "kernel_load_address";

/** A region where it is on this boot. */
export interface PlacedRegion {
  readonly region: Region;
  readonly name: string;
  readonly start: bigint;
  /** Inclusive. */
  readonly end: bigint;
  readonly size: bigint;
  /** How far KASLR moved it (0 when it did not move). */
  readonly slide: bigint;
  /** True for KASLR members and their descendants when a seed was given. */
  readonly randomised: boolean;
  readonly parent: PlacedRegion | undefined;
}

export interface KaslrOutcome {
  readonly group: KaslrGroup;
  readonly sizes: readonly bigint[];
  readonly placement: KaslrPlacement;
}

/** A Layout instantiated for one boot. */
export interface Instance {
  readonly layout: Layout;
  /** Table levels of the layout's paging mode. */
  readonly levels: number;
  readonly maxPhyAddr: number;
  /** Every parameter's value on this boot. */
  readonly params: ReadonlyMap<string, bigint>;
  /** Sorted by start, parents before children. */
  readonly regions: readonly PlacedRegion[];
  readonly byName: ReadonlyMap<string, PlacedRegion>;
  readonly kaslr: readonly KaslrOutcome[];
  readonly kaslrSeed: bigint | undefined;
  /** Added to every `map phys` base. */
  readonly physOffset: bigint;
  readonly ram: RamMap;
  /** The physical address `map ram` maps at a region's start (`BootParams.ramBase`). */
  readonly ramBase: bigint;
  readonly processes: number;
  /**
   * Where each `map alloc` region is backed: the physical base of its RAM, by
   * `allocationKey(region, process)` (process 0 for a shared region).
   */
  readonly allocations: ReadonlyMap<string, bigint>;
}

export const allocationKey = (region: string, process: number): string => `${region}@${process}`;

/**
 * The page-table pool: `[base, base + bytes)`, room for the frame limit. An installation takes
 * at most `limit` frames from its bottom (more is E0411), so RAM from `base + limit` frames up
 * is free for `map alloc`.
 */
export function tablePool(
  boot: BootParams,
  ramBase: bigint,
): {
  readonly base: number;
  readonly bytes: number;
  readonly limit: number;
} {
  const limit = boot.maxTableFrames ?? DEFAULT_LIMITS.tableFrames;
  return {
    base: boot.poolBase ?? Number(ramBase) + DEFAULT_POOL_BASE,
    bytes: Math.max(DEFAULT_POOL_BYTES, (limit + 4096) * FRAME_SIZE),
    limit,
  };
}

/**
 * Backs the `map alloc` regions with RAM, as a kernel's page allocator would at boot: each
 * region (each process's copy of a per-process one) gets one contiguous range, aligned to 2 MiB
 * when it is that big (so it can take large pages) and to 4 KiB otherwise, handed out from the
 * top of RAM down and never below `floor` (the page-table pool and the `map phys` targets).
 * Returns the bases, or the first region that did not fit.
 */
function allocate(
  regions: readonly PlacedRegion[],
  ram: RamMap,
  processes: number,
  floor: bigint,
): { bases: Map<string, bigint> } | { failed: PlacedRegion } {
  const bases = new Map<string, bigint>();
  const free = ram.map((r) => ({ start: r.start > floor ? r.start : floor, end: r.end }));
  for (const p of regions) {
    if (p.region.map?.kind !== "alloc") continue;
    const align = p.size >= 2n << 20n ? 2n << 20n : 4096n;
    let perProcess = false;
    for (let a: PlacedRegion | undefined = p; a; a = a.parent) perProcess ||= a.region.perProcess;
    const copies = perProcess ? Array.from({ length: processes }, (_, i) => i + 1) : [0];
    for (const process of copies) {
      let placed = false;
      for (let i = free.length - 1; i >= 0 && !placed; i--) {
        const range = free[i]!;
        const base = ((range.end - p.size) / align) * align;
        if (range.end < p.size || base < range.start) continue;
        bases.set(allocationKey(p.name, process), base);
        range.end = base;
        placed = true;
      }
      if (!placed) return { failed: p };
    }
  }
  return { bases };
}

const toEntries = (p: BootParams["params"]): [string, bigint][] =>
  p === undefined ? [] : p instanceof Map ? [...p.entries()] : Object.entries(p);

/** A bound's linear part at the given parameter values (its slack, if any, is not included). */
export function evalAt(sym: Bound["sym"], values: ReadonlyMap<string, bigint>): Rational {
  let v = sym.constant;
  for (const [name, c] of sym.terms) v = add(v, mul(c, rat(values.get(name) ?? 0n)));
  return v;
}

/**
 * Instantiates `layout` for `boot`: checks parameter values and the RAM map (E0410), evaluates
 * every bound at the given parameter values, and runs KASLR when a seed is given. The value is
 * undefined when a diagnostic is an error.
 */
export function instantiate(
  layout: Layout,
  boot: BootParams = {},
): { value: Instance | undefined; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const fail: Fail = (message, help, span) => {
    diagnostics.push(diagnostic("E0410", message, span, help !== undefined ? { help } : {}));
  };
  const maxPhyAddr = boot.maxPhyAddr ?? DEFAULT_MAXPHYADDR;
  if (!Number.isInteger(maxPhyAddr) || maxPhyAddr < 36 || maxPhyAddr > 52) {
    fail(`MAXPHYADDR ${maxPhyAddr} is not in 36..52`);
  }
  const processes = boot.processes ?? 0;
  if (!Number.isInteger(processes) || processes < 0 || processes > MAX_PROCESSES) {
    fail(`${processes} process address spaces asked for; give 0..${MAX_PROCESSES}`);
  }
  const { values, overridden } = parameterValues(layout, boot, fail);
  const ramBase = boot.ramBase ?? archOf(layout.paging).ramBase;
  if (ramBase < 0n || ramBase % 4096n !== 0n || ramBase >= 1n << BigInt(maxPhyAddr)) {
    fail(`the RAM base ${hex(ramBase)} is not a 4 KiB aligned physical address`);
  }
  const ram = ramMap(boot, ramBase, maxPhyAddr, fail);
  const regionByName = new Map(layout.regions.map((r) => [r.name, r]));
  const placed = placeRegions(layout, values, overridden, fail);
  if (boot.kaslrSeed !== undefined && boot.kaslrBases !== undefined) {
    fail("give either a KASLR seed or the KASLR bases, not both");
  }
  const randomise = boot.kaslrSeed !== undefined || boot.kaslrBases !== undefined;
  const kaslr =
    randomise && diagnostics.length === 0
      ? randomiseKaslr(layout, boot, values, placed, regionByName, fail)
      : [];
  const physOffset = relocation(layout, boot, values, fail);
  if (diagnostics.length > 0) return { value: undefined, diagnostics };

  const { regions, withParents } = linkParents(layout, placed, regionByName);
  const floor = allocationFloor(boot, regions, physOffset, ramBase);
  const allocated = allocate(regions, ram, processes, floor);
  if ("failed" in allocated) {
    fail(
      `there is not enough RAM above the page-table pool's limit and the \`map phys\` targets (${hex(floor)}) to back ${tick(allocated.failed.name)} (\`map alloc\`, ${showSize(allocated.failed.size)})`,
      "give more RAM (`--ram`), or fewer processes",
      allocated.failed.region.nameSpan,
    );
    return { value: undefined, diagnostics };
  }

  return {
    value: {
      layout,
      levels: layout.paging.levels,
      maxPhyAddr,
      params: values,
      regions,
      byName: withParents,
      kaslr,
      kaslrSeed: boot.kaslrSeed,
      physOffset,
      ram,
      ramBase,
      processes,
      allocations: allocated.bases,
    },
    diagnostics,
  };
}

// ---------------------------------------------------------------------------------------------
// The steps of `instantiate`; each reports a user's mistake through `fail` (E0410).

type Fail = (message: string, help?: string, span?: Span) => void;

/** Every parameter's value: its default, or the boot parameter given for it. */
function parameterValues(
  layout: Layout,
  boot: BootParams,
  fail: Fail,
): { values: Map<string, bigint>; overridden: Set<string> } {
  const values = new Map(layout.params.map((p) => [p.name, p.default]));
  const overridden = new Set<string>();
  for (const [name, v] of toEntries(boot.params)) {
    const p = layout.params.find((x) => x.name === name);
    if (!p) {
      fail(
        `spec has no parameter ${tick(name)}`,
        layout.params.length === 0
          ? "this spec declares no parameters"
          : `its parameters are ${list(layout.params.map((x) => tick(x.name)))}`,
      );
      continue;
    }
    const { lo, hi } = domainBounds(p);
    const step = p.type === "count" ? p.align.toString() : showSize(p.align);
    if (v < lo || v > hi) {
      fail(
        `parameter ${tick(name)} = ${show(p.type, v)} is outside its range`,
        `give a multiple of ${step} in ${show(p.type, lo)}..${show(p.type, hi)}`,
        p.span,
      );
      continue;
    }
    if (v % p.align !== 0n) {
      // Within lo..hi, whose ends are aligned: both neighbours are allowed values.
      const below = v - (((v % p.align) + p.align) % p.align);
      fail(
        `parameter ${tick(name)} = ${show(p.type, v)} is not aligned to ${step}`,
        `the nearest aligned values are ${show(p.type, below)} and ${show(p.type, below + p.align)}`,
        p.span,
      );
      continue;
    }
    values.set(name, v);
    if (v !== p.default) overridden.add(name);
  }
  for (const c of layout.constraints) {
    if (satisfies(values, [c.fact])) continue;
    const given = layout.params.filter((p) => c.fact.form.terms.has(p.name));
    fail(
      `the parameter values break \`require ${c.text}\`: ${list(given.map((p) => `${tick(p.name)} = ${show(p.type, values.get(p.name)!)}`))}`,
      "give values that satisfy every `require` of the spec",
      c.span,
    );
  }
  return { values, overridden };
}

/** The RAM map the boot parameters give (a size, or ranges). */
function ramMap(boot: BootParams, ramBase: bigint, maxPhyAddr: number, fail: Fail): RamMap {
  const ramIn = boot.ram ?? DEFAULT_RAM;
  let ram: RamMap = [];
  if (typeof ramIn === "bigint") {
    // Below one 4 KiB frame, rounding down to whole frames would leave no RAM at all.
    if (ramIn < 4096n || ramIn > 1n << 52n)
      fail(
        `RAM size ${showSize(ramIn)} is not in 4 KiB..4 PiB`,
        ramIn < 4096n ? "RAM comes in whole 4 KiB frames: give at least `4KB`" : undefined,
      );
    else ram = ramOfSize(ramIn, ramBase);
  } else {
    const r = normalizeRam(ramIn);
    if (!r.ok) fail(r.error);
    else ram = r.value;
  }
  if (ramTop(ram) > 1n << BigInt(maxPhyAddr)) {
    fail(
      `RAM ends at ${hex(ramTop(ram))}, above the ${maxPhyAddr}-bit physical address space`,
      `give less RAM (\`--ram\`); the emulated CPU has MAXPHYADDR ${maxPhyAddr} (\`maxPhyAddr\` in the library's boot parameters)`,
    );
  }

  return ram;
}

/** Every region's bounds at the parameter values (no KASLR slide yet, no parents). */
function placeRegions(
  layout: Layout,
  values: ReadonlyMap<string, bigint>,
  overridden: ReadonlySet<string>,
  fail: Fail,
): Map<string, PlacedRegion> {
  const placed = new Map<string, PlacedRegion>();
  const bound = (r: Region, b: Bound, what: string): bigint | undefined => {
    if (
      overridden.size === 0 ||
      (b.sym.terms.size === 0 && isZero(b.sym.slackLo) && isZero(b.sym.slackHi))
    ) {
      return b.value;
    }
    if (!isZero(b.sym.slackLo) || !isZero(b.sym.slackHi)) {
      fail(
        `cannot place region ${tick(r.name)} for these parameter values: its ${what} is not linear in them`,
        "install with the parameters' defaults, or write the bound without `align_up`, `min` or `max`",
        r.nameSpan,
      );
      return undefined;
    }
    const v = evalAt(b.sym, values);
    if (!isInteger(v)) {
      fail(
        `the ${what} of region ${tick(r.name)} is not a whole number for these parameter values`,
        undefined,
        r.nameSpan,
      );
      return undefined;
    }
    return v.num;
  };
  for (const r of layout.regions) {
    const start = bound(r, r.start, "start");
    const end = bound(r, r.end, "end");
    if (start === undefined || end === undefined) continue;
    if (end < start || start < 0n || end >= 1n << 64n) {
      fail(
        `region ${tick(r.name)} is empty or leaves the address space for these parameter values`,
        undefined,
        r.nameSpan,
      );
      continue;
    }
    placed.set(r.name, {
      region: r,
      name: r.name,
      start,
      end,
      size: end - start + 1n,
      slide: 0n,
      randomised: false,
      parent: undefined,
    });
  }

  return placed;
}

/** Places every KASLR group (from the seed, or at the bases given) and slides its members. */
function randomiseKaslr(
  layout: Layout,
  boot: BootParams,
  values: ReadonlyMap<string, bigint>,
  placed: Map<string, PlacedRegion>,
  regionByName: ReadonlyMap<string, Region>,
  fail: Fail,
): KaslrOutcome[] {
  const kaslr: KaslrOutcome[] = [];
  const rand = seededRandom(boot.kaslrSeed ?? 0n);
  for (const group of layout.kaslr) {
    // Each member reserves its size on this boot, as Linux sizes the direct map from its RAM.
    const sizes = kaslrMemberSizes(layout, group, values);
    const placement =
      boot.kaslrBases === undefined
        ? placeKaslr(group, sizes, rand)
        : givenPlacement(group, sizes, boot.kaslrBases, placed);
    if (!placement.fits) {
      const why = "reason" in placement ? describeMisfit(group, placement) : placement.message;
      fail(`cannot randomise KASLR group ${tick(group.name)}: ${why}`, undefined, group.span);
      continue;
    }
    kaslr.push({ group, sizes, placement });
    group.members.forEach((m, i) => {
      const member = placed.get(m.name);
      if (member)
        slideMember(layout, regionByName, placed, m.name, placement.bases[i]! - member.start);
    });
  }
  return kaslr;
}

/** Moves a KASLR member and every region inside it by `slide`. */
function slideMember(
  layout: Layout,
  regionByName: ReadonlyMap<string, Region>,
  placed: Map<string, PlacedRegion>,
  member: string,
  slide: bigint,
): void {
  const moves = (r: Region) => r.name === member || isDescendant(regionByName, r, member);
  for (const r of layout.regions.filter(moves)) {
    const p = placed.get(r.name);
    if (p)
      placed.set(r.name, {
        ...p,
        start: p.start + slide,
        end: p.end + slide,
        slide,
        randomised: true,
      });
  }
}

/** The offset `map phys` regions move by: given, or from the kernel's load address. */
function relocation(
  layout: Layout,
  boot: BootParams,
  values: ReadonlyMap<string, bigint>,
  fail: Fail,
): bigint {
  let physOffset = boot.physOffset ?? 0n;
  if (boot.kernelLoad !== undefined) {
    if (boot.physOffset !== undefined)
      fail("give either a kernel load address or a physical offset, not both");
    const ref =
      layout.constants.find((c) => c.name === LOAD_REFERENCE)?.value.value ??
      values.get(LOAD_REFERENCE);
    if (ref === undefined) {
      fail(
        `the spec does not say where its kernel is linked to load, so a load address cannot relocate it`,
        `define \`const ${LOAD_REFERENCE} = ADDRESS\` in the spec`,
      );
    } else {
      physOffset = boot.kernelLoad - ref;
    }
  }

  return physOffset;
}

/** The placed regions linked to their parents, sorted by start (a parent before its children). */
function linkParents(
  layout: Layout,
  placed: ReadonlyMap<string, PlacedRegion>,
  regionByName: ReadonlyMap<string, Region>,
): { regions: PlacedRegion[]; withParents: Map<string, PlacedRegion> } {
  const withParents = new Map<string, PlacedRegion>();
  const link = (r: Region): PlacedRegion | undefined => {
    const done = withParents.get(r.name);
    if (done) return done;
    const p = placed.get(r.name);
    if (!p) return undefined;
    const parentRegion = r.parent === null ? undefined : regionByName.get(r.parent);
    const parent = parentRegion ? link(parentRegion) : undefined;
    const out = { ...p, parent };
    withParents.set(r.name, out);
    return out;
  };
  for (const r of layout.regions) link(r);
  const regions = [...withParents.values()].sort(
    (a, b) => cmp(a.start, b.start) || cmp(b.size, a.size) || a.region.depth - b.region.depth,
  );

  return { regions, withParents };
}

/** The lowest physical address `map alloc` may use: above the table pool and `map phys` targets. */
function allocationFloor(
  boot: BootParams,
  regions: readonly PlacedRegion[],
  physOffset: bigint,
  ramBase: bigint,
): bigint {
  const pool = tablePool(boot, ramBase);
  let floor = BigInt(pool.base + pool.limit * FRAME_SIZE);
  for (const p of regions)
    if (p.region.map?.kind === "phys") {
      const end = p.region.map.base + physOffset + p.size;
      if (end > floor) floor = end;
    }
  return floor;
}

/**
 * The placement of `group` at bases given for its members (a member not given keeps its
 * unrandomised start), or why not: the group cannot be placed at all, or a base is one the
 * randomisation cannot produce (not a multiple of the group's alignment, or outside the starts
 * proved reachable for the member).
 */
function givenPlacement(
  group: KaslrGroup,
  sizes: readonly bigint[],
  given: ReadonlyMap<string, bigint>,
  placed: ReadonlyMap<string, PlacedRegion>,
): KaslrPlacement | KaslrMisfit | { readonly fits: false; readonly message: string } {
  const proof = proveKaslr(group, sizes);
  if (!proof.fits) return proof;
  const bases: bigint[] = [];
  for (const [i, m] of group.members.entries()) {
    const base = given.get(m.name) ?? placed.get(m.name)?.start ?? proof.members[i]!.minStart;
    const { minStart, maxStart } = proof.members[i]!;
    // KASLR's starts are `minStart` plus multiples of the alignment (model/kaslr.ts: the first
    // member's is the range's start, which need not be aligned).
    const off = base - minStart;
    if (given.has(m.name) && (off % group.align !== 0n || base < minStart || base > maxStart)) {
      const message = `\`${m.name}\` at ${hex(base)} is not a start KASLR can give it (${hex(minStart)} plus a multiple of ${showSize(group.align)}, up to ${hex(maxStart)})`;
      return { fits: false, message };
    }
    bases.push(base);
  }
  const ends = bases.map((b, i) => b + sizes[i]! - 1n);
  return { fits: true, bases, ends, entropies: bases.map(() => 0n) };
}

function isDescendant(byName: ReadonlyMap<string, Region>, r: Region, ancestor: string): boolean {
  for (let p = r.parent; p !== null; p = byName.get(p)?.parent ?? null) {
    if (p === ancestor) return true;
  }
  return false;
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

function show(type: string, v: bigint): string {
  return type === "count" ? v.toString() : type === "size" ? showSize(v) : hex(v);
}

// ---------------------------------------------------------------------------------------------
// Segments: the attributes in force at every address.

export type MappingKind = "ram" | "phys" | "alloc" | "recursive" | "none";

/** A maximal VA range `[start, end)` with one most-specific region and one set of attributes. */
export interface Segment {
  readonly start: bigint;
  /** Exclusive (may be 2^64). */
  readonly end: bigint;
  /** The most specific region here. */
  readonly owner: PlacedRegion;
  /** The region whose `map` applies, if any. */
  readonly source: PlacedRegion | undefined;
  /** What is mapped here: `none` for no `map`, `map none`, or a hole/guard/noncanonical. */
  readonly mapping: MappingKind;
  readonly perm: Permission;
  readonly user: boolean;
  readonly global: boolean;
  readonly perProcess: boolean;
  readonly cache: CacheMode | undefined;
  /** The largest page the segment may be mapped with: its `max_page` (any of `Arch.pageSizes`), else 1 GiB. */
  readonly maxPage: bigint;
}

const KIND_RANK = { region: 3, guard: 2, hole: 1, noncanonical: 0 } as const;

function better(a: PlacedRegion, b: PlacedRegion): boolean {
  if (a.region.depth !== b.region.depth) return a.region.depth > b.region.depth;
  if (a.randomised !== b.randomised) return a.randomised;
  if (a.region.kind !== b.region.kind) return KIND_RANK[a.region.kind] > KIND_RANK[b.region.kind];
  return a.start > b.start;
}

/** Default permission of a mapped region that gives none anywhere: read-only, no execute. */
export const DEFAULT_PERM: Permission = "r";

function attributes(owner: PlacedRegion): Omit<Segment, "start" | "end" | "owner"> {
  let source: PlacedRegion | undefined;
  let blocked = false;
  let perm: Permission | undefined;
  let cache: CacheMode | undefined;
  let maxPage: bigint | undefined;
  let user = false;
  let global = false;
  let perProcess = false;
  for (let p: PlacedRegion | undefined = owner; p; p = p.parent) {
    const r = p.region;
    if (source === undefined) {
      if (r.kind !== "region") blocked = true;
      if (r.map !== undefined) source = p;
    }
    perm ??= r.perm;
    cache ??= r.cache;
    maxPage ??= r.maxPage;
    user ||= r.user;
    global ||= r.global;
    perProcess ||= r.perProcess;
  }
  const kind = source?.region.map?.kind;
  const mapping: MappingKind = blocked || kind === undefined || kind === "none" ? "none" : kind;
  return {
    source,
    mapping,
    perm: perm ?? DEFAULT_PERM,
    user,
    global,
    perProcess,
    cache,
    maxPage: maxPage ?? BigInt(PAGE_1G),
  };
}

/**
 * The attribute map of an instance: sorted, disjoint segments covering every address that lies
 * in some region (addresses in no region have no segment).
 */
export function segments(instance: Instance): Segment[] {
  const regions = instance.regions.filter((r) => r.size > 0n);
  const points = new Set<bigint>();
  for (const r of regions) {
    points.add(r.start);
    points.add(r.end + 1n);
  }
  const bounds = [...points].sort(cmp);
  const byStart = [...regions].sort((a, b) => cmp(a.start, b.start));
  const out: Segment[] = [];
  let active: PlacedRegion[] = [];
  let next = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i]!;
    const hi = bounds[i + 1]!;
    active = active.filter((r) => r.end >= lo);
    while (next < byStart.length && byStart[next]!.start <= lo) {
      const r = byStart[next++]!;
      if (r.end >= lo) active.push(r);
    }
    if (active.length === 0) continue;
    let owner = active[0]!;
    for (const r of active) if (better(r, owner)) owner = r;
    const last = out[out.length - 1];
    if (last && last.owner === owner && last.end === lo) {
      out[out.length - 1] = { ...last, end: hi };
    } else {
      out.push({ start: lo, end: hi, owner, ...attributes(owner) });
    }
  }
  return out;
}

/** The segment containing `va`, by binary search. */
export function segmentAt(segs: readonly Segment[], va: bigint): Segment | undefined {
  const s = segs[partitionPoint(segs.length, (i) => segs[i]!.end > va)];
  return s !== undefined && s.start <= va ? s : undefined;
}

// ---------------------------------------------------------------------------------------------
// Expected mappings.

/** One linear piece of mapping the spec asks for: `[va, end)` -> `[pa, pa + end - va)`. */
export interface ExpectedMapping {
  readonly va: bigint;
  readonly end: bigint;
  readonly pa: bigint;
  readonly segment: Segment;
}

/** Physical stride between the copies of a per-process `map phys` region. */
export function processStride(source: PlacedRegion): bigint {
  const a = 2n << 20n;
  return ((source.size + a - 1n) / a) * a;
}

/**
 * The mappings the spec asks for in one address space: `process` 0 is the kernel's (shared
 * regions only), 1..N a process's (shared and per-process regions; process p maps a
 * per-process `map phys BASE` region at `BASE + (p - 1) * processStride`). `map ram` maps the
 * RAM parts of `[ramBase, ramBase + region size)`; RAM holes stay unmapped. Recursive slots are not listed.
 * Pieces whose physical address would be negative are dropped (the installer reports them).
 */
export function expectedMappings(
  instance: Instance,
  segs: readonly Segment[],
  process: number,
  which: "all" | "shared" | "private" = "all",
): ExpectedMapping[] {
  const out: ExpectedMapping[] = [];
  for (const s of segs) {
    if (s.mapping !== "ram" && s.mapping !== "phys" && s.mapping !== "alloc") continue;
    if (s.perProcess && process === 0) continue;
    if (which === "shared" && s.perProcess) continue;
    if (which === "private" && !s.perProcess) continue;
    const src = s.source!;
    const offset = s.start - src.start;
    const len = s.end - s.start;
    if (s.mapping === "phys") {
      const map = src.region.map as { kind: "phys"; base: bigint };
      let pa = map.base + instance.physOffset + offset;
      if (s.perProcess) pa += BigInt(process - 1) * processStride(src);
      if (pa < 0n) continue;
      out.push({ va: s.start, end: s.end, pa, segment: s });
    } else if (s.mapping === "alloc") {
      const base = instance.allocations.get(allocationKey(src.name, s.perProcess ? process : 0))!;
      out.push({ va: s.start, end: s.end, pa: base + offset, segment: s });
    } else {
      const base = instance.ramBase + offset;
      for (const part of ramWithin(instance.ram, base, base + len)) {
        out.push({
          va: src.start + part.start - instance.ramBase,
          end: src.start + part.end - instance.ramBase,
          pa: part.start,
          segment: s,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Page sizes and flags.

/** A run of pages of one size. */
export interface PageRun {
  readonly va: bigint;
  readonly pa: bigint;
  readonly bytes: bigint;
  /** Bytes of each page: one of the architecture's `Arch.pageSizes`. */
  readonly size: number;
}

const SIZES: readonly bigint[] = [BigInt(PAGE_4K), BigInt(PAGE_2M), BigInt(PAGE_1G)];

/**
 * Splits `[va, va + bytes)` -> `pa` into runs of the largest of `pageSizes` (default x86-64's)
 * that the alignment of both addresses and `maxPage` allow (`largestPageRuns`): on x86-64, 4 KiB
 * up to the first 2 MiB boundary, 2 MiB up to the first 1 GiB boundary, 1 GiB pages, then 2 MiB
 * and 4 KiB at the tail.
 */
export function pageRuns(
  va: bigint,
  pa: bigint,
  bytes: bigint,
  maxPage: bigint | PageSize,
  pageSizes: readonly bigint[] = SIZES,
): PageRun[] {
  const sizes = pageSizes.filter((s) => s <= BigInt(maxPage));
  return largestPageRuns(va, pa, bytes, sizes).map((r) => ({ ...r, size: Number(r.size) }));
}

/**
 * Upper bound of the table frames `runs` need below the top level of `arch`: per run and level,
 * the number of table-sized spans it touches (shared tables are counted once per run), times
 * the frames of a table there.
 */
export function tableFramesBound(runs: readonly PageRun[], arch: Arch): bigint {
  let total = 0n;
  for (const r of runs) {
    let level = 1;
    while (level < arch.levels && arch.leafSize(level) !== BigInt(r.size)) level++;
    for (; level < arch.levels; level++) {
      const span = 1n << BigInt(arch.levelShift(level + 1));
      const frames = BigInt(arch.tableBytes(level) / FRAME_SIZE);
      total += ((r.va + r.bytes - 1n) / span - r.va / span + 1n) * frames;
    }
  }
  return total;
}
