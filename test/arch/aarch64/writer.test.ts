import { describe, expect, it } from "vitest";
import { Lo, toU64 } from "../../../src/arch/aarch64/entry.js";
import { Mapper, NORMAL } from "../../../src/arch/aarch64/mapper.js";
import { LINUX_MAIR, leafDescriptorBits, linuxTcr } from "../../../src/arch/aarch64/writer.js";
import { PhysicalMemory } from "../../../src/arch/physical-memory.js";
import type { LeafAttributes } from "../../../src/arch/arch.js";

/** A page descriptor (bits[1:0] = 11) with output address 0 and `leaf`'s attribute bits. */
function page(leaf: LeafAttributes): bigint {
  const { lo, hi } = leafDescriptorBits(leaf);
  return toU64(lo | Lo.VALID | Lo.TABLE, hi ?? 0);
}

describe("the AArch64 writer's encodings", () => {
  it("leaves as Linux's pgtable-prot.h builds them", () => {
    const kernel = { user: false, global: true } as const;
    const user = { user: true, global: false } as const;
    // PAGE_KERNEL = PROT_NORMAL: TYPE_PAGE | AF | SHARED | PXN | UXN | WRITE (DBM) | MT_NORMAL.
    expect(page({ ...kernel, perm: "rw" })).toBe(0x0068_0000_0000_0703n);
    // PAGE_KERNEL_RO and PAGE_KERNEL_ROX (no PXN), PAGE_KERNEL_EXEC (rwx: no PXN).
    expect(page({ ...kernel, perm: "r" })).toBe(0x0060_0000_0000_0783n);
    expect(page({ ...kernel, perm: "rx" })).toBe(0x0040_0000_0000_0783n);
    expect(page({ ...kernel, perm: "rwx" })).toBe(0x0048_0000_0000_0703n);
    // PROT_DEVICE_nGnRnE and pgprot_writecombine's MT_NORMAL_NC.
    expect(page({ ...kernel, perm: "rw", cache: "uc" })).toBe(0x0068_0000_0000_070fn);
    expect(page({ ...kernel, perm: "rw", cache: "wc" })).toBe(0x0068_0000_0000_070bn);
    // PAGE_SHARED (written, so AP[2] clear), PAGE_READONLY_EXEC: nG, AP[1], PXN.
    expect(page({ ...user, perm: "rw" })).toBe(0x0068_0000_0000_0f43n);
    expect(page({ ...user, perm: "rx" })).toBe(0x0020_0000_0000_0fc3n);
    // A kernel leaf the spec does not make global is nG.
    expect(page({ user: false, global: false, perm: "r" }) & BigInt(Lo.NG)).toBe(BigInt(Lo.NG));
  });

  it("TCR_EL1 and MAIR_EL1 as Linux's __cpu_setup programs them", () => {
    // 4K, 48-bit: T0SZ = T1SZ = 16, TG1 = 10, IPS = 48 bits (5), walks inner-shareable WBWA,
    // A1, AS; EPD0 without a TTBR0 table.
    expect(linuxTcr(4, 48, 48, true)).toBe(0x0000_0015_b550_3510n);
    expect(linuxTcr(4, 48, 48, false)).toBe(0x0000_0015_b550_3590n);
    // 16K and 52-bit: DS (FEAT_LPA2), TG0 = 10, TG1 = 01, IPS = 52 bits (6).
    expect(linuxTcr(16, 52, 52, true)).toBe(0x0800_0016_754c_b50cn);
    // 64K: no DS at 52 bits (FEAT_LPA), TG0 = 01, TG1 = 11.
    expect(linuxTcr(64, 52, 52, true)).toBe(0x0000_0016_f54c_750cn);
    expect(LINUX_MAIR).toBe(0x0000_0004_0044_ffffn);
  });

  it("maps nothing more once the table source runs out, and says so", () => {
    let free = 2;
    const tables = {
      allocate: (bytes: number) => (free-- > 0 ? 0x4000_0000 + (2 - free) * bytes : undefined),
    };
    const m = new Mapper(new PhysicalMemory(), { granule: 16, oa: "48" }, 47, tables);
    // The root, then one table: a page needs two below the root.
    expect(m.map(0x4000n, 0x8000_0000n, 0x4000n, { lo: NORMAL })).toBe(
      "the page-table pool is exhausted",
    );
    expect(m.tableBytes).toBe(2 * 0x4000);
  });
});
