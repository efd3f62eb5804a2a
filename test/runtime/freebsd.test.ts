/**
 * specs/freebsd-amd64.layout installed: its recursive slot maps the page tables where FreeBSD's
 * own macros look for them (sys/amd64/include/pmap.h, vtopte()/vtopde() in
 * sys/amd64/amd64/pmap.c, FreeBSD 14). The addresses are computed here the way those macros
 * compute them, independently of the spec, and translated by the emulated MMU and by QEMU.
 */
import { describe, expect, it } from "vitest";
import { Access } from "../../src/arch/x86_64/mmu.js";
import { install, type Installation } from "../../src/runtime/install.js";
import { GiB, specLayout } from "./qemu/layouts.js";
import { QemuMachine, qemuVersion } from "./qemu/machine.js";

const ONES = (1n << 64n) - 1n;
const [PAGE_SHIFT, PDRSHIFT, PDPSHIFT, PML4SHIFT, PML5SHIFT] = [12n, 21n, 30n, 39n, 48n];
const PML4PML4I = 256n; // NPML4EPG / 2
const PML5PML5I = 256n; // NPML5EPG / 2

/** l4 << PML4SHIFT | l3 << PDPSHIFT | l2 << PDRSHIFT | l1 << PAGE_SHIFT */
const indices = (l4: bigint, l3: bigint, l2: bigint, l1: bigint): bigint =>
  (l4 << PML4SHIFT) | (l3 << PDPSHIFT) | (l2 << PDRSHIFT) | (l1 << PAGE_SHIFT);

/** KV4ADDR(l4, l3, l2, l1): ((unsigned long)-1 << 47) | the indices. */
const kv4addr = (l4: bigint, l3: bigint, l2: bigint, l1: bigint): bigint =>
  ((ONES << 47n) & ONES) | indices(l4, l3, l2, l1);

/** KV5ADDR(l5, l4, l3, l2, l1): ((unsigned long)-1 << 56) | l5 << PML5SHIFT | the indices. */
const kv5addr = (l5: bigint, l4: bigint, l3: bigint, l2: bigint, l1: bigint): bigint =>
  ((ONES << 56n) & ONES) | (l5 << PML5SHIFT) | indices(l4, l3, l2, l1);

/** vtopte(va) = PTmap + ((va >> (PAGE_SHIFT - 3)) & vtoptem), for 4 or 5 levels. */
function vtopte(va: bigint, levels: 4 | 5): bigint {
  const ptmap = levels === 4 ? kv4addr(PML4PML4I, 0n, 0n, 0n) : kv5addr(PML5PML5I, 0n, 0n, 0n, 0n);
  const vtoptem = ((1n << (9n * BigInt(levels))) - 1n) << 3n;
  return ptmap + ((va >> (PAGE_SHIFT - 3n)) & vtoptem);
}

/** vtopde(va) = PDmap + ((va >> (PDRSHIFT - 3)) & vtopdem). */
function vtopde(va: bigint, levels: 4 | 5): bigint {
  const pdmap =
    levels === 4
      ? kv4addr(PML4PML4I, PML4PML4I, 0n, 0n)
      : kv5addr(PML5PML5I, PML5PML5I, 0n, 0n, 0n);
  const vtopdem = ((1n << (9n * BigInt(levels - 1))) - 1n) << 3n;
  return pdmap + ((va >> (PDRSHIFT - 3n)) & vtopdem);
}

/** The top table seen through the recursive slot: every index the slot's own. */
const topTable = (levels: 4 | 5): bigint =>
  levels === 4
    ? kv4addr(PML4PML4I, PML4PML4I, PML4PML4I, PML4PML4I)
    : kv5addr(PML5PML5I, PML5PML5I, PML5PML5I, PML5PML5I, PML5PML5I);

const FRAME = 0x000f_ffff_ffff_f000n;
const DMAP_MIN_ADDRESS = kv4addr(496n, 0n, 0n, 0n); // DMPML4I
const KERNBASE = kv4addr(511n, 510n, 0n, 0n); // KPML4I, KPDPI
// RAM with a hole below 1 MiB, so the direct map needs 4 KiB pages (and so PTEs) around it.
const RAM = [
  { start: 0n, end: 0x9f000n },
  { start: 0x100000n, end: 4n * GiB },
];
const VARIANTS: readonly [string, 4 | 5][] = [
  ["la48+plain", 4],
  ["la57+kasan", 5],
];

/** The physical address of the entry at `level` (1 = PTE) that maps `va`, by walking memory. */
function entryAddress(inst: Installation, va: bigint, levels: 4 | 5, level: number): bigint {
  let table = BigInt(inst.kernel.mapper.root);
  for (let l = levels; ; l--) {
    const at = table + ((va >> BigInt(12 + 9 * (l - 1))) & 511n) * 8n;
    if (l === level) return at;
    table = inst.memory.read64(Number(at)) & FRAME;
  }
}

/**
 * The PML4 slots of FreeBSD 14's sys/amd64/include/pmap.h (sobomax/freebsd14_vendor@42edb4ec),
 * transcribed: NPML4EPG = 512, NKPML4E = 4, NDMPML4E = 8, NKASANPML4E = (NKPML4E + 7) / 8,
 * NKMSANSHADPML4E = NKMSANORIGPML4E = NKPML4E.
 */
const NKPML4E = 4n;
const KPML4BASE = 512n - NKPML4E;
const NDMPML4E = 8n;
const DMPML4I = ((KPML4BASE - NDMPML4E) / NDMPML4E) * NDMPML4E; // rounddown()
const KASANPML4I = DMPML4I - (NKPML4E + 7n) / 8n;
const KMSANSHADPML4I = KPML4BASE - NKPML4E;
const KMSANORIGPML4I = DMPML4I - NKPML4E;
const LMSPML4I = PML4PML4I + 1n;
/** `count` PML4 slots from `first`: KV4ADDR(first, 0, 0, 0) up to the byte before KV4ADDR(first + count, 0, 0, 0). */
const slots = (first: bigint, count: bigint): [bigint, bigint] => [
  kv4addr(first, 0n, 0n, 0n),
  kv4addr(first, 0n, 0n, 0n) + (count << PML4SHIFT) - 1n,
];

describe("freebsd-amd64: every variant's regions where pmap.h's slot macros put them", () => {
  const common: Record<string, [bigint, bigint]> = {
    direct_map: slots(DMPML4I, NDMPML4E), // DMAP_MIN_ADDRESS .. DMAP_MAX_ADDRESS
    kernel_map: slots(KPML4BASE, NKPML4E), // VM_MIN_KERNEL_ADDRESS .. VM_MAX_KERNEL_ADDRESS
    recursive_pt: slots(PML4PML4I, 1n), // UPT_MIN_ADDRESS
  };
  const bySanitizer: Record<string, Record<string, [bigint, bigint]>> = {
    plain: { large_map_area: slots(LMSPML4I, KASANPML4I - LMSPML4I) },
    kasan: {
      large_map_area: slots(LMSPML4I, KASANPML4I - LMSPML4I), // .. LARGEMAP_MAX_ADDRESS
      kasan_shadow: slots(KASANPML4I, 1n), // KASAN_MIN_ADDRESS .. KASAN_MAX_ADDRESS
    },
    kmsan: {
      large_map_area: slots(LMSPML4I, KMSANORIGPML4I - LMSPML4I), // pmap_init()'s KMSAN cap
      kmsan_origin: slots(KMSANORIGPML4I, NKPML4E), // KMSAN_ORIG_MIN/MAX_ADDRESS
      kmsan_shadow: slots(KMSANSHADPML4I, NKPML4E), // KMSAN_SHAD_MIN/MAX_ADDRESS
    },
  };
  for (const paging of ["la48", "la57"])
    for (const [sanitizer, own] of Object.entries(bySanitizer))
      it(`${paging}+${sanitizer}`, () => {
        const layout = specLayout("freebsd-amd64", `${paging}+${sanitizer}`);
        const at = (name: string) => {
          const r = layout.regions.find((x) => x.name === name);
          return r && [r.start.value, r.end.value];
        };
        for (const [name, extent] of Object.entries({ ...common, ...own }))
          expect(at(name), name).toEqual(extent);
        expect(layout.regions.find((r) => r.name === "kernel")?.start.value).toBe(KERNBASE);
        // VM_MAXUSER_ADDRESS_LA48 = UVADDR(0, NUP4ML4E, 0, 0, 0), _LA57 = UVADDR(NUPML5E, 0, ...)
        const maxUser = paging === "la48" ? 256n << PML4SHIFT : 256n << PML5SHIFT;
        expect(at("user")).toEqual([0n, maxUser - 1n]);
        expect(layout.regions.find((r) => r.name === "large_map")?.size.value).toBe(
          8n * 512n * GiB,
        );
      });
});

for (const [variant, levels] of VARIANTS) {
  describe(`freebsd-amd64 ${variant}: the recursive slot where pmap.h says`, () => {
    const installed = install(specLayout("freebsd-amd64", variant), { ram: RAM });
    const inst = installed.value!;
    const mmu = inst.mmu();
    const root = BigInt(inst.kernel.mapper.root);
    const paOf = (va: bigint): bigint | undefined => {
      const r = mmu.probe(va, Access.read);
      return r.ok ? r.pa : undefined;
    };
    const dmapVa = DMAP_MIN_ADDRESS + 0x9e000n; // PHYS_TO_DMAP(0x9e000): a 4 KiB page
    const kernelVa = KERNBASE + 0x200000n; // KERNLOAD through KERNBASE: a 2 MiB page

    it("installs without diagnostics", () => {
      expect(installed.diagnostics.map((d) => d.message)).toEqual([]);
    });

    it("the top table appears at the recursive slot's fixed point, its own entry in it", () => {
      expect(paOf(topTable(levels))).toBe(root);
      const self = topTable(levels) + (levels === 4 ? PML4PML4I : PML5PML5I) * 8n; // PML4pml4e
      expect(paOf(self)).toBe(root + 256n * 8n);
      expect(inst.memory.read64(Number(root + 256n * 8n)) & FRAME).toBe(root);
    });

    it("vtopte() of a 4 KiB page reaches its PTE, which maps it", () => {
      expect(mmu.probe(dmapVa, Access.read)).toMatchObject({
        ok: true,
        pa: 0x9e000n,
        pageSize: 4096,
      });
      const pte = entryAddress(inst, dmapVa, levels, 1);
      expect(paOf(vtopte(dmapVa, levels))).toBe(pte);
      expect(inst.memory.read64(Number(pte)) & FRAME).toBe(0x9e000n);
    });

    it("vtopde() of a 2 MiB page reaches its PDE, which maps it", () => {
      expect(paOf(kernelVa)).toBe(0x200000n);
      const pde = entryAddress(inst, kernelVa, levels, 2);
      expect(paOf(vtopde(kernelVa, levels))).toBe(pde);
      expect(inst.memory.read64(Number(pde)) & 0x000f_ffff_ffe0_0000n).toBe(0x200000n);
    });

    it.skipIf(qemuVersion() === undefined)(
      "QEMU's page walker agrees on every one of these addresses",
      async () => {
        const vas = [
          topTable(levels),
          vtopte(dmapVa, levels),
          vtopde(kernelVa, levels),
          dmapVa,
          kernelVa,
        ];
        const image = inst.image();
        const machine = await QemuMachine.start({ image: image.bytes, imageBase: image.imageBase });
        try {
          await machine.enablePaging(levels, inst.kernel.cr3);
          expect(await machine.translate(vas)).toEqual(vas.map(paOf));
        } finally {
          await machine.close();
        }
      },
      60_000,
    );
  });
}
