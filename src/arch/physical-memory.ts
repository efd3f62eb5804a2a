/**
 * Sparse emulated physical memory made of 4-KByte frames, all held in one flat `Uint32Array`,
 * `words`, 1024 words per frame. A frame never written reads as zeros.
 *
 * `words` is laid out as [window][slots][a zero frame]:
 *  - the window holds the frames `windowPfn .. windowPfn + windowFrames - 1`, in order, within one
 *    4-GiB-aligned range of physical addresses: the pool of a bump allocator (`allocateFrame` of the
 *    frame just past the window extends it, the first call starts it). A page walk finds a table
 *    there from the low word of an entry with a subtraction, as C indexes its table pool;
 *  - any other frame gets a slot on first write (a `Map` from frame number to slot);
 *  - `offsetOf` a frame never written gives the last frame, which stays zero: readers need no
 *    check, and writers go through `materialize`.
 * Capacity past the window's frames and free slots are zero too. `words` is replaced when it
 * grows: a caller re-reads it, its offsets and any `frame()` view after materialising a frame.
 *
 * A 64-bit paging-structure entry at physical address `pa` (8-byte aligned) is the word pair
 * `[o, o + 1]`, `o = offsetOf(pa >> 12) + ((pa & 0xfff) >> 2)`: `lo` holds bits 31:0 and `hi` bits
 * 63:32, as a little-endian processor stores them. Hot loops index `words` directly: no allocation
 * and no bigint per entry.
 *
 * Physical addresses are plain numbers (exact below 2^53; the architecture stops at 2^52).
 * Convenience methods also accept bigints.
 */

export const FRAME_SIZE = 4096;
export const FRAME_SHIFT = 12;
/** 32-bit words per frame. */
export const FRAME_WORDS = 1024;
/** At most this many frames (8 GiB) are materialised, so that word offsets are int32. */
export const MAX_FRAMES = 2 ** 21;
/** Frames per 4 GiB of physical addresses. */
const FRAMES_4G = 2 ** 20;

const TWO32 = 4294967296;
/** Initial capacity, in frames, of the window and of the slots. */
const MIN_CAPACITY = 16;

/** True on little-endian hosts, where a frame's bytes can be copied out as they are. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function toPa(pa: number | bigint): number {
  const n = typeof pa === "bigint" ? Number(pa) : pa;
  if (!Number.isSafeInteger(n) || n < 0 || n >= 2 ** 52) {
    throw new RangeError(`physical address ${pa.toString(16)} out of range [0, 2^52)`);
  }
  return n;
}

/** Physical memory kept elsewhere (a RAM dump's file), read a 4 KiB frame at a time. */
export interface FrameSource {
  /** Frames the source can hold (an upper bound on the tables a walk of it can visit). */
  readonly frames: number;
  /** Fills `into` with frame `pfn`; false when the source has no such frame. */
  read(pfn: number, into: Uint8Array): boolean;
}

export class PhysicalMemory {
  private store = new Uint32Array(FRAME_WORDS);
  private winPfn = 0;
  private winFrames = 0;
  private winCapacity = 0;
  /** Frame number -> slot; slot `s` is at word `(winCapacity + s) * 1024`. */
  private readonly slots = new Map<number, number>();
  private slotCapacity = 0;
  private readonly freeSlots: number[] = [];
  /** Frames not yet read from `source` are read on first use; these were all zeros or absent. */
  private source: FrameSource | undefined;
  private readonly unbacked = new Set<number>();

  /** Every materialised frame's words (see the layout above). Re-read after materialising. */
  get words(): Uint32Array {
    return this.store;
  }
  /** First frame of the window (meaningless while `windowFrames` is 0). */
  get windowPfn(): number {
    return this.winPfn;
  }
  /** Frames in the window: frame `windowPfn + k` is at word `k * 1024`. */
  get windowFrames(): number {
    return this.winFrames;
  }

  /**
   * Word offset of frame `pfn` in `words`; for a frame never written, of the zero frame (read
   * only: write through `materialize`).
   */
  offsetOf(pfn: number): number {
    const o = this.existing(pfn);
    if (o >= 0) return o;
    const read = this.source === undefined ? -1 : this.readIn(pfn);
    return read < 0 ? this.store.length - FRAME_WORDS : read;
  }

  /**
   * Backs this (empty) memory with an image that is read a frame at a time, on first use by
   * `offsetOf` or `frame`: an audit of a RAM dump reads the table frames, not the whole dump.
   * A frame read in may grow `words`; a view taken before stays valid for reading.
   */
  backWith(source: FrameSource): void {
    if (this.frameCount !== 0) throw new Error("backWith: the memory is not empty");
    this.source = source;
  }

  /** Frames the backing image holds (0 without one). */
  get backedFrames(): number {
    return this.source?.frames ?? 0;
  }

  /** Reads frame `pfn` from the source: its word offset, or -1 when absent or all zeros. */
  private readIn(pfn: number): number {
    if (this.unbacked.has(pfn)) return -1;
    const bytes = new Uint8Array(FRAME_SIZE);
    if (!this.source!.read(pfn, bytes) || bytes.every((b) => b === 0)) {
      this.unbacked.add(pfn);
      return -1;
    }
    this.copyFrameIn(pfn, bytes, 0);
    return this.existing(pfn);
  }

  /** Word offset of frame `pfn`, materialised (zeroed) on first use. */
  materialize(pfn: number): number {
    const o = this.existing(pfn);
    if (o >= 0) return o;
    let s = this.freeSlots.pop();
    if (s === undefined) {
      s = this.slots.size;
      if (s === this.slotCapacity) this.grow(this.winCapacity, Math.max(MIN_CAPACITY, 2 * s));
    }
    this.slots.set(pfn, s);
    return (this.winCapacity + s) * FRAME_WORDS;
  }

  /**
   * Makes frame `pfn` a page-table frame (a frame allocator's call) and returns its word offset.
   * The frame just past the window joins it (the first call starts the window); others are
   * materialised as usual. The frame is zeroed, unless `zero` is false: the caller then writes
   * all of it before anything reads it.
   */
  allocateFrame(pfn: number, zero = true): number {
    const extending = pfn - this.winPfn === this.winFrames && pfn % FRAMES_4G !== 0;
    if (this.winFrames === 0 || extending) {
      const s = this.slots.get(pfn);
      if (s !== undefined) this.releaseSlot(pfn, s);
      if (this.winFrames === 0) this.winPfn = pfn;
      if (this.winFrames === this.winCapacity) {
        const grown = Math.max(MIN_CAPACITY, Math.ceil(this.winCapacity * 1.5));
        this.grow(
          Math.max(this.winFrames + 1, Math.min(grown, this.windowLimit())),
          this.slotCapacity,
        );
      }
      // Capacity past the window is zero already.
      return this.winFrames++ * FRAME_WORDS;
    }
    const o = this.materialize(pfn);
    if (zero) this.store.fill(0, o, o + FRAME_WORDS);
    return o;
  }

  /**
   * A bump allocator is about to allocate `frames` frames from `pfn` on: if they extend the
   * window, make room for all of them at once (one copy, no over-allocation).
   */
  reserveWindow(pfn: number, frames: number): void {
    if (this.winFrames === 0) {
      this.winPfn = pfn;
    } else if (pfn - this.winPfn < 0 || pfn - this.winPfn > this.winFrames) {
      return;
    }
    const need = Math.min(pfn - this.winPfn + frames, this.windowLimit());
    if (need > this.winCapacity) this.grow(need, this.slotCapacity);
  }

  /** The most frames the window can hold: up to the end of its 4 GiB range, and MAX_FRAMES. */
  private windowLimit(): number {
    return Math.min(FRAMES_4G - (this.winPfn % FRAMES_4G), MAX_FRAMES - this.slotCapacity);
  }

  /** Forgets frame `pfn`: it reads as zeros again (a window frame stays in the window). */
  releaseFrame(pfn: number): void {
    const s = this.slots.get(pfn);
    if (s !== undefined) this.releaseSlot(pfn, s);
    else {
      const o = this.existing(pfn);
      if (o >= 0) this.store.fill(0, o, o + FRAME_WORDS);
    }
  }

  hasFrame(pfn: number): boolean {
    return this.existing(pfn) >= 0;
  }

  /** Number of materialised frames. */
  get frameCount(): number {
    return this.winFrames + this.slots.size;
  }

  /** Frame numbers of all materialised frames, ascending. */
  frameNumbers(): number[] {
    const window = Array.from({ length: this.winFrames }, (_, k) => this.winPfn + k);
    return [...window, ...this.slots.keys()].sort((a, b) => a - b);
  }

  /**
   * The frame `pfn` as a view of `words` if it was ever written, else undefined (it reads as
   * zeros). The view is valid until `words` grows.
   */
  frame(pfn: number): Uint32Array | undefined {
    let o = this.existing(pfn);
    if (o < 0 && this.source !== undefined) o = this.readIn(pfn);
    return o < 0 ? undefined : this.store.subarray(o, o + FRAME_WORDS);
  }

  /** Word offset of frame `pfn` if it was ever written, else -1. */
  private existing(pfn: number): number {
    const rel = pfn - this.winPfn;
    if (rel >= 0 && rel < this.winFrames) return rel * FRAME_WORDS;
    const s = this.slots.get(pfn);
    return s === undefined ? -1 : (this.winCapacity + s) * FRAME_WORDS;
  }

  private releaseSlot(pfn: number, s: number): void {
    const o = (this.winCapacity + s) * FRAME_WORDS;
    this.store.fill(0, o, o + FRAME_WORDS);
    this.slots.delete(pfn);
    this.freeSlots.push(s);
  }

  /** Replaces `words` with room for `winCapacity` window frames and `slotCapacity` slots. */
  private grow(winCapacity: number, slotCapacity: number): void {
    if (winCapacity + slotCapacity > MAX_FRAMES) {
      throw new RangeError(`emulated physical memory holds at most ${MAX_FRAMES} frames (8 GiB)`);
    }
    const old = this.store;
    // One more frame: the zero frame.
    const words = new Uint32Array((winCapacity + slotCapacity + 1) * FRAME_WORDS);
    words.set(old.subarray(0, this.winFrames * FRAME_WORDS));
    const slotsAt = this.winCapacity * FRAME_WORDS;
    words.set(
      old.subarray(slotsAt, slotsAt + this.slotCapacity * FRAME_WORDS),
      winCapacity * FRAME_WORDS,
    );
    this.store = words;
    this.winCapacity = winCapacity;
    this.slotCapacity = slotCapacity;
  }

  // --- 64-bit entries ---------------------------------------------------------------------------

  /** Word offset of the 32-bit word at `pa` (4-byte aligned, number), for reading. */
  private wordAt(pa: number): number {
    return this.offsetOf(Math.floor(pa / FRAME_SIZE)) + ((pa & 0xfff) >>> 2);
  }

  /** Low word (bits 31:0) of the 64-bit value at `pa` (8-byte aligned, number). */
  readLo(pa: number): number {
    // The offset first: reading a frame in may replace `store`.
    const w = this.wordAt(pa);
    return this.store[w]!;
  }

  /** High word (bits 63:32) of the 64-bit value at `pa` (8-byte aligned, number). */
  readHi(pa: number): number {
    const w = this.wordAt(pa);
    return this.store[w + 1]!;
  }

  /** Writes the 64-bit value `hi:lo` at `pa` (8-byte aligned, number). */
  writeWords(pa: number, lo: number, hi: number): void {
    const w = this.materialize(Math.floor(pa / FRAME_SIZE)) + ((pa & 0xfff) >>> 2);
    this.store[w] = lo;
    this.store[w + 1] = hi;
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
    return this.readLo(a);
  }

  write32(pa: number | bigint, value: number): void {
    const a = toPa(pa);
    if (a % 4 !== 0) throw new RangeError("32-bit access must be 4-byte aligned");
    // The offset first: materialising may replace `store`.
    const w = this.materialize(Math.floor(a / FRAME_SIZE)) + ((a & 0xfff) >>> 2);
    this.store[w] = value;
  }

  // --- bytes (little-endian, host-independent) ------------------------------------------------

  readBytes(pa: number | bigint, length: number): Uint8Array {
    const start = toPa(pa);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const a = start + i;
      const w = this.wordAt(a - (a & 3));
      out[i] = (this.store[w]! >>> (8 * (a & 3))) & 0xff;
    }
    return out;
  }

  writeBytes(pa: number | bigint, data: Uint8Array): void {
    const start = toPa(pa);
    for (let i = 0; i < data.length; i++) {
      const a = start + i;
      const w = this.materialize(Math.floor(a / FRAME_SIZE)) + ((a & 0xfff) >>> 2);
      const shift = 8 * (a & 3);
      this.store[w] = (this.store[w]! & ~(0xff << shift)) | (data[i]! << shift);
    }
  }

  /** Copies frame `pfn` as 4096 little-endian bytes into `out` at `offset`. */
  copyFrameOut(pfn: number, out: Uint8Array, offset: number): void {
    const o = this.offsetOf(pfn);
    if (HOST_LITTLE_ENDIAN) {
      out.set(new Uint8Array(this.store.buffer, o * 4, FRAME_SIZE), offset);
    } else {
      const dv = new DataView(out.buffer, out.byteOffset + offset, FRAME_SIZE);
      for (let w = 0; w < FRAME_WORDS; w++) dv.setUint32(w * 4, this.store[o + w]!, true);
    }
  }

  /** Loads 4096 little-endian bytes from `src` at `offset` into frame `pfn`. */
  copyFrameIn(pfn: number, src: Uint8Array, offset: number): void {
    const o = this.materialize(pfn);
    const dv = new DataView(src.buffer, src.byteOffset + offset, FRAME_SIZE);
    for (let w = 0; w < FRAME_WORDS; w++) this.store[o + w] = dv.getUint32(w * 4, true);
  }
}

/** Splits a physical address (number) into its 32-bit words. */
export function paLo(pa: number): number {
  return pa >>> 0;
}
export function paHi(pa: number): number {
  return Math.floor(pa / TWO32);
}
