/**
 * Sparse emulated physical memory made of 4-KByte frames.
 *
 * Each frame is a `Uint32Array(1024)` allocated on first write; a frame never written reads as
 * zeros. A 64-bit paging-structure entry at physical address `pa` (8-byte aligned) lives in the
 * frame `pa >> 12` as the word pair `[2 * i, 2 * i + 1]` with `i = (pa & 0xfff) >> 3`: `lo` holds
 * bits 31:0 and `hi` bits 63:32, as a little-endian processor stores them. Hot loops fetch a
 * frame once with `frame()` / `frameForWrite()` and then index words directly: no allocation and
 * no bigint per entry.
 *
 * Physical addresses are plain numbers (exact below 2^53; the architecture stops at 2^52).
 * Convenience methods also accept bigints.
 */

export const FRAME_SIZE = 4096;
export const FRAME_SHIFT = 12;
/** 32-bit words per frame. */
export const FRAME_WORDS = 1024;

const TWO32 = 4294967296;

/** True on little-endian hosts, where a frame's bytes can be copied out as they are. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function toPa(pa: number | bigint): number {
  const n = typeof pa === "bigint" ? Number(pa) : pa;
  if (!Number.isSafeInteger(n) || n < 0 || n >= 2 ** 52) {
    throw new RangeError(`physical address ${pa.toString(16)} out of range [0, 2^52)`);
  }
  return n;
}

/**
 * Frames below this number (the first 4 GiB, where the table pool lives) are also indexed by a
 * dense array: a page walk looks up one frame per level, and an array index is several times
 * faster than a Map lookup there.
 */
const DENSE_PFNS = 1 << 20;

export class PhysicalMemory {
  private readonly frames = new Map<number, Uint32Array>();
  /** dense[pfn] = frames.get(pfn) for integers 0 <= pfn < dense.length <= DENSE_PFNS. */
  private readonly dense: (Uint32Array | undefined)[] = [];

  /** The frame `pfn` if it was ever written, else undefined (it reads as zeros). */
  frame(pfn: number): Uint32Array | undefined {
    const dense = this.dense;
    if (pfn < dense.length) {
      const f = dense[pfn];
      if (f !== undefined) return f;
    }
    return this.frames.get(pfn);
  }

  /** The frame `pfn`, allocated (zeroed) on first use. */
  frameForWrite(pfn: number): Uint32Array {
    let f = this.frame(pfn);
    if (f === undefined) {
      f = new Uint32Array(FRAME_WORDS);
      this.frames.set(pfn, f);
      if (Number.isInteger(pfn) && pfn >= 0 && pfn < DENSE_PFNS) {
        // Grown with `push` so the array keeps fast (non-dictionary) elements.
        const dense = this.dense;
        while (dense.length <= pfn) dense.push(undefined);
        dense[pfn] = f;
      }
    }
    return f;
  }

  /** Zeroes frame `pfn` (allocating it), as a page-table allocator must before use. */
  zeroFrame(pfn: number): Uint32Array {
    const f = this.frames.get(pfn);
    if (f === undefined) return this.frameForWrite(pfn);
    f.fill(0);
    return f;
  }

  /** Forgets frame `pfn`: it reads as zeros again. */
  releaseFrame(pfn: number): void {
    this.frames.delete(pfn);
    if (pfn < this.dense.length) this.dense[pfn] = undefined;
  }

  hasFrame(pfn: number): boolean {
    return this.frames.has(pfn);
  }

  /** Number of materialised frames. */
  get frameCount(): number {
    return this.frames.size;
  }

  /** Frame numbers of all materialised frames, ascending. */
  frameNumbers(): number[] {
    return [...this.frames.keys()].sort((a, b) => a - b);
  }

  // --- 64-bit entries ---------------------------------------------------------------------------

  /** Low word (bits 31:0) of the 64-bit value at `pa` (8-byte aligned, number). */
  readLo(pa: number): number {
    const f = this.frames.get(Math.floor(pa / FRAME_SIZE));
    return f === undefined ? 0 : f[(pa & 0xfff) >>> 2]!;
  }

  /** High word (bits 63:32) of the 64-bit value at `pa` (8-byte aligned, number). */
  readHi(pa: number): number {
    const f = this.frames.get(Math.floor(pa / FRAME_SIZE));
    return f === undefined ? 0 : f[((pa & 0xfff) >>> 2) + 1]!;
  }

  /** Writes the 64-bit value `hi:lo` at `pa` (8-byte aligned, number). */
  writeWords(pa: number, lo: number, hi: number): void {
    const f = this.frameForWrite(Math.floor(pa / FRAME_SIZE));
    const w = (pa & 0xfff) >>> 2;
    f[w] = lo;
    f[w + 1] = hi;
  }

  read64(pa: number | bigint): bigint {
    const a = toPa(pa);
    if (a % 8 !== 0) throw new RangeError("64-bit access must be 8-byte aligned");
    return (BigInt(this.readHi(a)) << 32n) | BigInt(this.readLo(a));
  }

  write64(pa: number | bigint, value: bigint): void {
    const a = toPa(pa);
    if (a % 8 !== 0) throw new RangeError("64-bit access must be 8-byte aligned");
    const v = BigInt.asUintN(64, value);
    this.writeWords(a, Number(v & 0xffffffffn), Number(v >> 32n));
  }

  read32(pa: number | bigint): number {
    const a = toPa(pa);
    if (a % 4 !== 0) throw new RangeError("32-bit access must be 4-byte aligned");
    const f = this.frames.get(Math.floor(a / FRAME_SIZE));
    return f === undefined ? 0 : f[(a & 0xfff) >>> 2]!;
  }

  write32(pa: number | bigint, value: number): void {
    const a = toPa(pa);
    if (a % 4 !== 0) throw new RangeError("32-bit access must be 4-byte aligned");
    this.frameForWrite(Math.floor(a / FRAME_SIZE))[(a & 0xfff) >>> 2] = value;
  }

  // --- bytes (little-endian, host-independent) ------------------------------------------------

  readBytes(pa: number | bigint, length: number): Uint8Array {
    const start = toPa(pa);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const a = start + i;
      const f = this.frames.get(Math.floor(a / FRAME_SIZE));
      if (f !== undefined) out[i] = (f[(a & 0xfff) >>> 2]! >>> (8 * (a & 3))) & 0xff;
    }
    return out;
  }

  writeBytes(pa: number | bigint, data: Uint8Array): void {
    const start = toPa(pa);
    for (let i = 0; i < data.length; i++) {
      const a = start + i;
      const f = this.frameForWrite(Math.floor(a / FRAME_SIZE));
      const w = (a & 0xfff) >>> 2;
      const shift = 8 * (a & 3);
      f[w] = (f[w]! & ~(0xff << shift)) | (data[i]! << shift);
    }
  }

  /** Copies frame `pfn` as 4096 little-endian bytes into `out` at `offset` (zeros if absent). */
  copyFrameOut(pfn: number, out: Uint8Array, offset: number): void {
    const f = this.frames.get(pfn);
    if (f === undefined) {
      out.fill(0, offset, offset + FRAME_SIZE);
    } else if (HOST_LITTLE_ENDIAN) {
      out.set(new Uint8Array(f.buffer, f.byteOffset, FRAME_SIZE), offset);
    } else {
      const dv = new DataView(out.buffer, out.byteOffset + offset, FRAME_SIZE);
      for (let w = 0; w < FRAME_WORDS; w++) dv.setUint32(w * 4, f[w]!, true);
    }
  }

  /** Loads 4096 little-endian bytes from `src` at `offset` into frame `pfn`. */
  copyFrameIn(pfn: number, src: Uint8Array, offset: number): void {
    const f = this.frameForWrite(pfn);
    const dv = new DataView(src.buffer, src.byteOffset + offset, FRAME_SIZE);
    for (let w = 0; w < FRAME_WORDS; w++) f[w] = dv.getUint32(w * 4, true);
  }
}

/** Splits a physical address (number) into its 32-bit words. */
export function paLo(pa: number): number {
  return pa >>> 0;
}
export function paHi(pa: number): number {
  return Math.floor(pa / TWO32);
}
