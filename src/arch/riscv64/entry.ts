/**
 * Page-table entries and `satp` of RISC-V Sv39, Sv48 and Sv57 (RISC-V privileged specification,
 * "Supervisor-Level ISA": sections "Supervisor Address Translation and Protection (satp)
 * Register", "Sv32: Page-Based 32-bit Virtual-Memory Systems" (the PTE format and the "Virtual
 * Address Translation Process" the 64-bit modes share), "Sv39: Page-Based 39-bit Virtual-Memory
 * System", "Sv48: ..." and "Sv57: ..."; the Svpbmt and Svnapot chapters for bits 63..61).
 *
 * A PTE is 64 bits:
 *   bit 0 V, 1 R, 2 W, 3 X, 4 U, 5 G, 6 A, 7 D, 9:8 RSW (software), 53:10 PPN,
 *   60:54 reserved (must be zero), 62:61 PBMT (Svpbmt), 63 N (Svnapot).
 * The PPN is 44 bits in all three modes; only the split into PPN[i] fields (9 bits each, the top
 * one wider) differs, and it matters only for the superpage alignment rule.
 *
 * As for x86 (`x86_64/entry.ts`), hot loops read an entry as two 32-bit words: `lo` = bits 31:0,
 * `hi` = bits 63:32.
 */

import { type VirtAddr } from "../../model/address.js";
import type { SvMode } from "../../model/layout.js";
import { isSignExtended, signExtend } from "../arch.js";

/** Flags of the low word (bits 31:0). */
export const Lo = {
  V: 1 << 0,
  R: 1 << 1,
  W: 1 << 2,
  X: 1 << 3,
  U: 1 << 4,
  G: 1 << 5,
  A: 1 << 6,
  D: 1 << 7,
  /** Bits 9:8, reserved for supervisor software. */
  RSW: 0x300,
  /** PPN bits 21:0 (PTE bits 31:10). */
  PPN_SHIFT: 10,
} as const;

/** Fields of the high word (bits 63:32). */
export const Hi = {
  /** PPN bits 43:22 (PTE bits 53:32). */
  PPN: 0x003f_ffff,
  /** Bits 60:54: reserved for future standard use; a PTE with one set faults. */
  RESERVED: 0x1fc0_0000,
  /** Bits 62:61: Svpbmt's page-based memory type. */
  PBMT: 0x6000_0000,
  PBMT_SHIFT: 29,
  /** Bit 63: Svnapot's naturally aligned power-of-two range. */
  N: 0x8000_0000 | 0,
} as const;

/** Svpbmt memory types (bits 62:61); 3 is reserved. */
export const Pbmt = { PMA: 0, NC: 1, IO: 2 } as const;

const TWO22 = 4194304;

/** The 44-bit PPN of an entry, exact as a number. */
export function entryPpn(lo: number, hi: number): number {
  return (hi & Hi.PPN) * TWO22 + (lo >>> Lo.PPN_SHIFT);
}

/** Svpbmt field of an entry: 0 (PMA), 1 (NC), 2 (IO) or 3 (reserved). */
export function entryPbmt(hi: number): number {
  return (hi & Hi.PBMT) >>> Hi.PBMT_SHIFT;
}

/** True if the entry maps (R or X set): a leaf. R = W = X = 0 points at the next table. */
export function isLeafEntry(lo: number): boolean {
  return (lo & (Lo.R | Lo.X)) !== 0;
}

/** The low word of an entry with PPN `ppn` and low flag bits (V R W X U G A D RSW) `flags`. */
export function entryLo(ppn: number, flags: number): number {
  return ((ppn % TWO22) * 1024) | (flags & 0x3ff);
}

/** The high word of an entry with PPN `ppn` and Svpbmt memory type `pbmt`. */
export function entryHi(ppn: number, pbmt = 0): number {
  return (Math.floor(ppn / TWO22) & Hi.PPN) | (pbmt << Hi.PBMT_SHIFT);
}

/** Translation levels and virtual-address width of a mode. */
export const MODE_LEVELS = { sv39: 3, sv48: 4, sv57: 5 } as const;
export const MODE_VA_BITS = { sv39: 39, sv48: 48, sv57: 57 } as const;

/** `satp.MODE` values of RV64 (the satp section, "encoding of satp MODE field"): 0 is Bare. */
export const SATP_MODE = { bare: 0, sv39: 8, sv48: 9, sv57: 10 } as const;

/** RV64 `satp`: MODE in bits 63:60, ASID in 59:44, PPN of the root table in 43:0. */
export interface Satp {
  readonly mode: SvMode | "bare" | undefined;
  readonly asid: number;
  readonly ppn: number;
}

const PPN_MASK = (1n << 44n) - 1n;

export function decodeSatp(satp: bigint): Satp {
  const value = BigInt.asUintN(64, satp);
  const modeField = Number(value >> 60n);
  const mode = (Object.keys(SATP_MODE) as (keyof typeof SATP_MODE)[]).find(
    (m) => SATP_MODE[m] === modeField,
  );
  return { mode, asid: Number((value >> 44n) & 0xffffn), ppn: Number(value & PPN_MASK) };
}

export function encodeSatp(mode: SvMode | "bare", asid: number, ppn: number): bigint {
  return (
    (BigInt(SATP_MODE[mode]) << 60n) | (BigInt(asid & 0xffff) << 44n) | (BigInt(ppn) & PPN_MASK)
  );
}

/** Virtual-address bits below the VPN field that indexes a table at `level` (1 = last). */
export function levelShift(level: number): number {
  return 12 + 9 * (level - 1);
}

/** Bits 63..vaBits-1 all equal bit vaBits-1 (Sv39: "bits 63-39 must all equal bit 38"). */
export function isCanonical(va: bigint, mode: SvMode): boolean {
  return isSignExtended(va, MODE_VA_BITS[mode]);
}

export function canonicalize(va: bigint, mode: SvMode): VirtAddr {
  return signExtend(va, MODE_VA_BITS[mode]);
}

/**
 * Linux's name of the table a PTE at `level` lies in, as `arch/riscv/mm/ptdump.c` prints it:
 * the folded levels take the name of the level above (Sv39's root is `PGD`, not `PUD`).
 */
export function linuxLevelName(level: number, levels: number): string {
  if (level === 1) return "PTE";
  if (level === 2) return "PMD";
  if (level === levels) return "PGD";
  return level === 3 ? "PUD" : "P4D";
}
