/**
 * The vmlayout runtime: x86-64 4-level / 5-level paging as the Intel SDM vol. 3A chapter 4
 * defines it, over sparse emulated physical memory. See docs/runtime.md.
 */

export * from "../arch/x86_64/entry.js";
export * from "../arch/physical-memory.js";
export * from "../arch/frame-allocator.js";
export * from "../arch/x86_64/tlb.js";
export * from "../arch/x86_64/mmu.js";
export * from "../arch/x86_64/mapper.js";
export * from "./image.js";
export { createMachine, type Machine, type MachineOptions } from "./machine.js";
