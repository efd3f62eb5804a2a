/**
 * An emulated x86-64 MMU: control state plus the linear-address translation of 4-level and 5-level
 * paging (Intel SDM vol. 3A, 4.5), access rights (4.6), page-fault error codes (4.7), accessed and
 * dirty flags (4.8) and a TLB (4.10).
 *
 * Three entry points translate a linear address:
 *  - `probe`  : a pure page walk; no accessed/dirty update, no TLB.
 *  - `walk`   : a real page walk from memory with accessed/dirty updates, bypassing the TLB.
 *  - `access` : what a processor does for an access: TLB first, on a miss a real walk whose
 *               successful result is cached; faults invalidate the page's TLB entries.
 *
 * Scope: IA-32e paging only (CR0.PG = 1, CR4.PAE = 1, IA32_EFER.LME = 1), CR4.PCIDE = 0, no
 * protection keys (CR4.PKE = PKS = 0), no CET shadow stacks, no HLAT, no linear-address masking.
 * See docs/runtime.md for every choice made where the SDM leaves freedom.
 */

import {
  DEFAULT_MAXPHYADDR,
  Hi,
  Lo,
  type LeafLevel,
  type Level,
  type PageSize,
  type PagingLevels,
  addressMask,
  checkMaxPhyAddr,
  entryName,
  hiReservedMask,
  isCanonical,
  linearAddressBits,
  pageSizeOfLevel,
  patIndex,
  toU64,
} from "./entry.js";
import { hex } from "../../model/format.js";

/** Bits 63:(width-1) of a linear address are bits 31:(width-33) of its high word. */
const HI_SIGN_SHIFT_4 = linearAddressBits(4) - 33;
const HI_SIGN_SHIFT_5 = linearAddressBits(5) - 33;
import { FRAME_SIZE, PhysicalMemory } from "../physical-memory.js";
import { Tlb, TlbBit, tlbLevel } from "./tlb.js";

/**
 * The kind of an access (SDM 4.6). `user` is CPL = 3. `implicitSupervisor` marks an implicit
 * supervisor-mode access (to the GDT, IDT, LDT, TSS ... at any CPL): it is a supervisor-mode access
 * even at CPL 3, and SMAP ignores EFLAGS.AC for it. Exactly one of data read (neither `write` nor
 * `fetch`), data write and instruction fetch.
 */
export interface AccessType {
  readonly write: boolean;
  readonly user: boolean;
  readonly fetch: boolean;
  readonly implicitSupervisor?: boolean;
}

/** The common access types. */
export const Access = {
  read: { write: false, user: false, fetch: false },
  write: { write: true, user: false, fetch: false },
  fetch: { write: false, user: false, fetch: true },
  userRead: { write: false, user: true, fetch: false },
  userWrite: { write: true, user: true, fetch: false },
  userFetch: { write: false, user: true, fetch: true },
  implicitRead: { write: false, user: false, fetch: false, implicitSupervisor: true },
  implicitWrite: { write: true, user: false, fetch: false, implicitSupervisor: true },
} as const satisfies Record<string, AccessType>;

/** Page-fault error code bits (SDM 4.7, Figure 4-12 "Page-Fault Error Code"). */
export const PfError = {
  /** 0: no translation because some P flag was 0; 1: protection or reserved-bit violation. */
  P: 1 << 0,
  /** The access was a write. */
  WR: 1 << 1,
  /** The access was a user-mode access (CPL 3, not an implicit supervisor-mode access). */
  US: 1 << 2,
  /** A reserved bit was set in some paging-structure entry. */
  RSVD: 1 << 3,
  /** The access was an instruction fetch, and CR4.SMEP = 1 or (CR4.PAE = 1 and EFER.NXE = 1). */
  ID: 1 << 4,
} as const;

/** The effective attributes of a successful translation. */
export interface EffectiveFlags {
  /** AND of R/W over all levels (SDM 4.6.1). */
  readonly writable: boolean;
  /** AND of U/S over all levels: a user-mode address (SDM 4.6.1). */
  readonly user: boolean;
  /** OR of XD over all levels (only possible with EFER.NXE = 1). */
  readonly noExecute: boolean;
  /** G of the leaf entry (meaningful with CR4.PGE = 1). */
  readonly global: boolean;
  readonly pwt: boolean;
  readonly pcd: boolean;
  readonly pat: boolean;
  /** PAT * 4 + PCD * 2 + PWT: the IA32_PAT entry selecting the memory type (SDM 4.9.2). */
  readonly patIndex: number;
  /** The leaf's accessed flag after this access. */
  readonly accessed: boolean;
  /** The leaf's dirty flag after this access (for TLB hits, as cached). */
  readonly dirty: boolean;
}

export interface Translation {
  readonly ok: true;
  readonly va: bigint;
  readonly pa: bigint;
  readonly pageSize: PageSize;
  /** Level of the entry that maps the page: 1 (PTE), 2 (PDE, 2 MiB), 3 (PDPTE, 1 GiB). */
  readonly level: LeafLevel;
  readonly flags: EffectiveFlags;
  /** True if `access` answered from the TLB. */
  readonly fromTlb: boolean;
}

/** Why an entry has a reserved bit set (SDM 4.5.4 and the entry-format tables). */
export type ReservedBit =
  /** Bits 51:MAXPHYADDR of the entry are not all 0. */
  | "address-above-maxphyaddr"
  /** XD = 1 while IA32_EFER.NXE = 0. */
  | "xd-without-nxe"
  /** PS = 1 in a PML5E (Table 4-14). */
  | "ps-in-pml5e"
  /** PS = 1 in a PML4E (Table 4-15). */
  | "ps-in-pml4e"
  /** PS = 1 in a PDPTE on a processor without 1-GByte pages (CPUID.80000001H:EDX[26] = 0). */
  | "ps-1g-unsupported"
  /** A large page with bits 29:13 (1 GiB, Table 4-16) or 20:13 (2 MiB, Table 4-18) set. */
  | "large-page-low-bits";

/** Which access-rights rule of SDM 4.6.1 refused the access. */
export type Violation =
  "user-access-to-supervisor-page" | "write-to-read-only" | "execute-disable" | "smep" | "smap";

export interface PageFault {
  readonly ok: false;
  readonly fault: "#PF";
  readonly vector: 14;
  /** The faulting linear address (what CR2 receives). */
  readonly va: bigint;
  /** Error code (PfError bits). */
  readonly errorCode: number;
  /**
   * The level of the entry that caused the fault: where P = 0 or a reserved bit was found, or for
   * a protection fault the level of the entry that maps the page.
   */
  readonly level: Level;
  readonly reason: "not-present" | "reserved-bit" | "protection";
  readonly reservedBit?: ReservedBit;
  readonly violation?: Violation;
  readonly fromTlb: boolean;
}

export interface GeneralProtectionFault {
  readonly ok: false;
  readonly fault: "#GP";
  readonly vector: 13;
  readonly va: bigint;
  readonly errorCode: 0;
  readonly reason: "non-canonical";
}

export type Fault = PageFault | GeneralProtectionFault;
export type WalkResult = Translation | Fault;

export interface MmuOptions {
  /** Physical memory to translate into (default: a new, empty one). */
  readonly memory?: PhysicalMemory;
  /** CPUID.80000008H:EAX[7:0]; 36..52, default 46 (see entry.ts DEFAULT_MAXPHYADDR). */
  readonly maxPhyAddr?: number;
  /** 4 (CR4.LA57 = 0, default) or 5 (CR4.LA57 = 1). */
  readonly levels?: PagingLevels;
  /** Initial CR3 (default 0). */
  readonly cr3?: bigint | number;
  /** CR0.WP, default true. */
  readonly wp?: boolean;
  /** IA32_EFER.NXE, default true. */
  readonly nxe?: boolean;
  /** CR4.SMEP, default false. */
  readonly smep?: boolean;
  /** CR4.SMAP, default false. */
  readonly smap?: boolean;
  /** CR4.PGE, default true. */
  readonly pge?: boolean;
  /** Whether 1-GByte pages exist (CPUID.80000001H:EDX[26]); default true. */
  readonly page1G?: boolean;
}

/** Control-register state relevant to paging. */
export interface ControlState {
  readonly cr3: bigint;
  /** CR0.WP */
  readonly wp: boolean;
  /** CR4.PAE */
  readonly pae: boolean;
  /** CR4.LA57 */
  readonly la57: boolean;
  /** CR4.SMEP */
  readonly smep: boolean;
  /** CR4.SMAP */
  readonly smap: boolean;
  /** CR4.PGE */
  readonly pge: boolean;
  /** IA32_EFER.NXE */
  readonly nxe: boolean;
  /** IA32_EFER.LME */
  readonly lme: boolean;
}

const TWO32 = 4294967296;

export class Mmu {
  readonly memory: PhysicalMemory;
  readonly tlb = new Tlb();
  readonly maxPhyAddr: number;
  readonly page1G: boolean;

  private cr3Value = 0n;
  private rootPfn = 0;
  private cWp: boolean;
  private cPae = true;
  private cLa57: boolean;
  private cSmep: boolean;
  private cSmap: boolean;
  private cPge: boolean;
  private cNxe: boolean;
  private cLme = true;

  /** Reserved bits 51:MAXPHYADDR in the high word. */
  private readonly hiRsvd: number;
  /** Reserved bits of the high word of any entry: `hiRsvd`, and XD (bit 63) while NXE = 0. */
  private rsvdHi: number;
  private readonly cr3Mask: bigint;

  /** Word offsets of the entries the last walk read, by level (no allocation per walk). */
  private readonly path = new Int32Array(6);

  // Outcome of the last `walkWords` / `accessWords` (scratch fields: no allocation per walk).
  /** Leaf entry (after A/D updates) and combined rights of a successful walk. */
  private tLevel: LeafLevel = 1;
  /** The leaf entry (after the A/D updates). */
  private tLo = 0;
  private tHi = 0;
  /** AND of the low words of the entries used (R/W, U/S) and OR of their XD flags. */
  private tRwus = -1;
  private tXd = false;
  /** The TLB entry that answered a TLB_HIT. */
  private tHit = -1;
  /** Details of a page fault. */
  private fErrorCode = 0;
  private fLevel: Level = 1;
  private fReason: PageFault["reason"] = "not-present";
  private fReserved: ReservedBit | undefined = undefined;
  private fViolation: Violation | undefined = undefined;

  constructor(options: MmuOptions = {}) {
    this.memory = options.memory ?? new PhysicalMemory();
    this.maxPhyAddr = options.maxPhyAddr ?? DEFAULT_MAXPHYADDR;
    checkMaxPhyAddr(this.maxPhyAddr);
    this.page1G = options.page1G ?? true;
    this.hiRsvd = hiReservedMask(this.maxPhyAddr);
    this.cr3Mask = addressMask(this.maxPhyAddr);
    this.cWp = options.wp ?? true;
    this.cLa57 = (options.levels ?? 4) === 5;
    this.cSmep = options.smep ?? false;
    this.cSmap = options.smap ?? false;
    this.cPge = options.pge ?? true;
    this.cNxe = options.nxe ?? true;
    this.rsvdHi = this.cNxe ? this.hiRsvd : this.hiRsvd | E.XD;
    this.loadCr3(options.cr3 ?? 0n);
  }

  // --- control state ----------------------------------------------------------------------------

  get cr3(): bigint {
    return this.cr3Value;
  }
  get wp(): boolean {
    return this.cWp;
  }
  get pae(): boolean {
    return this.cPae;
  }
  get la57(): boolean {
    return this.cLa57;
  }
  get smep(): boolean {
    return this.cSmep;
  }
  get smap(): boolean {
    return this.cSmap;
  }
  get pge(): boolean {
    return this.cPge;
  }
  get nxe(): boolean {
    return this.cNxe;
  }
  get lme(): boolean {
    return this.cLme;
  }
  /** Paging levels in use: 5 if CR4.LA57 = 1, else 4. */
  get levels(): PagingLevels {
    return this.cLa57 ? 5 : 4;
  }

  control(): ControlState {
    return {
      cr3: this.cr3Value,
      wp: this.cWp,
      pae: this.cPae,
      la57: this.cLa57,
      smep: this.cSmep,
      smap: this.cSmap,
      pge: this.cPge,
      nxe: this.cNxe,
      lme: this.cLme,
    };
  }

  /**
   * MOV to CR3 (CR4.PCIDE = 0): bits M-1:12 locate the PML4 (PML5 with LA57) table, bits 3 and 4
   * are PWT/PCD, other low bits are ignored and bits 63:M are reserved (Table 4-12): setting one
   * would raise #GP, reported here as a thrown RangeError. Invalidates all non-global TLB entries,
   * even when the value does not change (SDM 4.10.4.1).
   */
  loadCr3(value: bigint | number): void {
    const v = BigInt(value);
    if (v < 0n || v >> BigInt(this.maxPhyAddr) !== 0n) {
      throw new RangeError(`#GP: CR3 ${v.toString(16)} sets bits 63:${this.maxPhyAddr}`);
    }
    this.cr3Value = v;
    this.rootPfn = Number(v & this.cr3Mask) / FRAME_SIZE;
    this.tlb.flushNonGlobal();
  }

  /** MOV to CR0 (only WP is modelled; it needs no invalidation: rights are checked per access). */
  setCr0(bits: { readonly wp?: boolean }): void {
    if (bits.wp !== undefined) this.cWp = bits.wp;
  }

  /**
   * MOV to CR4. Changing PGE invalidates every TLB entry including global ones; changing PAE or
   * setting SMEP invalidates all entries too (SDM 4.10.4.1; the model flushes globals as well,
   * which the SDM permits: "the processor is always free to invalidate additional entries").
   * Toggling LA57 is only legal with paging off on real hardware; the model allows it and flushes
   * the TLB.
   */
  setCr4(bits: {
    readonly pae?: boolean;
    readonly la57?: boolean;
    readonly smep?: boolean;
    readonly smap?: boolean;
    readonly pge?: boolean;
  }): void {
    let flush = false;
    if (bits.pge !== undefined && bits.pge !== this.cPge) flush = true;
    if (bits.pae !== undefined && bits.pae !== this.cPae) flush = true;
    if (bits.la57 !== undefined && bits.la57 !== this.cLa57) flush = true;
    if (bits.smep === true && !this.cSmep) flush = true;
    if (bits.pge !== undefined) this.cPge = bits.pge;
    if (bits.pae !== undefined) this.cPae = bits.pae;
    if (bits.la57 !== undefined) this.cLa57 = bits.la57;
    if (bits.smep !== undefined) this.cSmep = bits.smep;
    if (bits.smap !== undefined) this.cSmap = bits.smap;
    if (flush) this.tlb.flushAll();
  }

  /**
   * WRMSR IA32_EFER. Changing NXE changes which bits are reserved and what XD means, so the model
   * flushes the TLB then (a permitted extra invalidation).
   */
  setEfer(bits: { readonly nxe?: boolean; readonly lme?: boolean }): void {
    if (bits.nxe !== undefined && bits.nxe !== this.cNxe) {
      this.cNxe = bits.nxe;
      this.rsvdHi = this.cNxe ? this.hiRsvd : this.hiRsvd | E.XD;
      this.tlb.flushAll();
    }
    if (bits.lme !== undefined) this.cLme = bits.lme;
  }

  // --- TLB maintenance --------------------------------------------------------------------------

  /**
   * INVLPG: invalidates the TLB entries (any page size, global or not) for the page of `va`. A
   * non-canonical operand makes INVLPG a no-op.
   */
  invlpg(va: bigint): void {
    const v = toU64(va);
    if (isCanonical(v, this.levels)) this.tlb.invlpg(v);
  }

  /** Invalidates all TLB entries, global ones included (like toggling CR4.PGE). */
  flushTlb(): void {
    this.tlb.flushAll();
  }

  // --- translation ------------------------------------------------------------------------------

  isCanonical(va: bigint): boolean {
    return isCanonical(va, this.levels);
  }

  /** Pure page walk: no A/D updates, no TLB. */
  probe(va: bigint, access: AccessType, rflagsAC = false): WalkResult {
    return this.translate(va, access, rflagsAC, false);
  }

  /**
   * Page walk from memory with the side effects of SDM 4.8: on a successful translation the
   * accessed flag is set in every entry used, and for a write the dirty flag in the entry that maps
   * the page. A faulting walk changes nothing. Bypasses the TLB (neither reads nor fills it).
   */
  walk(va: bigint, access: AccessType, rflagsAC = false): WalkResult {
    return this.translate(va, access, rflagsAC, true);
  }

  /**
   * An access as the processor performs it: a TLB hit is checked against the cached rights (a
   * stale entry may allow, or spuriously refuse, an access); a write through an entry cached with
   * D = 0 walks again to set D; a miss walks (with A/D updates) and caches the translation. Any
   * page fault invalidates the TLB entries for the faulting page (SDM 4.10.4.1).
   */
  access(va: bigint, access: AccessType, rflagsAC = false): WalkResult {
    checkAccess(access);
    this.checkMode();
    const v = toU64(va);
    if (!isCanonical(v, this.levels)) return gp(v);
    const hi = Number(v >> 32n) | 0;
    const lo = Number(v & 0xffffffffn) | 0;
    const outcome = this.accessCore(hi, lo, access, rflagsAC);
    if (outcome === WALKED) return this.translation(v, lo, false);
    if (outcome === FAULTED) return this.pageFault(v, false);
    if (outcome === TLB_FAULT) return this.pageFault(v, true);
    const a = this.tlb.attrAt(this.tHit);
    const level = tlbLevel(a);
    const pat = (a & TlbBit.PAT) !== 0;
    const pcd = (a & TlbBit.PCD) !== 0;
    const pwt = (a & TlbBit.PWT) !== 0;
    return {
      ok: true,
      va: v,
      pa: BigInt(this.tlb.frameAt(this.tHit) + (lo & OFFSET_MASK[level])),
      pageSize: pageSizeOfLevel(level),
      level,
      flags: {
        writable: (a & TlbBit.W) !== 0,
        user: (a & TlbBit.U) !== 0,
        noExecute: (a & TlbBit.XD) !== 0,
        global: (a & TlbBit.G) !== 0,
        pwt,
        pcd,
        pat,
        patIndex: patIndex(pat, pcd, pwt),
        accessed: true,
        dirty: (a & TlbBit.D) !== 0,
      },
      fromTlb: true,
    };
  }

  /**
   * `probe` for a linear address given as two 32-bit words (`vaHi` = bits 63:32, `vaLo` = bits
   * 31:0), for hot loops: the physical address of the byte as a number, or -1 when the access
   * faults (#PF or #GP; `probe` gives the details). No bigint, no allocation.
   */
  probeWords(vaHi: number, vaLo: number, access: AccessType, rflagsAC = false): number {
    const lo = vaLo | 0;
    if (!this.canonicalHi(vaHi) || this.walkWords(vaHi | 0, lo, access, rflagsAC, false) === 0) {
      return -1;
    }
    return this.leafPa(lo);
  }

  /**
   * `access` for a linear address given as two 32-bit words, for hot loops: the same TLB
   * lookup, walk, A/D updates, TLB fill and invalidation on a fault, returning the physical
   * address as a number or -1 on a fault (`access` gives the details, but repeating it is
   * another access). No bigint, no allocation.
   */
  accessWords(vaHi: number, vaLo: number, access: AccessType, rflagsAC = false): number {
    const lo = vaLo | 0;
    if (!this.canonicalHi(vaHi)) return -1;
    const outcome = this.accessCore(vaHi | 0, lo, access, rflagsAC);
    if (outcome === WALKED) return this.leafPa(lo);
    if (outcome !== TLB_HIT) return -1;
    const a = this.tlb.attrAt(this.tHit);
    return this.tlb.frameAt(this.tHit) + (lo & OFFSET_MASK[tlbLevel(a)]);
  }

  // --- internals --------------------------------------------------------------------------------

  /** Throws outside IA-32e paging, the only mode modelled. */
  private checkMode(): void {
    if (!this.cPae || !this.cLme) unsupportedMode();
  }

  /** W/R, U/S and I/D bits of the error code, which describe the access (SDM 4.7). */
  private errorCodeBase(acc: AccessType): number {
    checkAccess(acc);
    let ec = 0;
    if (acc.write) ec |= PfError.WR;
    if (acc.user && acc.implicitSupervisor !== true) ec |= PfError.US;
    // I/D: an instruction fetch with SMEP = 1, or with PAE = 1 (always here) and NXE = 1.
    if (acc.fetch && (this.cSmep || this.cNxe)) ec |= PfError.ID;
    return ec;
  }

  /**
   * The access-rights rule of SDM 4.6.1 that refuses `acc` to a page with the combined R/W and
   * U/S of `rwus` (at their bit positions in an entry) and XD `xd`, or undefined if the access is
   * allowed. A supervisor-mode read of a supervisor-mode page is always allowed: hot paths call
   * this only for other accesses (`mayRefuse`).
   */
  private violation(
    rwus: number,
    xd: boolean,
    acc: AccessType,
    ac: boolean,
  ): Violation | undefined {
    checkAccess(acc);
    const rw = (rwus & E.RW) !== 0;
    const us = (rwus & E.US) !== 0;
    const implicit = acc.implicitSupervisor === true;
    if (acc.user && !implicit) {
      // User-mode access (CPL 3): only user-mode addresses; writes need R/W = 1 at every level
      // whatever CR0.WP; fetches need XD = 0 at every level when NXE = 1.
      if (!us) return "user-access-to-supervisor-page";
      if (acc.write && !rw) return "write-to-read-only";
      if (acc.fetch && xd && this.cNxe) return "execute-disable";
      return undefined;
    }
    if (acc.fetch) {
      // Supervisor-mode fetch: never from a user-mode address with SMEP = 1; XD as above.
      if (us && this.cSmep) return "smep";
      if (xd && this.cNxe) return "execute-disable";
      return undefined;
    }
    // Supervisor-mode data access to a user-mode address with SMAP = 1: allowed only for explicit
    // accesses with EFLAGS.AC = 1; implicit supervisor-mode accesses ignore AC.
    if (us && this.cSmap && (implicit || !ac)) return "smap";
    // Supervisor-mode write: R/W = 1 at every level is needed only when CR0.WP = 1.
    if (acc.write && !rw && this.cWp) return "write-to-read-only";
    return undefined;
  }

  /** Reserved-bit check of one present entry at `level` (SDM 4.5.4, Tables 4-14 .. 4-20). */
  private reservedBit(lo: number, hi: number, level: Level): ReservedBit | undefined {
    if ((hi & this.hiRsvd) !== 0) return "address-above-maxphyaddr";
    if (!this.cNxe && (hi & Hi.XD) !== 0) return "xd-without-nxe";
    if (level >= 2 && (lo & Lo.PS) !== 0) {
      if (level === 5) return "ps-in-pml5e";
      if (level === 4) return "ps-in-pml4e";
      if (level === 3) {
        if (!this.page1G) return "ps-1g-unsupported";
        if ((lo & Lo.RSVD_1G) !== 0) return "large-page-low-bits";
      } else if ((lo & Lo.RSVD_2M) !== 0) {
        return "large-page-low-bits";
      }
    }
    return undefined;
  }

  /**
   * Bits 63:47 (4 levels) or 63:56 (5 levels) of a linear address all equal, from `hi`; throws
   * outside IA-32e paging (`checkMode`).
   */
  private canonicalHi(hi: number): boolean {
    this.checkMode();
    // As int32, hi >> 15 (hi >> 24 with LA57) is then 0 or -1.
    const top = hi >> (this.cLa57 ? HI_SIGN_SHIFT_5 : HI_SIGN_SHIFT_4);
    return top === 0 || top === -1;
  }

  private translate(va: bigint, acc: AccessType, ac: boolean, update: boolean): WalkResult {
    checkAccess(acc);
    this.checkMode();
    const v = toU64(va);
    if (!isCanonical(v, this.levels)) return gp(v);
    const lo = Number(v & 0xffffffffn) | 0;
    const ok = this.walkWords(Number(v >> 32n) | 0, lo, acc, ac, update) !== 0;
    return ok ? this.translation(v, lo, false) : this.pageFault(v, false);
  }

  /**
   * The TLB part of `access` on a canonical address: TLB_HIT (`tHit`), TLB_FAULT (the fault's
   * fields), WALKED (the walk's fields) or FAULTED (the fault's fields).
   */
  private accessCore(hi: number, lo: number, acc: AccessType, ac: boolean): number {
    const tlb = this.tlb;
    const hit = tlb.find(hi, lo);
    if (hit >= 0) {
      const a = tlb.attrAt(hit);
      if (!mayRefuse(acc, a) && (acc.write !== true || (a & TlbBit.D) !== 0)) {
        this.tHit = hit;
        return TLB_HIT;
      }
      const outcome = this.checkHit(hi, lo, hit, acc, ac);
      if (outcome !== WALKED) return outcome;
    }
    return this.miss(hi, lo, acc, ac);
  }

  /**
   * The walk of an access that the TLB does not answer, with A/D updates; its translation is
   * cached, and a #PF invalidates the page's entries. WALKED or FAULTED.
   */
  private miss(hi: number, lo: number, acc: AccessType, ac: boolean): number {
    if (this.walkWords(hi, lo, acc, ac, true) === 0) {
      this.tlb.invalidate(hi, lo);
      return FAULTED;
    }
    this.tlb.fill(hi, lo, this.tLevel, this.leafPa(0), this.tlbAttr());
    return WALKED;
  }

  /**
   * A TLB hit the cached rights may refuse (SDM 4.10.2.2: a stale entry may refuse, spuriously):
   * TLB_FAULT after invalidating the page's entries (SDM 4.10.4.1), or TLB_HIT; or a write through
   * an entry cached with D = 0: the dirty flag must reach memory, so the processor walks again
   * (SDM 4.8), which WALKED asks for after invalidating the entry.
   */
  private checkHit(hi: number, lo: number, hit: number, acc: AccessType, ac: boolean): number {
    const a = this.tlb.attrAt(hit);
    const violation = this.violation(a, (a & TlbBit.XD) !== 0, acc, ac);
    if (violation !== undefined) {
      this.tlb.invalidate(hi, lo);
      this.setFault(this.errorCodeBase(acc) | PfError.P, tlbLevel(a), "protection");
      this.fViolation = violation;
      return TLB_FAULT;
    }
    if (!acc.write || (a & TlbBit.D) !== 0) {
      this.tHit = hit;
      return TLB_HIT;
    }
    this.tlb.invalidate(hi, lo);
    return WALKED;
  }

  /** The TLB attribute word of the last walk's translation (`TlbBit`). */
  private tlbAttr(): number {
    const leaf = this.tLevel;
    const tLo = this.tLo;
    // PWT, PCD, D, G (with CR4.PGE = 1) and a PTE's PAT are where a PTE has them (Table 4-20).
    const same = TlbBit.PWT | TlbBit.PCD | TlbBit.D | (this.cPge ? TlbBit.G : 0);
    return (
      (this.tRwus & (TlbBit.W | TlbBit.U)) |
      (tLo & (leaf === 1 ? same | TlbBit.PAT : same)) |
      (leaf !== 1 && (tLo & Lo.PAT_LARGE) !== 0 ? TlbBit.PAT : 0) |
      (this.tXd ? TlbBit.XD : 0)
    );
  }

  /**
   * The page walk of SDM 4.5.4 for a canonical linear address `hi:lo` (its words as int32), with
   * the access rights of 4.6.1 and, when `update`, the A/D updates of 4.8. Returns the leaf level
   * (1..3) with the `t*` fields set, or 0 for a #PF described by the `f*` fields.
   *
   * This is the fast path: it follows the entries, in the window of physical memory (the table
   * pool), without checking them, and only accumulates their words, which tell at the end whether
   * the walk was ordinary (every P = 1, no reserved bit, a 4-KByte page, no A/D flag to set).
   * Anything else (and a table outside the window) is left to `walkChecked`, which walks again
   * entry by entry. The loop is kept as short as it is because a walk's table reads miss
   * the cache and the processor overlaps walks only as far as the instructions between them let
   * it: no branch on table contents it cannot predict (words stay int32: an uint32 of 2^31 or more
   * would be boxed), no store, no call, and small, so that V8 can inline it into a caller's loop
   * (when that caller's inlining budget allows: see the README's Performance section).
   */
  private walkWords(
    hi: number,
    lo: number,
    acc: AccessType,
    ac: boolean,
    update: boolean,
  ): 0 | LeafLevel {
    const mem = this.memory;
    const words = mem.words;
    const winFrames = mem.windowFrames;
    // The window lies in one 4 GiB range: a table's place in it follows from the entry's low word,
    // once its high word's address bits are those of the window. Everything in the loop is int32
    // (a double would make its arithmetic floating point).
    const winLo = (mem.windowPfn % 1048576) | 0;
    const winHi = ((mem.windowPfn - winLo) / 1048576) | 0;
    const root = this.rootPfn - mem.windowPfn;
    let rel = root >= 0 && root < winFrames ? root | 0 : -1;
    let level: number = this.levels;
    let scaled = this.scaledPage(hi, lo);
    // AND of the low words (P, R/W, U/S, A) and OR of the high words (XD, reserved bits).
    let rwus = -1;
    let xdAny = 0;
    for (;;) {
      if (rel < 0 || rel >= winFrames) return this.walkChecked(hi, lo, acc, ac, update);
      const w = (rel << 10) | ((scaled & 511) << 1);
      const eLo = words[w]! | 0;
      const eHi = words[w | 1]! | 0;
      rwus &= eLo;
      xdAny |= eHi;
      if (level === 1 || (eLo & E.PS) !== 0) {
        // Here, in the loop, where the values are at hand: an ordinary walk has every P = 1, no
        // reserved bit, a 4-KByte page, no A/D flag to set (SDM 4.8) and rights that cannot
        // refuse the access (SDM 4.6.1). Anything else is checked entry by entry.
        const flags = update && ((rwus & E.A) === 0 || (acc.write === true && (eLo & E.D) === 0));
        if (
          (rwus & E.P) === 0 ||
          (xdAny & this.rsvdHi) !== 0 ||
          level !== 1 ||
          flags ||
          mayRefuse(acc, rwus)
        ) {
          return this.walkChecked(hi, lo, acc, ac, update);
        }
        this.tLevel = 1;
        this.tLo = eLo;
        this.tHi = eHi;
        this.tRwus = rwus;
        this.tXd = xdAny < 0;
        return 1;
      }
      // The next table (if P = 0 or reserved bits make its address meaningless, the walk is
      // doomed anyway, and ends within the levels left).
      rel = (eHi & E.ADDR_HI) === winHi ? ((eLo >>> 12) - winLo) | 0 : -1;
      level--;
      scaled *= 512;
    }
  }

  /**
   * The page walk entry by entry, as SDM 4.5.4 orders it: stops at the first entry with P = 0 or a
   * reserved bit set (a #PF), else ends like `walkWords`, with the A/D updates when `update`.
   */
  private walkChecked(
    hi: number,
    lo: number,
    acc: AccessType,
    ac: boolean,
    update: boolean,
  ): 0 | LeafLevel {
    const mem = this.memory;
    const words = mem.words;
    let scaled = this.scaledPage(hi, lo);
    let pfn = this.rootPfn;
    let rwus = -1;
    let xdAny = 0;
    for (let level = this.levels as number; ; level--, scaled *= 512) {
      const w = mem.offsetOf(pfn) + ((scaled & 511) << 1);
      this.path[level] = w;
      const eLo = words[w]! | 0;
      const eHi = words[w + 1]! | 0;
      if ((eLo & E.P) === 0) {
        return this.setFault(this.errorCodeBase(acc), level as Level, "not-present");
      }
      const rsvd = this.reservedBit(eLo, eHi, level as Level);
      if (rsvd !== undefined) {
        this.setFault(
          this.errorCodeBase(acc) | PfError.P | PfError.RSVD,
          level as Level,
          "reserved-bit",
        );
        this.fReserved = rsvd;
        return 0;
      }
      rwus &= eLo;
      xdAny |= eHi;
      if (level === 1 || (eLo & E.PS) !== 0) {
        return this.leaf(level as LeafLevel, w, eLo, eHi, rwus, xdAny, acc, ac, update);
      }
      pfn = (eHi & E.ADDR_HI) * 1048576 + (eLo >>> 12);
    }
  }

  /**
   * The end of a walk at the leaf entry `eLo`, `eHi` (word `w`) with the AND `rwus` of the
   * entries' low words and the OR `xdAny` of their high words: the access rights (SDM 4.6.1; a
   * faulting walk changes nothing), then, for `setAD`, A in the entries of `path` and D in the
   * leaf for a write (SDM 4.8). Returns `level` with the `t*` fields set, or 0 for a protection
   * #PF.
   */
  private leaf(
    level: LeafLevel,
    w: number,
    eLo: number,
    eHi: number,
    rwus: number,
    xdAny: number,
    acc: AccessType,
    ac: boolean,
    setAD: boolean,
  ): 0 | LeafLevel {
    if (mayRefuse(acc, rwus) && this.refused(rwus, xdAny < 0, level, acc, ac)) return 0;
    if (setAD) {
      const words = this.memory.words;
      for (let l: number = this.levels; l >= level; l--) words[this.path[l]!] |= E.A;
      if (acc.write) words[w] |= E.D;
      eLo = words[w]! | 0;
    }
    // The values in hand, not re-read from the tables: a re-read waits for the leaf's cache miss.
    this.tLevel = level;
    this.tLo = eLo;
    this.tHi = eHi;
    this.tRwus = rwus;
    this.tXd = xdAny < 0;
    return level;
  }

  /**
   * The linear page number of `hi:lo` divided by the pages of one entry at the top level: ToInt32
   * of it, & 511, is the index of the entry (SDM 4.5.4), and each level down multiplies it by 512
   * (exact in a double).
   */
  private scaledPage(hi: number, lo: number): number {
    return ((hi >>> 0) * 1048576 + (lo >>> 12)) * INDEX_SCALE[this.levels];
  }

  /** Records the protection #PF if the combined `rwus`, `xd` refuse `acc`. */
  private refused(
    rwus: number,
    xd: boolean,
    leaf: LeafLevel,
    acc: AccessType,
    ac: boolean,
  ): boolean {
    const violation = this.violation(rwus, xd, acc, ac);
    if (violation === undefined) return false;
    this.setFault(this.errorCodeBase(acc) | PfError.P, leaf, "protection");
    this.fViolation = violation;
    return true;
  }

  /** Records a #PF (reason, level, error code) and returns 0 (a failed walk). */
  private setFault(errorCode: number, level: Level, reason: PageFault["reason"]): 0 {
    this.fErrorCode = errorCode;
    this.fLevel = level;
    this.fReason = reason;
    this.fReserved = undefined;
    this.fViolation = undefined;
    return 0;
  }

  /** Physical address of byte `lo` (the low word of the linear address) in the last walk's page. */
  private leafPa(lo: number): number {
    // The address field ends where the offset begins: bits 12, 21 or 30 (PAT in bit 12 of a
    // large page's entry is below that).
    const offset = OFFSET_MASK[this.tLevel];
    return (this.tHi & E.ADDR_HI) * TWO32 + ((this.tLo & ~offset) >>> 0) + (lo & offset);
  }

  /** The result object of the last successful walk for `va`. */
  private translation(va: bigint, lo: number, fromTlb: boolean): Translation {
    const tLo = this.tLo;
    const leaf = this.tLevel;
    const rwus = this.tRwus;
    const pwt = (tLo & Lo.PWT) !== 0;
    const pcd = (tLo & Lo.PCD) !== 0;
    const pat = (tLo & (leaf === 1 ? Lo.PAT_4K : Lo.PAT_LARGE)) !== 0;
    return {
      ok: true,
      va,
      pa: BigInt(this.leafPa(lo)),
      pageSize: pageSizeOfLevel(leaf),
      level: leaf,
      flags: {
        writable: (rwus & E.RW) !== 0,
        user: (rwus & E.US) !== 0,
        noExecute: this.tXd,
        global: (tLo & Lo.G) !== 0,
        pwt,
        pcd,
        pat,
        patIndex: patIndex(pat, pcd, pwt),
        accessed: (tLo & Lo.A) !== 0,
        dirty: (tLo & Lo.D) !== 0,
      },
      fromTlb,
    };
  }

  /** The #PF object of the last failed walk or TLB check. */
  private pageFault(va: bigint, fromTlb: boolean): PageFault {
    return pf(
      va,
      this.fErrorCode,
      this.fLevel,
      this.fReason,
      this.fReserved,
      this.fViolation,
      fromTlb,
    );
  }
}

/**
 * Whether `acc` can be refused on a page with the combined U/S of `rwus` (at its bit position in
 * an entry): every access except a supervisor-mode read of a supervisor-mode page (SDM 4.6.1).
 */
function mayRefuse(acc: AccessType, rwus: number): boolean {
  return acc.write === true || acc.fetch === true || acc.user === true || (rwus & E.US) !== 0;
}

/**
 * Throws for an impossible access. Every path that reads more of an access than `mayRefuse`
 * calls it, and a fetch always takes such a path, so an impossible access never goes unnoticed.
 */
function checkAccess(acc: AccessType): void {
  if (acc.fetch && acc.write) throw new TypeError("an access is a read, a write or a fetch");
  if (acc.fetch && acc.implicitSupervisor) {
    throw new TypeError("implicit supervisor-mode accesses are data accesses");
  }
}

/**
 * The entry bits of `Lo` / `Hi` (entry.ts) that the walk tests, as compile-time constants, which
 * keep the walk's bytecode small enough to be inlined.
 */
const enum E {
  P = 1,
  RW = 2,
  US = 4,
  A = 0x20,
  D = 0x40,
  PS = 0x80,
  /** XD (bit 63) in the high word. */
  XD = -0x80000000,
  /** Address bits 51:32 in the high word. */
  ADDR_HI = 0xfffff,
}

/** 2^(-9 * (level - 1)): a linear page number times this is its page number at `level`. */
const INDEX_SCALE = [0, 1, 2 ** -9, 2 ** -18, 2 ** -27, 2 ** -36] as const;

/** Offset of a byte in its page, for each leaf level (bits 11:0, 20:0, 29:0). */
const OFFSET_MASK = [0, 0xfff, 0x1fffff, 0x3fffffff] as const;

/** Outcomes of `accessCore`. */
const FAULTED = 0;
const TLB_HIT = 1;
const TLB_FAULT = 2;
const WALKED = 3;

function unsupportedMode(): never {
  throw new Error("only IA-32e paging is modelled (CR4.PAE = 1 and IA32_EFER.LME = 1)");
}

function gp(va: bigint): GeneralProtectionFault {
  return { ok: false, fault: "#GP", vector: 13, va, errorCode: 0, reason: "non-canonical" };
}

function pf(
  va: bigint,
  errorCode: number,
  level: Level,
  reason: PageFault["reason"],
  reservedBit?: ReservedBit,
  violation?: Violation,
  fromTlb = false,
): PageFault {
  const f: {
    -readonly [K in keyof PageFault]: PageFault[K];
  } = { ok: false, fault: "#PF", vector: 14, va, errorCode, level, reason, fromTlb };
  if (reservedBit !== undefined) f.reservedBit = reservedBit;
  if (violation !== undefined) f.violation = violation;
  return f;
}

/** One line describing a walk result, e.g. `#PF(0x3) at 0x..., PTE: protection (...)`. */
export function describeResult(r: WalkResult): string {
  if (r.ok) return `${hex(r.va)} -> ${hex(r.pa)} (${r.pageSize / 1024} KiB page)`;
  if (r.fault === "#GP") return `#GP(0) at ${hex(r.va)}: non-canonical`;
  const detail = r.reservedBit ?? r.violation;
  return (
    `#PF(0x${r.errorCode.toString(16)}) at ${hex(r.va)}, ${entryName(r.level)}: ${r.reason}` +
    (detail !== undefined ? ` (${detail})` : "")
  );
}
