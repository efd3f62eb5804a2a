/**
 * QEMU differential test: the same translation tables in the emulated MMU and in QEMU 7.2's
 * `qemu-system-aarch64 -machine virt -cpu max` (`Aarch64Machine`), compared address by address
 * through `gva2gpa`, mapped and unmapped addresses alike, after the machine's stub has loaded the
 * translation registers and set SCTLR_EL1.M (the stub's code page is identity-mapped,
 * EL1-executable). QEMU 7.2's `-cpu max` takes every granule (4K, 16K, 64K) with every VA size
 * here (39, 42, 47, 48, and 52: FEAT_LPA2 with TCR_EL1.DS for 4K/16K, FEAT_LVA/LPA for 64K), and
 * agrees on all fifteen.
 */
import { describe, expect, it } from "vitest";
import { levelShift } from "../../../src/arch/aarch64/entry.js";
import { NORMAL } from "../../../src/arch/aarch64/mapper.js";
import { Aarch64Machine, MMU_ON_STUB, QEMU_AARCH64 } from "../../runtime/qemu/aarch64-machine.js";
import { qemuVersion } from "../../runtime/qemu/machine.js";
import { GRANULES, VA_SIZES, machine } from "./helpers.js";

const haveQemu = qemuVersion(QEMU_AARCH64) !== undefined;

const CODE = 0x4100_0000;
const TABLES = { lower: 0x4110_0000, upper: 0x4200_0000 };
const TOP = 1n << 64n;

describe.skipIf(!haveQemu)("AArch64 MMU against QEMU (virt, -cpu max)", () => {
  for (const granule of GRANULES) {
    for (const vaBits of VA_SIZES) {
      it(`${granule}K granule, ${vaBits}-bit VA: gva2gpa agrees at block boundaries and random addresses`, async () => {
        const m = machine(granule, vaBits, TABLES);
        const page = BigInt(granule) * 1024n;
        const block = 1n << BigInt(levelShift(granule, 2));
        const highPa = vaBits === 52 ? 0xf_0000_0000_0000n : 0x8000_0000_0000n;
        const ranges = [
          { half: m.lower, va: 0n, pa: 0x8000_0000n, size: 3n * page },
          {
            half: m.lower,
            va: block - page,
            pa: 0x1_0000_0000n + block - page,
            size: 2n * block + 2n * page,
          },
          { half: m.upper, va: TOP - 4n * block, pa: highPa, size: 4n * block },
          { half: m.upper, va: TOP - (1n << BigInt(vaBits)), pa: 0xc000_0000n, size: page },
        ];
        for (const r of ranges)
          expect(r.half.map(r.va, r.pa, r.size, { lo: NORMAL })).toBeUndefined();
        // The code page: identity-mapped, EL1 read-only and executable.
        const code = BigInt(CODE);
        expect(m.lower.map(code, code, page, { lo: NORMAL | (1 << 7) })).toBeUndefined();
        MMU_ON_STUB.forEach((insn, i) => m.memory.write32(CODE + 4 * i, insn));

        const probes = new Set<bigint>([
          code + 4n,
          5n * block,
          (1n << BigInt(vaBits)) - 1n,
          1n << BigInt(vaBits),
        ]);
        let seed = granule * 1000 + vaBits;
        const random = (n: bigint): bigint => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return BigInt(seed) % n;
        };
        for (const r of ranges) {
          for (let off = 0n; off < r.size; off += r.size > 8n * page ? block / 2n : page) {
            for (const d of [-1n, 0n, 1n]) probes.add(BigInt.asUintN(64, r.va + off + d));
          }
          probes.add(r.va + r.size - 1n);
          probes.add(BigInt.asUintN(64, r.va + r.size));
          for (let i = 0; i < 16; i++) probes.add(r.va + random(r.size));
        }

        const end = TABLES.upper + m.upper.tableBytes;
        const qemu = await Aarch64Machine.start({
          image: m.memory.readBytes(CODE, end - CODE),
          imageBase: CODE,
          timeoutMs: 20_000,
        });
        try {
          await qemu.enableMmu(code, m.mmu.regs);
          const list = [...probes];
          const theirs = await qemu.translate(list);
          const ours = list.map((va) => {
            const t = m.mmu.translate(va, { el: 1, kind: "read" });
            return t.ok ? t.pa : undefined;
          });
          const differ = list
            .map((va, i) => ({
              va: va.toString(16),
              ours: ours[i]?.toString(16),
              qemu: theirs[i]?.toString(16),
            }))
            .filter((d) => d.ours !== d.qemu);
          expect(differ).toEqual([]);
          expect(ours.filter((pa) => pa !== undefined).length).toBeGreaterThan(list.length / 2);
        } finally {
          await qemu.close();
        }
      }, 60_000);
    }
  }
});
