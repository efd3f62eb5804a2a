/**
 * Differential test of the INSTALLED RISC-V spec against QEMU's page walker: each mode of
 * specs/linux-riscv64.layout is installed (direct map at the RAM base of QEMU's `virt` board),
 * its image loaded into a paused `qemu-system-riscv64 -machine virt`, S-mode entered with the
 * installation's satp through the gdbstub (riscv-machine.ts), and QEMU's `gva2gpa` must answer
 * every region and page boundary and seeded random address exactly as `vmlayout translate`'s
 * walk (`Installation.svMmu`, an S-mode load) does. `gva2gpa` walks with SUM set whatever
 * sstatus says (see test/arch/riscv64/qemu.test.ts), so SUM is set on both sides.
 *
 * Skipped, saying so, when qemu-system-riscv64 is not installed (Debian: qemu-system-misc).
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/pipeline.js";
import { install } from "../../src/runtime/install.js";
import { audit } from "../../src/audit/checks.js";
import { SvMmu } from "../../src/arch/riscv64/mmu.js";
import { RAM_BASE, RiscvMachine, SSTATUS_SUM, riscvQemuVersion } from "./qemu/riscv-machine.js";
import { disagreements, spaceAddresses } from "./qemu/space-addresses.js";

const VERSION = riscvQemuVersion();
const SPEC = path.resolve(import.meta.dirname, "..", "..", "specs", "linux-riscv64.layout");
const RANDOM = 300;

describe.skipIf(VERSION === undefined)(
  `installed linux-riscv64 against QEMU's page walker${VERSION ? ` (${VERSION})` : ""}`,
  () => {
    for (const mode of ["sv39", "sv48", "sv57"] as const) {
      it(
        mode,
        async () => {
          const checked = checkSpec(SPEC, { variant: mode });
          expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
          const installed = install(checked.layouts[0]!, { ram: 4n << 30n });
          expect(installed.diagnostics.map((d) => d.message)).toEqual([]);
          const inst = installed.value!;
          expect(
            audit(inst)
              .diagnostics.filter((d) => d.severity === "error")
              .map((d) => d.message),
          ).toEqual([]);
          const image = inst.image();
          expect(image.imageBase).toBeGreaterThanOrEqual(RAM_BASE); // QEMU loads it into RAM

          const machine = await RiscvMachine.start({
            image: image.bytes,
            imageBase: image.imageBase,
          });
          try {
            const satp = inst.kernel.cr3;
            await machine.enterSupervisor(satp, SSTATUS_SUM);
            const mmu = new SvMmu({ memory: inst.memory, satp, sum: true });
            const vas = spaceAddresses(inst, 0, 0x5eedn, RANDOM);
            const qemu = await machine.translate(vas);
            const mismatches = disagreements(vas, qemu, (va) => {
              const r = mmu.probe(va, { kind: "load", user: false });
              return r.ok ? r.pa : undefined;
            });
            expect(mismatches.slice(0, 20)).toEqual([]);
            expect(vas.length).toBeGreaterThan(RANDOM);
            // Both walkers see the direct map's first byte at the RAM base, and holes fault.
            const directMap = inst.instance.byName.get("direct_map")!;
            expect(qemu[vas.indexOf(directMap.start)]).toBe(BigInt(RAM_BASE));
            expect(qemu.filter((x) => x === undefined).length).toBeGreaterThan(0);
          } finally {
            await machine.close();
          }
        },
        60_000,
      );
    }
  },
);

describe.runIf(VERSION === undefined)("installed linux-riscv64 against QEMU", () => {
  it("is skipped: qemu-system-riscv64 is not installed (apt-get install qemu-system-misc)", () => {
    console.warn("RISC-V QEMU differential test skipped: qemu-system-riscv64 not found on PATH");
  });
});
