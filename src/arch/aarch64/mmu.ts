/**
 * An emulated AArch64 MMU: stage 1 translation of the EL1&0 regime (Arm ARM DDI 0487, D8),
 * controlled by TCR_EL1, TTBR0_EL1/TTBR1_EL1, MAIR_EL1, SCTLR_EL1 (M, WXN) and PSTATE.PAN, with
 * a TLB (`tlb.ts`). Faults are reported as the architecture does: a kind, the lookup level and
 * the fault status code ESR_ELx.{I,D}FSC would hold.
 *
 * Not modelled: stage 2, EL2/EL3 regimes, FEAT_EPAN, FEAT_PAN3, the contiguous hint's TLB effect,
 * memory-type checks (alignment faults on Device memory), permission indirection (FEAT_S1PIE).
 */

import type { PhysicalMemory } from "../physical-memory.js";
import {
  type DescriptorFormat,
  type Granule,
  Hi,
  Lo,
  type OaLayout,
  blockPermitted,
  granuleShift,
  levelShift,
  outputAddress,
  rootEntries,
  startLevel,
  toU64,
  ttbrTableAddress,
} from "./entry.js";
import { Perm, Tlb, type TlbEntry } from "./tlb.js";

/** The system registers the EL1&0 stage 1 translation reads (64-bit values). */
export interface SystemRegisters {
  tcr: bigint;
  ttbr0: bigint;
  ttbr1: bigint;
  mair: bigint;
  sctlr: bigint;
}

/** TCR_EL1 fields (D17.2, "TCR_EL1, Translation Control Register (EL1)"). */
export const Tcr = {
  t0sz: (v: number) => BigInt(v & 0x3f),
  epd0: 1n << 7n,
  tg0: { 4: 0n << 14n, 64: 1n << 14n, 16: 2n << 14n } as Record<Granule, bigint>,
  t1sz: (v: number) => BigInt(v & 0x3f) << 16n,
  /** A1: the ASID is TTBR1_EL1's (else TTBR0_EL1's). */
  a1: 1n << 22n,
  epd1: 1n << 23n,
  tg1: { 16: 1n << 30n, 4: 2n << 30n, 64: 3n << 30n } as Record<Granule, bigint>,
  /** IPS, the intermediate physical address size: 32, 36, 40, 42, 44, 48, 52 bits. */
  ips: (bits: 32 | 36 | 40 | 42 | 44 | 48 | 52) => BigInt(IPS_BITS.indexOf(bits)) << 32n,
  /** AS: 16-bit ASIDs (else 8-bit). */
  as: 1n << 36n,
  tbi0: 1n << 37n,
  tbi1: 1n << 38n,
  ha: 1n << 39n,
  hd: 1n << 40n,
  hpd0: 1n << 41n,
  hpd1: 1n << 42n,
  ds: 1n << 59n,
  /**
   * IRGN0/ORGN0 = ORGN1/IRGN1 = 01 (write-back write-allocate walks), SH0 = SH1 = 11 (inner
   * shareable): Linux's TCR_CACHE_FLAGS | TCR_SHARED.
   */
  walkCacheable: (1n << 8n) | (1n << 10n) | (3n << 12n) | (1n << 24n) | (1n << 26n) | (3n << 28n),
} as const;

/** SCTLR_EL1 bits (D17.2): M enables stage 1, WXN makes writable memory execute-never. */
export const Sctlr = { m: 1n << 0n, wxn: 1n << 19n } as const;

const IPS_BITS = [32, 36, 40, 42, 44, 48, 52] as const;

/** The exception level of an access, and what it does. */
export interface Access {
  readonly el: 0 | 1;
  readonly kind: "read" | "write" | "fetch";
}

export type FaultKind = "translation" | "address size" | "access flag" | "permission";

export interface Fault {
  readonly ok: false;
  readonly kind: FaultKind;
  /** The lookup level the fault is reported at (-1 .. 3). */
  readonly level: number;
  /** ESR_ELx.DFSC/IFSC (D17.2, "ESR_EL1": the fault status codes). */
  readonly statusCode: number;
}

export interface Translation {
  readonly ok: true;
  readonly pa: bigint;
  /** Arm level of the block or page descriptor (3 for a page). */
  readonly level: number;
  /** Size of the page or block. */
  readonly size: bigint;
  /** `Perm` bits the access was checked against. */
  readonly perms: number;
  readonly global: boolean;
  /** MAIR_EL1's attribute byte that AttrIndx selects. */
  readonly memoryAttributes: number;
  /** The block or page descriptor (as the TLB holds it). */
  readonly descriptor: bigint;
  /** True if the TLB answered. */
  readonly cached: boolean;
}

export type TranslateResult = Translation | Fault;

/** The fault status code of a fault kind at a level (-1 only for translation and address size). */
export function faultStatusCode(kind: FaultKind, level: number): number {
  if (level === -1) return kind === "translation" ? 0b101011 : 0b101001;
  const base = {
    "address size": 0b000000,
    translation: 0b000100,
    "access flag": 0b001000,
    permission: 0b001100,
  }[kind];
  return base | level;
}

function fault(kind: FaultKind, level: number): Fault {
  return { ok: false, kind, level, statusCode: faultStatusCode(kind, level) };
}

/** What TCR_EL1 says about one half (D8.2). */
export interface TcrHalf {
  readonly upper: boolean;
  readonly granule: Granule;
  readonly vaBits: number;
  readonly tbi: boolean;
  /** EPDn: a walk of this half faults. */
  readonly disabled: boolean;
  /** Not HPDn: table attributes apply. */
  readonly hierarchical: boolean;
}

/** What TCR_EL1 and a TTBR say about one half. */
interface HalfConfig extends TcrHalf {
  readonly ttbr: bigint;
}

/** FEAT_LPA2 in use for `granule`: TCR_EL1.DS with a 4K or 16K granule and a 52-bit PA. */
function lpa2(tcr: bigint, granule: Granule, implementedPaBits: number): boolean {
  return granule !== 64 && (tcr & Tcr.ds) !== 0n && implementedPaBits === 52;
}

/**
 * The TTBR1 half (`upper`) or the TTBR0 half as TCR_EL1 configures it on a processor with an
 * `implementedPaBits` PA size: TGn, TnSZ, TBIn, EPDn, HPDn (D17.2).
 */
export function tcrHalf(tcr: bigint, upper: boolean, implementedPaBits = 52): TcrHalf {
  const field = (shift: bigint, width: bigint): number =>
    Number((tcr >> shift) & ((1n << width) - 1n));
  const tg = upper ? field(30n, 2n) : field(14n, 2n);
  // TG1: 01 16K, 10 4K, 11 64K; TG0: 00 4K, 01 64K, 10 16K. Reserved values act as 4K, as QEMU does.
  const granule: Granule = upper ? ([4, 16, 4, 64] as const)[tg]! : ([4, 64, 16, 4] as const)[tg]!;
  const txsz = upper ? field(16n, 6n) : field(0n, 6n);
  // TxSZ outside the supported range is CONSTRAINED UNPREDICTABLE (D8.2); clamp, as QEMU does.
  const minTxsz =
    lpa2(tcr, granule, implementedPaBits) || (granule === 64 && implementedPaBits === 52) ? 12 : 16;
  return {
    upper,
    granule,
    vaBits: 64 - Math.min(Math.max(txsz, minTxsz), 39),
    tbi: (tcr & (upper ? Tcr.tbi1 : Tcr.tbi0)) !== 0n,
    disabled: (tcr & (upper ? Tcr.epd1 : Tcr.epd0)) !== 0n,
    hierarchical: (tcr & (upper ? Tcr.hpd1 : Tcr.hpd0)) === 0n,
  };
}

export interface MmuOptions {
  /** The implemented PA size (ID_AA64MMFR0_EL1.PARange): 52 with FEAT_LPA, as QEMU's `-cpu max`. */
  readonly physAddrBits?: 48 | 52;
  readonly tlbCapacity?: number;
}

export class Mmu {
  readonly regs: SystemRegisters = { tcr: 0n, ttbr0: 0n, ttbr1: 0n, mair: 0n, sctlr: 0n };
  /** PSTATE.PAN: EL1 data accesses to memory EL0 can access fault. */
  pan = false;
  readonly tlb: Tlb;
  private readonly implementedPaBits: number;

  constructor(
    private readonly memory: PhysicalMemory,
    options: MmuOptions = {},
  ) {
    this.implementedPaBits = options.physAddrBits ?? 52;
    this.tlb = new Tlb(options.tlbCapacity);
  }

  /** The output address size: TCR_EL1.IPS capped at the implemented size (D8.2 "PA size"). */
  get physAddrBits(): number {
    const ips = Number((this.regs.tcr >> 32n) & 7n);
    return Math.min(IPS_BITS[ips] ?? 52, this.implementedPaBits);
  }

  /** The ASID in use: TTBR0's or TTBR1's bits 63:48 (TCR_EL1.A1), 8 bits unless TCR_EL1.AS. */
  get asid(): number {
    const ttbr = (this.regs.tcr & Tcr.a1) !== 0n ? this.regs.ttbr1 : this.regs.ttbr0;
    return Number((ttbr >> 48n) & ((this.regs.tcr & Tcr.as) !== 0n ? 0xffffn : 0xffn));
  }

  /** Translates `va` for `access`, through the TLB; a successful walk fills it. */
  translate(va: bigint, access: Access): TranslateResult {
    va = BigInt.asUintN(64, va);
    if ((this.regs.sctlr & Sctlr.m) === 0n) return this.untranslated(va);
    const half = this.half(va);
    const canonical = half === undefined ? undefined : this.canonical(va, half);
    if (half === undefined || canonical === undefined || half.disabled)
      return fault("translation", 0);
    const shifts = leafShifts(half.granule);
    const hit = this.tlb.lookup(canonical, this.asid, shifts);
    // A write to a clean DBM page walks again, so that the walk marks it dirty (D8.5.2).
    const clean =
      hit !== undefined &&
      access.kind === "write" &&
      (hit.perms & Perm.DIRTY_ON_WRITE) !== 0 &&
      (hit.perms & (access.el === 0 ? Perm.EL0_WRITE : Perm.EL1_WRITE)) === 0;
    if (hit !== undefined && !clean) {
      if (this.denied(hit.perms, access)) return fault("permission", hit.level);
      return this.translation(hit, canonical, true);
    }
    return this.walk(canonical, half, access);
  }

  /** SCTLR_EL1.M = 0: the PA is the VA, which must fit the PA size (D8.2, stage 1 disabled). */
  private untranslated(va: bigint): TranslateResult {
    if (va >> BigInt(this.physAddrBits) !== 0n) return fault("address size", 0);
    return {
      ok: true,
      pa: va,
      level: 3,
      size: 4096n,
      perms: 0x3f,
      global: true,
      memoryAttributes: 0,
      descriptor: 0n,
      cached: false,
    };
  }

  /**
   * The half `va` selects (D8.2): bit 55 chooses TTBR1 or TTBR0, so top-byte-ignore can leave
   * bits 63:56 free.
   */
  private half(va: bigint): HalfConfig | undefined {
    const upper = ((va >> 55n) & 1n) === 1n;
    return {
      ...tcrHalf(this.regs.tcr, upper, this.implementedPaBits),
      ttbr: upper ? this.regs.ttbr1 : this.regs.ttbr0,
    };
  }

  private lpa2(granule: Granule): boolean {
    return lpa2(this.regs.tcr, granule, this.implementedPaBits);
  }

  /**
   * `va` with its top byte made the half's (with top-byte-ignore), or undefined when bits
   * 63..vaBits (55..vaBits with TBI) are not all equal to bit 55: a level 0 translation fault.
   */
  private canonical(va: bigint, half: HalfConfig): bigint | undefined {
    const ones = half.upper ? -1n : 0n;
    const checked = half.tbi ? BigInt.asUintN(56, va) : va;
    const top = checked >> BigInt(half.vaBits);
    const want = half.tbi
      ? BigInt.asUintN(56 - half.vaBits, ones)
      : BigInt.asUintN(64 - half.vaBits, ones);
    if (top !== want) return undefined;
    return BigInt.asUintN(64, (ones << BigInt(half.vaBits)) | BigInt.asUintN(half.vaBits, va));
  }

  private format(granule: Granule): DescriptorFormat {
    const oa: OaLayout = this.lpa2(granule)
      ? "52-LPA2"
      : granule === 64 && this.physAddrBits > 48
        ? "52-64K"
        : "48";
    return { granule, oa };
  }

  /**
   * The table walk (D8.2 "Translation table walk"): from the TTBR's table at the start level,
   * one descriptor per level, table attributes accumulated unless TCR_EL1.HPDn (D8.4.2); then
   * the access flag (D8.5.1; set by hardware with TCR_EL1.HA) and permissions (D8.4); a write
   * to a DBM = 1 read-only page makes it writable with TCR_EL1.HD (D8.5.2).
   */
  private walk(va: bigint, half: HalfConfig, access: Access): TranslateResult {
    const format = this.format(half.granule);
    const paBits = this.physAddrBits;
    const paLimit = 2 ** paBits;
    const first = startLevel(half.granule, half.vaBits);
    const pageShift = granuleShift(half.granule);
    const rootBytes = rootEntries(half.granule, half.vaBits) * 8;
    let table = ttbrTableAddress(half.ttbr, format.oa, rootBytes);
    if (table >= paLimit) return fault("address size", first);
    let apTableRo = false;
    let apTableNoEl0 = false;
    let uxnTable = false;
    let pxnTable = false;
    // Every level 3 descriptor is a page or a fault: the loop ends there.
    for (let level = first; ; level++) {
      const shift = levelShift(half.granule, level);
      const entries = level === first ? rootBytes / 8 : 2 ** (pageShift - 3);
      const index = Number((va >> BigInt(shift)) & BigInt(entries - 1));
      const at = table + index * 8;
      const lo = this.memory.readLo(at);
      const hi = this.memory.readHi(at);
      if ((lo & Lo.VALID) === 0) return fault("translation", level);
      const isTable = (lo & Lo.TABLE) !== 0;
      if (isTable && level < 3) {
        table = outputAddress(format, lo, hi, pageShift);
        if (table >= paLimit) return fault("address size", level);
        if (half.hierarchical) {
          apTableRo ||= (hi & Hi.AP_TABLE_RO) !== 0;
          apTableNoEl0 ||= (hi & Hi.AP_TABLE_NO_EL0) !== 0;
          uxnTable ||= (hi & Hi.UXN_TABLE) !== 0;
          pxnTable ||= (hi & Hi.PXN_TABLE) !== 0;
        }
        continue;
      }
      if (!isTable && (level === 3 || !blockPermitted(format, level)))
        return fault("translation", level);
      const base = outputAddress(format, lo, hi, shift);
      if (base >= paLimit) return fault("address size", level);
      if ((lo & Lo.AF) === 0 && (this.regs.tcr & Tcr.ha) === 0n) return fault("access flag", level);
      const perms = this.permissions(lo, hi, { apTableRo, apTableNoEl0, uxnTable, pxnTable });
      if (this.denied(perms, access)) return fault("permission", level);
      // Hardware updates (D8.5): AF on any access with HA; AP[2] cleared by a write with DBM.
      let newLo = lo | Lo.AF;
      if (access.kind === "write" && (perms & Perm.DIRTY_ON_WRITE) !== 0) newLo &= ~Lo.AP_RO;
      if (newLo !== lo) this.memory.writeWords(at, newLo >>> 0, hi);
      const entry: TlbEntry = {
        va: (va >> BigInt(shift)) << BigInt(shift),
        shift,
        pa: BigInt(base),
        level,
        global: (lo & Lo.NG) === 0,
        asid: this.asid,
        perms:
          newLo === lo
            ? perms
            : this.permissions(newLo, hi, { apTableRo, apTableNoEl0, uxnTable, pxnTable }),
        descriptor: toU64(newLo, hi),
      };
      this.tlb.fill(entry);
      return this.translation(entry, va, false);
    }
  }

  /**
   * The permissions of a block or page (D8.4.1 "Stage 1 data access permissions", D8.4.1.2
   * execute-never): AP[2] read-only, AP[1] EL0 access, each narrowed by APTable above; EL0
   * executes unless UXN/UXNTable, EL1 unless PXN/PXNTable or the memory is writable at EL0;
   * with SCTLR_EL1.WXN, memory writable at an EL does not execute there.
   */
  private permissions(
    lo: number,
    hi: number,
    tables: { apTableRo: boolean; apTableNoEl0: boolean; uxnTable: boolean; pxnTable: boolean },
  ): number {
    const readOnly = (lo & Lo.AP_RO) !== 0 || tables.apTableRo;
    const el0 = (lo & Lo.AP_EL0) !== 0 && !tables.apTableNoEl0;
    const wxn = (this.regs.sctlr & Sctlr.wxn) !== 0n;
    const el0Write = el0 && !readOnly;
    const el1Write = !readOnly;
    const dirtyOnWrite =
      (lo & Lo.AP_RO) !== 0 &&
      !tables.apTableRo &&
      (hi & Hi.DBM) !== 0 &&
      (this.regs.tcr & Tcr.hd) !== 0n;
    const el0Exec = (hi & Hi.UXN) === 0 && !tables.uxnTable && !(wxn && el0Write);
    const el1Exec = (hi & Hi.PXN) === 0 && !tables.pxnTable && !el0Write && !(wxn && el1Write);
    return (
      (el0 ? Perm.EL0_READ : 0) |
      (el0Write ? Perm.EL0_WRITE : 0) |
      (el0Exec ? Perm.EL0_EXEC : 0) |
      Perm.EL1_READ |
      (el1Write ? Perm.EL1_WRITE : 0) |
      (el1Exec ? Perm.EL1_EXEC : 0) |
      (dirtyOnWrite ? Perm.DIRTY_ON_WRITE : 0)
    );
  }

  /** True if `perms` deny `access`; PAN denies EL1 data accesses to memory EL0 can read. */
  private denied(perms: number, access: Access): boolean {
    if (access.el === 0) {
      if (access.kind === "read") return (perms & Perm.EL0_READ) === 0;
      if (access.kind === "write") return (perms & (Perm.EL0_WRITE | dirtyEl0(perms))) === 0;
      return (perms & Perm.EL0_EXEC) === 0;
    }
    if (access.kind === "fetch") return (perms & Perm.EL1_EXEC) === 0;
    if (this.pan && (perms & Perm.EL0_READ) !== 0) return true;
    if (access.kind === "read") return false;
    return (perms & (Perm.EL1_WRITE | Perm.DIRTY_ON_WRITE)) === 0;
  }

  private translation(entry: TlbEntry, va: bigint, cached: boolean): Translation {
    const attrIndx = Number((entry.descriptor >> 2n) & 7n);
    return {
      ok: true,
      pa: entry.pa + BigInt.asUintN(entry.shift, va),
      level: entry.level,
      size: 1n << BigInt(entry.shift),
      perms: entry.perms,
      global: entry.global,
      memoryAttributes: Number((this.regs.mair >> BigInt(attrIndx * 8)) & 0xffn),
      descriptor: entry.descriptor,
      cached,
    };
  }
}

/** A DBM page EL0 can access becomes writable at EL0 too once dirty. */
function dirtyEl0(perms: number): number {
  return (perms & Perm.EL0_READ) !== 0 && (perms & Perm.DIRTY_ON_WRITE) !== 0
    ? Perm.DIRTY_ON_WRITE
    : 0;
}

/** The page and block sizes (log2) of a granule, smallest first: what a TLB lookup probes. */
function leafShifts(granule: Granule): readonly number[] {
  return [3, 2, 1, 0].map((level) => levelShift(granule, level));
}
