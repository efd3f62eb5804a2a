// install, translate, dump and image export of an AArch64 spec in every granule x VA size.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { aarch64 } from "../../src/arch/aarch64/arch.js";
import { walkTables } from "../../src/arch/walk.js";
import { PhysicalMemory } from "../../src/arch/physical-memory.js";
import { ROOT, vmlayout } from "../cli-helpers.js";

const SPEC = "test/fixtures/aarch64/small.layout";
const GRANULES = [4, 16, 64] as const;
const VA_SIZES = [39, 42, 47, 48, 52] as const;
const MODES = GRANULES.flatMap((granule) => VA_SIZES.map((vaBits) => ({ granule, vaBits })));
/** TCR_EL1.TG1 (bits 31:30) per granule: 01 16K, 10 4K, 11 64K (D17.2). */
const TG1 = { 4: 2n, 16: 1n, 64: 3n } as const;
/** MAIR_EL1 as Linux sets it: MT_NORMAL(_TAGGED) 0xff, MT_NORMAL_NC 0x44, nGnRnE 0x00, nGnRE 0x04. */
const LINUX_MAIR = "0x000000040044ffff";
const hex16 = (v: bigint): string => `0x${v.toString(16).padStart(16, "0")}`;

interface InstallJson {
  levels: number;
  ttbr1_el1: string;
  ttbr0_el1: string;
  tcr_el1: string;
  mair_el1: string;
  imageBase: string;
  imageBytes: number;
  tables: Record<string, number>;
}

describe.each(MODES)(
  "a small AArch64 spec, $granule K granule, $vaBits-bit VA",
  ({ granule, vaBits }) => {
    const variant = `${granule}k_${vaBits}`;
    const upper = (1n << 64n) - (1n << BigInt(vaBits));
    const kernel = upper + (1n << BigInt(vaBits - 1));
    // With FEAT_LPA2 (52-bit VA, 4K/16K) bits 9:8 hold OA[51:50] and TCR_EL1.SH1 gives shareability.
    const shd = vaBits === 52 && granule !== 64 ? "   " : "SHD";

    it("installs with TTBR1, TTBR0, TCR_EL1 and MAIR_EL1 as Linux sets them, and exports an image both roots walk", () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), "vmlayout-a64-")), "tables.img");
      const r = vmlayout(["install", SPEC, "--variant", variant, "--json", "--image", file]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const json = JSON.parse(r.stdout) as InstallJson;
      expect(json.levels).toBe(aarch64(granule, vaBits).levels);
      const tcr = BigInt(json.tcr_el1);
      expect(tcr & 0x3fn).toBe(BigInt(64 - vaBits)); // T0SZ
      expect((tcr >> 16n) & 0x3fn).toBe(BigInt(64 - vaBits)); // T1SZ
      expect((tcr >> 30n) & 3n).toBe(TG1[granule]);
      expect((tcr >> 59n) & 1n).toBe(vaBits === 52 && granule !== 64 ? 1n : 0n); // DS
      expect((tcr >> 7n) & 1n).toBe(0n); // EPD0: TTBR0 has tables
      expect(json.mair_el1).toBe(LINUX_MAIR);

      // The image holds both halves' tables: walking it from the two roots finds every byte mapped.
      const bytes = readFileSync(file);
      expect(bytes.length).toBe(json.imageBytes);
      const base = Number(json.imageBase);
      const memory = new PhysicalMemory();
      for (let off = 0; off < bytes.length; off += 4096)
        memory.copyFrameIn((base + off) / 4096, bytes, off);
      let mapped = 0n;
      walkTables(
        {
          arch: aarch64(granule, vaBits),
          memory,
          root: BigInt(json.ttbr1_el1),
          lowerRoot: BigInt(json.ttbr0_el1),
          physAddrBits: 48,
        },
        { leaf: (_vpn, _level, pages) => void (mapped += BigInt(pages) * 4096n) },
      );
      expect(mapped).toBe((1n << 30n) + (4n << 30n) + (32n << 20n) + (64n << 10n));

      const summary = vmlayout(["install", SPEC, "--variant", variant]);
      expect(summary.status).toBe(0);
      expect(summary.stdout).toContain(
        `kernel: TTBR1_EL1 ${json.ttbr1_el1}, TTBR0_EL1 ${json.ttbr0_el1}, TCR_EL1 ${json.tcr_el1}, MAIR_EL1 ${LINUX_MAIR}`,
      );
      expect(summary.stdout).toContain("audit        ok: 4 mapping runs");
    });

    it("translates every region's first and last byte, and faults where nothing maps", () => {
      const r = vmlayout([
        ...["translate", SPEC, "--variant", variant],
        ...["linear_map.start", "linear_map.end", "kernel_text.start", "kernel_text.end"],
        ...["uart.start", "uart.end", "user_data.end", "kernel_text.start - 1"],
      ]);
      expect(r.status).toBe(0);
      const block = granule === 4 ? "1G" : granule === 16 ? "32M" : "512M";
      const textPage = granule === 4 ? "2M" : `${granule}K`;
      const uartPage = `${granule}K`;
      expect(r.stdout.split("\n")).toEqual([
        `${hex16(upper)} -> 0x0000000040000000 ${block} RW NX GLB (linear_map)`,
        `${hex16(upper + (4n << 30n) - 1n)} -> 0x000000013fffffff ${block} RW NX GLB (linear_map)`,
        `${hex16(kernel)} -> 0x0000000040200000 ${textPage} ro x GLB (kernel_text)`,
        `${hex16(kernel + (32n << 20n) - 1n)} -> 0x00000000421fffff ${textPage} ro x GLB (kernel_text)`,
        `${hex16(kernel + (32n << 20n))} -> 0x0000000009000000 ${uartPage} RW NX GLB PWT PCD (uart)`,
        `${hex16(kernel + (32n << 20n) + (64n << 10n) - 1n)} -> 0x000000000900ffff ${uartPage} RW NX GLB PWT PCD (uart)`,
        `0x000000003fffffff -> 0x00000000bfffffff ${block} USR RW NX (user_data)`,
        expect.stringMatching(
          new RegExp(
            `^${hex16(kernel - 1n)} -> fault DFSC (0x0[4-7]|0x2b) translation fault at level (-1|[0-3]) \\(no region\\)$`,
          ),
        ),
        "",
      ]);
      // EL0 reaches the user data and not the kernel's; an instruction fetch from data faults.
      const user = vmlayout([
        ...["translate", SPEC, "--variant", variant, "--user", "--access", "exec"],
        ...["user_data.start", "kernel_text.start"],
      ]);
      expect(user.stdout).toMatch(
        /^0x0{16} -> fault IFSC 0x0[c-f] permission fault at level [1-3] \(user_data\)$/m,
      );
      expect(user.stdout).toMatch(
        / -> fault IFSC 0x0[c-f] permission fault at level [1-3] \(kernel_text\)$/m,
      );
    });

    it("dumps both halves in arm64 ptdump's format, the blocks and pages the installer chose", () => {
      const r = vmlayout(["dump", SPEC, "--variant", variant]);
      expect(r.status).toBe(0);
      const lines = r.stdout.split("\n");
      // The linear map's blocks (1G, 32M, 512M) and the text's 2M blocks (4K) or pages, at the
      // levels of their sizes; Linux names the root PGD whatever its level.
      const arch = aarch64(granule, vaBits);
      const levelOf = (bytes: bigint): string =>
        arch.ptdump.levelName(
          Array.from({ length: arch.levels }, (_, i) => i + 1).find(
            (l) => arch.leafSize(l) === bytes,
          )!,
        );
      const block = granule === 4 ? 1n << 30n : granule === 16 ? 32n << 20n : 512n << 20n;
      const level2 = levelOf(block);
      const textLevel = levelOf(granule === 4 ? 2n << 20n : BigInt(granule) << 10n);
      const size = (bytes: bigint): string => {
        const units = ["K", "M", "G"];
        let n = bytes >> 10n;
        let u = 0;
        while (n % 1024n === 0n && u < 2) {
          n >>= 10n;
          u++;
        }
        return `${n}${units[u]}`.padStart(10);
      };
      expect(lines).toContain("---[ linear map of RAM ]---");
      expect(lines).toContain(
        `${hex16(upper)}-${hex16(upper + (4n << 30n))}   ${size(4n << 30n)} ${level2}       RW NX ${shd} AF        BLK UXN    MEM/NORMAL`,
      );
      expect(lines).toContain(
        `0x0000000000000000-0x0000000040000000   ${size(1n << 30n)} ${level2}   USR RW NX ${shd} AF NG     BLK UXN    MEM/NORMAL`,
      );
      expect(lines).toContain(
        `${hex16(kernel)}-${hex16(kernel + (32n << 20n))}   ${size(32n << 20n)} ${textLevel}       ro x  ${shd} AF        ${granule === 4 ? "BLK" : "   "} UXN    MEM/NORMAL`,
      );
      expect(lines.find((l) => l.includes("DEVICE/nGnRnE"))).toMatch(
        /^\S+ +64K PTE +RW NX (SHD)? +AF +UXN +DEVICE\/nGnRnE$/,
      );
    });
  },
);

describe("specs/linux-arm64.layout", () => {
  const ARM64 = "specs/linux-arm64.layout";
  for (const variant of ["v6.1", "doc-4k-48", "doc-64k-52", "current-4k-48"]) {
    it(`${variant}: dumps in Linux's arm64 ptdump format (golden)`, async () => {
      const r = vmlayout(["dump", ARM64, "--variant", variant]);
      expect(r.status).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(
        path.join(ROOT, "test", "golden", "linux-arm64", `linux-arm64.${variant}.dump.txt`),
      );
    });
  }

  it("v6.1: the linear map's first byte is the RAM base, the kernel image executes at EL1 only", () => {
    const r = vmlayout([
      ...["translate", ARM64, "--variant", "v6.1", "--access", "exec"],
      ...["0xffff000000000000", "kernel_image.start", "0xffff000000001000"],
    ]);
    expect(r.stdout.split("\n")).toEqual([
      "0xffff000000000000 -> fault IFSC 0x0f permission fault at level 3 (linear_ram)",
      "0xffff800008010000 -> 0x0000000040210000 4K RW x GLB (kernel_image)",
      "0xffff000000001000 -> fault IFSC 0x0f permission fault at level 3 (linear_ram)",
      "",
    ]);
    const read = vmlayout(["translate", ARM64, "--variant", "v6.1", "0xffff000000001000"]);
    expect(read.stdout).toBe(
      "0xffff000000001000 -> 0x0000000040001000 4K RW NX GLB (linear_ram)\n",
    );
  });
});

describe("AArch64 process address spaces", () => {
  const spec = (perProcessUpper: boolean): string => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "vmlayout-a64-")), "procs.layout");
    writeFileSync(
      file,
      [
        `layout a64_procs "AArch64 process spaces"`,
        `paging aarch64_16k_47`,
        `0000000000000000 +1GB user_stack "per-process user memory" { perm rw; user; per_process; map alloc }`,
        `ffff800000000000 +4GB linear_map "linear map of RAM" { map ram; perm rw; global }`,
        perProcessUpper
          ? `ffffc00000000000 +32MB per_cpu "per-process kernel data" { perm rw; per_process; map alloc }`
          : "",
        "",
      ].join("\n"),
    );
    return file;
  };

  it("share the kernel's TTBR1 tables, each with its own TTBR0 root", () => {
    const r = vmlayout(["install", spec(false), "--process", "2"]);
    expect(r.status).toBe(0);
    const ttbr = (who: string, name: string): string =>
      new RegExp(`${who}: .*${name} (0x[0-9a-f]{16})`).exec(r.stdout)![1]!;
    expect(ttbr("process 1", "TTBR1_EL1")).toBe(ttbr("kernel", "TTBR1_EL1"));
    expect(ttbr("process 2", "TTBR1_EL1")).toBe(ttbr("kernel", "TTBR1_EL1"));
    expect(ttbr("process 1", "TTBR0_EL1")).not.toBe(ttbr("process 2", "TTBR0_EL1"));
    expect(r.stdout).not.toMatch(/kernel: .*TTBR0_EL1/);
    expect(r.stdout).toContain("audit        ok: 5 mapping runs in 3 address spaces");
    const t = vmlayout([
      "translate",
      spec(false),
      "--process",
      "2",
      "--user",
      "0x1000",
      "linear_map.start",
    ]);
    expect(t.stdout).toMatch(
      /^0x0000000000001000 -> 0x[0-9a-f]{16} 32M USR RW NX \(user_stack\)$/m,
    );
    expect(t.stdout).toMatch(/ -> fault DFSC 0x0e permission fault at level 2 \(linear_map\)$/m);
  });

  it("cannot be built when the kernel maps shared regions in the TTBR0 half (E0410)", () => {
    const file = spec(false);
    writeFileSync(
      file,
      readFileSync(file, "utf8") +
        `0000400000000000 +1GB shared_low "shared, in the TTBR0 half" { perm rw; map phys 0x80000000 }\n`,
    );
    const r = vmlayout(["install", file, "--process", "1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "error[E0410]: process address spaces cannot share the kernel's tables: it maps shared regions in the TTBR0 half, where each process has its own: give no processes",
    );
  });

  it("refuse a per-process region in the TTBR1 half (E0412)", () => {
    const r = vmlayout(["install", spec(true), "--process", "1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "error[E0412]: cannot map `per_cpu` at 0xffffc00000000000: it is per-process and in the TTBR1 half, whose tables every process shares with the kernel",
    );
  });
});
