/**
 * `vmlayout audit` on a real kernel: Debian's cloud kernel (KASLR, 5-level capable) boots under
 * QEMU TCG, twice in 4-level and twice in 5-level mode (KASLR differs each boot); its RAM and CR3
 * go through the CLI against the committed spec, which must find nothing, and report the KASLR
 * bases it inferred: the ones the kernel's own `_text` confirms for the image. The same boot's
 * QEMU listings (`info tlb`, `info mem`) audit to the same findings and bases. Then faults are
 * planted in copies of one dump, each caught under its code at its region: a W+X page in a fixed
 * hole, a user page in the kernel half, a mapped guard, a kernel-text page made writable.
 *
 * The instance, not the defaults: the boot's RAM (/proc/iomem, plus the first MiB the kernel
 * always maps), its image size (/proc/kallsyms `_end - _text`), KERNEL_IMAGE_SIZE 1 GiB
 * (CONFIG_RANDOMIZE_BASE) and, in 5-level mode, the 4 PB direct map an untrimmed kernel reserves
 * (`ram_tb`: see specs/linux-x86_64.layout).
 *
 * Needs test/kernel/fetch.sh to have run (.ci/run runs it). Outside CI a missing kernel or QEMU
 * skips, saying so; in CI it fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vmlayout } from "../cli-helpers.js";
import { qemuVersion } from "../runtime/qemu/machine.js";
import { cachedKernel, KERNEL_CACHE, LinuxGuest } from "./linux.js";

const KERNEL = cachedKernel();
const READY = KERNEL !== undefined && qemuVersion() !== undefined;
const MiB2 = 2n << 20n;
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** What one boot left for the audit: files, and what the guest said about itself. */
interface Boot {
  readonly levels: 4 | 5;
  readonly ram: string;
  readonly cr3: bigint;
  /** `info tlb`, when taken. */
  readonly tlb: string | undefined;
  /** `info mem`, 4-level only. */
  readonly mem: string | undefined;
  /** The arguments every audit of this boot takes. */
  readonly args: string[];
  /** Where the kernel says its image starts (`_text`). */
  readonly text: bigint;
}

const dir = mkdtempSync(path.join(tmpdir(), "vmlk-audit-"));
const write = (name: string, data: string | Uint8Array): string => {
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return file;
};

/** Boots once; `listings` also takes QEMU's `info tlb` (and, 4-level, `info mem`). */
async function boot(levels: 4 | 5, n: number, listings: boolean): Promise<Boot> {
  const guest = await LinuxGuest.boot({ machine: { arch: "amd64", levels }, ramMiB: 256 });
  try {
    const { cr3 } = await guest.controlRegisters();
    const tag = `${levels}-${n}`;
    const ram = write(`${tag}.ram`, await guest.ram());
    const tlb = listings ? write(`${tag}.tlb`, await guest.monitor("info tlb")) : undefined;
    // QEMU 7.2's `info mem` prints nothing for LA57 tables, after tens of seconds.
    const mem =
      listings && levels === 4 ? write(`${tag}.mem`, await guest.monitor("info mem")) : undefined;
    // Linux maps the first MiB (the ISA range) whatever the firmware reports there.
    const ranges: [bigint, bigint][] = [[0n, 1n << 20n]];
    for (const [s, e] of guest.systemRam()) {
      const last = ranges[ranges.length - 1]!;
      if (s <= last[1]) last[1] = e > last[1] ? e : last[1];
      else ranges.push([s, e]);
    }
    const text = guest.symbol("_text");
    const end = guest.symbol("_end");
    const mapped = ((end + MiB2 - 1n) & ~(MiB2 - 1n)) - (text & ~(MiB2 - 1n));
    const args = [
      "audit",
      "specs/linux-x86_64.layout",
      "--variant",
      `${levels}-level`,
      "--ram",
      ranges.map(([s, e]) => `${hex(s)}..<${hex(e)}`).join(","),
      "--param",
      "kernel_image_size=1GB",
      "--param",
      `kernel_mapped=${hex(mapped)}`,
      ...(levels === 5 ? ["--param", "ram_tb=4086"] : []),
      "--deny-warnings",
      "--format",
      "json",
    ];
    return { levels, ram, cr3, tlb, mem, args, text };
  } finally {
    await guest.close();
  }
}

interface Report {
  ok: boolean;
  bases: { member: string; base: string; source: string }[];
  diagnostics: { code: string; message: string }[];
}

function audit(b: Boot, ...source: string[]): { status: number; report: Report } {
  const r = vmlayout([...b.args, ...source]);
  expect(r.stderr).toBe("");
  return { status: r.status ?? -1, report: JSON.parse(r.stdout) as Report };
}
const image = (b: Boot, file = b.ram): string[] => ["--image", file, "--cr3", hex(b.cr3)];

const boots: Boot[] = [];

describe.runIf(READY || process.env.CI)(`vmlayout audit of a real kernel (${KERNEL})`, () => {
  beforeAll(async () => {
    expect(KERNEL, `no kernel in ${KERNEL_CACHE}: run test/kernel/fetch.sh`).toBeDefined();
    for (const levels of [4, 5] as const)
      for (const n of [1, 2]) boots.push(await boot(levels, n, n === 1));
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("each boot audits clean from its RAM and CR3, at the bases KASLR chose", () => {
    const images = new Map<number, Set<string>>([
      [4, new Set()],
      [5, new Set()],
    ]);
    for (const b of boots) {
      const { status, report } = audit(b, ...image(b));
      expect(report.diagnostics, `${b.levels}-level`).toEqual([]);
      expect(status).toBe(0);
      expect(report.ok).toBe(true);
      const bases = new Map(report.bases.map((x) => [x.member, x]));
      expect([...bases.keys()]).toEqual(["direct_map", "vmalloc", "vmemmap", "kernel_image"]);
      for (const x of bases.values()) expect(x.source).toBe("tables");
      // The image's base is `_text` rounded down to 2 MiB, as the kernel itself says.
      expect(BigInt(bases.get("kernel_image")!.base)).toBe(b.text & ~(MiB2 - 1n));
      images.get(b.levels)!.add(bases.get("direct_map")!.base);
    }
    // KASLR moved the direct map between the two boots of each mode.
    for (const [levels, seen] of images) expect(seen.size, `${levels}-level`).toBe(2);
  });

  it("the same boot's `info tlb` and `info mem` audit to the image's findings and bases", () => {
    for (const b of boots.filter((x) => x.tlb !== undefined)) {
      const fromImage = audit(b, ...image(b)).report;
      const listings = [["--qemu-info-tlb", b.tlb!]];
      if (b.mem !== undefined) listings.push(["--qemu-info-mem", b.mem]);
      for (const listing of listings) {
        const { status, report } = audit(b, ...listing);
        expect(report.diagnostics, `${b.levels}-level ${listing[0]}`).toEqual(
          fromImage.diagnostics,
        );
        expect(status).toBe(0);
        expect(report.bases).toEqual(fromImage.bases);
      }
    }
  });

  describe("planted faults in a copy of the dump", () => {
    const bytes = (): Buffer => readFileSync(boots[0]!.ram);
    /** Physical address of the entry at `level` (4..1) on the 4-level walk of `va`. */
    const entryAt = (ram: Buffer, va: bigint, level: number): number => {
      let table = boots[0]!.cr3 & 0x000f_ffff_ffff_f000n;
      for (let l = 4; l > level; l--) {
        const index = Number((va >> BigInt(12 + 9 * (l - 1))) & 511n);
        table = ram.readBigUInt64LE(Number(table) + index * 8) & 0x000f_ffff_ffff_f000n;
      }
      return Number(table) + Number((va >> BigInt(12 + 9 * (level - 1))) & 511n) * 8;
    };
    let clean: Report | undefined;
    const base = (member: string): bigint => {
      clean ??= audit(boots[0]!, ...image(boots[0]!)).report;
      return BigInt(clean.bases.find((x) => x.member === member)!.base);
    };
    const planted = (ram: Buffer, name: string) =>
      audit(boots[0]!, ...image(boots[0]!, write(`planted-${name}`, ram)));
    const P = 1n;
    const RW = 2n;
    const US = 4n;
    const PS = 0x80n;
    const G = 0x100n;
    const XD = 1n << 63n;

    it("a W+X 1 GiB page in the fixed hole below the EFI region: E0401 and E0406", () => {
      const ram = bytes();
      // PML4 slot 511's PDPT already exists (kernel text, modules, fixmap).
      const at = entryAt(ram, 0xffff_ff80_0000_0000n, 3);
      expect(ram.readBigUInt64LE(at)).toBe(0n);
      ram.writeBigUInt64LE(P | RW | PS | G, at);
      const { status, report } = planted(ram, "wx");
      expect(status).toBe(1);
      const hole = "0xffffff8000000000..0xffffff803fffffff (1 GiB)";
      expect(report.diagnostics.map((d) => d.code).sort()).toEqual(["E0401", "E0406"]);
      for (const d of report.diagnostics) expect(d.message).toContain(hole);
      expect(report.diagnostics.find((d) => d.code === "E0401")!.message).toMatch(
        /is mapped in `hole_ffffff8000000000`, which is a hole and must stay unmapped/,
      );
    });

    it("a user page in the kernel half: E0404 in `direct_map`", () => {
      const ram = bytes();
      const va = base("direct_map") + (16n << 20n);
      for (let level = 4; level >= 1; level--) {
        const at = entryAt(ram, va, level);
        const e = ram.readBigUInt64LE(at);
        ram.writeBigUInt64LE(e | US, at);
        if (e & PS) break; // a 2 MiB or 1 GiB leaf
      }
      const { status, report } = planted(ram, "user");
      expect(status).toBe(1);
      expect(report.diagnostics.map((d) => d.code)).toEqual(["E0404"]);
      expect(report.diagnostics[0]!.message).toMatch(
        /in `direct_map` is user-accessible, but the region is not `user`/,
      );
    });

    it("a mapped guard: the direct map's top-level entry copied into the hypervisor hole: E0401", () => {
      const ram = bytes();
      const from = entryAt(ram, base("direct_map"), 4);
      ram.writeBigUInt64LE(ram.readBigUInt64LE(from), entryAt(ram, 0xffff_8000_0000_0000n, 4));
      const { status, report } = planted(ram, "guard");
      expect(status).toBe(1);
      expect([...new Set(report.diagnostics.map((d) => d.code))]).toEqual(["E0401"]);
      expect(report.diagnostics[0]!.message).toMatch(
        /^0xffff80[0-9a-f]{10}\.\..* is mapped in `hypervisor_hole`, which is a guard and must stay unmapped/,
      );
    });

    it("a kernel-text page made writable: W^X, W0401 in `kernel_image`, fails with --deny-warnings", () => {
      const ram = bytes();
      const text = boots[0]!.text;
      let at = entryAt(ram, text, 2);
      if ((ram.readBigUInt64LE(at) & PS) === 0n) at = entryAt(ram, text, 1);
      const e = ram.readBigUInt64LE(at);
      expect(e & (RW | XD)).toBe(0n); // read-only, executable: text
      ram.writeBigUInt64LE(e | RW, at);
      const { status, report } = planted(ram, "text");
      expect(status).toBe(1);
      expect(report.diagnostics.map((d) => d.code)).toEqual(["W0401"]);
      expect(report.diagnostics[0]!.message).toMatch(
        new RegExp(`^${hex(text)}\\.\\..* in \`kernel_image\` is writable and executable`),
      );
    });
  });
});
