/**
 * Differential test of the installer and the emulated MMU against QEMU's page walker.
 *
 * For every spec and variant (and a fixture with every kind of mapping, and Linux with KASLR
 * and a RAM map with holes), install the layout with a kernel and two process address spaces,
 * export the tables as a raw image, load it into a paused QEMU (q35, `-cpu max`), enter
 * IA-32e paging through the gdbstub (CR4.PAE and LA57 for 5 levels, EFER.LME|NXE, CR3,
 * CR0.PE|WP|PG), and ask QEMU (`gva2gpa`, its debug walker) to translate: the first and last
 * byte of every region, mapping and page run, the bytes around them, guards (which must
 * fault), and a few hundred seeded random addresses per address space (inside mappings, inside
 * regions, in recursive slots, anywhere). Every answer must equal the emulator's supervisor read
 * (`Mmu.probe`): the same physical address, or no translation on both sides.
 *
 * Skipped, saying so, when qemu-system-x86_64 is not installed (.ci/run installs it).
 */
import type { Mapper } from "../../src/arch/x86_64/mapper.js";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/pipeline.js";
import { Access } from "../../src/arch/x86_64/mmu.js";
import { type BootParams, install } from "../../src/runtime/install.js";
import { audit } from "../../src/audit/checks.js";
import { QemuMachine, qemuVersion } from "./qemu/machine.js";
import { disagreements, spaceAddresses } from "./qemu/space-addresses.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const VERSION = qemuVersion();
const RANDOM_PER_SPACE = 300;
const HOLEY_RAM = [
  { start: 0n, end: 0x9f000n },
  { start: 0x100000n, end: 3n << 30n },
  { start: 4n << 30n, end: 0x1_4012_3000n },
];

interface Case {
  readonly name: string;
  readonly file: string;
  readonly variant: string | undefined;
  readonly boot: BootParams;
}

function cases(): Case[] {
  const specs = readdirSync(path.join(ROOT, "specs"))
    .filter((f) => f.endsWith(".layout"))
    .sort()
    .map((f) => path.join(ROOT, "specs", f));
  const out: Case[] = [];
  for (const file of specs) {
    const checked = checkSpec(file);
    // x86-64 layouts only: this is the x86 machine (RISC-V has its own QEMU test).
    for (const layout of checked.layouts.filter((l) => l.paging.arch === "x86_64")) {
      const name = `${path.basename(file, ".layout")}${layout.variant !== null ? ` ${layout.variant}` : ""}`;
      out.push({
        name,
        file,
        variant: layout.variant ?? undefined,
        boot: { ram: 4n << 30n, processes: 2 },
      });
    }
  }
  for (const variant of ["4-level", "5-level"]) {
    out.push({
      name: `linux-x86_64 ${variant}, KASLR seed 1234, RAM with holes`,
      file: path.join(ROOT, "specs", "linux-x86_64.layout"),
      variant,
      boot: { ram: HOLEY_RAM, kaslrSeed: 1234n, processes: 1 },
    });
  }
  out.push({
    name: "fixture: every kind of mapping, RAM with holes",
    file: path.join(ROOT, "test", "runtime", "qemu", "fixtures", "mixed.layout"),
    variant: undefined,
    boot: { ram: HOLEY_RAM, processes: 2 },
  });
  return out;
}

const hex = (v: bigint | undefined): string => (v === undefined ? "none" : `0x${v.toString(16)}`);

describe.skipIf(VERSION === undefined)(
  `differential test against QEMU's page walker${VERSION ? ` (${VERSION})` : ""}`,
  () => {
    it("sees a corrupted entry (QEMU really walks the image)", async () => {
      const checked = checkSpec(path.join(ROOT, "specs", "linux-x86_64.layout"), {
        variant: "4-level",
      });
      const inst = install(checked.layouts[0]!, { ram: 4n << 30n }).value!;
      const image = inst.image();
      const bytes = new Uint8Array(image.bytes);
      const va = 0xffff_8880_4000_1234n; // second 1 GiB page of the direct map
      const pml4e = inst.memory.read64(
        (inst.kernel.mapper as Mapper).root + Number((va >> 39n) & 511n) * 8,
      );
      const pdpt = Number(pml4e & 0x000f_ffff_ffff_f000n);
      const at = pdpt + Number((va >> 30n) & 511n) * 8 - image.imageBase;
      const view = new DataView(bytes.buffer);
      view.setBigUint64(at, view.getBigUint64(at, true) + (1n << 30n), true); // point it 1 GiB further
      const machine = await QemuMachine.start({ image: bytes, imageBase: image.imageBase });
      try {
        await machine.enablePaging(4, inst.kernel.cr3);
        const [theirs, other] = await machine.translate([va, 0xffff_8880_0000_1234n]);
        const ours = inst.mmu().probe(va, Access.read);
        expect(ours.ok && ours.pa).toBe(0x4000_1234n);
        expect(theirs).toBe(0x8000_1234n);
        expect(other).toBe(0x1234n);
      } finally {
        await machine.close();
      }
    }, 60_000);

    for (const c of cases()) {
      it(
        c.name,
        async () => {
          const checked = checkSpec(c.file, { variant: c.variant });
          expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
          const installed = install(checked.layouts[0]!, c.boot);
          expect(installed.diagnostics.map((d) => d.message)).toEqual([]);
          const inst = installed.value!;
          const audited = audit(inst);
          expect(
            audited.diagnostics.filter((d) => d.severity === "error").map((d) => d.message),
          ).toEqual([]);

          const image = inst.image();
          const machine = await QemuMachine.start({
            image: image.bytes,
            imageBase: image.imageBase,
          });
          let compared = 0;
          try {
            for (const space of [inst.kernel, ...inst.processes]) {
              await machine.enablePaging(inst.levels as 4 | 5, space.cr3);
              const mmu = inst.mmu(space.process);
              const vas = spaceAddresses(
                inst,
                space.process,
                0x5eedn + BigInt(space.process),
                RANDOM_PER_SPACE,
              );
              const qemu = await machine.translate(vas);
              const mismatches = disagreements(
                vas,
                qemu,
                (va) => {
                  const r = mmu.probe(va, Access.read);
                  return r.ok ? r.pa : undefined;
                },
                `${space.name} `,
              );
              expect(mismatches.slice(0, 20)).toEqual([]);
              compared += vas.length;
              // Guards must fault.
              for (const s of inst.segments.filter((x) => x.owner.region.kind === "guard")) {
                for (const va of [s.start, s.end - 1n]) {
                  expect(mmu.probe(va, Access.read).ok, `${s.owner.name} ${hex(va)}`).toBe(false);
                }
              }
            }
          } finally {
            await machine.close();
          }
          expect(compared).toBeGreaterThan(RANDOM_PER_SPACE);
        },
        60_000,
      );
    }
  },
);

describe.runIf(VERSION === undefined)("differential test against QEMU", () => {
  it("is skipped: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86; .ci/run does)", () => {
    console.warn("QEMU differential test skipped: qemu-system-x86_64 not found on PATH");
  });
});
