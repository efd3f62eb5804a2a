/**
 * The emulated MMU against a real kernel's page tables: Debian's cloud kernel (KASLR, PTI,
 * 5-level capable) boots under QEMU TCG in 4- and 5-level mode; its RAM and CR3 are read over QMP
 * and loaded into `PhysicalMemory`; then for addresses at the edges of, and inside, every run of
 * mappings the ptdump listing of those tables shows (plus seeded random ones), the emulator's
 * supervisor read must agree with QEMU's own walker (`gva2gpa`) on the live, stopped machine.
 *
 * Needs test/kernel/fetch.sh to have run (.ci/run runs it). Outside CI a missing kernel or QEMU
 * skips, saying so; in CI it fails.
 */
import { describe, expect, it } from "vitest";
import { imageOfBytes, loadImage } from "../../src/audit/image.js";
import { ptdump } from "../../src/runtime/dump.js";
import { Access, Mmu } from "../../src/arch/x86_64/mmu.js";
import { seededRandom } from "../../src/model/kaslr.js";
import { Cr4 } from "../../src/arch/x86_64/control.js";
import { x86_64 } from "../../src/arch/x86_64/arch.js";
import { addressMask } from "../../src/arch/x86_64/entry.js";
import { qemuVersion } from "../runtime/qemu/machine.js";
import { cachedKernel, KERNEL_CACHE, LinuxGuest } from "./linux.js";

const KERNEL = cachedKernel();
const READY = KERNEL !== undefined && qemuVersion() !== undefined;
/** CR3 bits 51:12 (SDM 4.5.2); the low 12 bits are a PCID when CR4.PCIDE = 1. */
const CR3_ADDRESS = addressMask(52);
const RANDOM = 200;

/** Present runs of the ptdump listing: `[start, end)` of every line with flags. */
function presentRuns(listing: string): [bigint, bigint][] {
  const runs: [bigint, bigint][] = [];
  for (const line of listing.split("\n")) {
    const m = /^0x([0-9a-f]{16})-0x([0-9a-f]{16})\s+\d+[BKMGTPE]\s(.*)$/.exec(line);
    if (!m || m[3]!.slice(0, 30).trim() === "") continue;
    const end = BigInt(`0x${m[2]}`);
    runs.push([BigInt(`0x${m[1]}`), end === 0n ? 1n << 64n : end]);
  }
  return runs;
}

describe.runIf(READY || process.env.CI)(`a real Linux kernel's page tables (${KERNEL})`, () => {
  for (const levels of [4, 5] as const) {
    it(`${levels}-level: the emulator and QEMU agree on the booted kernel's tables`, async () => {
      expect(KERNEL, `no kernel in ${KERNEL_CACHE}: run test/kernel/fetch.sh`).toBeDefined();
      const guest = await LinuxGuest.boot({ machine: { arch: "amd64", levels } });
      try {
        const { cr3, cr4 } = await guest.controlRegisters();
        expect((cr4 & Cr4.LA57) !== 0n).toBe(levels === 5);
        const memory = loadImage(imageOfBytes(await guest.ram()));
        const mmu = new Mmu({ memory, levels, cr3: cr3 & CR3_ADDRESS, maxPhyAddr: 52 });
        const runs = presentRuns(
          ptdump({ memory, cr3: cr3 & CR3_ADDRESS, arch: x86_64(levels), maxPhyAddr: 52 }, []),
        );
        // The kernel half holds the kernel's text and the direct map, whichever PGD is live.
        expect(runs.filter(([s]) => s >> 63n === 1n).length).toBeGreaterThan(10);

        const rand = seededRandom(BigInt(levels));
        const vas = new Set<bigint>();
        for (const [s, e] of runs) {
          vas
            .add(s)
            .add(e - 1n)
            .add(BigInt.asUintN(64, s - 1n))
            .add(BigInt.asUintN(64, e));
        }
        const picks = [...runs];
        for (let i = 0; i < RANDOM; i++) {
          const [s, e] = picks[Number(rand() % BigInt(picks.length))]!;
          vas.add(s + (rand() % (e - s)));
          vas.add(BigInt.asUintN(64, rand()) | (0xffffn << 48n));
        }
        const sorted = [...vas].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const qemu = await guest.translate(sorted);
        const differ: string[] = [];
        sorted.forEach((va, i) => {
          const r = mmu.probe(va, Access.read);
          const ours = r.ok ? r.pa : undefined;
          if (ours !== qemu[i]) {
            differ.push(
              `0x${va.toString(16)}: emulator ${ours?.toString(16)}, QEMU ${qemu[i]?.toString(16)}`,
            );
          }
        });
        expect(differ.slice(0, 20)).toEqual([]);
        // Both sides translate most of the sampled addresses: the comparison is not vacuous.
        expect(qemu.filter((pa) => pa !== undefined).length).toBeGreaterThan(runs.length);
      } finally {
        await guest.close();
      }
    }, 300_000);
  }
});
