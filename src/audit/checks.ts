/**
 * The audit: installed page tables <-> Layout. Reads every address space's tables back
 * (read-back.ts, on the one walker) and checks the mappings found against what the spec asks
 * for:
 *
 *  - every present mapping lies in a region that may be mapped (E0401: not in a hole, guard or
 *    the non-canonical range), at the physical address the spec gives (E0402), with no right
 *    its `perm` lacks (E0403; fewer rights are fine), U/S from `user` (E0404), G from `global`
 *    and PAT/PCD/PWT from `cache` (E0405). A `region` vmlayout does not install (no `map`, or
 *    `map none`) is the kernel's to map at run time: only that policy applies there, and its
 *    memory type only when it names one;
 *  - W^X: no page is writable and executable unless its region's `perm` is `rwx` (E0406; in an
 *    `rwx` region it is reported as the warning W0401);
 *  - every region the spec says is mapped (`map ram` up to the RAM, `map phys`) is mapped
 *    completely (E0407); recursive slots are where `map recursive` says and nowhere else (E0408);
 *  - the tables themselves are well formed (E0409: reserved bits, PS in a PML4E/PML5E, a cycle).
 *
 * Rights are the effective ones (SDM 4.6.1: R/W and U/S AND-ed, XD OR-ed over the walk). The
 * report also gives the page-table cost: table frames per level, per space and in all.
 */

import type { Code } from "../diagnostics/catalogue.js";
import {
  type Diagnostic,
  type Result,
  type Span,
  diagnostic,
  sortDiagnostics,
} from "../diagnostics/diagnostic.js";
import { moreNotShown } from "../diagnostics/collector.js";
import type { Level } from "../arch/x86_64/entry.js";
import { type Arch, MapBit } from "../arch/arch.js";
import {
  type FoundMapping,
  type FoundRecursiveSlot,
  type MalformedEntry,
  readTables,
} from "./read-back.js";
import type { Installation } from "../runtime/install.js";
import {
  type ExpectedMapping,
  type Instance,
  type Segment,
  expectedMappings,
} from "../runtime/install-plan.js";
import { CACHE_PAT_INDEX } from "../arch/x86_64/writer.js";
import type { PhysicalMemory } from "../arch/physical-memory.js";
import { hex, size as showSize, tick } from "../model/format.js";
import { partitionPoint } from "../model/collections.js";

// ---------------------------------------------------------------------------------------------
// The audit.

export interface AuditSpace {
  readonly name: string;
  readonly process: number;
  readonly cr3: bigint;
  /** Tables reachable from this space's CR3, per level. */
  readonly tables: Record<Level, number>;
  /** Of those, tables the kernel space reaches too (0 for the kernel space). */
  readonly sharedWithKernel: number;
  /** The merged mappings found. */
  readonly mappings: readonly FoundMapping[];
  readonly recursive: readonly FoundRecursiveSlot[];
}

export interface AuditReport {
  readonly spaces: readonly AuditSpace[];
  /** Distinct table frames reachable from any space, per level: the page-table cost. */
  readonly tables: Record<Level, number>;
  /** Total distinct table frames. */
  readonly frames: number;
  /** No error-severity finding. */
  readonly ok: boolean;
}

export interface AuditOptions {
  /** Findings reported per code before the rest are summarised (default 20). */
  readonly maxPerCode?: number;
}

/** What the audit needs: tables in memory and the instance they should implement. */
export interface AuditTarget {
  readonly instance: Instance;
  readonly segments: readonly Segment[];
  readonly memory: PhysicalMemory;
  readonly arch: Arch;
  readonly maxPhyAddr: number;
  readonly spaces: readonly {
    readonly name: string;
    readonly process: number;
    readonly cr3: bigint;
    /** TTBR0_EL1 where each half has its own root. */
    readonly lowerRoot?: bigint | undefined;
  }[];
}

/** Audits an installation (all its address spaces). */
export function audit(installation: Installation, options: AuditOptions = {}): Result<AuditReport> {
  return auditTables(
    {
      instance: installation.instance,
      segments: installation.segments,
      memory: installation.memory,
      arch: installation.arch,
      maxPhyAddr: installation.maxPhyAddr,
      spaces: [installation.kernel, ...installation.processes],
    },
    options,
  );
}

const FLAG_NAMES: readonly [number, string][] = [
  [MapBit.U, "USR"],
  [MapBit.W, "RW"],
  [MapBit.NX, "NX"],
  [MapBit.G, "GLB"],
  [MapBit.PWT, "PWT"],
  [MapBit.PCD, "PCD"],
  [MapBit.PAT, "PAT"],
];

/** Effective flags in ptdump's words: `USR RW NX GLB`, `ro x`. */
export function describeFlags(flags: number): string {
  const out: string[] = [];
  if (flags & MapBit.U) out.push("USR");
  out.push(flags & MapBit.W ? "RW" : "ro");
  out.push(flags & MapBit.NX ? "NX" : "x");
  for (const [bit, name] of FLAG_NAMES.slice(3)) if (flags & bit) out.push(name);
  return out.join(" ");
}

interface Interval {
  readonly start: bigint;
  readonly end: bigint;
  readonly segment: Segment;
  readonly expected: ExpectedMapping | undefined;
}

/** The audit proper, over any tables (tests corrupt an installation's memory and call this). */
export function auditTables(target: AuditTarget, options: AuditOptions = {}): Result<AuditReport> {
  const { instance, segments: segs, memory, arch, maxPhyAddr } = target;
  const findings = new Findings(options.maxPerCode ?? 20);
  const reads = target.spaces.map((s) => readTables(memory, s.cr3, arch, maxPhyAddr, s.lowerRoot));
  const kernelTables = new Set(
    target.spaces.flatMap((s, i) => (s.process === 0 ? [...reads[i]!.tables.keys()] : [])),
  );

  const spaces: AuditSpace[] = [];
  const allTables = new Map<number, Level>();
  target.spaces.forEach((space, si) => {
    const read = reads[si]!;
    const where = target.spaces.length > 1 ? ` in the ${space.name} address space` : "";
    for (const [pfn, level] of read.tables) allTables.set(pfn, level);
    checkSpace(findings, instance, segs, { ...read, physical: true }, space.process, where);
    const perLevel: Record<Level, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
    let shared = 0;
    for (const [pfn, level] of read.tables) {
      perLevel[level]++;
      if (space.process !== 0 && kernelTables.has(pfn)) shared++;
    }
    spaces.push({
      name: space.name,
      process: space.process,
      cr3: space.cr3,
      tables: perLevel,
      sharedWithKernel: shared,
      mappings: read.mappings,
      recursive: read.recursive,
    });
  });
  const tables: Record<Level, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
  for (const level of allTables.values()) tables[level]++;
  const diagnostics = findings.finish();
  return {
    value: {
      spaces,
      tables,
      frames: allTables.size,
      ok: !diagnostics.some((d) => d.severity === "error"),
    },
    diagnostics,
  };
}

/** What a table walk or a listing found in one address space. */
export interface FoundSpace {
  /** Sorted, disjoint runs. */
  readonly mappings: readonly FoundMapping[];
  /** Recursive slots; undefined when the source cannot tell them from mappings. */
  readonly recursive?: readonly FoundRecursiveSlot[];
  /** Table entries the walk could not follow (E0409). */
  readonly malformed?: readonly MalformedEntry[];
  /** False when the source gives no physical addresses (`pa` is then 0 and E0402 is skipped). */
  readonly physical: boolean;
  /** The MapBit flags the source shows (default: all); the checks of the others are skipped. */
  readonly shown?: number;
}

/** Every MapBit flag. */
const ALL_FLAGS = 127;

/** The checks of one address space on mappings already read (from tables or a listing). */
export function auditMappings(
  instance: Instance,
  segs: readonly Segment[],
  found: FoundSpace,
  process: number,
  options: AuditOptions = {},
): Diagnostic[] {
  const findings = new Findings(options.maxPerCode ?? 20);
  checkSpace(findings, instance, segs, found, process, "");
  return findings.finish();
}

function checkSpace(
  findings: Findings,
  instance: Instance,
  segs: readonly Segment[],
  found: FoundSpace,
  process: number,
  where: string,
): void {
  for (const m of found.malformed ?? []) {
    findings.add(
      "E0409",
      undefined,
      `the ${m.entry} at physical ${hex(BigInt(m.entryPa))} (for ${hex(m.va)})${where} cannot be followed: ${m.reason}`,
      m.va,
      m.va,
    );
  }
  checkMappings(findings, found, expectationIntervals(instance, segs, process), process, where);
  if (found.recursive !== undefined) checkRecursive(findings, segs, found.recursive, where);
  checkComplete(findings, instance, segs, found.mappings, process, where);
}

/** The segments cut by the expected mappings of one space. */
function expectationIntervals(
  instance: Instance,
  segs: readonly Segment[],
  process: number,
): Interval[] {
  const expected = expectedMappings(instance, segs, process);
  const out: Interval[] = [];
  let e = 0;
  for (const s of segs) {
    let at = s.start;
    while (e < expected.length && expected[e]!.segment === s) {
      const x = expected[e++]!;
      if (x.va > at) out.push({ start: at, end: x.va, segment: s, expected: undefined });
      out.push({ start: x.va, end: x.end, segment: s, expected: x });
      at = x.end;
    }
    if (at < s.end) out.push({ start: at, end: s.end, segment: s, expected: undefined });
  }
  return out;
}

/** The index of the first of the sorted, disjoint `xs` that ends after `va`. */
function firstEndingAfter(xs: readonly { readonly end: bigint }[], va: bigint): number {
  return partitionPoint(xs.length, (i) => xs[i]!.end > va);
}

function permText(s: Segment): string {
  return `\`perm ${s.perm}\``;
}

/** Each found mapping against the interval (of a region, expected or not) it falls in. */
function checkMappings(
  findings: Findings,
  found: FoundSpace,
  intervals: readonly Interval[],
  process: number,
  where: string,
): void {
  const shown = found.shown ?? ALL_FLAGS;
  for (const m of found.mappings) {
    const wx =
      (shown & MapBit.NX) !== 0 && (m.flags & MapBit.W) !== 0 && (m.flags & MapBit.NX) === 0;
    const gap = (lo: bigint, hi: bigint): void => {
      findings.add(
        "E0401",
        undefined,
        () => `${rangeText(lo, hi)} is mapped${where} but lies in no region of the spec`,
        lo,
        hi - 1n,
      );
      if (wx) {
        findings.add(
          "E0406",
          undefined,
          () => `${rangeText(lo, hi)} is writable and executable${where}, outside every region`,
          lo,
          hi - 1n,
        );
      }
    };
    let at = m.va;
    let i = firstEndingAfter(intervals, at);
    while (at < m.end) {
      const iv = intervals[i++];
      if (iv === undefined || iv.start >= m.end) {
        gap(at, m.end);
        break;
      }
      if (iv.start > at) {
        gap(at, iv.start);
        at = iv.start;
      }
      const end = iv.end < m.end ? iv.end : m.end;
      checkPiece(findings, iv, m, at, end, process, where, wx, found.physical, shown);
      at = end;
    }
  }
}

function checkPiece(
  findings: Findings,
  iv: Interval,
  m: FoundMapping,
  at: bigint,
  end: bigint,
  process: number,
  where: string,
  wx: boolean,
  physical: boolean,
  shown: number,
): void {
  const s = iv.segment;
  const owner = s.owner;
  const span = owner.region.nameSpan;
  const r = (): string => rangeText(at, end);
  const name = tick(owner.name);
  if (wx && s.perm !== "rwx") {
    findings.add(
      "E0406",
      span,
      () =>
        `${r()} in ${name} is writable and executable${where}, but the spec says ${permText(s)}`,
      at,
      end - 1n,
      "W^X: a page may be writable or executable, not both, unless its region says `perm rwx`",
    );
  } else if (wx) {
    findings.add(
      "W0401",
      span,
      () => `${r()} in ${name} is writable and executable${where} (${permText(s)})`,
      at,
      end - 1n,
      "split the region into text (`perm rx`) and data (`perm rw`) parts if the kernel allows it",
    );
  }
  // A `region` that vmlayout does not install (no `map`, or `map none`) is the kernel's to map
  // at run time (vmalloc, modules, a process's user pages): only its permission policy applies.
  const runtime =
    iv.expected === undefined && s.mapping === "none" && owner.region.kind === "region";
  if (iv.expected === undefined && !runtime) {
    const why =
      owner.region.kind !== "region"
        ? `which is a ${owner.region.kind} and must stay unmapped`
        : s.mapping === "recursive"
          ? "which is a recursive slot, not a mapping"
          : s.perProcess && process === 0
            ? "which is per-process, but this is the kernel address space"
            : s.mapping === "ram"
              ? "whose physical memory there is not RAM"
              : "whose physical base would be negative";
    findings.add("E0401", span, () => `${r()} is mapped${where} in ${name}, ${why}`, at, end - 1n);
    return;
  }
  const pa = m.pa + (at - m.va);
  const want = iv.expected === undefined ? pa : iv.expected.pa + (at - iv.expected.va);
  if (physical && pa !== want) {
    findings.add(
      "E0402",
      span,
      () => `${r()} in ${name} maps physical ${hex(pa)}${where}; the spec says ${hex(want)}`,
      at,
      end - 1n,
    );
  }
  const writable = (m.flags & MapBit.W) !== 0;
  const exec = (m.flags & MapBit.NX) === 0;
  const wantW = s.perm === "rw" || s.perm === "rwx";
  const wantX = s.perm === "rx" || s.perm === "rwx";
  const nxShown = (shown & MapBit.NX) !== 0;
  // `perm` is the most a page may have: the kernel may protect more (Linux makes the direct
  // map's alias of its read-only data read-only), so only rights the region lacks are findings.
  if ((writable && !wantW) || (nxShown && exec && !wantX)) {
    const got = `${writable ? "writable" : "read-only"}${nxShown ? ` and ${exec ? "executable" : "not executable"}` : ""}`;
    findings.add(
      "E0403",
      span,
      () => `${r()} in ${name} is ${got}${where}; the spec says ${permText(s)}`,
      at,
      end - 1n,
    );
  }
  const user = (m.flags & MapBit.U) !== 0;
  if (user !== s.user) {
    findings.add(
      "E0404",
      span,
      () =>
        user
          ? `${r()} in ${name} is user-accessible${where}, but the region is not \`user\``
          : `${r()} in ${name} is supervisor-only${where}, but the region is \`user\``,
      at,
      end - 1n,
    );
  }
  const global = (m.flags & MapBit.G) !== 0;
  const pat =
    ((m.flags & MapBit.PAT) !== 0 ? 4 : 0) |
    ((m.flags & MapBit.PCD) !== 0 ? 2 : 0) |
    ((m.flags & MapBit.PWT) !== 0 ? 1 : 0);
  // The PAT index bits the source shows (PAT: 4, PCD: 2, PWT: 1).
  const patShown =
    ((shown & MapBit.PAT) !== 0 ? 4 : 0) |
    ((shown & MapBit.PCD) !== 0 ? 2 : 0) |
    ((shown & MapBit.PWT) !== 0 ? 1 : 0);
  const wantPat = CACHE_PAT_INDEX[s.cache ?? "wb"];
  // Run-time mappings choose their memory type (ioremap() maps MMIO uncached) unless the
  // region names one.
  const cacheChecked = !runtime || s.cache !== undefined;
  if ((shown & MapBit.G) !== 0 && global !== s.global) {
    findings.add(
      "E0405",
      span,
      () =>
        `${r()} in ${name} is ${global ? "" : "not "}global${where}; the region is ${s.global ? "" : "not "}\`global\``,
      at,
      end - 1n,
    );
  }
  if (cacheChecked && (pat & patShown) !== (wantPat & patShown)) {
    findings.add(
      "E0405",
      span,
      () =>
        `${r()} in ${name} uses PAT entry ${pat}${where}; \`cache ${s.cache ?? "wb"}\` is PAT entry ${wantPat}`,
      at,
      end - 1n,
    );
  }
}

function checkRecursive(
  findings: Findings,
  segs: readonly Segment[],
  found: readonly FoundRecursiveSlot[],
  where: string,
): void {
  const wanted = new Map<string, Segment>();
  for (const s of segs) if (s.mapping === "recursive") wanted.set(s.source!.name, s);
  const seen = new Set<string>();
  for (const slot of found) {
    const s = segs.find(
      (x) =>
        x.mapping === "recursive" && x.source!.start === slot.va && x.source!.end + 1n === slot.end,
    );
    if (!s) {
      findings.add(
        "E0408",
        undefined,
        `top-level entry ${slot.index} (${rangeText(slot.va, slot.end)}) points at the top-level table${where}, but no \`map recursive\` region covers exactly that range`,
        slot.va,
        slot.end - 1n,
      );
      continue;
    }
    const src = s.source!;
    seen.add(src.name);
    const perm = src.region.perm ?? "rw";
    const wantW = perm === "rw" || perm === "rwx";
    const wantNx = perm === "r" || perm === "rw";
    if (slot.user && !src.region.user) {
      findings.add(
        "E0404",
        src.region.nameSpan,
        `the recursive slot of ${tick(src.name)} is user-accessible${where}: user code could read the page tables`,
        slot.va,
        slot.end - 1n,
      );
    }
    if (slot.writable !== wantW || slot.noExecute !== wantNx) {
      findings.add(
        "E0403",
        src.region.nameSpan,
        `the recursive slot of ${tick(src.name)} is ${slot.writable ? "writable" : "read-only"} and ${slot.noExecute ? "not executable" : "executable"}${where}; the spec says \`perm ${perm}\``,
        slot.va,
        slot.end - 1n,
      );
    }
  }
  for (const [name, s] of wanted) {
    if (!seen.has(name)) {
      findings.add(
        "E0408",
        s.source!.region.nameSpan,
        `${tick(name)} is \`map recursive\`, but its top-level entry does not point at the top-level table${where}`,
        s.source!.start,
        s.source!.end,
      );
    }
  }
}

function checkComplete(
  findings: Findings,
  instance: Instance,
  segs: readonly Segment[],
  found: readonly FoundMapping[],
  process: number,
  where: string,
): void {
  for (const x of expectedMappings(instance, segs, process)) {
    let at = x.va;
    for (let i = firstEndingAfter(found, x.va); at < x.end; i++) {
      const m = found[i];
      const holeEnd = m === undefined || m.va >= x.end ? x.end : m.va;
      if (holeEnd > at) {
        const s = x.segment;
        findings.add(
          "E0407",
          s.owner.region.nameSpan,
          `${rangeText(at, holeEnd)} in ${tick(s.owner.name)} is not mapped${where}; the spec maps it (\`map ${s.mapping}\`)`,
          at,
          holeEnd - 1n,
        );
      }
      if (m === undefined || m.va >= x.end) break;
      at = m.end;
    }
  }
}

function rangeText(start: bigint, end: bigint): string {
  return `${hex(start)}..${hex(end - 1n)} (${showSize(end - start)})`;
}

/** Collects findings, capped per code (the last one shown says how many more there are). */
class Findings {
  private readonly list: {
    code: Code;
    span: Span | undefined;
    message: string;
    lo: bigint;
    hi: bigint;
    help: string | undefined;
  }[] = [];
  private readonly counts = new Map<Code, number>();
  /** Address spaces share the kernel half's tables: report a mapping's finding once. */
  private readonly seen = new Set<string>();

  constructor(private readonly maxPerCode: number) {}

  add(
    code: Code,
    span: Span | undefined,
    message: string | (() => string),
    lo: bigint,
    hi: bigint,
    help?: string,
  ): void {
    const key = `${code}|${span?.file}|${span?.start}|${lo}|${hi}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const n = (this.counts.get(code) ?? 0) + 1;
    this.counts.set(code, n);
    if (n > this.maxPerCode) return;
    const text = typeof message === "string" ? message : message();
    this.list.push({ code, span, message: text, lo, hi, help });
  }

  finish(): Diagnostic[] {
    const out: Diagnostic[] = [];
    const shown = new Map<string, number>();
    for (const f of this.list) {
      const k = (shown.get(f.code) ?? 0) + 1;
      shown.set(f.code, k);
      const total = this.counts.get(f.code)!;
      const notes =
        k === this.maxPerCode && total > k ? [moreNotShown(total - k, "findings-of-kind")] : [];
      out.push(
        diagnostic(f.code, f.message, f.span, {
          notes,
          ...(f.help !== undefined ? { help: f.help } : {}),
        }),
      );
    }
    return sortDiagnostics(out);
  }
}
