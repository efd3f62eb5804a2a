/**
 * An emulated RISC-V RV64 MMU: `satp`, `sstatus.SUM` and `MXR`, the "Virtual Address Translation
 * Process" of the privileged specification (its Sv32 section, which Sv39, Sv48 and Sv57 follow
 * with LEVELS = 3, 4, 5), page faults by access type, A/D updated by hardware (Svadu) or
 * faulting, and a TLB with `sfence.vma` (`tlb.ts`).
 *
 * Three entry points translate a virtual address:
 *  - `probe`  : the translation process without A/D updates and without the TLB;
 *  - `walk`   : the translation process from memory, with A/D updates when Svadu is on;
 *  - `access` : what a hart does: the TLB first, a walk on a miss, a successful walk cached.
 *
 * Scope: the hart implements Sv39, Sv48 and Sv57 up to `maxMode` (a hart with Sv57 has Sv48 and
 * Sv39), Svpbmt, and not Svnapot (N is then a reserved bit); physical memory is `physAddrBits`
 * wide and a PTE read past it is an access fault (standing in for the PMA/PMP check of step 2).
 * No H extension, no MPRV.
 */

import { FRAME_SIZE, PhysicalMemory } from "../physical-memory.js";
import {
  Hi,
  Lo,
  MODE_LEVELS,
  MODE_VA_BITS,
  decodeSatp,
  entryPbmt,
  entryPpn,
  isCanonical,
} from "./entry.js";
import type { SvMode } from "../../model/layout.js";
import { SvTlb } from "./tlb.js";

/** Privilege of the access and its kind: exactly one of a load, a store or a fetch. */
export interface SvAccess {
  readonly kind: "load" | "store" | "fetch";
  /** U-mode (true) or S-mode (false). */
  readonly user: boolean;
}

export const Access = {
  load: { kind: "load", user: false },
  store: { kind: "store", user: false },
  fetch: { kind: "fetch", user: false },
  userLoad: { kind: "load", user: true },
  userStore: { kind: "store", user: true },
  userFetch: { kind: "fetch", user: true },
} as const satisfies Record<string, SvAccess>;

/** Exception codes (`scause`, the privileged spec's table of supervisor exception codes). */
export const Cause = {
  InstructionAccessFault: 1,
  LoadAccessFault: 5,
  StoreAccessFault: 7,
  InstructionPageFault: 12,
  LoadPageFault: 13,
  StorePageFault: 15,
} as const;

const PAGE_FAULT = { fetch: 12, load: 13, store: 15 } as const;
const ACCESS_FAULT = { fetch: 1, load: 5, store: 7 } as const;

export interface SvTranslation {
  readonly ok: true;
  readonly va: bigint;
  readonly pa: bigint;
  /** The level the leaf was found at: 1 (4 KiB) .. 5 (256 TiB); 0 with satp.MODE = Bare. */
  readonly level: number;
  /** The leaf PTE after this access (A and D as the access left them). */
  readonly pte: bigint;
  readonly fromTlb: boolean;
}

/** Why a translation failed, in the order the translation process checks. */
export type SvFaultReason =
  /** Bits 63..VA-1 do not all equal bit VA-1. */
  | "non-canonical"
  /** Step 2: the PTE lies past physical memory (an access fault). */
  | "pte-outside-memory"
  /** The access itself: the page lies past physical memory (an access fault). */
  | "page-outside-memory"
  /** Step 3: V = 0. */
  | "invalid"
  /** Step 3: W without R, or a reserved bit or encoding (60:54, N, PBMT 3; non-leaf D/A/U/PBMT). */
  | "reserved"
  /** Step 4: R = W = X = 0 in a last-level PTE. */
  | "pointer-at-last-level"
  /** Step 5: the leaf's R/W/X/U refuse the access under the privilege, SUM and MXR. */
  | "protection"
  /** Step 6: a superpage whose low PPN fields are not zero. */
  | "misaligned-superpage"
  /** Step 7 without Svadu: A = 0, or a store with D = 0. */
  | "accessed"
  | "dirty";

export interface SvFault {
  readonly ok: false;
  /** The `scause` exception code. */
  readonly cause: number;
  /** The faulting virtual address (what `stval` receives). */
  readonly va: bigint;
  /** The level of the PTE that failed (the root level for a non-canonical address). */
  readonly level: number;
  readonly reason: SvFaultReason;
  readonly fromTlb: boolean;
}

export type SvResult = SvTranslation | SvFault;

export interface SvMmuOptions {
  readonly memory?: PhysicalMemory;
  /** The widest mode the hart implements (default Sv57). */
  readonly maxMode?: SvMode;
  /** Initial satp (default 0: Bare). */
  readonly satp?: bigint;
  /** sstatus.SUM, default false. */
  readonly sum?: boolean;
  /** sstatus.MXR, default false. */
  readonly mxr?: boolean;
  /** Svadu: A and D set by the walk (default) rather than faulting. */
  readonly hardwareAD?: boolean;
  /** Physical-address width, up to 52 (what `PhysicalMemory` holds); default 52. */
  readonly physAddrBits?: number;
}

const { V, R, W, X, U, G, A, D } = Lo;
const RX = R | X;
const RW = R | W;
const NON_LEAF_RESERVED = D | A | U;
const HI_RESERVED = Hi.RESERVED | Hi.N;
const HI_PBMT = Hi.PBMT;
const TWO12 = 4096;
/** 4 KiB pages per entry at each level. */
const PAGES = [0, 1, 2 ** 9, 2 ** 18, 2 ** 27, 2 ** 36] as const;

/** Step 5: whether the leaf `lo` allows `access` (privileged spec, "Memory Privilege in sstatus"). */
export function leafAllows(lo: number, access: SvAccess, sum: boolean, mxr: boolean): boolean {
  if (access.user) {
    if ((lo & U) === 0) return false;
  } else if ((lo & U) !== 0) {
    // "Irrespective of SUM, the supervisor may not execute code on pages with U=1."
    if (access.kind === "fetch" || !sum) return false;
  }
  if (access.kind === "store") return (lo & W) !== 0;
  if (access.kind === "fetch") return (lo & X) !== 0;
  return (lo & R) !== 0 || (mxr && (lo & X) !== 0);
}

export class SvMmu {
  readonly memory: PhysicalMemory;
  readonly tlb = new SvTlb();
  readonly maxMode: SvMode;
  readonly physAddrBits: number;
  /** Svadu: hardware sets A and D. */
  hardwareAD: boolean;
  sum: boolean;
  mxr: boolean;
  private satpValue = 0n;
  private mode: SvMode | undefined;
  /** The mode's levels and virtual-address bits (0 when Bare), for the hot loop. */
  private levels = 0;
  private vaBits = 0;
  private asid = 0;
  private rootPa = 0;
  private readonly physLimit: number;
  // The last walk's leaf, or its fault (walkWords' results without an object per walk).
  private tLo = 0;
  private tHi = 0;
  private tLevel = 1;
  private fLevel = 1;
  private fReason: SvFaultReason = "invalid";

  constructor(options: SvMmuOptions = {}) {
    this.memory = options.memory ?? new PhysicalMemory();
    this.maxMode = options.maxMode ?? "sv57";
    this.physAddrBits = options.physAddrBits ?? 52;
    if (!Number.isInteger(this.physAddrBits) || this.physAddrBits < 32 || this.physAddrBits > 52) {
      throw new RangeError("physAddrBits must be an integer in 32..52");
    }
    this.physLimit = 2 ** this.physAddrBits;
    this.hardwareAD = options.hardwareAD ?? true;
    this.sum = options.sum ?? false;
    this.mxr = options.mxr ?? false;
    this.writeSatp(options.satp ?? 0n);
  }

  get satp(): bigint {
    return this.satpValue;
  }

  /** The mode satp selects, or undefined for Bare. */
  get currentMode(): SvMode | undefined {
    return this.mode;
  }

  /**
   * `csrw satp`: "If satp is written with an unsupported MODE, the entire write has no effect".
   * Returns whether the write took. The TLB is not flushed (use `sfenceVma`).
   */
  writeSatp(value: bigint): boolean {
    const { mode, asid, ppn } = decodeSatp(value);
    if (mode === undefined) return false;
    if (mode !== "bare" && MODE_LEVELS[mode] > MODE_LEVELS[this.maxMode]) return false;
    this.satpValue = BigInt.asUintN(64, value);
    this.mode = mode === "bare" ? undefined : mode;
    this.levels = mode === "bare" ? 0 : MODE_LEVELS[mode];
    this.vaBits = mode === "bare" ? 0 : MODE_VA_BITS[mode];
    this.asid = asid;
    this.rootPa = ppn * TWO12;
    return true;
  }

  /** `sfence.vma`: every page or the one holding `va`, of every ASID or of `asid` only. */
  sfenceVma(va?: bigint, asid?: number): void {
    const vpn = va === undefined ? undefined : this.pageNumber(va);
    this.tlb.fence(vpn, asid);
  }

  probe(va: bigint, access: SvAccess): SvResult {
    return this.translate(va, access, false);
  }

  walk(va: bigint, access: SvAccess): SvResult {
    return this.translate(va, access, true);
  }

  access(va: bigint, access: SvAccess): SvResult {
    const mode = this.mode;
    if (mode === undefined || !isCanonical(va, mode)) return this.translate(va, access, true);
    const vpn = this.pageNumber(va);
    const hit = this.tlb.lookup(vpn, this.asid, MODE_LEVELS[mode]);
    if (hit === undefined) {
      const result = this.translate(va, access, true);
      if (result.ok) {
        const lo = Number(result.pte & 0xffff_ffffn) | 0;
        const hi = Number(result.pte >> 32n) | 0;
        this.tlb.fill(vpn, this.asid, result.level, lo, hi, (lo & G) !== 0);
      }
      return result;
    }
    if (!leafAllows(hit.lo, access, this.sum, this.mxr)) {
      return this.fault(va, access, hit.level, "protection", true);
    }
    if (access.kind === "store" && (hit.lo & D) === 0) {
      // A store through a clean cached entry: Svadu walks again to set D, else it faults.
      if (!this.hardwareAD) return this.fault(va, access, hit.level, "dirty", true);
      this.sfenceVma(va, (hit.lo & G) !== 0 ? undefined : this.asid);
      return this.access(va, access);
    }
    return this.translation(va, hit.lo, hit.hi, hit.level, true);
  }

  /** Page number of the canonical `va` within the translated bits (below 2^45). */
  private pageNumber(va: bigint): number {
    const vaBits = MODE_VA_BITS[this.mode ?? this.maxMode];
    return Number(BigInt.asUintN(vaBits, va) >> 12n);
  }

  /** The translation process (bigint interface over `walkWords`). */
  private translate(va: bigint, access: SvAccess, update: boolean): SvResult {
    if (this.mode === undefined) {
      return { ok: true, va, pa: BigInt.asUintN(64, va), level: 0, pte: 0n, fromTlb: false };
    }
    const u = BigInt.asUintN(64, va);
    const pa = this.walkWords(Number(u >> 32n) | 0, Number(u & 0xffff_ffffn) | 0, access, update);
    if (pa < 0) return this.fault(va, access, this.fLevel, this.fReason, false);
    const pte = (BigInt(this.tHi >>> 0) << 32n) | BigInt(this.tLo >>> 0);
    return { ok: true, va, pa: BigInt(pa), level: this.tLevel, pte, fromTlb: false };
  }

  /**
   * A walk without A/D updates or the TLB on the words of the address (`vaHi` = bits 63:32,
   * `vaLo` = bits 31:0): the physical address, or -1 for a fault. No bigint, no allocation.
   */
  probeWords(vaHi: number, vaLo: number, access: SvAccess): number {
    if (this.mode === undefined) return -1;
    return this.walkWords(vaHi, vaLo, access, false);
  }

  /**
   * The translation process, steps 1 to 8, in a translation mode; `update` performs step 7's
   * A/D update. Returns the physical address (the leaf in `tLo`, `tHi`, `tLevel`) or -1 (the
   * fault in `fLevel`, `fReason`).
   */
  private walkWords(vaHi: number, vaLo: number, access: SvAccess, update: boolean): number {
    const { levels, vaBits } = this;
    // Bits 63..VA-1 must all equal bit VA-1: in the high word, bits 31..VA-33.
    const sign = vaHi >> (vaBits - 33);
    if (sign !== 0 && sign !== -1) return this.failWith(levels, "non-canonical");
    const vpn = (vaHi & ((1 << (vaBits - 32)) - 1)) * 1048576 + (vaLo >>> 12);
    const memory = this.memory;
    let table = this.rootPa;
    for (let level: number = levels; level >= 1; level--) {
      // Step 2: pte = a + va.vpn[i] * PTESIZE.
      const ptePa = table + (Math.floor(vpn / PAGES[level]!) % 512) * 8;
      if (ptePa >= this.physLimit) return this.failWith(level, "pte-outside-memory");
      // One frame lookup for both words (`offsetOf` may read a frame in and grow `words`).
      const at = memory.offsetOf(Math.floor(ptePa / TWO12)) + ((ptePa & 0xfff) >>> 2);
      const words = memory.words;
      let lo = words[at]!;
      const hi = words[at + 1]!;
      // Step 3.
      if ((lo & V) === 0) return this.failWith(level, "invalid");
      if ((lo & RW) === W || (hi & HI_RESERVED) !== 0 || entryPbmt(hi) === 3) {
        return this.failWith(level, "reserved");
      }
      if ((lo & RX) === 0) {
        // Step 4: a pointer to the next level.
        if ((lo & NON_LEAF_RESERVED) !== 0 || (hi & HI_PBMT) !== 0) {
          return this.failWith(level, "reserved");
        }
        if (level === 1) return this.failWith(level, "pointer-at-last-level");
        table = entryPpn(lo, hi) * TWO12;
        continue;
      }
      // Step 5.
      if (!leafAllows(lo, access, this.sum, this.mxr)) return this.failWith(level, "protection");
      // Step 6.
      const ppn = entryPpn(lo, hi);
      if (ppn % PAGES[level]! !== 0) return this.failWith(level, "misaligned-superpage");
      // Step 7.
      const needed = access.kind === "store" ? A | D : A;
      if ((lo & needed) !== needed) {
        if (!this.hardwareAD) return this.failWith(level, (lo & A) === 0 ? "accessed" : "dirty");
        if (update) {
          lo |= needed;
          memory.writeWords(ptePa, lo, hi);
        }
      }
      // The access itself: memory past the physical-address width is an access fault.
      const pa = (ppn + (vpn % PAGES[level]!)) * TWO12 + (vaLo & 0xfff);
      if (pa >= this.physLimit) return this.failWith(level, "page-outside-memory");
      this.tLo = lo;
      this.tHi = hi;
      this.tLevel = level;
      return pa;
    }
    return this.failWith(1, "pointer-at-last-level"); // not reached: level 1 returns above
  }

  private failWith(level: number, reason: SvFaultReason): -1 {
    this.fLevel = level;
    this.fReason = reason;
    return -1;
  }

  private translation(
    va: bigint,
    lo: number,
    hi: number,
    level: number,
    fromTlb: boolean,
  ): SvTranslation {
    const offsetMask = (1n << BigInt(12 + 9 * (level - 1))) - 1n;
    const pa =
      BigInt(entryPpn(lo, hi)) * BigInt(FRAME_SIZE) + (BigInt.asUintN(64, va) & offsetMask);
    const pte = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return { ok: true, va, pa, level, pte, fromTlb };
  }

  private fault(
    va: bigint,
    access: SvAccess,
    level: number,
    reason: SvFaultReason,
    fromTlb: boolean,
  ): SvFault {
    const outside = reason === "pte-outside-memory" || reason === "page-outside-memory";
    const cause = (outside ? ACCESS_FAULT : PAGE_FAULT)[access.kind];
    return { ok: false, cause, va, level, reason, fromTlb };
  }
}
