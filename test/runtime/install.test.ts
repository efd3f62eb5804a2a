/**
 * The installer: page sizes at edges and around RAM holes, permissions, guards, recursive slots,
 * per-process address spaces sharing the kernel's tables, parameters, KASLR, relocation, limits.
 */
import type { Mapper } from "../../src/arch/x86_64/mapper.js";
import { describe, expect, it } from "vitest";
import { Access, type WalkResult } from "../../src/arch/x86_64/mmu.js";
import { PAGE_1G, PAGE_2M, PAGE_4K, canonicalize } from "../../src/arch/x86_64/entry.js";
import { install, type Installation, type InstallOptions } from "../../src/runtime/install.js";
import { pageRuns, segments } from "../../src/runtime/install-plan.js";
import { normalizeRam } from "../../src/runtime/ram.js";
import type { Layout } from "../../src/model/layout.js";
import { audit } from "../../src/audit/checks.js";
import { GiB, KiB, MiB, TiB, inlineLayout, mixedLayout, specLayout } from "./qemu/layouts.js";

function installed(layout: Layout, boot: InstallOptions = {}): Installation {
  const r = install(layout, boot);
  if (!r.value) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.value;
}

const pa = (r: WalkResult): bigint | undefined => (r.ok ? r.pa : undefined);
const page = (r: WalkResult): number | undefined => (r.ok ? r.pageSize : undefined);

const DIRECT = inlineLayout(`layout dm "direct map"
paging 4
ffff888000000000 +64TB direct_map "direct map" { map ram; perm rw; global; max_page 1GB }
ffffc88000000000 +2GB  small_map  "a direct map smaller than RAM" { map ram; perm r }
`);
const D = 0xffff_8880_0000_0000n;

describe("page sizes", () => {
  it("pageRuns: 4K head, 2M, 1G, 2M, 4K tail; alignment of va - pa decides", () => {
    const runs = pageRuns(GiB - 8n * KiB, GiB - 8n * KiB, 2n * GiB + 2n * MiB + 16n * KiB, PAGE_1G);
    expect(runs.map((r) => [r.size, r.bytes])).toEqual([
      [PAGE_4K, 8n * KiB],
      [PAGE_1G, 2n * GiB],
      [PAGE_2M, 2n * MiB],
      [PAGE_4K, 8n * KiB],
    ]);
    expect(
      pageRuns(2n * MiB, 2n * MiB + 4n * KiB, 4n * MiB, PAGE_1G).every((r) => r.size === PAGE_4K),
    ).toBe(true);
    expect(pageRuns(0n, 0n, 4n * GiB, PAGE_2M).map((r) => r.size)).toEqual([PAGE_2M]);
  });

  it("maps the direct map at the edges of RAM with the largest pages alignment allows", () => {
    const inst = installed(DIRECT, { ram: [{ start: 0x1000n, end: 0x4020_3000n }] });
    const mmu = inst.mmu();
    const at = (off: bigint) => mmu.probe(D + off, Access.read);
    expect(at(0n).ok).toBe(false); // RAM starts at 4 KiB
    expect([pa(at(0x1000n)), page(at(0x1000n))]).toEqual([0x1000n, PAGE_4K]);
    expect(page(at(0x1f_f000n))).toBe(PAGE_4K);
    expect(page(at(0x20_0000n))).toBe(PAGE_2M);
    expect(page(at(0x4000_0000n))).toBe(PAGE_2M); // only 2 MiB + 12 KiB of the second GiB
    expect([pa(at(0x4020_2fffn)), page(at(0x4020_2fffn))]).toEqual([0x4020_2fffn, PAGE_4K]);
    expect(at(0x4020_3000n).ok).toBe(false);
  });

  it("splits around a RAM hole and uses 1 GiB pages where it can", () => {
    const ram = [
      { start: 0n, end: GiB },
      { start: GiB + 2n * MiB, end: 3n * GiB + 4n * KiB },
    ];
    const inst = installed(DIRECT, { ram });
    const mmu = inst.mmu();
    const at = (off: bigint) => mmu.probe(D + off, Access.read);
    expect(page(at(0n))).toBe(PAGE_1G);
    expect(at(GiB).ok).toBe(false);
    expect(at(GiB + 2n * MiB - 1n).ok).toBe(false);
    expect([pa(at(GiB + 2n * MiB)), page(at(GiB + 2n * MiB))]).toEqual([GiB + 2n * MiB, PAGE_2M]);
    expect(page(at(2n * GiB))).toBe(PAGE_1G);
    expect(page(at(3n * GiB))).toBe(PAGE_4K);
    expect(at(3n * GiB + 4n * KiB).ok).toBe(false);
    // Exactly the runs needed: 1G | 2M x 511 | 1G | 4K.
    const runs = inst.runs.filter((r) => r.segment.owner.name === "direct_map");
    expect(runs.map((r) => [r.size, r.bytes / BigInt(r.size)])).toEqual([
      [PAGE_1G, 1n],
      [PAGE_2M, 511n],
      [PAGE_1G, 1n],
      [PAGE_4K, 1n],
    ]);
  });

  it("maps no more RAM than the region holds", () => {
    const inst = installed(DIRECT, { ram: 4n * GiB });
    const mmu = inst.mmu();
    const small = 0xffff_c880_0000_0000n;
    expect(pa(mmu.probe(small + 2n * GiB - 1n, Access.read))).toBe(2n * GiB - 1n);
    expect(mmu.probe(small + 2n * GiB, Access.read).ok).toBe(false);
  });

  it("honours max_page (Linux 2.6.24: 2 MiB) and 4 KiB device regions", () => {
    const old = installed(specLayout("linux-2.6.24"), { ram: 4n * GiB });
    expect(new Set(old.runs.map((r) => r.size))).toEqual(new Set([PAGE_2M]));
    const mixed = installed(mixedLayout());
    const devices = mixed.runs.filter((r) => r.segment.owner.name === "devices");
    expect(devices.map((r) => r.size)).toEqual([PAGE_4K]);
  });

  it("installs a 16 GiB direct map at 4 KiB pages in well under a second", () => {
    const layout = inlineLayout(`layout dm4k "4 KiB direct map"
paging 4
ffff888000000000 +64TB direct_map "direct map" { map ram; perm rw; global; max_page 4KB }
`);
    const t0 = performance.now();
    const inst = installed(layout, { ram: 16n * GiB });
    const ms = performance.now() - t0;
    expect(inst.framesPerLevel()).toEqual({ 1: 8192, 2: 16, 3: 1, 4: 1, 5: 0 });
    expect(pa(inst.mmu().probe(D + 16n * GiB - 1n, Access.read))).toBe(16n * GiB - 1n);
    expect(ms).toBeLessThan(1500); // typically 0.1-0.2 s
  });
});

describe("permissions and regions", () => {
  const inst = installed(mixedLayout(), { ram: 4n * GiB });
  const mmu = inst.mmu();

  it("kernel text is read-execute, read-only data no-execute, data read-write no-execute", () => {
    const text = 0xffff_ffff_8000_1000n;
    const ro = 0xffff_ffff_8060_0000n;
    const data = 0xffff_ffff_8070_4000n;
    expect(pa(mmu.probe(text, Access.fetch))).toBe(0x20_1000n);
    expect(mmu.probe(text, Access.write)).toMatchObject({
      ok: false,
      violation: "write-to-read-only",
    });
    expect(mmu.probe(ro, Access.read).ok).toBe(true);
    expect(mmu.probe(ro, Access.write).ok).toBe(false);
    expect(mmu.probe(ro, Access.fetch)).toMatchObject({ ok: false, violation: "execute-disable" });
    expect(mmu.probe(data, Access.write).ok).toBe(true);
    expect(mmu.probe(data, Access.fetch)).toMatchObject({
      ok: false,
      violation: "execute-disable",
    });
    // Supervisor only, global.
    expect(mmu.probe(data, Access.userRead)).toMatchObject({
      ok: false,
      violation: "user-access-to-supervisor-page",
    });
    const r = mmu.probe(data, Access.read);
    expect(r.ok && r.flags.global).toBe(true);
  });

  it("guards inside a mapped region and outside fault", () => {
    expect(mmu.probe(0xffff_ffff_8070_3000n, Access.read)).toMatchObject({
      ok: false,
      reason: "not-present",
    });
    expect(mmu.probe(0xffff_ffff_8070_2fffn, Access.read).ok).toBe(true);
    expect(mmu.probe(0xffff_ffff_8070_4000n, Access.read).ok).toBe(true);
    const linux = installed(specLayout("linux-x86_64", "4-level")).mmu();
    expect(linux.probe(0xffff_8000_0000_0000n, Access.read)).toMatchObject({
      ok: false,
      reason: "not-present",
    });
    // A hole inside a mapped region stays unmapped (Emerald's `nothing` below the kernel ELF).
    const emerald = installed(specLayout("emerald")).mmu();
    expect(emerald.probe(0xffff_ffff_8000_0000n, Access.read).ok).toBe(false);
    expect(pa(emerald.probe(0xffff_ffff_8010_0000n, Access.read))).toBe(0x10_0000n);
  });

  it("maps nothing for `map none`, regions without `map`, and the non-canonical range", () => {
    const linux = installed(specLayout("linux-x86_64", "4-level")).mmu();
    expect(linux.probe(0xffff_c900_0000_0000n, Access.read).ok).toBe(false); // vmalloc: map none
    expect(linux.probe(0xffff_fe00_0000_0000n, Access.read).ok).toBe(false); // cpu_entry_area: no map
    expect(linux.probe(0x0000_8000_0000_0000n, Access.read)).toMatchObject({
      ok: false,
      fault: "#GP",
    });
  });

  it("sets the memory type from `cache` (Linux's PAT layout) and G from `global`", () => {
    const dev = mmu.probe(0xffff_ffff_8400_0000n, Access.read);
    expect(dev.ok && [dev.flags.patIndex, dev.flags.global, dev.pa]).toEqual([
      3,
      true,
      0xfe00_0000n,
    ]);
    const wc = mmu.probe(0xffff_ffff_8500_0000n, Access.read);
    expect(wc.ok && [wc.flags.patIndex, wc.flags.global]).toEqual([1, false]);
  });
});

/** The canonical address whose top-level..PT indices are `ix` (4 levels). */
function recursiveVa(ix: readonly number[]): bigint {
  const raw = ix.reduce((v, i, k) => v | (BigInt(i) << BigInt(39 - 9 * k)), 0n);
  return canonicalize(raw, 4);
}

describe("recursive slot", () => {
  const inst = installed(specLayout("gaybsd-amd64"), { ram: 4n * GiB, processes: 1 });
  const mmu = inst.mmu();
  const root = BigInt((inst.kernel.mapper as Mapper).root);

  it("is the spec's top-level entry, supervisor, writable, no-execute", () => {
    expect(inst.recursive.map((r) => r.index)).toEqual([256]);
    const e = inst.memory.read64(Number(root) + 256 * 8);
    expect(e & 0xf_ffff_ffff_f000n).toBe(root);
    expect(e & 7n).toBe(3n); // P | RW, not U/S
    expect(e >> 63n).toBe(1n);
  });

  it("resolves the tables: the root, a PDPT, and a 1 GiB page entry seen as a PTE", () => {
    expect(pa(mmu.probe(recursiveVa([256, 256, 256, 256]), Access.read))).toBe(root);
    const dm = 0xffff_f800_0000_0000n;
    const i4 = Number((dm >> 39n) & 511n);
    const pml4e = inst.memory.read64(Number(root) + i4 * 8);
    const pdpt = pml4e & 0xf_ffff_ffff_f000n;
    expect(pa(mmu.probe(recursiveVa([256, 256, 256, i4]) + 8n, Access.read))).toBe(pdpt + 8n);
    // PDPT entry 1 of the direct map is a 1 GiB page; through the slot it is a PTE for its base.
    expect(pa(mmu.probe(recursiveVa([256, 256, i4, 1]), Access.read))).toBe(GiB);
    expect(mmu.probe(recursiveVa([256, 256, 256, 256]), Access.write).ok).toBe(true);
    expect(mmu.probe(recursiveVa([256, 256, 256, 256]), Access.fetch).ok).toBe(false);
    expect(mmu.probe(recursiveVa([256, 256, 256, 256]), Access.userRead).ok).toBe(false);
  });

  it("points at each address space's own root", () => {
    const p = inst.space(1);
    expect(pa(inst.mmu(1).probe(recursiveVa([256, 256, 256, 256]), Access.read))).toBe(
      BigInt((p.mapper as Mapper).root),
    );
  });
});

describe("per-process address spaces", () => {
  const inst = installed(mixedLayout(), { ram: 4n * GiB, processes: 2 });
  const [k, p1, p2] = [inst.space(0), inst.space(1), inst.space(2)];
  const entry = (space: typeof k, i: number): bigint =>
    inst.memory.read64((space.mapper as Mapper).root + i * 8);
  const idx = (va: bigint): number => Number((va >> 39n) & 511n);

  it("share the kernel's top-level entries for shared regions", () => {
    for (const va of [0xffff_8180_0000_0000n, 0xffff_ffff_8000_0000n]) {
      expect(entry(p1, idx(va))).toBe(entry(k, idx(va)));
      expect(entry(p2, idx(va))).toBe(entry(k, idx(va)));
      expect(entry(k, idx(va)) & 1n).toBe(1n);
    }
    // Every kernel table but the root is reachable from both processes.
    const a = audit(inst).value;
    const kernelTables = Object.values(a.spaces[0]!.tables).reduce((x, y) => x + y, 0);
    expect(a.spaces.map((s) => s.sharedWithKernel)).toEqual([
      0,
      kernelTables - 1,
      kernelTables - 1,
    ]);
  });

  it("have their own tables and frames for per-process regions; the kernel's has none", () => {
    const kstack = 0xffff_ff00_0000_1000n;
    expect(entry(k, idx(kstack))).toBe(0n);
    expect(entry(k, 0)).toBe(0n);
    expect(entry(p1, idx(kstack))).not.toBe(entry(p2, idx(kstack)));
    expect(inst.mmu(0).probe(kstack, Access.read).ok).toBe(false);
    expect(pa(inst.mmu(1).probe(kstack, Access.write))).toBe(0x700_0000n);
    expect(pa(inst.mmu(2).probe(kstack, Access.write))).toBe(0x720_0000n);
    expect(inst.mmu(1).probe(kstack - 1n, Access.read).ok).toBe(false); // the stack guard
    expect(pa(inst.mmu(1).probe(0x40_0000n, Access.userFetch))).toBe(0x800_0000n);
    expect(pa(inst.mmu(2).probe(0x40_0000n, Access.userFetch))).toBe(0x820_0000n);
    expect(pa(inst.mmu(2).probe(0x60_0000n, Access.userWrite))).toBe(0x920_0000n);
    expect(inst.mmu(1).probe(0x40_0000n, Access.userWrite).ok).toBe(false);
    // Shared mappings look the same from every space.
    expect(pa(inst.mmu(2).probe(0xffff_8180_0000_5000n, Access.read))).toBe(0x5000n);
  });

  it("split a top-level entry shared with per-process regions below it (Emerald's 510 GB area)", () => {
    const em = installed(specLayout("emerald"), { processes: 2 });
    const top = (s: number) => em.memory.read64((em.space(s).mapper as Mapper).root + 511 * 8);
    const pdpt = (s: number, i: number) =>
      em.memory.read64(Number(top(s) & 0xf_ffff_ffff_f000n) + i * 8);
    expect(top(1)).not.toBe(top(0));
    expect(top(2)).not.toBe(top(1));
    // PDPT entries 510 and 511 map the kernel: the same PD in every space.
    expect(pdpt(1, 510)).toBe(pdpt(0, 510));
    expect(pdpt(2, 510)).toBe(pdpt(0, 510));
    expect(pdpt(0, 510) & 1n).toBe(1n);
    // PDPT entry 0 holds each process's own kernel stack (`map alloc`): private, absent in
    // the kernel's space.
    expect(pdpt(1, 0) & 1n).toBe(1n);
    expect(pdpt(2, 0)).not.toBe(pdpt(1, 0));
    expect(pdpt(0, 0)).toBe(0n);
    expect(audit(em).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });
});

describe("boot parameters", () => {
  it("moves regions with a parameter value", () => {
    const em = installed(specLayout("emerald"), {
      params: { kernel_end: 0xffff_ffff_8060_0000n, user_stack_size: 64n * KiB },
    });
    expect(em.instance.byName.get("phys_alloc_low")!.start).toBe(0xffff_ffff_8060_0000n);
    expect(em.instance.byName.get("kernel_elf")!.end).toBe(0xffff_ffff_805f_ffffn);
    expect(em.instance.byName.get("user_stack")!.size).toBe(64n * KiB);
    expect(audit(em).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("rejects unknown, out-of-range and misaligned values with E0410", () => {
    const layout = specLayout("emerald");
    const codes = (boot: InstallOptions) => install(layout, boot).diagnostics.map((d) => d.code);
    expect(codes({ params: { nope: 1n } })).toEqual(["E0410"]);
    expect(codes({ params: { kernel_end: 0xffff_ffff_9000_0000n } })).toEqual(["E0410"]);
    expect(codes({ params: { kernel_end: 0xffff_ffff_8060_0800n } })).toEqual(["E0410"]);
    expect(
      codes({
        ram: [
          { start: 0n, end: 2n * GiB },
          { start: GiB, end: 3n * GiB },
        ],
      }),
    ).toEqual(["E0410"]);
    expect(codes({ ram: 1n << 47n })).toEqual(["E0410"]); // above MAXPHYADDR 46
    expect(codes({ ram: 4095n })).toEqual(["E0410"]); // less than one frame
  });

  it("relocates `map phys` by the kernel's load address", () => {
    const em = installed(specLayout("emerald"), { kernelLoad: 0x30_0000n });
    expect(em.instance.physOffset).toBe(0x20_0000n);
    expect(pa(em.mmu().probe(0xffff_ffff_8010_0000n, Access.read))).toBe(0x30_0000n);
    expect(audit(em).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const linux = install(specLayout("linux-x86_64", "4-level"), { kernelLoad: 0x100_0000n });
    expect(linux.diagnostics.map((d) => d.code)).toEqual(["E0410"]);
    expect(linux.diagnostics[0]!.help).toContain("kernel_load_address");
  });

  it("randomises the KASLR group as Linux does, reproducibly per seed", () => {
    const layout = specLayout("linux-x86_64", "4-level");
    const a = installed(layout, { kaslrSeed: 42n });
    const b = installed(layout, { kaslrSeed: 42n });
    const c = installed(layout, { kaslrSeed: 43n });
    const bases = (i: Installation) =>
      ["direct_map", "vmalloc", "vmemmap"].map((n) => i.instance.byName.get(n)!.start);
    expect(bases(a)).toEqual(bases(b));
    expect(bases(a)).not.toEqual(bases(c));
    const [dm, vm, vmemmap] = bases(a);
    expect(dm! % GiB).toBe(0n);
    expect(dm! >= 0xffff_8880_0000_0000n && dm! < vm! && vm! < vmemmap!).toBe(true);
    expect(vmemmap! < 0xffff_fe00_0000_0000n).toBe(true);
    const mmu = a.mmu();
    expect(pa(mmu.probe(dm! + 0x1234n, Access.read))).toBe(0x1234n);
    if (dm !== 0xffff_8880_0000_0000n)
      expect(mmu.probe(0xffff_8880_0000_0000n, Access.read).ok).toBe(false);
    expect(audit(a).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    // The randomised direct map wins over the holes it now covers.
    // (Past its first MiB, the child region `low_memory`.)
    const seg = segments(a.instance).find(
      (s) => s.start <= dm! + 0x100000n && dm! + 0x100000n < s.end,
    )!;
    expect(seg.owner.name).toBe("direct_map");
  });

  it("installs 5-level layouts", () => {
    const inst = installed(specLayout("linux-x86_64", "5-level"));
    const r = inst.mmu().probe(0xff11_0000_4000_1234n, Access.read);
    expect([pa(r), page(r)]).toEqual([0x4000_1234n, PAGE_1G]);
    expect(inst.framesPerLevel()[5]).toBe(1);
  });
});

describe("limits", () => {
  it("refuses absurd work with E0411 instead of hanging", () => {
    const layout = inlineLayout(`layout huge "huge"
paging 4
ffff800000000000 +64TB  everything "everything at 4 KiB" { map phys 0; perm rw; max_page 4KB }
`);
    const t0 = performance.now();
    const r = install(layout, { maxPhyAddr: 52 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E0411"]);
    expect(r.diagnostics[0]!.message).toMatch(/page-table frames/);
    const big = install(DIRECT, { ram: 1n * TiB, maxPhyAddr: 52 });
    expect(big.value).toBeDefined(); // 1 GiB pages: a handful of tables
  });

  it("reports tables it cannot write as E0412 (a physical base above MAXPHYADDR)", () => {
    const layout = inlineLayout(`layout high "high"
paging 4
ffffffff80000000 +2MB  mmio "device window" { map phys 0xfe00000000000; perm rw; cache uc }
`);
    const r = install(layout);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E0412"]);
    expect(r.diagnostics[0]!.message).toBe(
      "cannot map `mmio` at 0xffffffff80000000: physical address 0x000fe000001fffff is above MAXPHYADDR (46 bits)",
    );
    expect(install(layout, { maxPhyAddr: 52 }).value).toBeDefined();
  });

  it("normalises RAM maps (trim to frames, merge, reject overlaps)", () => {
    expect(
      normalizeRam([
        { start: 0x800n, end: 0x3800n },
        { start: 0x3800n, end: 0x5000n },
      ]),
    ).toEqual({
      ok: true,
      value: [{ start: 0x1000n, end: 0x5000n }],
    });
    expect(
      normalizeRam([
        { start: 0n, end: 0x2000n },
        { start: 0x1000n, end: 0x3000n },
      ]).ok,
    ).toBe(false);
  });
});

describe("map alloc", () => {
  const ALLOC = inlineLayout(`layout a "allocated"
paging 4
ffff888000000000 +64TB direct_map "direct map" { map ram; perm rw; global; max_page 1GB }
ffffc90000000000 +16MB heap  "kernel heap" { map alloc; perm rw; global }
ffffc90001000000 +16KB stack "kernel stack" { map alloc; perm rw }
0000000000400000 +8KB  ustack "user stack" { map alloc; perm rw; user; per_process }
`);
  const H = 0xffff_c900_0000_0000n;

  it("backs each region with its own RAM from the top down, 2 MiB aligned when it is that big", () => {
    const inst = installed(ALLOC, { ram: 1n * GiB, processes: 2 });
    const mmu = inst.mmu();
    const heap = mmu.probe(H, Access.write);
    // Regions in address order: ustack for processes 1 and 2, then heap, then stack.
    expect([pa(heap), page(heap)]).toEqual([GiB - 18n * MiB, PAGE_2M]);
    expect(pa(mmu.probe(H + 16n * MiB, Access.write))).toBe(GiB - 18n * MiB - 16n * KiB);
    const ustack = (p: number) => pa(inst.mmu(p).probe(0x40_0000n, Access.read));
    expect([ustack(1), ustack(2)]).toEqual([GiB - 8n * KiB, GiB - 16n * KiB]);
    expect(mmu.probe(0x40_0000n, Access.read).ok).toBe(false); // per-process: not in the kernel's
    // The direct map sees the same RAM, as a kernel's does.
    expect(pa(mmu.probe(D + GiB - 18n * MiB, Access.read))).toBe(GiB - 18n * MiB);
    expect(audit(inst).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("never below the page-table pool's limit: E0410 when RAM is too small", () => {
    const r = install(ALLOC, { ram: 256n * MiB, maxTableFrames: 60_000 });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E0410"]);
    expect(r.diagnostics[0]!.message).toContain("to back `heap` (`map alloc`, 16 MiB)");
    expect(install(ALLOC, { ram: 256n * MiB, maxTableFrames: 4096 }).diagnostics).toEqual([]);
  });
});
