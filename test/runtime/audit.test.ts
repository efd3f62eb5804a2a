/**
 * The audit of installed tables: clean installs pass (W^X in `perm rwx` regions is the warning
 * W0401), and each kind of corruption is reported under its own code.
 */
import { describe, expect, it } from "vitest";
import { Flag, type Level, levelIndex } from "../../src/arch/x86_64/entry.js";
import { install, type Installation, type InstallOptions } from "../../src/runtime/install.js";
import type { Layout } from "../../src/model/layout.js";
import { PAGE_4K } from "../../src/arch/x86_64/entry.js";
import { audit } from "../../src/audit/checks.js";
import { readTables } from "../../src/audit/read-back.js";
import type { Mapper } from "../../src/arch/x86_64/mapper.js";
import { GiB, inlineLayout, mixedLayout, specLayout } from "./qemu/layouts.js";

/** The kernel space's mapper of an x86-64 installation. */
const x86Mapper = (inst: Installation): Mapper => inst.kernel.mapper as Mapper;

function installed(layout: Layout, boot: InstallOptions = {}): Installation {
  const r = install(layout, boot);
  if (!r.value) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.value;
}

/** Physical address of the entry at `level` on the walk of `va` (tables must exist above it). */
function entryPa(inst: Installation, va: bigint, level: Level, process = 0): number {
  let table = (inst.space(process).mapper as Mapper).root;
  for (let l = inst.levels as number; l > level; l--) {
    const e = inst.memory.read64(table + levelIndex(va, l as Level) * 8);
    table = Number(e & 0x000f_ffff_ffff_f000n);
  }
  return table + levelIndex(va, level) * 8;
}

function patch(inst: Installation, at: number, f: (e: bigint) => bigint): void {
  inst.memory.write64(at, f(inst.memory.read64(at)));
}

const codes = (inst: Installation): string[] =>
  [...new Set(audit(inst).diagnostics.map((d) => d.code))].sort();
const errors = (inst: Installation): string[] =>
  audit(inst)
    .diagnostics.filter((d) => d.severity === "error")
    .map((d) => `${d.code} ${d.message}`);

const LINUX_DM = 0xffff_8880_0000_0000n;
const KTEXT = 0xffff_ffff_8000_0000n; // in the fixture: `ktext`, perm rx, 2 MiB pages

describe("clean installs", () => {
  const cases: [string, string | undefined, string[]][] = [
    ["linux-x86_64", "4-level", ["W0401"]],
    ["linux-x86_64", "5-level", ["W0401"]],
    ["linux-2.6.24", undefined, ["W0401"]],
    ["emerald", undefined, ["W0401"]],
    ["gaybsd-amd64", undefined, ["W0401"]],
    ...["la48", "la57"].flatMap((paging) =>
      ["plain", "kasan", "kmsan"].map((sanitizer): [string, string, string[]] => [
        "freebsd-amd64",
        `${paging}+${sanitizer}`,
        ["W0401"],
      ]),
    ),
    ["solaris-amd64", "running", []],
    ["solaris-amd64", "boot", ["W0401"]],
    ["illumos-amd64", undefined, []],
  ];
  for (const [spec, variant, expected] of cases) {
    it(`${spec}${variant ? ` ${variant}` : ""}: no errors; W^X only where the spec says rwx`, () => {
      const inst = installed(specLayout(spec, variant), { processes: 2, ram: 4n * GiB });
      expect(errors(inst)).toEqual([]);
      expect(codes(inst)).toEqual(expected);
    });
  }

  it("the fixture with every kind of mapping, holes in RAM and KASLR-free", () => {
    const inst = installed(mixedLayout(), {
      processes: 2,
      ram: [
        { start: 0n, end: 0x9f000n },
        { start: 0x100000n, end: 3n * GiB },
      ],
    });
    expect(codes(inst)).toEqual([]);
  });

  it("reports the page-table cost: frames per level, per space and in all", () => {
    const inst = installed(mixedLayout(), { processes: 2 });
    const a = audit(inst).value;
    expect(a.tables).toEqual(inst.framesPerLevel());
    expect(a.frames).toBe(inst.allocator.framesUsed);
    expect(a.spaces.map((s) => s.tables[4])).toEqual([1, 1, 1]);
    expect(a.ok).toBe(true);
  });

  it("reads tables back as merged runs, not pages", () => {
    const layout = inlineLayout(`layout dm4k "4 KiB direct map"
paging 4
ffff888000000000 +64TB direct_map "direct map" { map ram; perm rw; global; max_page 4KB }
`);
    const inst = installed(layout, { ram: 4n * GiB });
    const read = readTables(inst.memory, inst.kernel.cr3, inst.arch, inst.maxPhyAddr);
    expect(read.mappings).toHaveLength(1);
    expect(read.mappings[0]!.end - read.mappings[0]!.va).toBe(4n * GiB);
    expect(read.tables.size).toBe(inst.allocator.framesUsed);
  });
});

describe("corrupted tables", () => {
  it("E0404: the user bit on a kernel page", () => {
    const inst = installed(specLayout("linux-x86_64", "4-level"));
    // The second 1 GiB page: the first holds `low_memory` in smaller pages.
    patch(inst, entryPa(inst, LINUX_DM + (1n << 30n), 3), (e) => e | Flag.US);
    const errs = errors(inst);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(
      /^E0404 0xffff888040000000\.\.0xffff88807fffffff \(1 GiB\) in `direct_map` is user-accessible/,
    );
  });

  it("E0406 and E0403: writable kernel text (W^X)", () => {
    const inst = installed(mixedLayout());
    patch(inst, entryPa(inst, KTEXT, 2), (e) => e | Flag.RW);
    expect(codes(inst)).toEqual(["E0403", "E0406"]);
    expect(errors(inst).find((e) => e.startsWith("E0406"))).toContain(
      "`ktext` is writable and executable",
    );
  });

  it("E0403: executable data; read-only data is no finding (`perm` is the most a page may have)", () => {
    const inst = installed(mixedLayout());
    patch(inst, entryPa(inst, 0xffff_ffff_8070_4000n, 1), (e) => e & ~Flag.XD);
    patch(inst, entryPa(inst, 0xffff_8180_0000_0000n, 3), (e) => e & ~Flag.RW);
    expect(codes(inst)).toEqual(["E0403", "E0406"]);
    expect(errors(inst).filter((e) => e.startsWith("E0403"))).toEqual([
      expect.stringMatching(
        /^E0403 0xffffffff80704000\.\.0xffffffff80704fff .* is writable and executable/,
      ),
    ]);
  });

  it("E0401: mappings in a guard, a hole, and outside every region; none in vmalloc", () => {
    const inst = installed(specLayout("linux-x86_64", "4-level"));
    const m = x86Mapper(inst);
    // vmalloc has no `map`: the kernel maps it at run time, within its `perm rw; global`.
    const rw = { writable: true, noExecute: true, global: true };
    expect(m.map(0xffff_c900_0000_0000n, 0x1000, PAGE_4K, rw).ok).toBe(true); // vmalloc
    expect(m.map(0xffff_8000_0000_0000n, 0x2000, PAGE_4K, { noExecute: true }).ok).toBe(true); // guard
    expect(m.map(0xffff_c880_0000_0000n, 0x3000, PAGE_4K, { noExecute: true }).ok).toBe(true); // hole
    const errs = errors(inst);
    expect(errs).toHaveLength(2);
    expect(errs.every((e) => e.startsWith("E0401"))).toBe(true);
    expect(errs.join("\n")).toMatch(/`hypervisor_hole`, which is a guard and must stay unmapped/);
    expect(errs.join("\n")).toMatch(/which is a hole and must stay unmapped/);
    const gaps = installed(
      inlineLayout(`layout gaps "gaps"
paging 4
ffff888000000000 +1TB direct_map "direct map" { map ram; perm rw; global }
`),
    );
    expect(x86Mapper(gaps).map(0xffff_ffff_8000_0000n, 0, PAGE_4K, { writable: true }).ok).toBe(
      true,
    );
    expect(codes(gaps)).toEqual(["E0401", "E0406"]); // and it is writable + executable
    expect(errors(gaps)[0]).toMatch(/lies in no region of the spec/);
  });

  it("E0401: a per-process region mapped in the kernel's address space", () => {
    const inst = installed(mixedLayout(), { processes: 1 });
    expect(
      x86Mapper(inst).map(0xffff_ff00_0000_1000n, 0x700_0000, PAGE_4K, {
        writable: true,
        noExecute: true,
      }).ok,
    ).toBe(true);
    expect(errors(inst)).toEqual([
      expect.stringMatching(
        /^E0401 .* in `kstack`, which is per-process, but this is the kernel address space/,
      ),
    ]);
  });

  it("E0402: a mapping at the wrong physical address", () => {
    const inst = installed(specLayout("linux-x86_64", "4-level"));
    patch(inst, entryPa(inst, LINUX_DM + GiB, 3), (e) => e + (1n << 30n));
    expect(errors(inst)).toEqual([
      expect.stringMatching(
        /^E0402 0xffff888040000000\.\.0xffff88807fffffff .* maps physical 0x0000000080000000; the spec says 0x0000000040000000/,
      ),
    ]);
  });

  it("E0407: a hole in a mapped region; E0405: global and cache attributes", () => {
    const inst = installed(mixedLayout());
    const unmapped = x86Mapper(inst).unmap(KTEXT + 0x20_0000n);
    expect(unmapped.ok).toBe(true);
    patch(inst, entryPa(inst, 0xffff_ffff_8070_4000n, 1), (e) => e & ~Flag.G);
    patch(inst, entryPa(inst, 0xffff_ffff_8400_0000n, 1), (e) => e & ~Flag.PCD);
    expect(codes(inst)).toEqual(["E0405", "E0407"]);
    expect(errors(inst).find((e) => e.startsWith("E0407"))).toMatch(
      /0xffffffff80200000\.\.0xffffffff803fffff \(2 MiB\) in `ktext` is not mapped/,
    );
    expect(
      errors(inst)
        .filter((e) => e.startsWith("E0405"))
        .join("\n"),
    ).toMatch(/PAT entry 1; `cache uc` is PAT entry 3/);
  });

  it("E0408: a stray recursive entry, a missing one; E0404: a user-accessible one", () => {
    const linux = installed(specLayout("linux-x86_64", "4-level"));
    expect(x86Mapper(linux).mapRecursive(300).ok).toBe(true);
    expect(errors(linux)).toEqual([
      expect.stringMatching(/^E0408 top-level entry 300 .* no `map recursive` region/),
    ]);
    const bsd = installed(specLayout("gaybsd-amd64"));
    patch(bsd, x86Mapper(bsd).root + 256 * 8, (e) => e | Flag.US);
    expect(codes(bsd)).toEqual(["E0404", "W0401"]);
    patch(bsd, x86Mapper(bsd).root + 256 * 8, () => 0n);
    expect(errors(bsd)).toEqual([
      expect.stringMatching(/^E0408 `recursive_pt` is `map recursive`, but its top-level entry/),
    ]);
  });

  it("E0409: reserved bits in an upper-level entry (and what it hid is missing)", () => {
    const inst = installed(specLayout("linux-x86_64", "4-level"));
    patch(inst, entryPa(inst, LINUX_DM, 4), (e) => e | (1n << 51n));
    const c = codes(inst);
    expect(c).toContain("E0409");
    expect(c).toContain("E0407");
    expect(errors(inst).find((e) => e.startsWith("E0409"))).toMatch(
      /bits 51:46 \(reserved\) are set/,
    );
  });

  it("E0409: a hostile graph of aliased tables is walked in bounded time", async () => {
    const inst = installed(specLayout("linux-x86_64", "4-level"));
    const [t3, t2, t1] = [3, 2, 1].map((l) => inst.allocator.allocate(l as Level)!);
    for (let i = 0; i < 512; i++) {
      if (i < 256) inst.memory.write64(x86Mapper(inst).root + i * 8, BigInt(t3!) | 7n);
      inst.memory.write64(t3! + i * 8, BigInt(t2!) | 7n);
      inst.memory.write64(t2! + i * 8, BigInt(t1!) | 7n);
      inst.memory.write64(t1! + i * 8, (BigInt(i) << 12n) | 3n);
    }
    // Without a bound: 256 * 512 * 512 page tables, 2^35 entries.
    const t0 = performance.now();
    const errs = errors(inst);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(errs.some((e) => /^E0409 .*walk was stopped after \d+ table visits/.test(e))).toBe(true);
    const { dumpInstallation } = await import("../../src/runtime/dump.js");
    expect(dumpInstallation(inst)).toMatch(/walk stopped after \d+ table visits/);
  }, 30_000);

  it("caps the findings per code and says how many more there are", () => {
    const inst = installed(mixedLayout());
    for (let i = 0; i < 30; i++) {
      // Every other page of the device region made user-accessible: 30 separate findings.
      patch(
        inst,
        entryPa(inst, 0xffff_ffff_8400_0000n + BigInt(i * 2) * 4096n, 1),
        (e) => e | Flag.US,
      );
    }
    const ds = audit(inst, { maxPerCode: 5 }).diagnostics.filter((d) => d.code === "E0404");
    expect(ds).toHaveLength(5);
    expect(ds.flatMap((d) => d.notes)).toContain("25 more findings of this kind not shown");
  });
});
