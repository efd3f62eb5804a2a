import { describe, expect, it } from "vitest";
import { Hi, Lo, levelShift, startLevel } from "../../../src/arch/aarch64/entry.js";
import { NORMAL } from "../../../src/arch/aarch64/mapper.js";
import { Sctlr, Tcr, faultStatusCode } from "../../../src/arch/aarch64/mmu.js";
import { GRANULES, VA_SIZES, machine } from "./helpers.js";

const read0 = { el: 0, kind: "read" } as const;
const read1 = { el: 1, kind: "read" } as const;
const write1 = { el: 1, kind: "write" } as const;
const TOP = 1n << 64n;

describe("AArch64 mapper and MMU round trip", () => {
  for (const granule of GRANULES) {
    for (const vaBits of VA_SIZES) {
      it(`${granule}K granule, ${vaBits}-bit VA: every mapped byte translates, with the largest blocks`, () => {
        const { lower, upper, mmu } = machine(granule, vaBits);
        const page = BigInt(granule) * 1024n;
        const block = 1n << BigInt(levelShift(granule, 2));
        // PAs past 2^48 where the format can say them.
        const highPa = vaBits === 52 ? 0xf_0000_0000_0000n : 0x8000_0000_0000n;
        const ranges = [
          { half: lower, va: 0n, pa: 0x8000_0000n, size: 3n * page },
          {
            half: lower,
            va: block - page,
            pa: 0x1_0000_0000n + block - page,
            size: 2n * block + 2n * page,
          },
          { half: upper, va: TOP - 4n * block, pa: highPa, size: 4n * block },
          { half: upper, va: TOP - (1n << BigInt(vaBits)), pa: 0x4000_0000n * 3n, size: page },
        ];
        for (const r of ranges) {
          expect(r.half.map(r.va, r.pa, r.size, { lo: NORMAL })).toBeUndefined();
        }
        for (const r of ranges) {
          for (const off of [0n, page - 1n, page, r.size / 2n, r.size - 1n].filter(
            (o) => o < r.size,
          )) {
            const t = mmu.translate(r.va + off, read1);
            expect(t, `${(r.va + off).toString(16)}`).toMatchObject({ ok: true, pa: r.pa + off });
          }
        }
        // The block-aligned stretch of the second range is one block, its ends are pages.
        expect(mmu.translate(block, read1)).toMatchObject({ ok: true, level: 2, size: block });
        expect(mmu.translate(block - page, read1)).toMatchObject({
          ok: true,
          level: 3,
          size: page,
        });
        // Unmapped, and between the halves.
        expect(mmu.translate(0x10n * block, read1)).toMatchObject({
          ok: false,
          kind: "translation",
        });
        expect(mmu.translate(1n << BigInt(vaBits), read1)).toEqual({
          ok: false,
          kind: "translation",
          level: 0,
          statusCode: 0b000100,
        });
        expect(mmu.translate(TOP - (1n << BigInt(vaBits)) - 1n, read1)).toMatchObject({
          ok: false,
          kind: "translation",
          level: 0,
        });
      });
    }
  }

  it("an unmapped address faults at the level whose descriptor is invalid", () => {
    const { mmu } = machine(4, 48);
    expect(mmu.translate(0x1234_5000n, read1)).toEqual({
      ok: false,
      kind: "translation",
      level: 0,
      statusCode: 0b000100,
    });
    const lpa2 = machine(4, 52);
    expect(startLevel(4, 52)).toBe(-1);
    expect(lpa2.mmu.translate(0x1234_5000n, read1)).toEqual({
      ok: false,
      kind: "translation",
      level: -1,
      statusCode: 0b101011,
    });
  });

  it("a block where the granule has none, or bits[1:0] = 01 at level 3, is a translation fault", () => {
    const { memory, lower, mmu } = machine(4, 48);
    // A level 0 block (512 GiB) needs DS = 1.
    memory.writeWords(lower.root, Lo.VALID | NORMAL, 0);
    expect(mmu.translate(0x1000n, read1)).toMatchObject({
      ok: false,
      kind: "translation",
      level: 0,
    });
    const m = machine(4, 48);
    expect(m.lower.map(0x20_0000n, 0x20_0000n, 0x1000n, { lo: NORMAL })).toBeUndefined();
    const t = m.mmu.translate(0x20_0000n, read1);
    expect(t).toMatchObject({ ok: true, level: 3 });
    // Find the page descriptor by its address and turn it into a level 3 "block".
    const at = findDescriptor(m.memory, 0x20_0000n | BigInt(Lo.VALID | Lo.TABLE | NORMAL));
    m.memory.writeWords(at, Lo.VALID | NORMAL | 0x20_0000, 0);
    m.mmu.tlb.vmalle1();
    expect(m.mmu.translate(0x20_0000n, read1)).toMatchObject({
      ok: false,
      kind: "translation",
      level: 3,
    });
  });

  it("an output address past TCR_EL1.IPS is an address size fault at the descriptor's level", () => {
    const { lower, mmu } = machine(4, 48);
    expect(lower.map(0x4000_0000n, 0x100_0000_0000n, 0x4000_0000n, { lo: NORMAL })).toBeUndefined();
    expect(mmu.translate(0x4000_0000n, read1)).toMatchObject({
      ok: true,
      pa: 0x100_0000_0000n,
      level: 1,
    });
    mmu.regs.tcr = (mmu.regs.tcr & ~(7n << 32n)) | Tcr.ips(40);
    mmu.tlb.vmalle1();
    expect(mmu.translate(0x4000_0000n, read1)).toEqual({
      ok: false,
      kind: "address size",
      level: 1,
      statusCode: faultStatusCode("address size", 1),
    });
  });

  it("AF = 0 faults, or is set by hardware with TCR_EL1.HA", () => {
    const { memory, lower, mmu } = machine(4, 48);
    expect(lower.map(0x20_0000n, 0x9000_0000n, 0x20_0000n, { lo: Lo.SH })).toBeUndefined();
    expect(mmu.translate(0x20_1234n, read1)).toEqual({
      ok: false,
      kind: "access flag",
      level: 2,
      statusCode: 0b001010,
    });
    mmu.regs.tcr |= Tcr.ha;
    expect(mmu.translate(0x20_1234n, read1)).toMatchObject({ ok: true, pa: 0x9000_1234n });
    const at = findDescriptor(memory, 0x9000_0000n | BigInt(Lo.VALID | Lo.SH | Lo.AF));
    expect(at).toBeGreaterThan(0);
  });

  it("a write to a DBM page with TCR_EL1.HD clears AP[2]; without HD it is a permission fault", () => {
    const { memory, lower, mmu } = machine(4, 48);
    const lo = NORMAL | Lo.AP_RO;
    expect(lower.map(0x1000n, 0x9000_0000n, 0x1000n, { lo, hi: Hi.DBM })).toBeUndefined();
    expect(mmu.translate(0x1000n, write1)).toMatchObject({
      ok: false,
      kind: "permission",
      level: 3,
    });
    mmu.regs.tcr |= Tcr.hd;
    mmu.tlb.vmalle1();
    expect(mmu.translate(0x1000n, read1)).toMatchObject({ ok: true });
    // The cached clean entry does not let the write through without the walk marking it dirty.
    expect(mmu.translate(0x1000n, write1)).toMatchObject({ ok: true, cached: false });
    const at = findDescriptor(
      memory,
      0x9000_0000n | BigInt(Lo.VALID | Lo.TABLE | NORMAL) | (BigInt(Hi.DBM) << 32n),
    );
    expect(memory.readLo(at) & Lo.AP_RO).toBe(0);
    expect(mmu.translate(0x1000n, write1)).toMatchObject({ ok: true, cached: true });
  });

  it("top-byte-ignore: bit 55 selects the half and bits 63:56 are not checked", () => {
    const { lower, upper, mmu } = machine(4, 48);
    expect(lower.map(0x1000n, 0x9000_0000n, 0x1000n, { lo: NORMAL })).toBeUndefined();
    expect(upper.map(TOP - 0x1000n, 0xa000_0000n, 0x1000n, { lo: NORMAL })).toBeUndefined();
    const taggedLow = 0x5a00_0000_0000_1000n;
    const taggedHigh = 0x5aff_ffff_ffff_f000n;
    expect(mmu.translate(taggedLow, read1)).toMatchObject({
      ok: false,
      kind: "translation",
      level: 0,
    });
    mmu.regs.tcr |= Tcr.tbi0 | Tcr.tbi1;
    expect(mmu.translate(taggedLow, read1)).toMatchObject({ ok: true, pa: 0x9000_0000n });
    expect(mmu.translate(taggedHigh, read1)).toMatchObject({ ok: true, pa: 0xa000_0000n });
    // Bit 55 set but bits 54:48 not: neither half.
    expect(mmu.translate(0x0080_0000_0000_1000n, read1)).toMatchObject({ ok: false, level: 0 });
  });

  it("TCR_EL1.EPDn turns a half's walks into level 0 translation faults", () => {
    const { lower, mmu } = machine(16, 48);
    expect(lower.map(0x4000n, 0x9000_0000n, 0x4000n, { lo: NORMAL })).toBeUndefined();
    mmu.regs.tcr |= Tcr.epd0;
    expect(mmu.translate(0x4000n, read1)).toMatchObject({
      ok: false,
      kind: "translation",
      level: 0,
    });
  });

  it("TCR_EL1.HPDn turns off the hierarchical attributes of that half's tables", () => {
    const { lower, mmu } = machine(4, 48);
    const tableHi = Hi.AP_TABLE_RO | Hi.PXN_TABLE;
    expect(lower.map(0x1000n, 0x9000_0000n, 0x1000n, { lo: NORMAL, tableHi })).toBeUndefined();
    const fetch1 = { el: 1, kind: "fetch" } as const;
    expect(mmu.translate(0x1000n, write1)).toMatchObject({
      ok: false,
      kind: "permission",
      level: 3,
    });
    expect(mmu.translate(0x1000n, fetch1)).toMatchObject({
      ok: false,
      kind: "permission",
      level: 3,
    });
    mmu.regs.tcr |= Tcr.hpd1;
    mmu.tlb.vmalle1();
    expect(mmu.translate(0x1000n, write1)).toMatchObject({ ok: false, kind: "permission" });
    mmu.regs.tcr |= Tcr.hpd0;
    mmu.tlb.vmalle1();
    expect(mmu.translate(0x1000n, write1)).toMatchObject({ ok: true });
    expect(mmu.translate(0x1000n, fetch1)).toMatchObject({ ok: true });
  });

  it("with SCTLR_EL1.M = 0 the PA is the VA", () => {
    const { mmu } = machine(4, 48);
    mmu.regs.sctlr &= ~Sctlr.m;
    expect(mmu.translate(0x4000_1234n, read0)).toMatchObject({ ok: true, pa: 0x4000_1234n });
    expect(mmu.translate(1n << 60n, read1)).toMatchObject({
      ok: false,
      kind: "address size",
      level: 0,
    });
  });

  it("MAIR_EL1's byte selected by AttrIndx is the memory type", () => {
    const { lower, mmu } = machine(4, 48);
    mmu.regs.mair = 0x00_00_00_00_00_44_ff_04n;
    expect(lower.map(0x1000n, 0x9000_0000n, 0x1000n, { lo: NORMAL | (1 << 2) })).toBeUndefined();
    expect(mmu.translate(0x1000n, read1)).toMatchObject({ ok: true, memoryAttributes: 0xff });
  });
});

describe("AArch64 TLB", () => {
  const remap = (m: ReturnType<typeof machine>, from: bigint, pa: bigint, lo = NORMAL): void => {
    const at = findDescriptor(m.memory, from | BigInt(Lo.VALID | Lo.TABLE | lo));
    m.memory.writeWords(at, Number(pa) | Lo.VALID | Lo.TABLE | lo, 0);
  };

  it("keeps a stale translation until TLBI VAE1 or VMALLE1", () => {
    const m = machine(4, 48);
    expect(m.lower.map(0x1000n, 0x9000_0000n, 0x1000n, { lo: NORMAL })).toBeUndefined();
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ pa: 0x9000_0000n, cached: false });
    remap(m, 0x9000_0000n, 0x9100_0000n);
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ pa: 0x9000_0000n, cached: true });
    m.mmu.tlb.vae1(0x1fffn, 7);
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ pa: 0x9100_0000n, cached: false });
    remap(m, 0x9100_0000n, 0x9000_0000n);
    m.mmu.tlb.vmalle1();
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ pa: 0x9000_0000n, cached: false });
  });

  it("tags nG entries with the ASID: another ASID walks; ASIDE1 and VAAE1 remove them", () => {
    const m = machine(4, 48);
    expect(m.lower.map(0x1000n, 0x9000_0000n, 0x1000n, { lo: NORMAL | Lo.NG })).toBeUndefined();
    m.mmu.regs.ttbr0 = (1n << 48n) | BigInt(m.lower.root);
    expect(m.mmu.asid).toBe(1);
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ pa: 0x9000_0000n, global: false });
    remap(m, 0x9000_0000n, 0x9100_0000n, NORMAL | Lo.NG);
    m.mmu.regs.ttbr0 = (2n << 48n) | BigInt(m.lower.root);
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ pa: 0x9100_0000n, cached: false });
    m.mmu.regs.ttbr0 = (1n << 48n) | BigInt(m.lower.root);
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ pa: 0x9000_0000n, cached: true });
    // VAE1 for ASID 2 leaves ASID 1's entry; ASIDE1(1) removes it.
    m.mmu.tlb.vae1(0x1000n, 2);
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ cached: true });
    m.mmu.tlb.aside1(1);
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ pa: 0x9100_0000n, cached: false });
    expect(m.mmu.tlb.size).toBe(1);
    m.mmu.tlb.vaae1(0x1000n);
    expect(m.mmu.tlb.size).toBe(0);
  });

  it("a global entry matches every ASID and survives ASIDE1", () => {
    const m = machine(4, 48);
    expect(m.lower.map(0x1000n, 0x9000_0000n, 0x1000n, { lo: NORMAL })).toBeUndefined();
    m.mmu.translate(0x1000n, read1);
    m.mmu.regs.ttbr0 = (5n << 48n) | BigInt(m.lower.root);
    m.mmu.tlb.aside1(0);
    expect(m.mmu.translate(0x1000n, read1)).toMatchObject({ global: true, cached: true });
  });

  it("8-bit ASIDs unless TCR_EL1.AS; TCR_EL1.A1 takes TTBR1's", () => {
    const m = machine(4, 48);
    m.mmu.regs.ttbr0 = 0x1234n << 48n;
    m.mmu.regs.ttbr1 = 0x5678n << 48n;
    expect(m.mmu.asid).toBe(0x34);
    m.mmu.regs.tcr |= Tcr.as;
    expect(m.mmu.asid).toBe(0x1234);
    m.mmu.regs.tcr |= Tcr.a1;
    expect(m.mmu.asid).toBe(0x5678);
  });
});

/** The physical address of the (first) 8-byte word equal to `value` in the table memory. */
function findDescriptor(memory: ReturnType<typeof machine>["memory"], value: bigint): number {
  for (let pa = 0x4000_0000; pa < 0x4000_0000 + 0x10_0000; pa += 8) {
    if (memory.read64(pa) === value) return pa;
  }
  throw new Error(`no descriptor ${value.toString(16)}`);
}
