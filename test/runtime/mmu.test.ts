import { describe, expect, it } from "vitest";
import { createMachine } from "../../src/runtime/machine.js";
import {
  Access,
  type AccessType,
  Mmu,
  PfError,
  describeResult,
  type PageFault,
  type WalkResult,
} from "../../src/arch/x86_64/mmu.js";
import { PAGE_1G, PAGE_2M, PAGE_4K, type Level } from "../../src/arch/x86_64/entry.js";
import { PhysicalMemory } from "../../src/arch/physical-memory.js";

function expectPf(r: WalkResult): PageFault {
  if (r.ok || r.fault !== "#PF") throw new Error("expected #PF, got " + describeResult(r));
  return r;
}

/** Physical address of the entry at `level` used to translate `va` (via the mapper's tables). */
function entryPa(m: ReturnType<typeof createMachine>, va: bigint, level: Level): bigint {
  let table = BigInt(m.mapper.root);
  for (let l = m.levels as number; l > level; l--) {
    const e = m.memory.read64(table + 8n * ((va >> BigInt(12 + 9 * (l - 1))) & 511n));
    table = e & 0x000f_ffff_ffff_f000n;
  }
  return table + 8n * ((va >> BigInt(12 + 9 * (level - 1))) & 511n);
}

describe("#GP for non-canonical addresses", () => {
  it("4-level: bits 63:47 must be equal", () => {
    const m = createMachine();
    for (const va of [0x0000_8000_0000_0000n, 0xffff_7fff_ffff_f000n, 0x8000_0000_0000_0000n]) {
      for (const f of [m.mmu.probe, m.mmu.walk, m.mmu.access]) {
        const r = f.call(m.mmu, va, Access.read);
        expect(r).toMatchObject({ ok: false, fault: "#GP", vector: 13, errorCode: 0, va });
      }
    }
    expect(m.mmu.probe(0x0000_7fff_ffff_f000n, Access.read)).toMatchObject({ fault: "#PF" });
    expect(m.mmu.probe(0xffff_8000_0000_0000n, Access.read)).toMatchObject({ fault: "#PF" });
  });

  it("5-level: bits 63:56 must be equal", () => {
    const m = createMachine({ levels: 5 });
    expect(m.mmu.probe(0x0000_8000_0000_0000n, Access.read)).toMatchObject({ fault: "#PF" });
    expect(m.mmu.probe(0x0100_0000_0000_0000n, Access.read)).toMatchObject({ fault: "#GP" });
    expect(m.mmu.probe(0xfeff_ffff_ffff_ffffn, Access.read)).toMatchObject({ fault: "#GP" });
    expect(m.mmu.probe(0xff00_0000_0000_0000n, Access.read)).toMatchObject({ fault: "#PF" });
  });

  it("accepts negative bigints as two's complement", () => {
    const m = createMachine();
    expect(m.mapper.map(-0x1000n, 0x5000, PAGE_4K, { writable: true }).ok).toBe(true);
    const r = m.mmu.probe(-0x1000n + 0x10n, Access.write);
    expect(r).toMatchObject({ ok: true, pa: 0x5010n, va: 0xffff_ffff_ffff_f010n });
  });
});

describe("not-present faults", () => {
  it("report the level where P = 0 and P = 0 in the error code", () => {
    const m = createMachine();
    const va = 0xffff_8880_0000_0000n;
    expect(expectPf(m.mmu.probe(va, Access.read))).toMatchObject({ level: 4, errorCode: 0 });
    m.mapper.map(va + 0x20_0000n, 0x200000, PAGE_2M);
    // PML4E and PDPTE exist now, the PDE for `va` does not.
    expect(expectPf(m.mmu.probe(va, Access.userWrite))).toMatchObject({
      level: 2,
      errorCode: PfError.WR | PfError.US,
      reason: "not-present",
    });
    m.mapper.map(va + 0x1000n, 0x1000, PAGE_4K);
    expect(expectPf(m.mmu.probe(va, Access.fetch))).toMatchObject({
      level: 1,
      errorCode: PfError.ID,
    });
  });
});

describe("reserved-bit faults (RSVD = 1, P = 1)", () => {
  const va = 0x0000_1234_5678_9000n;
  const rsvd = (
    m: ReturnType<typeof createMachine>,
    access: AccessType = Access.read,
  ): PageFault => {
    const r = expectPf(m.mmu.probe(va, access));
    expect(r.reason).toBe("reserved-bit");
    expect(r.errorCode & (PfError.P | PfError.RSVD)).toBe(PfError.P | PfError.RSVD);
    // Walks that fault set no A/D flag and the TLB caches nothing.
    expect(m.mmu.access(va, access).ok).toBe(false);
    expect(m.mmu.tlb.size).toBe(0);
    return r;
  };

  for (const level of [1, 2, 3, 4] as const) {
    it(`physical-address bits >= MAXPHYADDR in the L${level} entry`, () => {
      const m = createMachine({ maxPhyAddr: 46 });
      m.mapper.map(va, 0x1000, PAGE_4K);
      const pa = entryPa(m, va, level);
      m.memory.write64(pa, m.memory.read64(pa) | (1n << 46n));
      expect(rsvd(m)).toMatchObject({ level, reservedBit: "address-above-maxphyaddr" });
      m.memory.write64(pa, (m.memory.read64(pa) & ~(1n << 46n)) | (1n << 51n));
      expect(rsvd(m)).toMatchObject({ level, reservedBit: "address-above-maxphyaddr" });
    });
  }

  it("MAXPHYADDR 52 leaves no reserved address bit; bits 62:52 are ignored", () => {
    const m = createMachine({ maxPhyAddr: 52 });
    m.mapper.map(va, 0x1000, PAGE_4K);
    const pa = entryPa(m, va, 1);
    m.memory.write64(pa, m.memory.read64(pa) | (1n << 51n) | (0x7ffn << 52n));
    expect(m.mmu.probe(va, Access.read)).toMatchObject({ ok: true, pa: (1n << 51n) | 0x1000n });
  });

  it("PS = 1 in a PML4E", () => {
    const m = createMachine();
    m.mapper.map(va, 0x1000, PAGE_4K);
    const pa = entryPa(m, va, 4);
    m.memory.write64(pa, m.memory.read64(pa) | 0x80n);
    expect(rsvd(m, Access.userWrite)).toMatchObject({
      level: 4,
      reservedBit: "ps-in-pml4e",
      errorCode: PfError.P | PfError.RSVD | PfError.WR | PfError.US,
    });
  });

  it("PS = 1 in a PML5E", () => {
    const m = createMachine({ levels: 5 });
    m.mapper.map(va, 0x1000, PAGE_4K);
    const pa = entryPa(m, va, 5);
    m.memory.write64(pa, m.memory.read64(pa) | 0x80n);
    expect(rsvd(m)).toMatchObject({ level: 5, reservedBit: "ps-in-pml5e" });
  });

  it("1 GiB page with any of bits 29:13 set", () => {
    for (const bit of [13n, 20n, 21n, 29n]) {
      const m = createMachine();
      const big = 0x0000_0040_0000_0000n;
      m.mapper.map(big, 0x4000_0000, PAGE_1G);
      const pa = entryPa(m, big, 3);
      m.memory.write64(pa, m.memory.read64(pa) | (1n << bit));
      const r = expectPf(m.mmu.probe(big + 0x1234n, Access.read));
      expect(r).toMatchObject({ level: 3, reservedBit: "large-page-low-bits" });
    }
  });

  it("2 MiB page with any of bits 20:13 set; bit 12 is PAT, not reserved", () => {
    for (const bit of [13n, 16n, 20n]) {
      const m = createMachine();
      m.mapper.map(va & ~0x1f_ffffn, 0x20_0000, PAGE_2M);
      const pa = entryPa(m, va, 2);
      m.memory.write64(pa, m.memory.read64(pa) | (1n << bit));
      expect(rsvd(m)).toMatchObject({ level: 2, reservedBit: "large-page-low-bits" });
    }
    const m = createMachine();
    m.mapper.map(va & ~0x1f_ffffn, 0x20_0000, PAGE_2M, { pat: true });
    const r = m.mmu.probe(va, Access.read);
    expect(r).toMatchObject({ ok: true, pa: 0x20_0000n + (va & 0x1f_ffffn) });
    expect(r.ok && r.flags.pat).toBe(true);
  });

  it("PS = 1 in a PDPTE without 1-GByte page support", () => {
    const m = createMachine({ page1G: false });
    m.mapper.map(0x4000_0000n, 0x4000_0000, PAGE_1G);
    expect(expectPf(m.mmu.probe(0x4000_0000n, Access.read))).toMatchObject({
      level: 3,
      reservedBit: "ps-1g-unsupported",
    });
  });

  it("XD = 1 while EFER.NXE = 0, at any level; ignored bits are not reserved", () => {
    for (const level of [1, 2, 3, 4] as const) {
      const m = createMachine({ nxe: false });
      m.mapper.map(va, 0x1000, PAGE_4K);
      const pa = entryPa(m, va, level);
      m.memory.write64(pa, m.memory.read64(pa) | (1n << 63n));
      expect(rsvd(m)).toMatchObject({ level, reservedBit: "xd-without-nxe" });
      m.mmu.setEfer({ nxe: true });
      expect(m.mmu.probe(va, Access.read).ok).toBe(true);
      expect(expectPf(m.mmu.probe(va, Access.fetch))).toMatchObject({
        reason: "protection",
        violation: "execute-disable",
        errorCode: PfError.P | PfError.ID,
      });
    }
  });

  it("a reserved bit at a higher level wins over P = 0 below it", () => {
    const m = createMachine();
    m.mapper.map(va, 0x1000, PAGE_4K);
    m.memory.write64(entryPa(m, va, 1), 0n);
    const pa = entryPa(m, va, 3);
    m.memory.write64(pa, m.memory.read64(pa) | (1n << 50n));
    expect(rsvd(m)).toMatchObject({ level: 3 });
  });

  it("reserved bits are not checked in entries with P = 0", () => {
    const m = createMachine();
    m.mapper.map(va, 0x1000, PAGE_4K);
    m.memory.write64(entryPa(m, va, 1), 0xffff_ffff_ffff_fffen);
    expect(expectPf(m.mmu.probe(va, Access.read))).toMatchObject({ level: 1, errorCode: 0 });
  });
});

describe("accessed and dirty flags (SDM 4.8)", () => {
  const va = 0xffff_c900_0012_3000n;
  it("walk sets A at every level, D only in the leaf and only for writes; probe changes nothing", () => {
    const m = createMachine();
    m.mapper.map(va, 0x9000, PAGE_4K, { writable: true });
    const entries = () => [4, 3, 2, 1].map((l) => m.memory.read64(entryPa(m, va, l as Level)));
    const before = entries();
    expect(before.every((e) => (e & 0x60n) === 0n)).toBe(true);
    expect(m.mmu.probe(va, Access.write).ok).toBe(true);
    expect(entries()).toEqual(before);
    const r = m.mmu.walk(va, Access.read);
    expect(r.ok && r.flags.accessed && !r.flags.dirty).toBe(true);
    expect(entries().map((e) => e & 0x60n)).toEqual([0x20n, 0x20n, 0x20n, 0x20n]);
    const w = m.mmu.walk(va, Access.write);
    expect(w.ok && w.flags.dirty).toBe(true);
    expect(entries().map((e) => e & 0x60n)).toEqual([0x20n, 0x20n, 0x20n, 0x60n]);
  });

  it("D lands in the large-page entry, never in a table-referencing entry", () => {
    const m = createMachine();
    m.mapper.map(0x4000_0000n, 0x4000_0000, PAGE_1G, { writable: true });
    m.mmu.walk(0x4000_1234n, Access.write);
    expect(m.memory.read64(entryPa(m, 0x4000_0000n, 3)) & 0x60n).toBe(0x60n);
    expect(m.memory.read64(entryPa(m, 0x4000_0000n, 4)) & 0x60n).toBe(0x20n);
  });

  it("faulting walks set nothing; supervisor writes with WP = 0 to read-only pages set D", () => {
    const m = createMachine({ wp: false });
    m.mapper.map(va, 0x9000, PAGE_4K);
    expect(m.mmu.walk(va, Access.userRead).ok).toBe(false);
    expect(m.memory.read64(entryPa(m, va, 4)) & 0x60n).toBe(0n);
    expect(m.mmu.walk(va, Access.write).ok).toBe(true);
    expect(m.memory.read64(entryPa(m, va, 1)) & 0x60n).toBe(0x60n);
  });
});

describe("translation results", () => {
  it("report page size, level, physical address and effective attributes", () => {
    const m = createMachine({ maxPhyAddr: 52 });
    const va = 0xffff_8880_0000_0000n;
    m.mapper.map(va, 0xf_0000_4000_0000n, PAGE_1G, {
      writable: true,
      global: true,
      cacheDisable: true,
      pat: true,
      noExecute: true,
    });
    const r = m.mmu.probe(va + 0x3456_789an, Access.read);
    expect(r).toMatchObject({
      ok: true,
      pa: 0xf_0000_4000_0000n + 0x3456_789an,
      pageSize: PAGE_1G,
      level: 3,
      flags: {
        writable: true,
        user: false,
        noExecute: true,
        global: true,
        pwt: false,
        pcd: true,
        pat: true,
        patIndex: 6,
      },
    });
    expect(describeResult(r)).toContain("1048576 KiB page");
  });

  it("rejects impossible access types and unmodelled paging modes", () => {
    const m = createMachine();
    expect(() => m.mmu.probe(0n, { write: true, fetch: true, user: false })).toThrow(TypeError);
    expect(() =>
      m.mmu.probe(0n, { write: false, fetch: true, user: false, implicitSupervisor: true }),
    ).toThrow(TypeError);
    m.mmu.setCr4({ pae: false });
    expect(() => m.mmu.probe(0n, Access.read)).toThrow(/IA-32e/);
  });
});

describe("control registers", () => {
  it("MOV to CR3 with bits 63:MAXPHYADDR set is #GP (thrown)", () => {
    const mmu = new Mmu({ memory: new PhysicalMemory(), maxPhyAddr: 40 });
    expect(() => mmu.loadCr3(1n << 40n)).toThrow(/#GP/);
    expect(() => mmu.loadCr3(1n << 63n)).toThrow(/#GP/);
    mmu.loadCr3(0xff_ffff_f018n); // PWT/PCD and ignored low bits are fine
    expect(mmu.cr3).toBe(0xff_ffff_f018n);
    expect(() => new Mmu({ maxPhyAddr: 53 })).toThrow(RangeError);
  });

  it("exposes the control state", () => {
    const mmu = new Mmu({ levels: 5, smep: true });
    expect(mmu.control()).toMatchObject({
      la57: true,
      pae: true,
      lme: true,
      wp: true,
      nxe: true,
      smep: true,
      smap: false,
      pge: true,
    });
    expect(mmu.levels).toBe(5);
    mmu.setCr4({ la57: false });
    expect(mmu.levels).toBe(4);
  });
});
