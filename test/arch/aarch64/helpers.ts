import {
  type DescriptorFormat,
  type Granule,
  type VaBits,
} from "../../../src/arch/aarch64/entry.js";
import { Mapper } from "../../../src/arch/aarch64/mapper.js";
import { Mmu, Sctlr, Tcr } from "../../../src/arch/aarch64/mmu.js";
import { PhysicalMemory } from "../../../src/arch/physical-memory.js";

export const GRANULES = [4, 16, 64] as const;
export const VA_SIZES = [39, 42, 47, 48, 52] as const;

/** The descriptor format the hardware needs for a VA size: the wide one at 52 bits. */
export function formatFor(granule: Granule, vaBits: VaBits): DescriptorFormat {
  return { granule, oa: vaBits === 52 ? (granule === 64 ? "52-64K" : "52-LPA2") : "48" };
}

/** An MMU with both halves' tables built by two Mappers, TCR_EL1 set for `granule`/`vaBits`. */
export function machine(
  granule: Granule,
  vaBits: VaBits,
  tablesAt: { lower: number; upper: number } = { lower: 0x4000_0000, upper: 0x4800_0000 },
) {
  const memory = new PhysicalMemory();
  const format = formatFor(granule, vaBits);
  const lower = new Mapper(memory, format, vaBits, tablesAt.lower);
  const upper = new Mapper(memory, format, vaBits, tablesAt.upper);
  const mmu = new Mmu(memory);
  const txsz = 64 - vaBits;
  mmu.regs.tcr =
    Tcr.t0sz(txsz) |
    Tcr.t1sz(txsz) |
    Tcr.tg0[granule] |
    Tcr.tg1[granule] |
    Tcr.ips(vaBits === 52 ? 52 : 48) |
    (vaBits === 52 && granule !== 64 ? Tcr.ds : 0n);
  mmu.regs.ttbr0 = BigInt(lower.root);
  mmu.regs.ttbr1 = BigInt(upper.root);
  mmu.regs.sctlr = Sctlr.m;
  return { memory, lower, upper, mmu, format };
}
