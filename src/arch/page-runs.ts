/**
 * Splitting a mapping into runs of the largest pages that fit, for any architecture: the sizes
 * are an `Arch.pageSizes` (or a prefix of it), so x86's 4 KiB / 2 MiB / 1 GiB and RISC-V's up to
 * 256 TiB share one rule.
 */

/** A run of pages of one size. */
export interface SizedRun {
  readonly va: bigint;
  readonly pa: bigint;
  readonly bytes: bigint;
  readonly size: bigint;
}

/**
 * Splits `[va, va + bytes)` -> `pa` into runs of the largest of `sizes` (ascending, the first the
 * base page) that the alignment of both addresses allows: base pages up to the first boundary of
 * the next size, and so on up, the largest pages, then smaller ones at the tail. `va`, `pa` and
 * `bytes` must be multiples of the base page.
 */
export function largestPageRuns(
  va: bigint,
  pa: bigint,
  bytes: bigint,
  sizes: readonly bigint[],
): SizedRun[] {
  const out: SizedRun[] = [];
  const go = (v: bigint, p: bigint, n: bigint, index: number): void => {
    if (n <= 0n || index < 0) return;
    const s = sizes[index]!;
    if (index === 0) {
      out.push({ va: v, pa: p, bytes: n, size: s });
      return;
    }
    const first = ((v + s - 1n) / s) * s;
    const last = ((v + n) / s) * s;
    if ((v - p) % s !== 0n || first >= last) {
      go(v, p, n, index - 1);
      return;
    }
    go(v, p, first - v, index - 1);
    out.push({ va: first, pa: p + (first - v), bytes: last - first, size: s });
    go(last, p + (last - v), v + n - last, index - 1);
  };
  go(va, pa, bytes, sizes.length - 1);
  return out;
}
