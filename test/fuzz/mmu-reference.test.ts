/**
 * The MMU against a reference model on random page tables: random entries (present or not,
 * every flag, large pages, reserved bits, shared and cyclic tables) written into
 * PhysicalMemory, random control state, and random canonical and non-canonical addresses whose
 * indices hit the written entries, so walks go deep. The reference walker below is written
 * from the SDM rules in docs/runtime.md, in bigint arithmetic over `read64`, independently of
 * mmu.ts's word-pair walker.
 *
 * Checked: `probe` equals the reference; `probeWords` gives the same physical address; `walk`
 * gives the same result and sets exactly A on the entries used (and D in the leaf for a write);
 * `access` and `accessWords` on two identical machines agree step by step (TLB included); and
 * `mapRange` equals page-by-page `map` for ranges that cross 4 GiB physical boundaries.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  Access,
  type AccessType,
  Mmu,
  PAGE_2M,
  PAGE_4K,
  type PageSize,
  PhysicalMemory,
  type WalkResult,
  createMachine,
} from "../../src/runtime/index.js";
import { FUZZ_TIMEOUT, fuzz } from "./sandbox.js";

interface World {
  readonly levels: 4 | 5;
  readonly maxPhyAddr: number;
  readonly wp: boolean;
  readonly nxe: boolean;
  readonly smep: boolean;
  readonly smap: boolean;
  readonly pge: boolean;
  readonly page1G: boolean;
  readonly cr3: bigint;
  /** Entries written, in order: physical address (8-byte aligned) and value. */
  readonly entries: readonly (readonly [bigint, bigint])[];
  readonly probes: readonly {
    readonly va: bigint;
    readonly access: AccessType;
    readonly ac: boolean;
  }[];
}

const MASK64 = (1n << 64n) - 1n;
const ACCESSES = Object.values(Access);

const shift = (level: number): bigint => BigInt(12 + 9 * (level - 1));

/** A random world: table frames, entries at the indices the probe addresses select. */
const world: fc.Arbitrary<World> = fc
  .record({
    levels: fc.constantFrom(4 as const, 5 as const),
    maxPhyAddr: fc.oneof(fc.constantFrom(36, 46, 52), fc.integer({ min: 36, max: 52 })),
    wp: fc.boolean(),
    nxe: fc.boolean(),
    smep: fc.boolean(),
    smap: fc.boolean(),
    pge: fc.boolean(),
    page1G: fc.boolean(),
    // Table frames below 2^36 (valid for every MAXPHYADDR); repeats share a frame.
    frames: fc.array(fc.integer({ min: 0, max: 2 ** 24 - 1 }), { minLength: 1, maxLength: 6 }),
    cr3Low: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xfff })),
    vas: fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: MASK64 }) },
        { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 21n) - 1n }) },
      ),
      { minLength: 1, maxLength: 6 },
    ),
    seed: fc.array(fc.bigInt({ min: 0n, max: MASK64 }), { minLength: 64, maxLength: 64 }),
    accesses: fc.array(fc.tuple(fc.constantFrom(...ACCESSES), fc.boolean()), {
      minLength: 1,
      maxLength: 8,
    }),
    // One address in eight is left non-canonical (#GP).
    canonical: fc.array(fc.nat(7), { minLength: 6, maxLength: 6 }),
  })
  .map((w) => {
    const width = BigInt(w.levels === 5 ? 57 : 48);
    // Mostly canonical addresses (sign-extended), some left as drawn.
    const vas = w.vas.map((va, i) =>
      w.canonical[i] === 0 ? va : BigInt.asUintN(64, BigInt.asIntN(Number(width), va)),
    );
    const frames = w.frames.map((pfn) => BigInt(pfn) << 12n);
    const cr3 = frames[0]! | BigInt(w.cr3Low);
    // Entries: each frame gets entries at the indices the addresses select at every level.
    let r = 0;
    const rand = (): bigint => w.seed[r++ % w.seed.length]! ^ BigInt(r * 0x9e3779b1);
    const entries: [bigint, bigint][] = [];
    for (const frame of frames) {
      for (const va of vas) {
        for (let level = 1; level <= w.levels; level++) {
          if ((rand() & 3n) === 0n) continue;
          const index = (va >> shift(level)) & 511n;
          entries.push([frame + index * 8n, entryValue(rand(), frames, w.maxPhyAddr)]);
        }
      }
    }
    const probes = vas.flatMap((va) => w.accesses.map(([access, ac]) => ({ va, access, ac })));
    return { ...w, cr3, entries, probes };
  });

/**
 * A random entry: mostly present, mostly a table pointer (PS rarely set), else a large page or
 * any frame; random flags, sometimes reserved bits, ignored bits, XD.
 */
function entryValue(x: bigint, frames: readonly bigint[], maxPhyAddr: number): bigint {
  const pick = (bits: bigint, n: bigint): bigint => (x >> bits) & ((1n << n) - 1n);
  const physical = (1n << BigInt(maxPhyAddr)) - 1n;
  const kind = pick(0n, 4n);
  // Bits 8:0 but PS: P RW US PWT PCD A D G; R/W and U/S set 3/4 of the time.
  let e = (pick(4n, 9n) | (pick(57n, 3n) & 6n)) & ~0x80n;
  if (kind < 13n) e |= 1n; // present
  if (kind < 8n) {
    e |= frames[Number(pick(16n, 8n)) % frames.length]!; // a table frame
    if (pick(60n, 4n) === 0n) e |= 0x80n;
  } else if (kind < 12n) {
    // A large page: aligned to 2 MiB or 1 GiB (PAT in bit 12 sometimes), PS set.
    const align = kind < 10n ? 21n : 30n;
    e |= ((pick(24n, 30n) << align) & physical) | 0x80n | (pick(54n, 1n) << 12n);
  } else {
    e |= ((pick(24n, 40n) << 12n) & physical) | (pick(55n, 1n) << 7n); // any frame
  }
  if (pick(13n, 4n) === 0n) e |= pick(40n, 9n) << 12n; // low address bits
  if (pick(32n, 4n) === 0n) e |= 1n << BigInt(Number(pick(36n, 6n)) % 52); // maybe reserved
  e |= pick(42n, 3n) << 9n; // ignored 11:9
  e |= pick(45n, 11n) << 52n; // ignored 62:52
  if (pick(56n, 3n) === 0n) e |= 1n << 63n; // XD
  return e;
}

function build(w: World): { memory: PhysicalMemory; mmu: Mmu } {
  const memory = new PhysicalMemory();
  for (const [pa, value] of w.entries) memory.write64(pa, value);
  const mmu = new Mmu({
    memory,
    levels: w.levels,
    maxPhyAddr: w.maxPhyAddr,
    cr3: w.cr3,
    wp: w.wp,
    nxe: w.nxe,
    smep: w.smep,
    smap: w.smap,
    pge: w.pge,
    page1G: w.page1G,
  });
  return { memory, mmu };
}

// --- the reference ---------------------------------------------------------------------------

interface Reference {
  readonly result: WalkResult;
  /** Physical addresses of the entries read, top level first. */
  readonly path: readonly bigint[];
}

/** The page walk of SDM 4.5.4 with the rights of 4.6.1 and the error code of 4.7. */
function reference(
  memory: PhysicalMemory,
  w: World,
  vaIn: bigint,
  acc: AccessType,
  ac: boolean,
): Reference {
  const va = vaIn & MASK64;
  const width = w.levels === 5 ? 57n : 48n;
  const top = va >> (width - 1n);
  if (top !== 0n && top !== (1n << (65n - width)) - 1n) {
    return {
      result: { ok: false, fault: "#GP", vector: 13, va, errorCode: 0, reason: "non-canonical" },
      path: [],
    };
  }
  const implicit = acc.implicitSupervisor === true;
  const userMode = acc.user && !implicit;
  let ec = 0;
  if (acc.write) ec |= 2;
  if (userMode) ec |= 4;
  if (acc.fetch && (w.smep || w.nxe)) ec |= 16;
  const m = BigInt(w.maxPhyAddr);
  const addressBits = ((1n << m) - 1n) & ~0xfffn;
  const reservedBits = ((1n << 52n) - 1n) & ~((1n << m) - 1n);
  const path: bigint[] = [];
  const pf = (
    errorCode: number,
    level: number,
    reason: "not-present" | "reserved-bit" | "protection",
    extra: Record<string, string> = {},
  ): Reference => ({
    result: {
      ok: false,
      fault: "#PF",
      vector: 14,
      va,
      errorCode,
      level: level as 1,
      reason,
      fromTlb: false,
      ...extra,
    },
    path,
  });
  let table = w.cr3 & addressBits;
  let rw = true;
  let us = true;
  let xd = false;
  for (let level = w.levels as number; level >= 1; level--) {
    const at = table + ((va >> shift(level)) & 511n) * 8n;
    const e = memory.read64(at);
    path.push(at);
    const bit = (n: bigint): boolean => ((e >> n) & 1n) === 1n;
    if (!bit(0n)) return pf(ec, level, "not-present");
    let reserved: string | undefined;
    if ((e & reservedBits) !== 0n) reserved = "address-above-maxphyaddr";
    else if (!w.nxe && bit(63n)) reserved = "xd-without-nxe";
    else if (level >= 2 && bit(7n)) {
      if (level === 5) reserved = "ps-in-pml5e";
      else if (level === 4) reserved = "ps-in-pml4e";
      else if (level === 3 && !w.page1G) reserved = "ps-1g-unsupported";
      else if (level === 3 && (e & 0x3fffe000n) !== 0n) reserved = "large-page-low-bits";
      else if (level === 2 && (e & 0x1fe000n) !== 0n) reserved = "large-page-low-bits";
    }
    if (reserved !== undefined) {
      return pf(ec | 1 | 8, level, "reserved-bit", { reservedBit: reserved });
    }
    rw &&= bit(1n);
    us &&= bit(2n);
    xd ||= bit(63n);
    if (level > 1 && !(level <= 3 && bit(7n))) {
      table = e & addressBits;
      continue;
    }
    let violation: string | undefined;
    if (userMode) {
      if (!us) violation = "user-access-to-supervisor-page";
      else if (acc.write && !rw) violation = "write-to-read-only";
      else if (acc.fetch && xd && w.nxe) violation = "execute-disable";
    } else if (acc.fetch) {
      if (us && w.smep) violation = "smep";
      else if (xd && w.nxe) violation = "execute-disable";
    } else if (us && w.smap && (implicit || !ac)) violation = "smap";
    else if (acc.write && !rw && w.wp) violation = "write-to-read-only";
    if (violation !== undefined) return pf(ec | 1, level, "protection", { violation });
    const size = 1n << shift(level);
    const pat = level === 1 ? bit(7n) : bit(12n);
    return {
      result: {
        ok: true,
        va,
        pa: (e & addressBits & ~(size - 1n)) + (va & (size - 1n)),
        pageSize: Number(size) as PageSize,
        level: level as 1,
        flags: {
          writable: rw,
          user: us,
          noExecute: xd,
          global: bit(8n),
          pwt: bit(3n),
          pcd: bit(4n),
          pat,
          patIndex: (pat ? 4 : 0) | (bit(4n) ? 2 : 0) | (bit(3n) ? 1 : 0),
          accessed: bit(5n),
          dirty: bit(6n),
        },
        fromTlb: false,
      },
      path,
    };
  }
  throw new Error("unreachable");
}

const words = (va: bigint): [number, number] => [Number(va >> 32n), Number(va & 0xffffffffn)];
const paOf = (r: WalkResult): number => (r.ok ? Number(r.pa) : -1);
const outcome = (r: WalkResult): string =>
  r.ok
    ? `ok ${r.level}`
    : r.fault === "#GP"
      ? "#GP"
      : r.reason === "not-present"
        ? `not-present ${r.level}`
        : `${r.reason} ${r.reservedBit ?? r.violation}`;

/** Every word of every frame the world wrote to. */
function snapshot(memory: PhysicalMemory, w: World): bigint[] {
  const frames = [...new Set(w.entries.map(([pa]) => pa & ~0xfffn))];
  return frames.flatMap((f) =>
    Array.from({ length: 512 }, (_, i) => memory.read64(f + BigInt(i) * 8n)),
  );
}

describe("MMU against the reference walker", () => {
  test("probe and probeWords", { timeout: FUZZ_TIMEOUT }, async () => {
    await fuzz(world, 400, (w) => {
      const { memory, mmu } = build(w);
      for (const { va, access, ac } of w.probes) {
        const expected = reference(memory, w, va, access, ac).result;
        const got = mmu.probe(va, access, ac);
        expect(got).toEqual(expected);
        expect(mmu.probeWords(...words(va), access, ac)).toBe(paOf(expected));
      }
    });
    // Not vacuous: the generator yields every outcome (pages of each size, faults at each level
    // and kind). Counted on a fixed sample, so a rare outcome cannot make the test flaky.
    const seen = new Map<string, number>();
    for (const w of fc.sample(world, { numRuns: 400, seed: 1 })) {
      const { memory } = build(w);
      for (const { va, access, ac } of w.probes) {
        const kind = outcome(reference(memory, w, va, access, ac).result);
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
      }
    }
    const kinds = [...seen.keys()];
    for (const k of [
      "ok 1",
      "ok 2",
      "ok 3",
      "#GP",
      "not-present 4",
      "not-present 1",
      "reserved-bit address-above-maxphyaddr",
      "reserved-bit xd-without-nxe",
      "reserved-bit ps-in-pml4e",
      "reserved-bit large-page-low-bits",
      "protection user-access-to-supervisor-page",
      "protection write-to-read-only",
      "protection execute-disable",
      "protection smep",
      "protection smap",
    ]) {
      expect(kinds).toContain(k);
    }
  });

  test(
    "walk sets A on the entries used and D in the leaf of a write, nothing on a fault",
    { timeout: FUZZ_TIMEOUT },
    async () => {
      await fuzz(world, 200, (w) => {
        const { memory, mmu } = build(w);
        const frames = [...new Set(w.entries.map(([pa]) => pa & ~0xfffn))];
        for (const { va, access, ac } of w.probes) {
          const before = snapshot(memory, w);
          const { result, path } = reference(memory, w, va, access, ac);
          const got = mmu.walk(va, access, ac);
          const expected = new Map<bigint, bigint>();
          if (result.ok) {
            for (const at of path)
              expected.set(at, (expected.get(at) ?? memory.read64(at)) | 0x20n);
            const leaf = path[path.length - 1]!;
            if (access.write) expected.set(leaf, expected.get(leaf)! | 0x40n);
            // The walk reads before it writes: the result shows A (and D) set.
            expect(got).toEqual({
              ...result,
              flags: { ...result.flags, accessed: true, dirty: result.flags.dirty || access.write },
            });
          } else {
            expect(got).toEqual(result);
          }
          // Expected memory: the old words, with the updates (entries may share a word).
          const after = snapshot(memory, w);
          let i = 0;
          for (const f of frames) {
            for (let k = 0; k < 512; k++, i++) {
              const at = f + BigInt(k) * 8n;
              const want = expected.has(at) ? before[i]! | (expected.get(at)! & 0x60n) : before[i]!;
              if (after[i] !== want) {
                throw new Error(
                  `word at ${at.toString(16)}: ${after[i]!.toString(16)}, expected ${want.toString(16)}`,
                );
              }
            }
          }
        }
      });
    },
  );

  test(
    "access and accessWords agree step by step, TLB included",
    { timeout: FUZZ_TIMEOUT },
    async () => {
      const step = fc.oneof(
        { weight: 8, arbitrary: fc.tuple(fc.constant("access" as const), fc.nat(), fc.nat()) },
        { weight: 1, arbitrary: fc.tuple(fc.constant("invlpg" as const), fc.nat(), fc.nat()) },
        { weight: 1, arbitrary: fc.tuple(fc.constant("rewrite" as const), fc.nat(), fc.nat()) },
        { weight: 1, arbitrary: fc.tuple(fc.constant("cr3" as const), fc.nat(), fc.nat()) },
      );
      await fuzz(fc.tuple(world, fc.array(step, { maxLength: 40 })), 300, ([w, steps]) => {
        const a = build(w);
        const b = build(w);
        for (const [kind, i, j] of steps) {
          const probe = w.probes[i % w.probes.length]!;
          if (kind === "access") {
            const r = a.mmu.access(probe.va, probe.access, probe.ac);
            expect(b.mmu.accessWords(...words(probe.va), probe.access, probe.ac)).toBe(paOf(r));
          } else if (kind === "invlpg") {
            a.mmu.invlpg(probe.va);
            b.mmu.invlpg(probe.va);
          } else if (kind === "rewrite" && w.entries.length > 0) {
            const [at] = w.entries[i % w.entries.length]!;
            const value = w.entries[j % w.entries.length]![1];
            a.memory.write64(at, value);
            b.memory.write64(at, value);
          } else if (kind === "cr3") {
            a.mmu.loadCr3(w.cr3);
            b.mmu.loadCr3(w.cr3);
          }
        }
        expect(b.mmu.tlb.entries()).toEqual(a.mmu.tlb.entries());
        expect(snapshot(b.memory, w)).toEqual(snapshot(a.memory, w));
      });
    },
  );
});

describe("mapRange across 4 GiB physical boundaries", () => {
  test("equals page-by-page map", { timeout: FUZZ_TIMEOUT }, async () => {
    const arb = fc.record({
      size: fc.constantFrom(PAGE_4K as PageSize, PAGE_2M as PageSize),
      // A physical start just below k * 4 GiB, so the range crosses it.
      boundary: fc.integer({ min: 1, max: 4000 }),
      below: fc.integer({ min: 0, max: 600 }),
      pages: fc.integer({ min: 1, max: 1200 }),
      vaPage: fc.integer({ min: 0, max: 2 ** 20 }),
      writable: fc.boolean(),
      noExecute: fc.boolean(),
    });
    await fuzz(arb, 150, ({ size, boundary, below, pages, vaPage, writable, noExecute }) => {
      const n = size === PAGE_2M ? Math.min(pages, 64) : pages;
      const pa = boundary * 2 ** 32 - below * size;
      const va = 0xffff_8000_0000_0000n + BigInt(vaPage) * BigInt(size);
      const flags = { writable, noExecute, global: true };
      const bulk = createMachine();
      const single = createMachine();
      expect(bulk.mapper.mapRange(va, pa, n * size, size, flags).ok).toBe(true);
      for (let i = 0; i < n; i++) {
        expect(single.mapper.map(va + BigInt(i * size), pa + i * size, size, flags).ok).toBe(true);
      }
      for (let i = 0; i < n; i++) {
        const at = va + BigInt(i * size) + 0x123n;
        const x = bulk.mapper.translate(at);
        expect(x).toEqual(single.mapper.translate(at));
        expect(x.ok && x.pa).toBe(BigInt(pa + i * size) + 0x123n);
      }
      expect(bulk.allocator.framesUsed).toBe(single.allocator.framesUsed);
    });
  });
});
