/**
 * The typed paging vocabulary: virtual addresses as a branded `bigint`, and address ranges.
 *
 * End conventions, one per kind of value:
 *  - an `AddrRange` is half-open, `[start, end)`: `end` may be 2^64 (the top of the address
 *    space), and `start === end` is empty. Every range the arch seam and the walker hand out is
 *    one.
 *  - the Layout's `Region` is inclusive, `start..end`, as the spec and the documents it is
 *    checked against write it; `lastByte` converts at that boundary.
 */

declare const virtual: unique symbol;

/** A 64-bit virtual (linear) address, `0 <= va < 2^64`. Canonical where the API says so. */
export type VirtAddr = bigint & { readonly [virtual]: true };

/** `va` modulo 2^64 (negative values count down from 2^64), as a `VirtAddr`. */
export function virtAddr(va: bigint): VirtAddr {
  return BigInt.asUintN(64, va) as VirtAddr;
}

/** A half-open address range `[start, end)`; `end` may be 2^64. */
export interface AddrRange {
  readonly start: bigint;
  readonly end: bigint;
}

/** The last byte of a non-empty range: the inclusive end a Layout region would give. */
export function lastByte(range: AddrRange): bigint {
  return range.end - 1n;
}
