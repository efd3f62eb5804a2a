/**
 * The RISC-V MMU: satp (MODE, ASID, PPN; WARL on an unsupported MODE), the translation process's
 * faults by access type, Svadu on and off, and the TLB with the four forms of sfence.vma. PTEs are
 * bigint literals of the privileged spec's layout.
 */
import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "../../../src/arch/physical-memory.js";
import { encodeSatp } from "../../../src/arch/riscv64/entry.js";
import { Access, Cause, SvMmu, type SvResult } from "../../../src/arch/riscv64/mmu.js";

const [V, R, W, , , G, A, D] = [1n, 2n, 4n, 8n, 16n, 32n, 64n, 128n];
const ppn = (pa: bigint): bigint => (pa >> 12n) << 10n;
const ROOT = 0x8000_0000n;

/** Sv39 tables at 0x8000_0000 (root), 0x8000_1000 (level 2), 0x8000_2000 (level 1). */
function sv39(): { mmu: SvMmu; memory: PhysicalMemory; put: (pa: bigint, e: bigint) => void } {
  const memory = new PhysicalMemory();
  const put = (pa: bigint, e: bigint) => memory.write64(pa, e);
  put(ROOT, ppn(ROOT + 0x1000n) | V);
  put(ROOT + 0x1000n, ppn(ROOT + 0x2000n) | V);
  const mmu = new SvMmu({ memory, satp: encodeSatp("sv39", 7, Number(ROOT >> 12n)) });
  return { mmu, memory, put };
}

const pa = (r: SvResult): bigint | string => (r.ok ? r.pa : `${r.cause}:${r.reason}`);

describe("the riscv64 MMU", () => {
  it("translates through each level and keeps the page offset; superpages keep VA bits", () => {
    const { mmu, put } = sv39();
    put(ROOT + 0x2000n + 5n * 8n, ppn(0x9000_0000n) | V | R | A);
    put(ROOT + 0x1000n + 1n * 8n, ppn(0x9020_0000n) | V | R | A);
    put(ROOT + 2n * 8n, ppn(0x1_0000_0000n) | V | R | A);
    expect(pa(mmu.probe(0x5123n, Access.load))).toBe(0x9000_0123n);
    expect(pa(mmu.probe(0x2f_f123n, Access.load))).toBe(0x902f_f123n);
    expect(pa(mmu.probe(0x8765_4321n, Access.load))).toBe(0x1_0765_4321n);
    const r = mmu.probe(0x5000n, Access.load);
    expect(r.ok && r.level).toBe(1);
  });

  it("faults by access type: instruction, load and store page faults; access faults off memory", () => {
    const { mmu, put } = sv39();
    expect(mmu.probe(0x6000n, Access.fetch)).toMatchObject({
      cause: Cause.InstructionPageFault,
      reason: "invalid",
      level: 1,
    });
    expect(mmu.probe(0x6000n, Access.load)).toMatchObject({ cause: Cause.LoadPageFault });
    expect(mmu.probe(0x6000n, Access.store)).toMatchObject({ cause: Cause.StorePageFault });
    // Sv39: bit 38 must be copied into bits 63..39.
    expect(mmu.probe(0x40_0000_0000n, Access.load)).toMatchObject({
      reason: "non-canonical",
      level: 3,
    });
    put(ROOT + 3n * 8n, ppn(1n << 53n) | V);
    expect(mmu.probe(0xc000_0000n, Access.store)).toMatchObject({
      cause: Cause.StoreAccessFault,
      reason: "pte-outside-memory",
      level: 2,
    });
  });

  it("refuses reserved encodings, pointers below the last level and misaligned superpages", () => {
    const { mmu, put } = sv39();
    const cases: [bigint, bigint, string][] = [
      [ROOT + 0x2000n + 8n, ppn(0x9000_0000n) | V | W | A | D, "reserved"],
      [ROOT + 0x2000n + 8n, ppn(0x9000_0000n) | V | R | A | (1n << 60n), "reserved"],
      [ROOT + 0x2000n + 8n, ppn(0x9000_0000n) | V | R | A | (1n << 63n), "reserved"],
      [ROOT + 0x2000n + 8n, ppn(0x9000_0000n) | V | R | A | (3n << 61n), "reserved"],
      [ROOT + 0x2000n + 8n, ppn(0x9000_0000n) | V, "pointer-at-last-level"],
      [ROOT + 0x1000n, ppn(ROOT + 0x2000n) | V | A, "reserved"],
      [ROOT + 0x1000n, ppn(0x9000_1000n) | V | R | A, "misaligned-superpage"],
    ];
    for (const [at, e, reason] of cases) {
      const { mmu: fresh, put: putFresh } = sv39();
      putFresh(at, e);
      expect(fresh.probe(0x1000n, Access.load), `${e.toString(16)}`).toMatchObject({
        ok: false,
        reason,
      });
    }
    put(ROOT + 0x2000n + 8n, ppn(0x9000_0000n) | V | R | A | (1n << 61n));
    expect(pa(mmu.probe(0x1000n, Access.load))).toBe(0x9000_0000n);
  });

  it("Svadu sets A, and D on a store, in memory; without it A = 0 or a clean store faults", () => {
    const { mmu, memory, put } = sv39();
    const at = ROOT + 0x2000n + 8n;
    put(at, ppn(0x9000_0000n) | V | R | W);
    expect(mmu.probe(0x1000n, Access.store).ok).toBe(true);
    expect(memory.read64(at) & (A | D)).toBe(0n);
    expect(mmu.walk(0x1000n, Access.load).ok).toBe(true);
    expect(memory.read64(at) & (A | D)).toBe(A);
    expect(mmu.walk(0x1000n, Access.store).ok).toBe(true);
    expect(memory.read64(at) & (A | D)).toBe(A | D);
    // A refused access updates nothing.
    put(at, ppn(0x9000_0000n) | V | R);
    expect(mmu.walk(0x1000n, Access.store)).toMatchObject({ reason: "protection" });
    expect(memory.read64(at) & A).toBe(0n);

    mmu.hardwareAD = false;
    expect(mmu.walk(0x1000n, Access.load)).toMatchObject({
      cause: Cause.LoadPageFault,
      reason: "accessed",
    });
    put(at, ppn(0x9000_0000n) | V | R | W | A);
    expect(mmu.walk(0x1000n, Access.load).ok).toBe(true);
    expect(mmu.walk(0x1000n, Access.store)).toMatchObject({
      cause: Cause.StorePageFault,
      reason: "dirty",
    });
  });

  it("satp: an unsupported MODE leaves it unchanged; Bare translates nothing", () => {
    const mmu = new SvMmu({ maxMode: "sv48" });
    expect(mmu.writeSatp(encodeSatp("sv57", 0, 0x80000))).toBe(false);
    expect(mmu.satp).toBe(0n);
    expect(mmu.writeSatp(5n << 60n)).toBe(false);
    expect(pa(mmu.access(0xdead_beefn, Access.fetch))).toBe(0xdead_beefn);
    expect(mmu.writeSatp(encodeSatp("sv48", 3, 0x80000))).toBe(true);
    expect(mmu.currentMode).toBe("sv48");
    expect(mmu.probe(0x1000n, Access.load)).toMatchObject({ reason: "invalid", level: 4 });
  });

  it("the TLB keeps a translation until sfence.vma covers it; global entries survive an ASID fence", () => {
    const { mmu, put } = sv39();
    const at = ROOT + 0x2000n + 8n;
    put(at, ppn(0x9000_0000n) | V | R | A);
    put(ROOT + 0x2000n + 16n, ppn(0x9100_0000n) | V | R | A | G);
    expect(mmu.access(0x1000n, Access.load)).toMatchObject({ fromTlb: false, pa: 0x9000_0000n });
    expect(mmu.access(0x2000n, Access.load)).toMatchObject({ fromTlb: false, pa: 0x9100_0000n });
    put(at, 0n);
    put(ROOT + 0x2000n + 16n, 0n);
    expect(mmu.access(0x1000n, Access.load)).toMatchObject({ fromTlb: true, pa: 0x9000_0000n });
    // Another ASID sees the global entry, not the other's.
    mmu.writeSatp(encodeSatp("sv39", 8, Number(ROOT >> 12n)));
    expect(mmu.access(0x2000n, Access.load)).toMatchObject({ fromTlb: true });
    expect(mmu.access(0x1000n, Access.load)).toMatchObject({ ok: false, reason: "invalid" });
    mmu.writeSatp(encodeSatp("sv39", 7, Number(ROOT >> 12n)));
    // By ASID: the global entry stays.
    mmu.sfenceVma(undefined, 7);
    expect(mmu.access(0x1000n, Access.load)).toMatchObject({ ok: false });
    expect(mmu.access(0x2000n, Access.load)).toMatchObject({ fromTlb: true });
    // By address, every ASID: the global entry goes.
    mmu.sfenceVma(0x2000n);
    expect(mmu.access(0x2000n, Access.load)).toMatchObject({ ok: false });
  });

  it("sfence.vma by address and ASID drops one page of one address space", () => {
    const { mmu, put } = sv39();
    for (const i of [1n, 2n])
      put(ROOT + 0x2000n + i * 8n, ppn(0x9000_0000n + i * 0x1000n) | V | R | A);
    mmu.access(0x1000n, Access.load);
    mmu.access(0x2000n, Access.load);
    expect(mmu.tlb.size).toBe(2);
    mmu.sfenceVma(0x1000n, 8);
    expect(mmu.tlb.size).toBe(2);
    mmu.sfenceVma(0x1000n, 7);
    expect(mmu.tlb.size).toBe(1);
    mmu.sfenceVma();
    expect(mmu.tlb.size).toBe(0);
  });

  it("a store through a clean cached entry sets D under Svadu and faults without it", () => {
    const { mmu, memory, put } = sv39();
    const at = ROOT + 0x2000n + 8n;
    put(at, ppn(0x9000_0000n) | V | R | W | A);
    expect(mmu.access(0x1000n, Access.load)).toMatchObject({ ok: true });
    expect(mmu.access(0x1000n, Access.store)).toMatchObject({ ok: true, fromTlb: false });
    expect(memory.read64(at) & D).toBe(D);
    expect(mmu.access(0x1000n, Access.store)).toMatchObject({ ok: true, fromTlb: true });
    const { mmu: strict, put: put2 } = sv39();
    strict.hardwareAD = false;
    put2(at, ppn(0x9000_0000n) | V | R | W | A);
    expect(strict.access(0x1000n, Access.load)).toMatchObject({ ok: true });
    expect(strict.access(0x1000n, Access.store)).toMatchObject({ reason: "dirty", fromTlb: true });
  });
});
