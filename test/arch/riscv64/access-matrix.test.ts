/**
 * Access matrix for the RISC-V MMU, in the spirit of the x86 one (test/runtime/access-matrix):
 * Sv48 tables are written by hand with every combination of V R W X U A D in a leaf at each
 * level, under a pointer with V cleared or a reserved bit (U, A, D) set, and every access (load,
 * store, fetch, from S-mode and U-mode) is tried under every sstatus.SUM x MXR and with Svadu on
 * and off.
 *
 * The expected outcome comes from `reference` below: straight-line logic transcribed from the
 * privileged specification's "Virtual Address Translation Process" (steps 3-7) and "Memory
 * Privilege in sstatus Register" (SUM, MXR). It shares no code with src/: bits are literals.
 */
import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "../../../src/arch/physical-memory.js";
import { encodeSatp } from "../../../src/arch/riscv64/entry.js";
import { SvMmu, type SvAccess } from "../../../src/arch/riscv64/mmu.js";

interface Bits {
  readonly v: boolean;
  readonly r: boolean;
  readonly w: boolean;
  readonly x: boolean;
  readonly u: boolean;
  readonly a: boolean;
  readonly d: boolean;
}
interface Control {
  readonly sum: boolean;
  readonly mxr: boolean;
  readonly svadu: boolean;
}
type Outcome =
  { ok: true; setA: boolean; setD: boolean } | { ok: false; cause: number; level: number };

const LEVELS = 4;

/** The outcome of `access` through `pointer` (level leafLevel+1, if any) and `leaf`. */
function reference(
  pointer: Bits | undefined,
  leaf: Bits,
  leafLevel: number,
  access: SvAccess,
  c: Control,
): Outcome {
  const cause = access.kind === "fetch" ? 12 : access.kind === "load" ? 13 : 15;
  // Step 3 and 4 for the pointer: V=0 faults; D, A, U are reserved in a non-leaf PTE.
  if (pointer !== undefined) {
    if (!pointer.v) return { ok: false, cause, level: leafLevel + 1 };
    if (pointer.u || pointer.a || pointer.d) return { ok: false, cause, level: leafLevel + 1 };
  }
  // Step 3 for the entry at leafLevel: V=0, or W=1 with R=0, faults.
  if (!leaf.v) return { ok: false, cause, level: leafLevel };
  if (leaf.w && !leaf.r) return { ok: false, cause, level: leafLevel };
  if (!leaf.r && !leaf.x) {
    // Step 4: a pointer. Its D/A/U are reserved; at level 1 there is no next level; otherwise it
    // points at zeroed memory, whose next-level PTE has V=0.
    if (leaf.u || leaf.a || leaf.d) return { ok: false, cause, level: leafLevel };
    if (leafLevel === 1) return { ok: false, cause, level: 1 };
    return { ok: false, cause, level: leafLevel - 1 };
  }
  // Step 5.
  let allowed: boolean;
  if (access.user) {
    allowed = leaf.u;
  } else {
    allowed = !leaf.u || (c.sum && access.kind !== "fetch");
  }
  if (access.kind === "load") allowed &&= leaf.r || (c.mxr && leaf.x);
  if (access.kind === "store") allowed &&= leaf.w;
  if (access.kind === "fetch") allowed &&= leaf.x;
  if (!allowed) return { ok: false, cause, level: leafLevel };
  // Step 7.
  const needD = access.kind === "store";
  if (!leaf.a || (needD && !leaf.d)) {
    if (!c.svadu) return { ok: false, cause, level: leafLevel };
    return { ok: true, setA: !leaf.a, setD: needD && !leaf.d };
  }
  return { ok: true, setA: false, setD: false };
}

// ---------------------------------------------------------------------------------------------

const ROOT = 0x8000_0000;
/** Tables of levels 4 (root) .. 1, one frame each. */
const tableOf = (level: number): number => ROOT + (LEVELS - level) * 0x1000;
/** The leaf's target: aligned for a leaf at every level of Sv48 (512 GiB), empty memory. */
const TARGET = 2 ** 39;
const VA = 0x1234n;

function bitsOf(n: number): Bits {
  return {
    v: (n & 1) !== 0,
    r: (n & 2) !== 0,
    w: (n & 4) !== 0,
    x: (n & 8) !== 0,
    u: (n & 16) !== 0,
    a: (n & 32) !== 0,
    d: (n & 64) !== 0,
  };
}
/** The PTE's low word: V=bit 0, R=1, W=2, X=3, U=4, A=6, D=7. */
function low(b: Bits): number {
  return (
    (b.v ? 1 : 0) |
    (b.r ? 2 : 0) |
    (b.w ? 4 : 0) |
    (b.x ? 8 : 0) |
    (b.u ? 16 : 0) |
    (b.a ? 64 : 0) |
    (b.d ? 128 : 0)
  );
}
/** The PTE words of PPN pa/4096 (PPN at bit 10) with the low flag bits `flags`. */
const pte = (pa: number, flags: number): [number, number] => [
  ((pa / 4096) % 2 ** 22) * 1024 + flags,
  Math.floor(pa / 4096 / 2 ** 22),
];

const POINTERS: readonly (Bits | undefined)[] = [
  { v: true, r: false, w: false, x: false, u: false, a: false, d: false },
  { v: false, r: false, w: false, x: false, u: false, a: false, d: false },
  { v: true, r: false, w: false, x: false, u: true, a: false, d: false },
  { v: true, r: false, w: false, x: false, u: false, a: true, d: false },
  { v: true, r: false, w: false, x: false, u: false, a: false, d: true },
];
const ACCESSES: readonly SvAccess[] = (["load", "store", "fetch"] as const).flatMap((kind) => [
  { kind, user: false },
  { kind, user: true },
]);

describe("the riscv64 access matrix", () => {
  it("every leaf bit combination, level, pointer, access, SUM, MXR and Svadu agrees with the spec", () => {
    const memory = new PhysicalMemory();
    const mmu = new SvMmu({ memory, satp: encodeSatp("sv48", 1, ROOT / 4096) });
    let checked = 0;
    const mismatches: unknown[] = [];
    for (let leafLevel = 1; leafLevel <= LEVELS; leafLevel++) {
      const pointers = leafLevel === LEVELS ? [undefined] : POINTERS;
      for (const pointer of pointers) {
        for (let leafBits = 0; leafBits < 128; leafBits++) {
          const leaf = bitsOf(leafBits);
          for (const svadu of [false, true]) {
            for (const sum of [false, true]) {
              for (const mxr of [false, true]) {
                for (const access of ACCESSES) {
                  // Fresh tables: valid pointers down to leafLevel, then the case's entries.
                  for (let level = LEVELS; level > leafLevel; level--) {
                    memory.writeWords(tableOf(level), ...pte(tableOf(level - 1), 1));
                  }
                  if (pointer !== undefined) {
                    memory.writeWords(
                      tableOf(leafLevel + 1),
                      ...pte(tableOf(leafLevel), low(pointer)),
                    );
                  }
                  const leafPa = tableOf(leafLevel) + (leafLevel === 1 ? 8 : 0);
                  memory.writeWords(leafPa, ...pte(TARGET, low(leaf)));
                  mmu.sum = sum;
                  mmu.mxr = mxr;
                  mmu.hardwareAD = svadu;
                  const control = { sum, mxr, svadu };
                  const want = reference(pointer, leaf, leafLevel, access, control);
                  const got = mmu.walk(VA, access);
                  const after = memory.readLo(leafPa);
                  const seen: Outcome = got.ok
                    ? {
                        ok: true,
                        setA: (after & 64) !== 0 && !leaf.a,
                        setD: (after & 128) !== 0 && !leaf.d,
                      }
                    : { ok: false, cause: got.cause, level: got.level };
                  const pageOffset = VA % (1n << BigInt(12 + 9 * (leafLevel - 1)));
                  const paRight = !got.ok || got.pa === BigInt(TARGET) + pageOffset;
                  // A fault leaves the leaf as it was.
                  const leafKept = got.ok || after === pte(TARGET, low(leaf))[0];
                  if (JSON.stringify(seen) !== JSON.stringify(want) || !paRight || !leafKept) {
                    mismatches.push({ leafLevel, pointer, leaf, access, control, want, seen });
                  }
                  checked++;
                }
              }
            }
          }
        }
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(checked).toBe((3 * 5 + 1) * 128 * 8 * ACCESSES.length);
  });
});
