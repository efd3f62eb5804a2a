/**
 * Access matrix in the spirit of kvm-unit-tests x86/access.c: page tables are written by hand with
 * every combination of P / R/W / U/S / XD at the leaf and at an upper level (and PS, by mapping the
 * address with a 4 KiB PTE, a 2 MiB PDE or a 1 GiB PDPTE), then every access type is tried under
 * every combination of CR0.WP, EFER.NXE, CR4.SMEP, CR4.SMAP and EFLAGS.AC.
 *
 * The expected outcome comes from `reference` below: straight-line boolean logic transcribed from
 * the SDM (4.5.4 walk order and reserved XD, 4.6.1 access rights, 4.7 error code, 4.8 A/D flags).
 * It shares no code with src/runtime: bit values here are literals.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Mmu, type AccessType, type WalkResult } from "../../src/arch/x86_64/mmu.js";
import { PhysicalMemory } from "../../src/arch/physical-memory.js";

// ---------------------------------------------------------------------------------------------
// Reference model (independent of the implementation)

interface RefEntry {
  readonly level: number;
  readonly p: boolean;
  readonly rw: boolean;
  readonly us: boolean;
  readonly xd: boolean;
}
interface RefControl {
  readonly wp: boolean;
  readonly nxe: boolean;
  readonly smep: boolean;
  readonly smap: boolean;
  readonly ac: boolean;
}
interface RefAccess {
  readonly name: string;
  readonly kind: "read" | "write" | "fetch";
  readonly cpl3: boolean;
  readonly implicit: boolean;
}
type RefOutcome = { ok: true } | { ok: false; errorCode: number; level: number };

/** `path` lists the entries used, top level first, leaf last. */
function reference(path: readonly RefEntry[], a: RefAccess, c: RefControl): RefOutcome {
  // SDM 4.6: an implicit supervisor-mode access is a supervisor-mode access even at CPL 3.
  const userModeAccess = a.cpl3 && !a.implicit;
  // SDM 4.7: W/R, U/S and I/D describe the access. I/D needs SMEP=1 or (PAE=1 and NXE=1);
  // PAE is 1 in 4-level and 5-level paging.
  const W = a.kind === "write" ? 2 : 0;
  const U = userModeAccess ? 4 : 0;
  const I = a.kind === "fetch" && (c.smep || c.nxe) ? 16 : 0;

  // SDM 4.5.4: the walk stops at the first entry with P=0 (no translation, error-code P=0) or with
  // a reserved bit set; XD (bit 63) is reserved when IA32_EFER.NXE=0 (error code P=1, RSVD=1).
  for (const e of path) {
    if (!e.p) return { ok: false, errorCode: W | U | I, level: e.level };
    if (e.xd && !c.nxe) return { ok: false, errorCode: 1 | W | U | 8 | I, level: e.level };
  }

  // SDM 4.6.1 definitions.
  const userModeAddress = path.every((e) => e.us);
  const writableAtEveryLevel = path.every((e) => e.rw);
  const xdAtSomeLevel = path.some((e) => e.xd);

  let allowed = false;
  if (userModeAccess) {
    // User-mode accesses.
    if (a.kind === "read") allowed = userModeAddress;
    if (a.kind === "write") allowed = userModeAddress && writableAtEveryLevel;
    if (a.kind === "fetch") allowed = userModeAddress && (!c.nxe || !xdAtSomeLevel);
  } else {
    // Supervisor-mode accesses.
    const smapAllows = !c.smap || (!a.implicit && c.ac);
    if (a.kind === "read") {
      allowed = userModeAddress ? smapAllows : true;
    }
    if (a.kind === "write") {
      const wpAllows = !c.wp || writableAtEveryLevel;
      allowed = userModeAddress ? smapAllows && wpAllows : wpAllows;
    }
    if (a.kind === "fetch") {
      const nxAllows = !c.nxe || !xdAtSomeLevel;
      allowed = userModeAddress ? !c.smep && nxAllows : nxAllows;
    }
  }
  if (allowed) return { ok: true };
  return { ok: false, errorCode: 1 | W | U | I, level: path[path.length - 1]!.level };
}

// ---------------------------------------------------------------------------------------------
// Fixture: hand-written tables

const ACCESSES: readonly RefAccess[] = [
  { name: "supervisor read", kind: "read", cpl3: false, implicit: false },
  { name: "supervisor write", kind: "write", cpl3: false, implicit: false },
  { name: "supervisor fetch", kind: "fetch", cpl3: false, implicit: false },
  { name: "user read", kind: "read", cpl3: true, implicit: false },
  { name: "user write", kind: "write", cpl3: true, implicit: false },
  { name: "user fetch", kind: "fetch", cpl3: true, implicit: false },
  { name: "implicit read (CPL0)", kind: "read", cpl3: false, implicit: true },
  { name: "implicit write (CPL0)", kind: "write", cpl3: false, implicit: true },
  { name: "implicit read (CPL3)", kind: "read", cpl3: true, implicit: true },
  { name: "implicit write (CPL3)", kind: "write", cpl3: true, implicit: true },
];

function toAccessType(a: RefAccess): AccessType {
  return {
    write: a.kind === "write",
    fetch: a.kind === "fetch",
    user: a.cpl3,
    implicitSupervisor: a.implicit,
  };
}

/** WP x NXE x SMEP x (SMAP=0, or SMAP=1 with AC=0/1): AC only matters with SMAP. */
const CONTROLS: readonly RefControl[] = (() => {
  const out: RefControl[] = [];
  for (const wp of [false, true])
    for (const nxe of [false, true])
      for (const smep of [false, true])
        for (const [smap, ac] of [
          [false, false],
          [true, false],
          [true, true],
        ] as const)
          out.push({ wp, nxe, smep, smap, ac });
  return out;
})();

/** All 16 combinations of P, R/W, U/S, XD. */
const BITS: readonly { p: boolean; rw: boolean; us: boolean; xd: boolean }[] = Array.from(
  { length: 16 },
  (_, i) => ({ p: (i & 1) !== 0, rw: (i & 2) !== 0, us: (i & 4) !== 0, xd: (i & 8) !== 0 }),
);
const PERMISSIVE = { p: true, rw: true, us: true, xd: false };

// Table frames per level and the mapped pages.
const TABLE_PA = [0, 0x11000, 0x12000, 0x13000, 0x14000, 0x15000];
const PAGE_PA: Record<number, bigint> = {
  1: 0x7654_3000n, // 4 KiB page
  2: 0x7660_0000n, // 2 MiB page
  3: 0x1_c000_0000n, // 1 GiB page
};
const PAGE_BYTES: Record<number, bigint> = { 1: 0x1000n, 2: 0x20_0000n, 3: 0x4000_0000n };

/** The linear address used: indices 1, 2, 3, 4 (and 5 for the PML5E) plus a page offset. */
function testVa(levels: 4 | 5): bigint {
  let va = (1n << 39n) | (2n << 30n) | (3n << 21n) | (4n << 12n) | 0x5a8n;
  if (levels === 5) va |= 5n << 48n;
  return va;
}
function indexAt(va: bigint, level: number): bigint {
  return (va >> BigInt(12 + 9 * (level - 1))) & 511n;
}

class Fixture {
  readonly memory = new PhysicalMemory();
  readonly mmu: Mmu;
  readonly va: bigint;
  /** Physical address of the entry used at each level. */
  readonly entryPa: bigint[] = [];
  path: RefEntry[] = [];
  written: bigint[] = [];

  constructor(readonly levels: 4 | 5) {
    this.va = testVa(levels);
    for (let l = 1; l <= levels; l++) {
      this.entryPa[l] = BigInt(TABLE_PA[l]!) + 8n * indexAt(this.va, l);
    }
    this.mmu = new Mmu({ memory: this.memory, levels, cr3: BigInt(TABLE_PA[levels]!) });
  }

  /** Writes the path (top first) mapping the address with a leaf at `path.at(-1).level`. */
  install(path: RefEntry[]): void {
    this.path = path;
    this.written = [];
    const leaf = path[path.length - 1]!.level;
    for (const e of path) {
      let v = 0n;
      if (e.p) v |= 1n;
      if (e.rw) v |= 2n;
      if (e.us) v |= 4n;
      if (e.xd) v |= 1n << 63n;
      if (e.level === leaf) {
        v |= PAGE_PA[leaf]!;
        if (leaf > 1) v |= 0x80n; // PS
      } else {
        v |= BigInt(TABLE_PA[e.level - 1]!);
      }
      this.written[e.level] = v;
      this.memory.write64(this.entryPa[e.level]!, v);
    }
  }

  /** Re-writes the entries (clears A/D set by earlier accesses). */
  reset(): void {
    for (const e of this.path) this.memory.write64(this.entryPa[e.level]!, this.written[e.level]!);
  }

  read(level: number): bigint {
    return this.memory.read64(this.entryPa[level]!);
  }

  setControl(c: RefControl): void {
    this.mmu.setCr0({ wp: c.wp });
    this.mmu.setCr4({ smep: c.smep, smap: c.smap });
    this.mmu.setEfer({ nxe: c.nxe });
  }
}

function describeCase(path: readonly RefEntry[], a: RefAccess, c: RefControl): string {
  const p = path
    .map(
      (e) =>
        `L${e.level}:${e.p ? "P" : "-"}${e.rw ? "W" : "-"}${e.us ? "U" : "-"}${e.xd ? "X" : "-"}`,
    )
    .join(" ");
  const ctl = `WP=${+c.wp} NXE=${+c.nxe} SMEP=${+c.smep} SMAP=${+c.smap} AC=${+c.ac}`;
  return `${a.name} | ${p} | ${ctl}`;
}

/** Compares an implementation result with the reference; returns a mismatch text or "". */
function compare(fx: Fixture, r: WalkResult, want: RefOutcome, label: string): string {
  if (want.ok) {
    if (!r.ok)
      return `${label}: expected success, got ${r.fault} ec=${r.fault === "#PF" ? r.errorCode : 0}`;
    const leaf = fx.path[fx.path.length - 1]!.level;
    const pageBytes = PAGE_BYTES[leaf]!;
    const expectPa = PAGE_PA[leaf]! + (fx.va % pageBytes);
    if (r.pa !== expectPa) return `${label}: pa ${r.pa.toString(16)} != ${expectPa.toString(16)}`;
    if (BigInt(r.pageSize) !== pageBytes) return `${label}: page size ${r.pageSize}`;
    if (r.level !== leaf) return `${label}: level ${r.level}`;
    const f = r.flags;
    if (f.writable !== fx.path.every((e) => e.rw)) return `${label}: writable flag`;
    if (f.user !== fx.path.every((e) => e.us)) return `${label}: user flag`;
    if (f.noExecute !== fx.path.some((e) => e.xd)) return `${label}: noExecute flag`;
    return "";
  }
  if (r.ok) return `${label}: expected #PF ec=${want.errorCode} at L${want.level}, got success`;
  if (r.fault !== "#PF") return `${label}: expected #PF, got ${r.fault}`;
  if (r.errorCode !== want.errorCode || r.level !== want.level) {
    return `${label}: expected #PF ec=${want.errorCode} L${want.level}, got ec=${r.errorCode} L${r.level}`;
  }
  return "";
}

/**
 * Runs every access under every control combination for one path. Checks `walk` (with A/D
 * effects), `probe` (no effects) and `access` (through the TLB, accesses in sequence so later
 * ones hit entries cached by earlier ones). Returns mismatches.
 */
function runPath(fx: Fixture, path: RefEntry[], controls: readonly RefControl[]): string[] {
  const bad: string[] = [];
  fx.install(path);
  const leaf = path[path.length - 1]!.level;
  for (const c of controls) {
    fx.setControl(c);
    for (const a of ACCESSES) {
      const want = reference(path, a, c);
      const label = describeCase(path, a, c);
      const at = toAccessType(a);

      fx.reset();
      const probed = fx.mmu.probe(fx.va, at, c.ac);
      let m = compare(fx, probed, want, "probe " + label);
      if (m) bad.push(m);
      for (const e of path) {
        if (fx.read(e.level) !== fx.written[e.level])
          bad.push(`probe changed L${e.level}: ${label}`);
      }

      const walked = fx.mmu.walk(fx.va, at, c.ac);
      m = compare(fx, walked, want, "walk " + label);
      if (m) bad.push(m);
      // SDM 4.8: on success A is set in every entry used and D in the leaf for a write; this
      // model leaves the entries untouched when the access faults.
      for (const e of path) {
        let expected = fx.written[e.level]!;
        if (want.ok) {
          expected |= 0x20n;
          if (e.level === leaf && a.kind === "write") expected |= 0x40n;
        }
        if (fx.read(e.level) !== expected) {
          bad.push(
            `walk A/D at L${e.level}: ${fx.read(e.level).toString(16)} != ${expected.toString(16)}: ${label}`,
          );
        }
      }
    }
    // Through the TLB: entries start clean and the TLB empty; accesses run in sequence.
    fx.reset();
    fx.mmu.flushTlb();
    for (const a of ACCESSES) {
      const want = reference(path, a, c);
      const m = compare(
        fx,
        fx.mmu.access(fx.va, toAccessType(a), c.ac),
        want,
        "tlb " + describeCase(path, a, c),
      );
      if (m) bad.push(m);
    }
    if (bad.length > 20) break;
  }
  return bad;
}

/** Paths for a leaf at `leaf`: every leaf combination x every combination at `upper`. */
function paths(levels: 4 | 5, leaf: number, upper: number): RefEntry[][] {
  const out: RefEntry[][] = [];
  for (const lb of BITS) {
    for (const ub of BITS) {
      const path: RefEntry[] = [];
      for (let l = levels; l >= leaf; l--) {
        const b = l === leaf ? lb : l === upper ? ub : PERMISSIVE;
        path.push({ level: l, ...b });
      }
      out.push(path);
    }
  }
  return out;
}

describe("access matrix (4-level paging)", () => {
  const cases: [string, number, number][] = [];
  for (const leaf of [1, 2, 3]) {
    for (let upper = leaf + 1; upper <= 4; upper++) {
      const size = leaf === 1 ? "4K PTE" : leaf === 2 ? "2M PDE" : "1G PDPTE";
      cases.push([`${size} leaf x L${upper} entry`, leaf, upper]);
    }
  }
  it.each(cases)("%s: every P/RW/US/XD pair, access type and control", (_n, leaf, upper) => {
    const fx = new Fixture(4);
    const bad: string[] = [];
    for (const path of paths(4, leaf, upper)) {
      bad.push(...runPath(fx, path, CONTROLS));
      if (bad.length > 20) break;
    }
    expect(bad.slice(0, 20)).toEqual([]);
  });
});

describe("access matrix (5-level paging)", () => {
  it.each([
    ["4K PTE leaf x PML5E", 1, 5],
    ["2M PDE leaf x PML5E", 2, 5],
    ["1G PDPTE leaf x PML4E", 3, 4],
  ] as const)("%s: every P/RW/US/XD pair, access type and control", (_n, leaf, upper) => {
    const fx = new Fixture(5);
    const bad: string[] = [];
    for (const path of paths(5, leaf, upper)) {
      bad.push(...runPath(fx, path, CONTROLS));
      if (bad.length > 20) break;
    }
    expect(bad.slice(0, 20)).toEqual([]);
  });
});

describe("access matrix: random flags at every level", () => {
  const bits = fc.record({ p: fc.boolean(), rw: fc.boolean(), us: fc.boolean(), xd: fc.boolean() });
  const control = fc.record({
    wp: fc.boolean(),
    nxe: fc.boolean(),
    smep: fc.boolean(),
    smap: fc.boolean(),
    ac: fc.boolean(),
  });
  for (const levels of [4, 5] as const) {
    it(`${levels}-level: all levels vary at once`, () => {
      const fx = new Fixture(levels);
      fc.assert(
        fc.property(
          fc.array(bits, { minLength: 5, maxLength: 5 }),
          fc.constantFrom(1, 2, 3),
          control,
          (all, leaf, c) => {
            const path: RefEntry[] = [];
            for (let l = levels; l >= leaf; l--) path.push({ level: l, ...all[l - 1]! });
            expect(runPath(fx, path, [c])).toEqual([]);
          },
        ),
        { numRuns: 1500 },
      );
    });
  }
});

describe("reference model sanity (hand-checked rows of SDM 4.6.1)", () => {
  const rw = (level: number, p: boolean, rw: boolean, us: boolean, xd: boolean): RefEntry => ({
    level,
    p,
    rw,
    us,
    xd,
  });
  const c0: RefControl = { wp: true, nxe: true, smep: true, smap: true, ac: false };
  const userPage = [rw(4, true, true, true, false), rw(1, true, false, true, false)];
  it("supervisor write to a read-only page faults with WP=1 only", () => {
    expect(reference(userPage, ACCESSES[1]!, { ...c0, smap: false })).toEqual({
      ok: false,
      errorCode: 3,
      level: 1,
    });
    expect(reference(userPage, ACCESSES[1]!, { ...c0, smap: false, wp: false })).toEqual({
      ok: true,
    });
  });
  it("SMEP refuses supervisor fetches from user pages with I/D set", () => {
    expect(reference(userPage, ACCESSES[2]!, c0)).toEqual({ ok: false, errorCode: 0x11, level: 1 });
  });
  it("SMAP: AC=1 opens explicit accesses, never implicit ones", () => {
    expect(reference(userPage, ACCESSES[0]!, { ...c0, ac: true })).toEqual({ ok: true });
    expect(reference(userPage, ACCESSES[6]!, { ...c0, ac: true })).toEqual({
      ok: false,
      errorCode: 1,
      level: 1,
    });
  });
  it("XD with NXE=0 is a reserved-bit fault at that level", () => {
    const p = [rw(4, true, true, true, true), rw(1, true, true, true, false)];
    expect(reference(p, ACCESSES[3]!, { ...c0, nxe: false, smep: false })).toEqual({
      ok: false,
      errorCode: 0xd,
      level: 4,
    });
  });
});
