/**
 * Linux x86-64 with 4-level paging (Documentation/arch/x86/x86_64/mm.rst), exhaustive, as a
 * test layout. `kaslr` adds the memory-randomisation group of arch/x86/mm/kaslr.c.
 */
import {
  type KaslrDesc,
  type LayoutDesc,
  type RegionDesc,
  GiB,
  KiB,
  MiB,
  TiB,
  build,
} from "./build.js";
import type { Layout } from "../../src/model/layout.js";

const TOP = 1n << 64n;

export const LINUX_KASLR: KaslrDesc = {
  name: "memory",
  start: 0xffff888000000000n,
  end: 0xfffffe0000000000n,
  align: GiB,
  members: ["direct_map", "vmalloc", "vmemmap"],
  mayOverlap: ["kasan_shadow"],
};

export function linuxRegions(): RegionDesc[] {
  return [
    { name: "user_space", start: 0n, size: 128n * TiB },
    {
      name: "noncanonical",
      kind: "noncanonical",
      start: 0x0000800000000000n,
      end: 0xffff7fffffffffffn,
    },
    { name: "guard_hole", kind: "guard", start: 0xffff800000000000n, size: 8n * TiB },
    { name: "ldt_remap", start: 0xffff880000000000n, size: TiB / 2n },
    { name: "direct_map", start: 0xffff888000000000n, size: 64n * TiB, maxPage: GiB },
    { name: "hole_1", kind: "hole", start: 0xffffc88000000000n, size: TiB / 2n },
    { name: "vmalloc", start: 0xffffc90000000000n, size: 32n * TiB },
    { name: "hole_2", kind: "hole", start: 0xffffe90000000000n, size: TiB },
    { name: "vmemmap", start: 0xffffea0000000000n, size: TiB },
    { name: "hole_3", kind: "hole", start: 0xffffeb0000000000n, size: TiB },
    { name: "kasan_shadow", start: 0xffffec0000000000n, size: 16n * TiB },
    { name: "hole_4", kind: "hole", start: 0xfffffc0000000000n, size: 2n * TiB },
    { name: "cpu_entry_area", start: 0xfffffe0000000000n, size: TiB / 2n },
    { name: "hole_5", kind: "hole", start: 0xfffffe8000000000n, size: TiB / 2n },
    { name: "esp_fixup", start: 0xffffff0000000000n, size: TiB / 2n },
    { name: "hole_6", kind: "hole", start: 0xffffff8000000000n, size: 444n * GiB },
    { name: "efi", start: 0xffffffef00000000n, size: 64n * GiB },
    { name: "hole_7", kind: "hole", start: 0xffffffff00000000n, size: 2n * GiB },
    { name: "kernel_text", start: 0xffffffff80000000n, size: 512n * MiB },
    { name: "modules", start: 0xffffffffa0000000n, end: 0xfffffffffeffffffn },
    { name: "fixmap", start: 0xffffffffff000000n, size: 6n * MiB },
    { name: "vsyscall", start: 0xffffffffff600000n, size: 4n * KiB },
    { name: "hole_8", kind: "hole", start: 0xffffffffff601000n, end: 0xffffffffffdfffffn },
    { name: "hole_9", kind: "hole", start: 0xffffffffffe00000n, end: TOP - 1n },
  ];
}

export function linuxDesc(withKaslr = true): LayoutDesc {
  return {
    name: "linux_x86_64",
    paging: 4,
    exhaustive: true,
    regions: linuxRegions(),
    kaslr: withKaslr ? [LINUX_KASLR] : [],
  };
}

export const linux = (withKaslr = true): Layout => build(linuxDesc(withKaslr));
