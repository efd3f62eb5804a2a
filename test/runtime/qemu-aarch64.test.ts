/**
 * Differential test of an INSTALLED AArch64 spec against QEMU's page walker: each granule x VA
 * size of test/fixtures/aarch64/small.layout is installed (the linear map from the RAM base of
 * QEMU's `virt` board), its tables and the MMU-on stub loaded into a paused
 * `qemu-system-aarch64 -machine virt -cpu max`, TTBR0/TTBR1/TCR/MAIR/SCTLR set by the stub with
 * the values `install` prints (aarch64-machine.ts), and QEMU's `gva2gpa` must answer every region
 * and page boundary and seeded random address exactly as `vmlayout translate`'s walk
 * (`Installation.aarch64Mmu`, an EL1 read) does.
 *
 * The stub needs an identity-mapped EL1-executable page: it is mapped into the installation's
 * TTBR0 half (kernel read-only text, as `perm rx`) 4 MiB above the table pool's base, past every
 * table the small spec needs, before the registers are read.
 *
 * Skipped, saying so, when qemu-system-aarch64 is not installed (Debian: qemu-system-arm).
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/pipeline.js";
import { install } from "../../src/runtime/install.js";
import { audit } from "../../src/audit/checks.js";
import { type Aarch64Tables, leafDescriptorBits } from "../../src/arch/aarch64/writer.js";
import { Aarch64Machine, MMU_ON_STUB, QEMU_AARCH64, RAM_BASE } from "./qemu/aarch64-machine.js";
import { qemuVersion } from "./qemu/machine.js";
import { disagreements, spaceAddresses } from "./qemu/space-addresses.js";

const VERSION = qemuVersion(QEMU_AARCH64);
const SPEC = path.resolve(import.meta.dirname, "..", "fixtures", "aarch64", "small.layout");
const RANDOM = 200;
const GRANULES = [4, 16, 64] as const;
const VA_SIZES = [39, 42, 47, 48, 52] as const;

describe.skipIf(VERSION === undefined)(
  `an installed AArch64 spec against QEMU's page walker${VERSION ? ` (${VERSION})` : ""}`,
  () => {
    for (const granule of GRANULES) {
      for (const vaBits of VA_SIZES) {
        it(`${granule}K granule, ${vaBits}-bit VA`, async () => {
          const checked = checkSpec(SPEC, { variant: `${granule}k_${vaBits}` });
          expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
          const installed = install(checked.layouts[0]!, { ram: 4n << 30n });
          expect(installed.diagnostics.map((d) => d.message)).toEqual([]);
          const inst = installed.value!;
          expect(
            audit(inst)
              .diagnostics.filter((d) => d.severity === "error")
              .map((d) => d.message),
          ).toEqual([]);

          const tables = inst.kernel.mapper as Aarch64Tables;
          const page = BigInt(granule) * 1024n;
          const code = BigInt(inst.allocator.base) + (4n << 20n);
          const stub = { perm: "rx", user: false, global: true } as const;
          expect(tables.half(code).map(code, code, page, leafDescriptorBits(stub))).toBeUndefined();
          MMU_ON_STUB.forEach((insn, i) => inst.memory.write32(Number(code) + 4 * i, insn));
          const image = inst.image();
          expect(image.imageBase).toBeGreaterThanOrEqual(RAM_BASE); // QEMU loads it into RAM
          expect(BigInt(image.imageBase + image.imageBytes)).toBeLessThanOrEqual(code);

          const machine = await Aarch64Machine.start({
            image: inst.memory.readBytes(image.imageBase, Number(code + page) - image.imageBase),
            imageBase: image.imageBase,
            timeoutMs: 20_000,
          });
          try {
            await machine.enableMmu(code, tables.registers);
            const mmu = inst.aarch64Mmu();
            const vas = [...spaceAddresses(inst, 0, 0x5eedn, RANDOM), code + 4n];
            const qemu = await machine.translate(vas);
            const mismatches = disagreements(vas, qemu, (va) => {
              const r = mmu.translate(va, { el: 1, kind: "read" });
              return r.ok ? r.pa : undefined;
            });
            expect(mismatches.slice(0, 20)).toEqual([]);
            expect(vas.length).toBeGreaterThan(RANDOM);
            // Both see the linear map's first byte at the RAM base, and unmapped addresses fault.
            const linear = inst.instance.byName.get("linear_map")!;
            expect(qemu[vas.indexOf(linear.start)]).toBe(BigInt(RAM_BASE));
            expect(qemu.filter((x) => x === undefined).length).toBeGreaterThan(0);
          } finally {
            await machine.close();
          }
        }, 60_000);
      }
    }
  },
);

describe.runIf(VERSION === undefined)("an installed AArch64 spec against QEMU", () => {
  it("is skipped: qemu-system-aarch64 is not installed (apt-get install qemu-system-arm)", () => {
    console.warn("AArch64 QEMU differential test skipped: qemu-system-aarch64 not found on PATH");
  });
});
