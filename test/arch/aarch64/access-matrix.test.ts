/**
 * Every combination of a block or page descriptor's valid/AP/UXN/PXN/AF at levels 1, 2 and 3,
 * under every APTable/UXNTable/PXNTable of the tables above, for EL0 and EL1 reads, writes and
 * instruction fetches, with PSTATE.PAN and SCTLR_EL1.WXN each off and on: the MMU (walk, then
 * TLB hit) against the Arm ARM's permission tables written out plainly below.
 */
import { describe, expect, it } from "vitest";
import { Hi, Lo } from "../../../src/arch/aarch64/entry.js";
import { type Access, Sctlr } from "../../../src/arch/aarch64/mmu.js";
import { machine } from "./helpers.js";

/** D8.4.1, "Data access permissions for stage 1": AP[2:1] -> access at EL1 and at EL0. */
const DATA_ACCESS: Record<number, { el1: "RW" | "RO"; el0: "RW" | "RO" | "none" }> = {
  0b00: { el1: "RW", el0: "none" },
  0b01: { el1: "RW", el0: "RW" },
  0b10: { el1: "RO", el0: "none" },
  0b11: { el1: "RO", el0: "RO" },
};

interface Leaf {
  valid: boolean;
  ap: number;
  uxn: boolean;
  pxn: boolean;
  af: boolean;
}
interface Tables {
  apTable: number;
  uxnTable: boolean;
  pxnTable: boolean;
}

type Expected = "ok" | "translation" | "access flag" | "permission";

/** The reference model: what the access is allowed, from the tables above, in the plainest terms. */
function expected(leaf: Leaf, t: Tables, access: Access, pan: boolean, wxn: boolean): Expected {
  if (!leaf.valid) return "translation";
  if (!leaf.af) return "access flag";
  // APTable[0] (bit 61) takes EL0 access away; APTable[1] (bit 62) takes writes away.
  let ap = leaf.ap;
  if (t.apTable & 1) ap &= 0b10;
  if (t.apTable & 2) ap |= 0b10;
  const { el1, el0 } = DATA_ACCESS[ap]!;
  const allowed = (() => {
    if (access.el === 0) {
      if (access.kind === "read") return el0 !== "none";
      if (access.kind === "write") return el0 === "RW";
      return !leaf.uxn && !t.uxnTable && !(wxn && el0 === "RW");
    }
    if (access.kind === "fetch")
      return !leaf.pxn && !t.pxnTable && el0 !== "RW" && !(wxn && el1 === "RW");
    if (pan && el0 !== "none") return false;
    return access.kind === "read" || el1 === "RW";
  })();
  return allowed ? "ok" : "permission";
}

const ACCESSES: Access[] = [0, 1].flatMap((el) =>
  (["read", "write", "fetch"] as const).map((kind) => ({ el: el as 0 | 1, kind })),
);
const bools = [false, true];
const LEAVES: Leaf[] = [
  // An invalid descriptor's other bits do not matter: one stands for all.
  { valid: false, ap: 0b01, uxn: false, pxn: false, af: true },
  ...[0, 1, 2, 3].flatMap((ap) =>
    bools.flatMap((uxn) =>
      bools.flatMap((pxn) => bools.map((af) => ({ valid: true, ap, uxn, pxn, af }))),
    ),
  ),
];
const TABLES: Tables[] = [0, 1, 2, 3].flatMap((apTable) =>
  bools.flatMap((uxnTable) => bools.map((pxnTable) => ({ apTable, uxnTable, pxnTable }))),
);
const GIB = 1n << 30n;

describe("AArch64 access matrix (4K granule, 48-bit VA)", () => {
  it("agrees with the reference model everywhere, walked and cached", () => {
    const m = machine(4, 48);
    const cases: { va: bigint; level: number; leaf: Leaf; tables: Tables }[] = [];
    TABLES.forEach((tables, ti) => {
      // Each table combination gets its own level 0 entry, so its tables are its own.
      const base = BigInt(ti + 1) << 39n;
      const tableHi =
        (tables.apTable & 1 ? Hi.AP_TABLE_NO_EL0 : 0) |
        (tables.apTable & 2 ? Hi.AP_TABLE_RO : 0) |
        (tables.uxnTable ? Hi.UXN_TABLE : 0) |
        (tables.pxnTable ? Hi.PXN_TABLE : 0);
      LEAVES.forEach((leaf, li) => {
        const lo = (leaf.ap << 6) | (leaf.af ? Lo.AF : 0) | Lo.SH;
        const hi = (leaf.uxn ? Hi.UXN : 0) | (leaf.pxn ? Hi.PXN : 0);
        const k = BigInt(li);
        for (const [level, va, size] of [
          [1, base + k * GIB, GIB],
          [2, base + 64n * GIB + k * (2n << 20n), 2n << 20n],
          [3, base + 65n * GIB + k * 4096n, 4096n],
        ] as const) {
          expect(
            m.lower.map(va, 0x8000_0000n + (va % GIB), size, { lo, hi, tableHi }),
          ).toBeUndefined();
          if (!leaf.valid) invalidate(m, va, level);
          cases.push({ va: va + 8n, level, leaf, tables });
        }
      });
    });
    let checked = 0;
    for (const pan of bools) {
      for (const wxn of bools) {
        m.mmu.pan = pan;
        m.mmu.regs.sctlr = Sctlr.m | (wxn ? Sctlr.wxn : 0n);
        // SCTLR_EL1.WXN may be cached in the TLB: a change needs a TLBI.
        m.mmu.tlb.vmalle1();
        for (const c of cases) {
          for (const access of ACCESSES) {
            const want = expected(c.leaf, c.tables, access, pan, wxn);
            for (const pass of ["walked", "cached"]) {
              const got = m.mmu.translate(c.va, access);
              const kind = got.ok ? "ok" : got.kind;
              const where = `${pass} ${c.va.toString(16)} level ${c.level} ${JSON.stringify({ ...c.leaf, ...c.tables, ...access, pan, wxn })}`;
              expect(kind, where).toBe(want);
              if (!got.ok) expect(got.level, where).toBe(c.level);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(16 * 33 * 3 * 6 * 4 * 2);
  });
});

/** Clears the valid bit of the descriptor that maps `va` at `level`, found by walking from TTBR0. */
function invalidate(m: ReturnType<typeof machine>, va: bigint, level: number): void {
  let table = m.lower.root;
  for (let l = 0; ; l++) {
    const at = table + Number((va >> BigInt(39 - 9 * l)) & 511n) * 8;
    if (l === level) {
      m.memory.writeWords(at, m.memory.readLo(at) & ~Lo.VALID, m.memory.readHi(at));
      return;
    }
    table = (m.memory.readHi(at) & 0xffff) * 2 ** 32 + ((m.memory.readLo(at) & ~0xfff) >>> 0);
  }
}
