// install, translate, dump and audit of specs/linux-riscv64.layout in each of its three modes.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, vmlayout } from "../cli-helpers.js";

const SPEC = "specs/linux-riscv64.layout";
/** The first byte of RAM on QEMU's virt board, and so of the direct map. */
const RAM_BASE = 0x8000_0000n;
/** Where each mode puts the direct map (PAGE_OFFSET, arch/riscv/include/asm/page.h). */
const MODES = [
  { mode: "sv39", pageOffset: 0xffff_ffd6_0000_0000n, satpMode: 8n, tables: ["pgd", "pmd"] },
  { mode: "sv48", pageOffset: 0xffff_af80_0000_0000n, satpMode: 9n, tables: ["pgd", "pud", "pmd"] },
  {
    mode: "sv57",
    pageOffset: 0xff60_0000_0000_0000n,
    satpMode: 10n,
    tables: ["pgd", "p4d", "pud", "pmd"],
  },
] as const;
const hex16 = (v: bigint): string => `0x${v.toString(16).padStart(16, "0")}`;

interface InstallJson {
  levels: number;
  satp: string;
  imageBase: string;
  imageBytes: number;
  tables: Record<string, number>;
}

function installImage(mode: string): { json: InstallJson; file: string; bytes: Buffer } {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "vmlayout-rv-")), "tables.img");
  const r = vmlayout(["install", SPEC, "--variant", mode, "--json", "--image", file]);
  expect(r.status).toBe(0);
  return { json: JSON.parse(r.stdout) as InstallJson, file, bytes: readFileSync(file) };
}

/** `vmlayout audit` of an image of the tables (4 GiB of RAM at the RAM base) at its satp. */
function auditImage(mode: string, file: string, json: InstallJson) {
  return vmlayout([
    ...["audit", SPEC, "--variant", mode, "--image", file],
    ...["--image-base", json.imageBase, "--satp", json.satp, "--ram", "4GB"],
  ]);
}

describe.each(MODES)("linux-riscv64 $mode", ({ mode, pageOffset, satpMode, tables }) => {
  it("installs with satp in its mode, the direct map's first byte at the RAM base", () => {
    const { json, bytes } = installImage(mode);
    const satp = BigInt(json.satp);
    expect(satp >> 60n).toBe(satpMode);
    const root = (satp & ((1n << 44n) - 1n)) * 4096n;
    const base = BigInt(json.imageBase);
    expect(root >= base && root < base + BigInt(json.imageBytes)).toBe(true);
    expect(base >= RAM_BASE).toBe(true); // the tables lie in RAM, so QEMU can load them
    expect(Object.keys(json.tables)).toEqual([...tables, "pte"]);
    expect(bytes.length).toBe(json.imageBytes);

    const summary = vmlayout(["install", SPEC, "--variant", mode]);
    expect(summary.status).toBe(0);
    expect(summary.stdout).toContain(`RAM          ${hex16(RAM_BASE)}..0x000000017fffffff (4 GiB)`);
    expect(summary.stdout).toMatch(
      new RegExp(`direct_map {2}${hex16(pageOffset)}\\.\\.0x[0-9a-f]{16} {2}4 GiB in 4 x 1G`),
    );
    expect(summary.stdout).toContain(`kernel: satp ${json.satp}`);
    expect(summary.stdout).not.toMatch(/CR3|PML|PDPT/);
  });

  it("translates the direct map to RAM, faults in holes and on fetches from data", () => {
    const r = vmlayout([
      ...["translate", SPEC, "--variant", mode],
      ...["direct_map.start", "direct_map.start + 0x12345678", "kernel.start + 0x1234", "0x1000"],
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      `${hex16(pageOffset)} -> ${hex16(RAM_BASE)} 1G RW NX GLB (direct_map)`,
      `${hex16(pageOffset + 0x1234_5678n)} -> ${hex16(RAM_BASE + 0x1234_5678n)} 1G RW NX GLB (direct_map)`,
      "0xffffffff80001234 -> 0x0000000080201234 2M RW x GLB (kernel)",
      "0x0000000000001000 -> fault scause 13 invalid at PGD entry (user_space)",
      "",
    ]);
    const fetch = vmlayout([
      ...["translate", SPEC, "--variant", mode, "--access", "exec", "--expect", "fault"],
      "direct_map.start",
    ]);
    expect(fetch.status).toBe(0);
    expect(fetch.stdout).toMatch(/-> fault scause 12 protection at /);
    const user = vmlayout([
      ...["translate", SPEC, "--variant", mode, "--user", "--expect", "fault"],
      "kernel.start",
    ]);
    expect(user.status).toBe(0);
    expect(user.stdout).toMatch(/-> fault scause 13 protection at /);
  });

  it("dumps in Linux's riscv ptdump format (golden)", async () => {
    const r = vmlayout(["dump", SPEC, "--variant", mode]);
    expect(r.status).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot(
      path.join(ROOT, "test", "golden", "linux-riscv64", `linux-riscv64.${mode}.dump.txt`),
    );
  });

  it("audits its own dump, with and without the N and MT columns, clean", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-rv-"));
    const dump = vmlayout(["dump", SPEC, "--variant", mode]).stdout;
    // Kernels before Svnapot/Svpbmt print no N and MT columns: `. D A G U X W R V` only.
    const old = dump.replace(/^(0x\S+ +0x\S+ +\S+ +\S+) \S +\S+ +(.*)$/gm, "$1 $2");
    expect(old).not.toBe(dump);
    for (const [name, text] of [
      ["new.txt", dump],
      ["old.txt", old],
    ] as const) {
      writeFileSync(path.join(dir, name), text);
      const r = vmlayout(["audit", SPEC, "--variant", mode, "--ptdump", path.join(dir, name)]);
      expect(r.stdout).toMatch(/: clean$/m);
      expect(r.status).toBe(0);
    }
  });

  it("audits the raw image at satp clean, and catches planted faults", () => {
    const { json, file, bytes } = installImage(mode);
    expect(auditImage(mode, file, json).stdout).toMatch(/: clean$/m);

    // The direct map's first leaf (a 1 GiB page).
    const base = BigInt(json.imageBase);
    const root = (BigInt(json.satp) & ((1n << 44n) - 1n)) * 4096n;
    const leaf = leafEntryOffset(bytes, base, root, json.levels, pageOffset);
    const X = 1 << 3;
    const U = 1 << 4;
    const plant = (bits: number, name: string): string => {
      const copy = Buffer.from(bytes);
      copy[leaf] = copy[leaf]! | bits;
      const planted = path.join(path.dirname(file), name);
      writeFileSync(planted, copy);
      const r = auditImage(mode, planted, json);
      expect(r.status).toBe(1);
      return r.stderr;
    };
    // A writable leaf made executable: execute rights (E0403) and W^X (E0406).
    const wx = plant(X, "wx.img");
    expect(wx).toContain("error[E0403]");
    expect(wx).toContain("error[E0406]");
    // A kernel page made a user page: E0404 names the first 1 GiB of the direct map.
    expect(plant(U, "user.img")).toContain(
      `error[E0404]: ${hex16(pageOffset)}..${hex16(pageOffset + (1n << 30n) - 1n)} (1 GiB) in \`direct_map\` is user-accessible`,
    );
  });
});

/** Byte offset in the image of the leaf PTE mapping `va` (a walk over the image's tables). */
function leafEntryOffset(
  image: Buffer,
  base: bigint,
  root: bigint,
  levels: number,
  va: bigint,
): number {
  let table = root;
  for (let shift = 12 + 9 * (levels - 1); shift >= 12; shift -= 9) {
    const index = (va >> BigInt(shift)) & 511n;
    const at = Number(table - base + index * 8n);
    const pte = image.readBigUInt64LE(at);
    if ((pte & 1n) === 0n) break;
    if ((pte & 0xen) !== 0n) return at; // R, W or X: a leaf
    table = ((pte >> 10n) & ((1n << 44n) - 1n)) * 4096n;
  }
  throw new Error(`no leaf for ${va.toString(16)}`);
}

describe("linux-riscv64 boot parameters", () => {
  it("--ram-base moves RAM and the direct map's first byte; a misaligned one is E0410", () => {
    const args = ["--variant", "sv39", "--ram-base", "0x40000000", "--ram", "1GB"];
    const r = vmlayout(["translate", SPEC, ...args, "direct_map.start", "direct_map.start+1GB"]);
    expect(r.stdout.split("\n")).toEqual([
      "0xffffffd600000000 -> 0x0000000040000000 1G RW NX GLB (direct_map)",
      "0xffffffd640000000 -> fault scause 13 invalid at PGD entry (direct_map)",
      "",
    ]);
    const bad = vmlayout(["install", SPEC, "--variant", "sv39", "--ram-base", "0x1001"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      "error[E0410]: the RAM base 0x0000000000001001 is not a 4 KiB aligned physical address",
    );
  });

  it("refuses process address spaces with E0410 (not built for RISC-V yet)", () => {
    const r = vmlayout(["install", SPEC, "--variant", "sv48", "--process", "1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "error[E0410]: process address spaces are not built for riscv64 layouts yet",
    );
  });
});

describe("audit's root register options", () => {
  it("take --satp or --root for a riscv image (JSON names satp), refuse --cr3", () => {
    const { json, file } = installImage("sv48");
    const base = ["audit", SPEC, "--variant", "sv48", "--image", file, "--ram", "4GB"];
    const at = ["--image-base", json.imageBase];
    const root = vmlayout([...base, ...at, "--root", json.satp, "--format", "json"]);
    expect(root.status).toBe(0);
    expect((JSON.parse(root.stdout) as { satp: string }).satp).toBe(json.satp);
    const cr3 = vmlayout([...base, ...at, "--cr3", json.satp]);
    expect(cr3.status).toBe(2);
    expect(cr3.stderr).toContain("--cr3 does not apply to a riscv64 layout: give --satp or --root");
    const both = vmlayout([...base, ...at, "--satp", json.satp, "--root", json.satp]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("give one of --root, --satp");
  });
});
