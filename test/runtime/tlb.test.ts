import { describe, expect, it } from "vitest";
import { createMachine } from "../../src/runtime/machine.js";
import { Access } from "../../src/arch/x86_64/mmu.js";
import { PAGE_1G, PAGE_2M, PAGE_4K } from "../../src/arch/x86_64/entry.js";
import {
  TLB_1G_SETS,
  TLB_1G_WAYS,
  TLB_CAPACITY,
  TLB_SETS,
  TLB_WAYS,
  Tlb,
  TlbBit,
} from "../../src/arch/x86_64/tlb.js";

const VA = 0xffff_c900_0000_0000n;

function machine(opts: Parameters<typeof createMachine>[0] = {}) {
  const m = createMachine(opts);
  return { ...m, pa: (va: bigint) => m.mmu.access(va, Access.read) };
}

describe("TLB caching and staleness", () => {
  it("a changed mapping stays visible until INVLPG", () => {
    const m = machine();
    m.mapper.map(VA, 0x1000, PAGE_4K, { writable: true });
    expect(m.pa(VA + 8n)).toMatchObject({ ok: true, pa: 0x1008n, fromTlb: false });
    expect(m.pa(VA + 8n)).toMatchObject({ ok: true, pa: 0x1008n, fromTlb: true });

    // Remap to another frame without invalidation: the TLB still answers with the old frame.
    const un = m.mapper.unmap(VA);
    expect(un.ok && un.flush.required).toBe(true);
    expect(m.mapper.map(VA, 0x2000, PAGE_4K).ok).toBe(true);
    expect(m.pa(VA)).toMatchObject({ ok: true, pa: 0x1000n, fromTlb: true });
    // The page walk itself sees the new mapping.
    expect(m.mmu.probe(VA, Access.read)).toMatchObject({ ok: true, pa: 0x2000n });

    m.mmu.invlpg(VA + 0xfffn); // any address inside the page
    expect(m.pa(VA)).toMatchObject({ ok: true, pa: 0x2000n, fromTlb: false });
  });

  it("an unmapped page stays accessible until the flush token is applied", () => {
    const m = machine();
    m.mapper.map(VA, 0x1000, PAGE_4K);
    m.pa(VA);
    const un = m.mapper.unmap(VA);
    if (!un.ok) throw new Error("unmap failed");
    expect(m.pa(VA).ok).toBe(true);
    un.flush.flush(m.mmu);
    expect(m.pa(VA)).toMatchObject({ ok: false, fault: "#PF", reason: "not-present" });
  });

  it("not-present translations are never cached", () => {
    const m = machine();
    expect(m.pa(VA).ok).toBe(false);
    const r = m.mapper.map(VA, 0x3000, PAGE_4K);
    expect(r.ok && r.flush.required).toBe(false);
    expect(m.pa(VA)).toMatchObject({ ok: true, pa: 0x3000n });
  });

  it("INVLPG invalidates a large-page entry from any address inside it", () => {
    const m = machine();
    m.mapper.map(VA, 0x4000_0000, PAGE_1G);
    expect(m.pa(VA + 0x1234_5678n)).toMatchObject({ pa: 0x5234_5678n, pageSize: PAGE_1G });
    m.mapper.unmap(VA);
    expect(m.pa(VA + 0x3000_0000n)).toMatchObject({ ok: true, fromTlb: true });
    m.mmu.invlpg(VA + 0x3fff_f000n);
    expect(m.pa(VA).ok).toBe(false);
  });

  it("INVLPG with a non-canonical operand is a no-op", () => {
    const m = machine();
    m.mapper.map(VA, 0x1000, PAGE_4K);
    m.pa(VA);
    m.mmu.invlpg(0x0000_8000_0000_0000n);
    expect(m.mmu.tlb.size).toBe(1);
  });

  it("stale rights: a write-protected page stays writable through the TLB until INVLPG", () => {
    const m = machine();
    m.mapper.map(VA, 0x1000, PAGE_4K, { writable: true });
    expect(m.mmu.access(VA, Access.write).ok).toBe(true);
    const p = m.mapper.protect(VA, { writable: false });
    expect(p.ok && p.flush.required).toBe(true);
    expect(m.mmu.access(VA, Access.write)).toMatchObject({ ok: true, fromTlb: true });
    if (p.ok) p.flush.flush(m.mmu);
    expect(m.mmu.access(VA, Access.write)).toMatchObject({
      ok: false,
      violation: "write-to-read-only",
      fromTlb: false,
    });
  });

  it("a spurious fault from a stale entry invalidates it (SDM 4.10.4.1, 4.10.4.3)", () => {
    const m = machine();
    m.mapper.map(VA, 0x1000, PAGE_4K);
    expect(m.pa(VA).ok).toBe(true);
    m.mapper.protect(VA, { writable: true }); // promotion without invalidation
    expect(m.mmu.access(VA, Access.write)).toMatchObject({ ok: false, fromTlb: true });
    expect(m.mmu.tlb.size).toBe(0);
    expect(m.mmu.access(VA, Access.write)).toMatchObject({ ok: true, fromTlb: false });
  });

  it("a write through a clean cached translation walks again and sets D", () => {
    const m = machine();
    m.mapper.map(VA, 0x1000, PAGE_4K, { writable: true });
    expect(m.pa(VA)).toMatchObject({ ok: true, flags: { dirty: false } });
    const w = m.mmu.access(VA, Access.write);
    expect(w).toMatchObject({ ok: true, fromTlb: false, flags: { dirty: true } });
    const t = m.mapper.translate(VA);
    expect(t.ok && t.decoded.dirty).toBe(true);
    expect(m.mmu.access(VA, Access.write)).toMatchObject({ ok: true, fromTlb: true });
  });

  it("any page fault drops the page's entries", () => {
    const m = machine();
    m.mapper.map(VA, 0x1000, PAGE_4K); // supervisor page
    m.pa(VA);
    expect(m.mmu.tlb.size).toBe(1);
    expect(m.mmu.access(VA, Access.userRead)).toMatchObject({ ok: false, fromTlb: true });
    expect(m.mmu.tlb.size).toBe(0);
  });

  it("with several stale sizes cached for one address, the smallest page wins", () => {
    const m = machine();
    m.mapper.map(VA, 0x20_0000, PAGE_2M);
    m.pa(VA);
    m.mapper.unmap(VA);
    m.mapper.map(VA, 0x7000, PAGE_4K);
    m.mmu.walk(VA, Access.read); // no fill
    expect(m.pa(VA)).toMatchObject({ pa: 0x20_0000n, pageSize: PAGE_2M });
    m.mmu.tlb.invlpg(VA);
    expect(m.pa(VA)).toMatchObject({ pa: 0x7000n, pageSize: PAGE_4K });
  });
});

describe("CR3 reloads and global pages", () => {
  function twoPages(pge: boolean) {
    const m = machine({ pge });
    const g = VA;
    const ng = VA + 0x1000n;
    m.mapper.map(g, 0x1000, PAGE_4K, { global: true });
    m.mapper.map(ng, 0x2000, PAGE_4K);
    m.pa(g);
    m.pa(ng);
    m.mapper.unmap(g);
    m.mapper.unmap(ng);
    return { m, g, ng };
  }

  it("MOV to CR3 drops non-global entries and keeps global ones when CR4.PGE = 1", () => {
    const { m, g, ng } = twoPages(true);
    m.mmu.loadCr3(m.mmu.cr3); // same value still flushes
    expect(m.pa(g)).toMatchObject({ ok: true, fromTlb: true, flags: { global: true } });
    expect(m.pa(ng).ok).toBe(false);
  });

  it("with CR4.PGE = 0 the G flag is ignored and CR3 drops everything", () => {
    const { m, g, ng } = twoPages(false);
    m.mmu.loadCr3(m.mmu.cr3);
    expect(m.pa(g).ok).toBe(false);
    expect(m.pa(ng).ok).toBe(false);
  });

  it("toggling CR4.PGE flushes global entries too", () => {
    const { m, g } = twoPages(true);
    m.mmu.setCr4({ pge: true }); // no change, no flush
    expect(m.mmu.tlb.size).toBe(2);
    m.mmu.setCr4({ pge: false });
    expect(m.mmu.tlb.size).toBe(0);
    expect(m.pa(g).ok).toBe(false);
  });

  it("INVLPG removes global entries", () => {
    const { m, g } = twoPages(true);
    m.mmu.invlpg(g);
    m.mmu.loadCr3(m.mmu.cr3);
    expect(m.pa(g).ok).toBe(false);
  });

  it("setting SMEP and changing NXE flush; WP and SMAP changes do not need to", () => {
    const { m } = twoPages(true);
    m.mmu.setCr0({ wp: false });
    m.mmu.setCr4({ smap: true });
    expect(m.mmu.tlb.size).toBe(2);
    m.mmu.setCr4({ smep: true });
    expect(m.mmu.tlb.size).toBe(0);
  });

  it("full flush and flush tokens over many pages", () => {
    const m = machine();
    const r = m.mapper.mapRange(VA, 0, 64n * 4096n, PAGE_4K);
    if (!r.ok) throw new Error("mapRange failed");
    for (let i = 0n; i < 64n; i++) m.pa(VA + i * 4096n);
    expect(m.mmu.tlb.size).toBe(64);
    r.flush.flush(m.mmu); // more than the threshold: whole-TLB flush
    expect(m.mmu.tlb.size).toBe(0);
  });
});

describe("Tlb unit", () => {
  it("keys entries by page number at their size", () => {
    const t = new Tlb();
    // A 2 MiB page at linear 2 MiB (words 0:0x200000) -> physical 2 MiB.
    t.fill(0, 0x20_0000, 2, 0x20_0000, TlbBit.W);
    expect(t.lookup(0x20_0000n + 0x1f_f000n)).toMatchObject({
      vpn: 512,
      pageSize: PAGE_2M,
      level: 2,
      frame: 0x20_0000,
      writable: true,
      global: false,
    });
    expect(t.lookup(0x40_0000n)).toBeUndefined();
    expect(t.find(0, 0x20_1234)).toBeGreaterThanOrEqual(0);
    expect(t.find(0, 0x40_0000)).toBe(-1);
    expect([t.hits, t.misses]).toEqual([1, 1]);
    t.fill(0, 0x4000_0000, 3, 0x4000_0000, TlbBit.G);
    expect(t.entries()).toHaveLength(2);
    t.flushNonGlobal();
    expect(t.entries().map((e) => e.pageSize)).toEqual([PAGE_1G]);
    t.flushAll();
    expect(t.size).toBe(0);
  });

  it("is set associative with a bounded capacity and round-robin eviction", () => {
    const t = new Tlb();
    // Pages 256 apart share a set, filled way after way: the 7th evicts the 1st, the 8th the 2nd.
    const va = (k: number) => k * 256 * 4096;
    for (let k = 0; k < TLB_WAYS + 2; k++) t.fill(0, va(k), 1, k * 4096, 0);
    expect(t.size).toBe(TLB_WAYS);
    expect(t.lookup(BigInt(va(0)))).toBeUndefined();
    expect(t.lookup(BigInt(va(1)))).toBeUndefined();
    expect(t.lookup(BigInt(va(2)))?.frame).toBe(2 * 4096);
    // An invalidated entry leaves its way empty until the round comes back to it.
    t.invlpg(BigInt(va(5)));
    expect(t.size).toBe(TLB_WAYS - 1);
    t.fill(0, va(8), 1, 0, 0);
    expect(t.lookup(BigInt(va(2)))).toBeUndefined();
    expect(t.size).toBe(TLB_WAYS - 1);
    // Every set full: the capacity of the 4 KiB / 2 MiB array, and of the 1 GiB array.
    for (let p = 0; p < 4 * TLB_SETS * TLB_WAYS; p++) t.fill(0, p * 4096, 1, 0, 0);
    expect(t.size).toBe(TLB_SETS * TLB_WAYS);
    for (let g = 0; g < 2 * TLB_1G_SETS * TLB_1G_WAYS; g++) t.fill(g >>> 2, (g & 3) << 30, 3, 0, 0);
    expect(t.size).toBe(TLB_CAPACITY);
    // Large pages are looked up while any is cached, also after one was evicted.
    t.flushAll();
    t.fill(0, 0x20_0000, 2, 0x20_0000, 0); // set 1
    for (let k = 0; k < TLB_WAYS; k++) t.fill(0, (1 + 256 * k) * 4096, 1, 0, 0);
    expect(t.lookup(0x25_8000n)).toBeUndefined();
    t.fill(0, 0x40_0000, 2, 0x40_0000, 0);
    expect(t.lookup(0x47_0000n)?.frame).toBe(0x40_0000);
  });
});
