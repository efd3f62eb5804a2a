/**
 * The control registers that turn x86-64 paging on, as a machine outside the emulator (QEMU's
 * gdbstub, a kernel's register dump) is driven and read: bits of CR0, CR4 and IA32_EFER (SDM
 * vol. 3A 2.5 and 2.2.1) and the order of 10.8.5 (initializing IA-32e mode).
 */

import type { PagingLevels } from "./entry.js";

export const Cr0 = {
  /** Protection enable. */
  PE: 1n << 0n,
  /** Extension type: reads as 1 on every processor since the i486. */
  ET: 1n << 4n,
  /** Write protect: supervisor writes honour R/W (SDM 4.6.1). */
  WP: 1n << 16n,
  /** Paging. */
  PG: 1n << 31n,
} as const;

export const Cr4 = {
  /** Physical-address extension: required by 4-level and 5-level paging. */
  PAE: 1n << 5n,
  /** 57-bit linear addresses: 5-level paging. */
  LA57: 1n << 12n,
} as const;

export const Efer = {
  /** IA-32e mode enable. */
  LME: 1n << 8n,
  /** IA-32e mode active: set by the processor when CR0.PG is set with LME. */
  LMA: 1n << 10n,
  /** Execute-disable enable: XD is a rights bit, not a reserved one. */
  NXE: 1n << 11n,
} as const;

export type ControlRegister = "cr0" | "cr3" | "cr4" | "efer";

/**
 * The writes that enter IA-32e paging with `levels` on `cr3`, in order: protection on, CR4.PAE
 * (and LA57), EFER.LME|NXE, CR3, then CR0.PG with WP (10.8.5).
 */
export function enterPaging(
  levels: PagingLevels,
  cr3: bigint,
): readonly (readonly [ControlRegister, bigint])[] {
  return [
    ["cr0", Cr0.PE | Cr0.ET],
    ["cr4", Cr4.PAE | (levels === 5 ? Cr4.LA57 : 0n)],
    ["efer", Efer.LME | Efer.NXE],
    ["cr3", cr3],
    ["cr0", Cr0.PE | Cr0.ET | Cr0.WP | Cr0.PG],
  ];
}

/** True if registers read back show the paging `enterPaging(levels, cr3)` asked for. */
export function pagingTaken(
  levels: PagingLevels,
  cr3: bigint,
  read: Readonly<Record<ControlRegister, bigint>>,
): boolean {
  return (
    (read.cr0 & Cr0.PG) !== 0n &&
    (read.cr4 & Cr4.PAE) !== 0n &&
    ((read.cr4 & Cr4.LA57) !== 0n) === (levels === 5) &&
    (read.efer & (Efer.LMA | Efer.NXE)) === (Efer.LMA | Efer.NXE) &&
    (read.cr3 & 0xffff_ffffn) === (cr3 & 0xffff_ffffn)
  );
}
