/**
 * Wires physical memory, a frame pool, a mapper and an MMU that agree on paging levels and
 * MAXPHYADDR, with CR3 loaded from the mapper's root table. Given existing `memory`, the machine
 * allocates its tables from the pool again (as after a reboot: every frame is zeroed when it is
 * allocated), so that one buffer serves many machines in turn.
 */

import { DEFAULT_MAXPHYADDR, type PagingLevels } from "../arch/x86_64/entry.js";
import { FrameAllocator } from "../arch/frame-allocator.js";
import { Mapper } from "../arch/x86_64/mapper.js";
import { Mmu, type MmuOptions } from "../arch/x86_64/mmu.js";
import { PhysicalMemory } from "../arch/physical-memory.js";

export interface MachineOptions extends Omit<MmuOptions, "cr3"> {
  /** Table pool base (default 16 MiB) and size (default 1 GiB). */
  readonly poolBase?: number;
  readonly poolBytes?: number;
  readonly tableFlags?: { readonly writable?: boolean; readonly user?: boolean };
}

export interface Machine {
  readonly memory: PhysicalMemory;
  readonly allocator: FrameAllocator;
  readonly mapper: Mapper;
  readonly mmu: Mmu;
  readonly levels: PagingLevels;
}

export function createMachine(options: MachineOptions = {}): Machine {
  const levels = options.levels ?? 4;
  const maxPhyAddr = options.maxPhyAddr ?? DEFAULT_MAXPHYADDR;
  const memory = options.memory ?? new PhysicalMemory();
  const allocator = new FrameAllocator(memory, {
    ...(options.poolBase !== undefined ? { base: options.poolBase } : {}),
    ...(options.poolBytes !== undefined ? { bytes: options.poolBytes } : {}),
  });
  const mapper = new Mapper(memory, {
    levels,
    maxPhyAddr,
    allocator,
    ...(options.tableFlags !== undefined ? { tableFlags: options.tableFlags } : {}),
  });
  const mmu = new Mmu({ ...options, levels, maxPhyAddr, memory, cr3: mapper.cr3 });
  return { memory, allocator, mapper, mmu, levels };
}
