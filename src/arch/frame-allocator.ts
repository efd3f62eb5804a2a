/**
 * Bump allocator of page-table frames from one contiguous physical pool, so that all the tables of
 * an address space export as a single image `[base, base + bytesUsed)` (see image.ts).
 *
 * Frames are zeroed on allocation (a fresh table must have P = 0 everywhere, SDM 4.5.4). There is
 * no free: a table emptied by unmap stays allocated, as in many kernels' boot-time page tables.
 */

import { type Level } from "./x86_64/entry.js";
import { FRAME_SIZE, type PhysicalMemory } from "./physical-memory.js";

/** Default pool base: 16 MiB, above the legacy low-memory areas and a typical kernel image. */
export const DEFAULT_POOL_BASE = 0x100_0000;
/** Default pool size: 1 GiB (frames are only materialised when allocated). */
export const DEFAULT_POOL_BYTES = 0x4000_0000;

export interface FrameAllocatorOptions {
  /** Physical address of the pool (4-KByte aligned). Default 16 MiB. */
  readonly base?: number;
  /** Size of the pool in bytes (multiple of 4 KiB). Default 1 GiB. */
  readonly bytes?: number;
  /** Resume after `usedBytes` already-allocated bytes (for an imported image). */
  readonly usedBytes?: number;
}

export class FrameAllocator {
  readonly base: number;
  readonly limit: number;
  private next: number;
  /** perLevel[level] = frames handed out for tables of that level (index 0 unused). */
  private readonly perLevel = [0, 0, 0, 0, 0, 0];

  constructor(
    readonly memory: PhysicalMemory,
    options: FrameAllocatorOptions = {},
  ) {
    const base = options.base ?? DEFAULT_POOL_BASE;
    const bytes = options.bytes ?? DEFAULT_POOL_BYTES;
    if (!Number.isSafeInteger(base) || base < 0 || base % FRAME_SIZE !== 0) {
      throw new RangeError("pool base must be a 4-KByte aligned physical address");
    }
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % FRAME_SIZE !== 0) {
      throw new RangeError("pool size must be a positive multiple of 4 KiB");
    }
    if (base + bytes > 2 ** 52) throw new RangeError("pool extends past 2^52");
    const used = options.usedBytes ?? 0;
    if (!Number.isSafeInteger(used) || used < 0 || used > bytes || used % FRAME_SIZE !== 0) {
      throw new RangeError("usedBytes must be a multiple of 4 KiB within the pool");
    }
    this.base = base;
    this.limit = base + bytes;
    this.next = base + used;
  }

  /**
   * Allocates one zeroed frame for a table of `level` and returns its physical address, or
   * undefined when the pool is exhausted. With `zero` false the frame is not zeroed: the caller
   * writes all of it before anything reads it.
   */
  allocate(level: Level, zero = true): number | undefined {
    if (this.next >= this.limit) return undefined;
    const pa = this.next;
    this.next += FRAME_SIZE;
    this.memory.allocateFrame(pa / FRAME_SIZE, zero);
    this.perLevel[level]!++;
    return pa;
  }

  /** Announces that about `frames` frames will be allocated next (memory reserves room once). */
  reserve(frames: number): void {
    this.memory.reserveWindow(this.next / FRAME_SIZE, Math.min(frames, this.framesFree));
  }

  /** Frames still available. */
  get framesFree(): number {
    return (this.limit - this.next) / FRAME_SIZE;
  }

  /** Frames handed out (including those counted by `usedBytes` on resume). */
  get framesUsed(): number {
    return (this.next - this.base) / FRAME_SIZE;
  }

  /** Bytes of the pool in use: the image is `[base, base + bytesUsed)`. */
  get bytesUsed(): number {
    return this.next - this.base;
  }

  /** Frames this allocator handed out for tables of `level`. */
  framesAtLevel(level: Level): number {
    return this.perLevel[level]!;
  }

  /** Frames per level: `{1: page tables, 2: page directories, 3: PDPTs, 4: PML4s, 5: PML5s}`. */
  framesPerLevel(): Record<Level, number> {
    const p = this.perLevel;
    return { 1: p[1]!, 2: p[2]!, 3: p[3]!, 4: p[4]!, 5: p[5]! };
  }

  /** Records frames of an imported image by level (they were allocated before this allocator). */
  addImported(counts: Partial<Record<Level, number>>): void {
    for (const l of [1, 2, 3, 4, 5] as const) this.perLevel[l]! += counts[l] ?? 0;
  }
}
