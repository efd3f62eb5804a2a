/**
 * The page a region without `max_page` is mapped with: the smallest the paging mode has (4 KiB,
 * or AArch64's 16 KiB and 64 KiB granules), and how messages name it.
 */
import type { Paging } from "../model/layout.js";
import { archOf } from "../arch/registry.js";
import { size } from "../model/format.js";

export interface Page {
  readonly bytes: bigint;
  /** `the 4 KiB page size`; `the 64 KiB page size (AArch64 64K granule)`. */
  readonly text: string;
}

const FOUR_KIB = 4096n;

export function smallestPage(paging: Paging): Page {
  const arch = archOf(paging);
  const bytes = arch.pageSizes[0]!;
  const granule = bytes === FOUR_KIB ? "" : ` (${arch.title[0]})`;
  return { bytes, text: `the ${size(bytes)} page size${granule}` };
}
