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
  pageSizeOfLevel,
  patIndex,
  toU64,
} from "./entry.js";
import { FRAME_SIZE, PhysicalMemory } from "./physical-memory.js";
import { Tlb, type TlbEntry } from "./tlb.js";

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

function checkAccess(acc: AccessType): void {
  if (acc.fetch && acc.write) throw new TypeError("an access is a read, a write or a fetch");
  if (acc.fetch && acc.implicitSupervisor) {
    throw new TypeError("implicit supervisor-mode accesses are data accesses");
  }
}

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
  private readonly cr3Mask: bigint;

  /** The entries of the current walk: frame and word index per level (no allocation per walk). */
  private readonly pathFrame: (Uint32Array | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  private readonly pathWord = new Int32Array(6);

  // Outcome of the last `walkWords` / `accessWords` (scratch fields: no allocation per walk).
  /** Leaf entry (after A/D updates) and combined rights of a successful walk. */
  private tLo = 0;
  private tHi = 0;
  private tRw = true;
  private tUs = true;
  private tXd = false;
  /** Leaf level of a WALKED access; the TLB entry that answered a TLB_HIT or TLB_FAULT. */
  private tLeaf: LeafLevel = 1;
  private tHit: TlbEntry | undefined = undefined;
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
    const hi = Number(v >> 32n);
    const lo = Number(v & 0xffffffffn);
    const outcome = this.accessCore(hi, lo, access, rflagsAC);
    if (outcome === WALKED) return this.translation(v, lo, this.tLeaf, false);
    if (outcome === FAULTED) return this.pageFault(v, false);
    const hit = this.tHit!;
    if (outcome === TLB_FAULT) return this.pageFault(v, true);
    const off = (hi * 1048576 + (lo >>> 12) - hit.vpn) * FRAME_SIZE + (lo & 0xfff);
    return {
      ok: true,
      va: v,
      pa: BigInt(hit.frame + off),
      pageSize: hit.pageSize,
      level: hit.level,
      flags: {
        writable: hit.writable,
        user: hit.user,
        noExecute: hit.noExecute,
        global: hit.global,
        pwt: hit.pwt,
        pcd: hit.pcd,
        pat: hit.pat,
        patIndex: patIndex(hit.pat, hit.pcd, hit.pwt),
        accessed: true,
        dirty: hit.dirty,
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
    checkAccess(access);
    this.checkMode();
    const hi = vaHi >>> 0;
    const lo = vaLo >>> 0;
    if (!this.canonicalHi(hi)) return -1;
    const leaf = this.walkWords(hi, lo, access, rflagsAC, false);
    return leaf === 0 ? -1 : this.leafPa(lo, leaf);
  }

  /**
   * `access` for a linear address given as two 32-bit words, for hot loops: the same TLB
   * lookup, walk, A/D updates, TLB fill and invalidation on a fault, returning the physical
   * address as a number or -1 on a fault (`access` gives the details, but repeating it is
   * another access). No bigint; allocates only the TLB entry of a miss.
   */
  accessWords(vaHi: number, vaLo: number, access: AccessType, rflagsAC = false): number {
    checkAccess(access);
    this.checkMode();
    const hi = vaHi >>> 0;
    const lo = vaLo >>> 0;
    if (!this.canonicalHi(hi)) return -1;
    const outcome = this.accessCore(hi, lo, access, rflagsAC);
    if (outcome === WALKED) return this.leafPa(lo, this.tLeaf);
    if (outcome !== TLB_HIT) return -1;
    const hit = this.tHit!;
    return hit.frame + (hi * 1048576 + (lo >>> 12) - hit.vpn) * FRAME_SIZE + (lo & 0xfff);
  }

  // --- internals --------------------------------------------------------------------------------

  private checkMode(): void {
    if (!this.cPae || !this.cLme) {
      throw new Error("only IA-32e paging is modelled (CR4.PAE = 1 and IA32_EFER.LME = 1)");
    }
  }

  /** W/R, U/S and I/D bits of the error code, which describe the access (SDM 4.7). */
  private errorCodeBase(acc: AccessType): number {
    let ec = 0;
    if (acc.write) ec |= PfError.WR;
    if (acc.user && acc.implicitSupervisor !== true) ec |= PfError.US;
    // I/D: an instruction fetch with SMEP = 1, or with PAE = 1 (always here) and NXE = 1.
    if (acc.fetch && (this.cSmep || this.cNxe)) ec |= PfError.ID;
    return ec;
  }

  /**
   * The access-rights rule of SDM 4.6.1 that refuses `acc` to a page with the combined rights
   * `rw`, `us`, `xd`, or undefined if the access is allowed.
   */
  private violation(
    rw: boolean,
    us: boolean,
    xd: boolean,
    acc: AccessType,
    ac: boolean,
  ): Violation | undefined {
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

  /** Bits 63:47 (4 levels) or 63:56 (5 levels) all equal, from the high word. */
  private canonicalHi(hi: number): boolean {
    const top = this.cLa57 ? hi >>> 24 : hi >>> 15;
    return top === 0 || top === (this.cLa57 ? 0xff : 0x1ffff);
  }

  private translate(va: bigint, acc: AccessType, ac: boolean, update: boolean): WalkResult {
    checkAccess(acc);
    this.checkMode();
    const v = toU64(va);
    if (!isCanonical(v, this.levels)) return gp(v);
    const lo = Number(v & 0xffffffffn);
    const leaf = this.walkWords(Number(v >> 32n), lo, acc, ac, update);
    return leaf === 0 ? this.pageFault(v, false) : this.translation(v, lo, leaf, false);
  }

  /**
   * The TLB part of `access` on a canonical address: TLB_HIT (`tHit`), TLB_FAULT (`tHit`,
   * `fViolation`), WALKED (`tLeaf` and the walk's fields) or FAULTED (the fault's fields).
   */
  private accessCore(hi: number, lo: number, access: AccessType, rflagsAC: boolean): number {
    const vpn = hi * 1048576 + (lo >>> 12);
    const hit = this.tlb.lookupVpn(vpn);
    if (hit !== undefined) {
      const violation = this.violation(hit.writable, hit.user, hit.noExecute, access, rflagsAC);
      if (violation !== undefined) {
        this.tlb.invalidateVpn(vpn);
        this.tHit = hit;
        this.setFault(this.errorCodeBase(access) | PfError.P, hit.level, "protection");
        this.fViolation = violation;
        return TLB_FAULT;
      }
      if (!access.write || hit.dirty) {
        this.tHit = hit;
        return TLB_HIT;
      }
      // A write through a translation cached with D = 0: the dirty flag must reach memory, so
      // the processor walks the paging structures again (SDM 4.8).
    }
    const leaf = this.walkWords(hi, lo, access, rflagsAC, true);
    if (leaf === 0) {
      this.tlb.invalidateVpn(vpn);
      return FAULTED;
    }
    this.tLeaf = leaf;
    const tLo = this.tLo;
    const pageSize = pageSizeOfLevel(leaf);
    const pages = pageSize / FRAME_SIZE;
    const entry: TlbEntry = {
      vpn: vpn - (vpn % pages),
      pageSize,
      level: leaf,
      frame: this.leafPa(0, leaf),
      writable: this.tRw,
      user: this.tUs,
      noExecute: this.tXd,
      global: (tLo & Lo.G) !== 0 && this.cPge,
      dirty: (tLo & Lo.D) !== 0,
      pwt: (tLo & Lo.PWT) !== 0,
      pcd: (tLo & Lo.PCD) !== 0,
      pat: (tLo & (leaf === 1 ? Lo.PAT_4K : Lo.PAT_LARGE)) !== 0,
    };
    this.tlb.insert(entry);
    return WALKED;
  }

  /**
   * The page walk of SDM 4.5.4 for a canonical linear address `hi:lo`, with the access rights
   * of 4.6.1 and, when `update`, the A/D updates of 4.8. Returns the leaf level (1..3) with the
   * leaf entry in `tLo`/`tHi` and the combined rights in `tRw`/`tUs`/`tXd`, or 0 for a #PF
   * described by the `f*` fields.
   */
  private walkWords(
    hi: number,
    lo: number,
    acc: AccessType,
    ac: boolean,
    update: boolean,
  ): 0 | LeafLevel {
    // Kept short: a walk's table reads miss the cache, and the fewer instructions between them,
    // the more walks the processor overlaps. Rare cases leave the loop for the full checks.
    const mem = this.memory;
    const rsvdHi = this.cNxe ? this.hiRsvd : this.hiRsvd | Hi.XD;
    let pfn = this.rootPfn;
    // AND of R/W and U/S (low word), OR of XD (high word) over the levels.
    let rwus = Lo.RW | Lo.US;
    let xdAny = 0;
    for (let l = this.levels as number; ; l--) {
      const level = l as Level;
      const f = mem.frame(pfn);
      const w = wordIndex(hi, lo, level) << 1;
      const eLo = f === undefined ? 0 : f[w]!;
      const eHi = f === undefined ? 0 : f[w + 1]!;
      if (update) {
        this.pathFrame[level] = f;
        this.pathWord[level] = w;
      }
      if ((eLo & Lo.P) === 0) return this.setFault(this.errorCodeBase(acc), level, "not-present");
      // Reserved bits: the high word's, or PS somewhere above a 4-KByte PTE.
      if ((eHi & rsvdHi) !== 0 || (level !== 1 && (eLo & Lo.PS) !== 0)) {
        const rsvd = this.reservedBit(eLo, eHi, level);
        if (rsvd !== undefined) {
          this.setFault(this.errorCodeBase(acc) | PfError.P | PfError.RSVD, level, "reserved-bit");
          this.fReserved = rsvd;
          return 0;
        }
      }
      rwus &= eLo;
      xdAny |= eHi;
      if (level === 1 || (eLo & Lo.PS) !== 0) {
        const leaf = level as LeafLevel;
        const rw = (rwus & Lo.RW) !== 0;
        const us = (rwus & Lo.US) !== 0;
        const xd = (xdAny & Hi.XD) !== 0;
        const violation = this.violation(rw, us, xd, acc, ac);
        if (violation !== undefined) {
          this.setFault(this.errorCodeBase(acc) | PfError.P, leaf, "protection");
          this.fViolation = violation;
          return 0;
        }
        let leafLo = eLo;
        if (update) {
          // SDM 4.8: A in every entry used; D in the entry that maps the page, for a write.
          for (let l = this.levels; l >= leaf; l--) this.pathFrame[l]![this.pathWord[l]!] |= Lo.A;
          leafLo |= Lo.A;
          if (acc.write && (eLo & Lo.D) === 0) {
            f![w] = f![w]! | Lo.D;
            leafLo |= Lo.D;
          }
        }
        this.tLo = leafLo;
        this.tHi = eHi;
        this.tRw = rw;
        this.tUs = us;
        this.tXd = xd;
        return leaf;
      }
      // The next table: bits M-1:12 (no reserved bit is set, so bits 51:M are 0).
      pfn = (eHi & Hi.ADDR_MAX) * 1048576 + (eLo >>> 12);
    }
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
  private leafPa(lo: number, leaf: LeafLevel): number {
    const tLo = this.tLo;
    const offMask = leaf === 1 ? 0xfff : leaf === 2 ? 0x1fffff : 0x3fffffff;
    const addrLo = leaf === 1 ? Lo.ADDR_4K : leaf === 2 ? Lo.ADDR_2M : Lo.ADDR_1G;
    return (this.tHi & Hi.ADDR_MAX) * TWO32 + ((tLo & addrLo) >>> 0) + (lo & offMask);
  }

  /** The result object of the last successful walk (leaf `leaf`) for `va`. */
  private translation(va: bigint, lo: number, leaf: LeafLevel, fromTlb: boolean): Translation {
    const tLo = this.tLo;
    const pwt = (tLo & Lo.PWT) !== 0;
    const pcd = (tLo & Lo.PCD) !== 0;
    const pat = (tLo & (leaf === 1 ? Lo.PAT_4K : Lo.PAT_LARGE)) !== 0;
    return {
      ok: true,
      va,
      pa: BigInt(this.leafPa(lo, leaf)),
      pageSize: pageSizeOfLevel(leaf),
      level: leaf,
      flags: {
        writable: this.tRw,
        user: this.tUs,
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

/** Outcomes of `accessCore`. */
const FAULTED = 0;
const TLB_HIT = 1;
const TLB_FAULT = 2;
const WALKED = 3;

/** Index (0..511) of the entry selected at `level` for the linear address `hi:lo` (SDM 4.5.4). */
function wordIndex(hi: number, lo: number, level: Level): number {
  switch (level) {
    case 1:
      return (lo >>> 12) & 511;
    case 2:
      return (lo >>> 21) & 511;
    case 3:
      return ((lo >>> 30) | (hi << 2)) & 511;
    case 4:
      return (hi >>> 7) & 511;
    default:
      return (hi >>> 16) & 511;
  }
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
  const hex = (x: bigint): string => "0x" + x.toString(16).padStart(16, "0");
  if (r.ok) return `${hex(r.va)} -> ${hex(r.pa)} (${r.pageSize / 1024} KiB page)`;
  if (r.fault === "#GP") return `#GP(0) at ${hex(r.va)}: non-canonical`;
  const detail = r.reservedBit ?? r.violation;
  return (
    `#PF(0x${r.errorCode.toString(16)}) at ${hex(r.va)}, ${entryName(r.level)}: ${r.reason}` +
    (detail !== undefined ? ` (${detail})` : "")
  );
}
