/** The Sv mapper: largest pages that fit, pointers that are V alone, errors that write nothing. */
import { describe, expect, it } from "vitest";
import { PhysicalMemory } from "../../../src/arch/physical-memory.js";
import { riscv64 } from "../../../src/arch/riscv64/arch.js";
import type { SvMode } from "../../../src/model/layout.js";
import { SvMapper } from "../../../src/arch/riscv64/mapper.js";
import { Access, SvMmu } from "../../../src/arch/riscv64/mmu.js";
import { walkTables } from "../../../src/arch/walk.js";

const GiB = 1n << 30n;
const MiB = 1n << 20n;

function machine(mode: SvMode) {
  const memory = new PhysicalMemory();
  const mapper = new SvMapper(memory, { mode });
  const mmu = new SvMmu({ memory, satp: mapper.satp(1) });
  return { memory, mapper, mmu };
}

/** Leaves as the shared walker sees them: [va, level, pa]. */
function leaves(memory: PhysicalMemory, mapper: SvMapper): [bigint, number, number][] {
  const out: [bigint, number, number][] = [];
  walkTables(
    { arch: riscv64(mapper.mode), memory, root: mapper.satp(), physAddrBits: 52 },
    { leaf: (vpn, level, _pages, pa) => void out.push([BigInt(vpn) << 12n, level, pa]) },
  );
  return out;
}

describe("the Sv mapper", () => {
  it("maps with 4 KiB heads and tails and the largest pages between", () => {
    const { memory, mapper, mmu } = machine("sv39");
    const va = 0xffff_ffd0_0000_0000n - 8192n; // 8 KiB below 1 GiB alignment
    expect(
      mapper.map(va, GiB - 8192n, GiB + 2n * MiB + 12288n, { write: true, global: true }),
    ).toEqual({ ok: true });
    const levels = leaves(memory, mapper).map(([, level]) => level);
    expect(levels).toEqual([1, 1, 3, 2, 1]);
    for (const [probe, pa] of [
      [va, GiB - 8192n],
      [va + 8192n, GiB],
      [va + 8192n + GiB + 2n * MiB + 4095n, 2n * GiB + 2n * MiB + 4095n],
    ] as const) {
      expect(mmu.probe(probe, Access.store)).toMatchObject({ ok: true, pa });
    }
    expect(mmu.probe(va + GiB + 2n * MiB + 12288n, Access.load)).toMatchObject({ ok: false });
  });

  it("uses 512 GiB pages in Sv48 and 256 TiB pages in Sv57", () => {
    const sv48 = machine("sv48");
    expect(sv48.mapper.map(0xffff_8000_0000_0000n, 0n, 1n << 39n, { write: true }).ok).toBe(true);
    expect(leaves(sv48.memory, sv48.mapper)).toEqual([[0xffff_8000_0000_0000n, 4, 0]]);
    const sv57 = machine("sv57");
    expect(sv57.mapper.map(0xff00_0000_0000_0000n, 0n, 1n << 48n, {}).ok).toBe(true);
    expect(leaves(sv57.memory, sv57.mapper)).toEqual([[0xff00_0000_0000_0000n, 5, 0]]);
    expect(sv57.mmu.probe(0xff00_1234_5678_9abcn, Access.load)).toMatchObject({
      pa: 0x1234_5678_9abcn,
      level: 5,
    });
  });

  it("writes pointers as V alone and leaves with A, and D when writable", () => {
    const { memory, mapper } = machine("sv39");
    expect(mapper.map(0x1000n, 0x8000_0000n, 0x1000n, { execute: true, user: true }).ok).toBe(true);
    const rootEntry = memory.read64(mapper.root);
    expect(rootEntry & 0x3ffn).toBe(1n);
    const l2 = Number((rootEntry >> 10n) << 12n);
    const l1 = Number((memory.read64(l2) >> 10n) << 12n);
    expect(memory.read64(l1 + 8)).toBe(((0x8000_0000n >> 12n) << 10n) | 0x5bn); // V R X U A
    expect(mapper.map(0x2000n, 0x8000_1000n, 0x1000n, { write: true }).ok).toBe(true);
    expect(memory.read64(l1 + 16) & 0xffn).toBe(0xc7n); // V R W A D
  });

  it("refuses overlaps, non-canonical ranges and misalignment, writing nothing", () => {
    const { memory, mapper } = machine("sv39");
    expect(mapper.map(0x20_0000n, 0n, 2n * MiB).ok).toBe(true);
    const before = memory.frameCount;
    expect(mapper.map(0x1000n, 0n, 4n * MiB)).toMatchObject({
      ok: false,
      error: { kind: "already-mapped", va: 0x20_0000n, level: 2 },
    });
    expect(mapper.map(0x3f_ffff_f000n, 0n, 8192n)).toMatchObject({
      ok: false,
      error: { kind: "non-canonical" },
    });
    expect(mapper.map(0x1800n, 0n, 4096n)).toMatchObject({
      ok: false,
      error: { kind: "misaligned" },
    });
    expect(memory.frameCount).toBe(before);
    expect(leaves(memory, mapper)).toEqual([[0x20_0000n, 2, 0]]);
  });
});
