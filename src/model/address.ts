/**
 * The typed paging vocabulary: virtual and physical addresses as branded `bigint`s, and address
 * ranges.
 *
 * End conventions, one per kind of value:
 *  - an `AddrRange` is half-open, `[start, end)`: `end` may be 2^64 (the top of the address
 *    space), and `start === end` is empty. Every range the arch seam and the walker hand out is
 *    one.
 *  - the Layout's `Region` is inclusive, `start..end`, as the spec and the documents it is
 *    checked against write it; `fromInclusive` and `lastByte` convert at that boundary, and
 *    nowhere else.
 */

declare const virtual: unique symbol;
declare const physical: unique symbol;

/** A 64-bit virtual (linear) address, `0 <= va < 2^64`. Canonical where the API says so. */
export type VirtAddr = bigint & { readonly [virtual]: true };
/** A physical address, `0 <= pa < 2^52` (the widest any supported architecture has). */
export type PhysAddr = bigint & { readonly [physical]: true };

/** `va` modulo 2^64 (negative values count down from 2^64), as a `VirtAddr`. */
export function virtAddr(va: bigint): VirtAddr {
  return BigInt.asUintN(64, va) as VirtAddr;
}

/** `pa` as a `PhysAddr`; throws a RangeError (an internal error) outside `[0, 2^52)`. */
export function physAddr(pa: bigint | number): PhysAddr {
  const p = BigInt(pa);
  if (p < 0n || p >= 1n << 52n) throw new RangeError(`physical address ${p} outside [0, 2^52)`);
  return p as PhysAddr;
}

/** A half-open address range `[start, end)`; `end` may be 2^64. */
export interface AddrRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** The half-open range of the inclusive `first..last` (a Layout region's extent). */
export function fromInclusive(first: bigint, last: bigint): AddrRange {
  return { start: first, end: last + 1n };
}

/** The last byte of a non-empty range: the inclusive end a Layout region would give. */
export function lastByte(range: AddrRange): bigint {
  return range.end - 1n;
}
