/**
 * walk-sv48: walk-4k on RISC-V Sv48 tables. The same 16 GiB direct map at 4 KiB pages
 * (`0xffff888000000000`, canonical in Sv48 as in 4-level paging) is built by `SvMapper`, and the
 * same 10,000,000 xorshift addresses are walked by `SvMmu.probeWords` (an S-mode load, no TLB,
 * no A/D update), so the checksum is walk-4k's. An Sv48 walk reads four 8-byte entries, as a
 * 4-level x86 walk does: the ratio is to the C baseline's 4-level walk of the same run.
 */
import { FrameAllocator } from "../src/arch/frame-allocator.js";
import { PhysicalMemory } from "../src/arch/physical-memory.js";
import { SvMapper } from "../src/arch/riscv64/mapper.js";
import { Access, SvMmu } from "../src/arch/riscv64/mmu.js";
import {
  type BenchOptions,
  type BenchResult,
  DIRECT_MAP_VA,
  POOL_BASE,
  mappedBytes,
  walkCount,
} from "./common.js";
import type { CResults } from "./c.js";
import { probeWalks, timedWalks } from "./walk-4k.js";

/** The direct map in Sv48 tables, and an MMU on them. */
function installSv48(small: boolean): SvMmu {
  const memory = new PhysicalMemory();
  const allocator = new FrameAllocator(memory, { base: POOL_BASE });
  const mapper = new SvMapper(memory, { mode: "sv48", allocator });
  const bytes = BigInt(mappedBytes(small));
  const r = mapper.map(DIRECT_MAP_VA, 0n, bytes, { write: true, global: true }, 4096n);
  if (!r.ok) throw new Error(`walk-sv48: the mapper refused: ${r.error.kind}`);
  return new SvMmu({ memory, satp: mapper.satp() });
}

export function runWalkSv48(options: BenchOptions, c: CResults | undefined): BenchResult {
  const mmu = installSv48(options.small);
  const n = walkCount(options.small);
  const bytes = mappedBytes(options.small);
  return timedWalks("walk-sv48", options, c, () => probeWalks(mmu, Access.load, n, bytes));
}
