/** `vmlayout install`, `translate` and `dump` on the built binary. */
import { mkdtempSync, statSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, vmlayout } from "../cli-helpers.js";

const LINUX = "specs/linux-x86_64.layout";
const MIXED = "test/runtime/qemu/fixtures/mixed.layout";
const HEX16 = /^0x[0-9a-f]{16}$/;

describe("install", () => {
  it("--json prints { levels, cr3, imageBase, imageBytes, tables }", () => {
    const r = vmlayout(["install", LINUX, "--variant", "4-level", "--json"]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(["levels", "cr3", "imageBase", "imageBytes", "tables"]);
    expect(j.levels).toBe(4);
    expect(j.cr3).toMatch(HEX16);
    expect(j.imageBase).toBe("0x0000000001000000");
    // The direct map's first MiB (`low_memory`) takes a PD and a PT.
    expect(j.tables).toEqual({ pml4: 1, pdpt: 2, pd: 2, pt: 1 });
    expect(j.imageBytes).toBe(6 * 4096);
    // The kernel text mapping is rwx in mm.rst: a warning, not an error.
    expect(r.stderr).toContain("warning[W0401]");
  });

  it("writes a count parameter's value as a count in the summary", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "vmlayout-")), "count.layout");
    writeFileSync(
      file,
      'layout boot\npaging 4\nparam ents: count = 8 in 2 .. 64 align 2 "entries"\n' +
        "ffff888000000000 +ents*4KB table { map alloc; perm rw }\n",
    );
    const r = vmlayout(["install", file, "--param", "ents=10"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}parameters {3}ents=10$/m);
  });

  it("--image writes exactly imageBytes, CR3 inside the image; 5-level has a PML5", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "vmlayout-")), "tables.img");
    const r = vmlayout(["install", LINUX, "--variant", "5-level", "--json", "--image", file]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      levels: number;
      cr3: string;
      imageBase: string;
      imageBytes: number;
      tables: Record<string, number>;
    };
    expect(j.levels).toBe(5);
    expect(Object.keys(j.tables)).toEqual(["pml5", "pml4", "pdpt", "pd", "pt"]);
    expect(statSync(file).size).toBe(j.imageBytes);
    const cr3 = BigInt(j.cr3);
    const base = BigInt(j.imageBase);
    expect(cr3 >= base && cr3 < base + BigInt(j.imageBytes)).toBe(true);
    // The PML5 has exactly two present entries (the direct map's and the kernel's quarter).
    const bytes = readFileSync(file);
    const root = Number(cr3 - base);
    let present = 0;
    for (let i = 0; i < 512; i++) if ((bytes[root + i * 8]! & 1) !== 0) present++;
    expect(present).toBe(2);
  });

  it("prints a summary with what was mapped, the page-table cost and the audit", () => {
    const r = vmlayout(["install", MIXED, "--process", "2", "--ram", "0..<0x9f000,0x100000..<3GB"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^qemu_mixed: 4-level paging, 48-bit addresses$/m);
    expect(r.stdout).toMatch(
      /^ {2}mapped {7}direct_map +0xffff818000000000\.\.0xffff8180bfffffff {2}3 GiB - 388 KiB in 2 x 1G \+ 511 x 2M \+ 415 x 4K {2}RW NX GLB$/m,
    );
    expect(r.stdout).toMatch(
      /^ {2}page tables {2}\d+ frames \(\d+ KiB\): PML4 3, PDPT \d+, PD \d+, PT \d+$/m,
    );
    expect(r.stdout).toMatch(
      /process 2: CR3 0x[0-9a-f]{16}, shares \d+ of its \d+ tables with the kernel/,
    );
    expect(r.stdout).toMatch(/^ {2}audit {8}ok: /m);
  });

  it("needs --variant for a spec with several (usage error listing them)", () => {
    const r = vmlayout(["install", LINUX]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'vmlayout install: the spec has variants "4-level", "5-level"; pick one with --variant\n',
    );
  });

  it("reports bad boot parameters as E0410 (exit 1) and bad numbers as usage errors (exit 2)", () => {
    const r = vmlayout([
      "install",
      "specs/emerald.layout",
      "--param",
      "kernel_end=0xffffffff90000000",
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /error\[E0410\]: parameter `kernel_end` = 0xffffffff90000000 is outside its range/,
    );
    const u = vmlayout(["install", "specs/emerald.layout", "--ram", "lots"]);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/^vmlayout install: --ram `lots` is not a number/);
    const p = vmlayout(["install", "specs/emerald.layout", "--param", "kernel_end"]);
    expect(p.status).toBe(2);
  });

  it("takes a KASLR seed and a load address", () => {
    const r = vmlayout(["install", LINUX, "--variant", "4-level", "--kaslr-seed", "42"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^ {2}KASLR {8}seed 42: direct_map 0x[0-9a-f]{16}, vmalloc 0x[0-9a-f]{16}, vmemmap 0x[0-9a-f]{16}, kernel_image 0x[0-9a-f]{16}$/m,
    );
    const l = vmlayout(["install", "specs/emerald.layout", "--load", "0x300000"]);
    expect(l.status).toBe(0);
    expect(l.stdout).toContain("relocation   `map phys` + 0x0000000000200000");
  });
});

describe("translate", () => {
  it("prints `<va> -> <pa> <flags>` or `<va> -> fault <reason>` per address", () => {
    const r = vmlayout([
      "translate",
      LINUX,
      "--variant",
      "4-level",
      "--access",
      "write",
      "ffff888000001234",
      "0xffff_8881_0000_0000",
      "ffff800000000000",
      "0x0000800000000000",
      "--",
      "-2GB",
    ]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "0xffff888000001234 -> 0x0000000000001234 4K RW x GLB (low_memory)",
      "0xffff888100000000 -> fault #PF(0x2) not-present at PDPTE (direct_map)",
      "0xffff800000000000 -> fault #PF(0x2) not-present at PML4E (hypervisor_hole)",
    ]);
    // The non-canonical range's name is the spec's to choose.
    expect(lines[3]).toMatch(/^0x0000800000000000 -> fault #GP\(0\) non-canonical \(\w+\)$/);
    expect(lines.slice(4)).toEqual([
      "0xffffffff80000000 -> 0x0000000000000000 2M RW x GLB (kernel_image)",
      "",
    ]);
  });

  it("checks user and execute rights, per address space", () => {
    const r = vmlayout([
      "translate",
      MIXED,
      "--process",
      "2",
      "--user",
      "--access",
      "exec",
      "0x400000",
      "0x600000",
      "ffffffff80000000",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        "0x0000000000400000 -> 0x0000000008200000 2M USR ro x (user_text)",
        "0x0000000000600000 -> fault #PF(0x15) protection (execute-disable) at PTE (user_data)",
        "0xffffffff80000000 -> fault #PF(0x15) protection (user-access-to-supervisor-page) at PDE (ktext)",
        "",
      ].join("\n"),
    );
  });

  it("rejects an address that is not a number, and a missing address", () => {
    expect(vmlayout(["translate", LINUX, "--variant", "4-level", "nowhere"]).status).toBe(2);
    expect(vmlayout(["translate", LINUX, "--variant", "4-level"]).status).toBe(2);
    expect(
      vmlayout(["translate", LINUX, "--variant", "4-level", "--access", "jump", "0"]).status,
    ).toBe(2);
  });
});

describe("dump", () => {
  const cases: [string, string[]][] = [
    ["linux-x86_64.4-level", [LINUX, "--variant", "4-level"]],
    ["linux-x86_64.5-level", [LINUX, "--variant", "5-level"]],
    [
      "linux-x86_64.4-level.kaslr",
      [
        LINUX,
        "--variant",
        "4-level",
        "--kaslr-seed",
        "1234",
        "--ram",
        "0..<0x9f000,0x100000..<0xbff00000,4GB..<5GB",
      ],
    ],
    ["emerald.process-1", ["specs/emerald.layout", "--process", "1"]],
    ["gaybsd-amd64", ["specs/gaybsd-amd64.layout"]],
    ["freebsd-amd64.la48+kasan", ["specs/freebsd-amd64.layout", "--variant", "la48+kasan"]],
    ["freebsd-amd64.la57+kmsan", ["specs/freebsd-amd64.layout", "--variant", "la57+kmsan"]],
    ["solaris-amd64.running", ["specs/solaris-amd64.layout", "--variant", "running"]],
    ["solaris-amd64.boot", ["specs/solaris-amd64.layout", "--variant", "boot"]],
    ["illumos-amd64", ["specs/illumos-amd64.layout"]],
    ["linux-2.6.24", ["specs/linux-2.6.24.layout", "--ram", "1GB"]],
    ["mixed.process-1", [MIXED, "--process", "1", "--ram", "0..<0x9f000,0x100000..<3GB"]],
  ];
  for (const [golden, args] of cases) {
    it(`${golden}: matches the golden listing`, async () => {
      const r = vmlayout(["dump", ...args]);
      expect(r.status).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(
        path.join(ROOT, "test", "golden", path.basename(args[0]!, ".layout"), `${golden}.dump.txt`),
      );
    });
  }

  it("writes Linux ptdump lines: range, size, flags in fixed columns, level", () => {
    const r = vmlayout(["dump", LINUX, "--variant", "4-level"]);
    expect(r.stdout).toContain(
      "0xffff888040000000-0xffff888100000000           3G     RW         PSE     GLB NX pud\n",
    );
    expect(r.stdout).toContain(
      "---[ direct mapping of all physical memory (page_offset_base) ]---\n",
    );
    for (const line of r.stdout.split("\n").filter((l) => l.startsWith("0x"))) {
      expect(line).toMatch(
        /^0x[0-9a-f]{16}-0x[0-9a-f]{16}   [ \d]{8}\d[BKMGTPE] .{30}(pgd|p4d|pud|pmd|pte)$/,
      );
    }
  });
});
