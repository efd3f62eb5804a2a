/**
 * `vmlayout audit --image`: tables exported by the installer (with KASLR, so the bases must be
 * found in them) audit clean from the CLI with the bases reported; planted faults in copies of
 * the image are each found under their own code; bases the randomisation cannot produce and
 * malformed invocations are refused.
 */
import { describe, expect, it } from "vitest";
import { Flag, PAGE_4K } from "../../src/arch/x86_64/entry.js";
import type { Installation } from "../../src/runtime/install.js";
import type { Mapper } from "../../src/arch/x86_64/mapper.js";
import { vmlayout } from "../cli-helpers.js";
import { SPEC, entryPa, imageArgs, linux, write } from "./helpers.js";

/** The kernel space's mapper of an x86-64 installation. */
const x86Mapper = (inst: Installation): Mapper => inst.kernel.mapper as Mapper;

/** Writes the kernel space's tables as an image and audits it from the CLI. */
function auditCli(inst: Installation, ...extra: string[]) {
  return vmlayout([
    "audit",
    SPEC,
    "--variant",
    "4-level",
    "--ram",
    "4GB",
    ...imageArgs(inst),
    ...extra,
  ]);
}

const codes = (stderr: string): string[] =>
  [...new Set([...stderr.matchAll(/(?:error|warning)\[(\w+)\]/g)].map((m) => m[1]!))].sort();

describe("vmlayout audit --image", () => {
  it("finds the KASLR bases in clean tables and reports them", () => {
    const inst = linux();
    const r = auditCli(inst, "--format", "json");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    const dm = report.bases.find((b: { member: string }) => b.member === "direct_map");
    expect(dm).toMatchObject({ group: "memory", source: "tables" });
    expect(BigInt(dm.base)).toBe(inst.instance.byName.get("direct_map")!.start);
    expect(BigInt(dm.base)).not.toBe(0xffff_8880_0000_0000n); // the seed moved it
    // W^X where the spec says `perm rwx`: the kernel image and the direct map's first MiB.
    expect(report.diagnostics.map((d: { code: string }) => d.code)).toEqual(["W0401", "W0401"]);
    const text = auditCli(inst);
    expect(text.stdout).toMatch(
      /^audited \d+ runs of mappings in kernel space .*: clean\nKASLR bases:\n  direct_map 0x[0-9a-f]{16} \(from the tables\)\n/,
    );
  });

  it("catches planted faults: W+X, a user page in the kernel half, a mapped guard, executable data", () => {
    const dm = () => linux();
    // Past the first 1 GiB, whose first MiB (`low_memory`) may be executable.
    const data = (inst: Installation): bigint =>
      inst.instance.byName.get("direct_map")!.start + (1n << 30n);
    const wx = dm();
    wx.memory.write64(
      entryPa(wx, data(wx), 3),
      wx.memory.read64(entryPa(wx, data(wx), 3)) & ~Flag.XD,
    );
    expect(codes(auditCli(wx).stderr)).toContain("E0406");

    const user = dm();
    const at = entryPa(user, data(user), 3);
    user.memory.write64(at, user.memory.read64(at) | Flag.US);
    const u = auditCli(user);
    expect(u.status).toBe(1);
    expect(codes(u.stderr)).toContain("E0404");

    const guard = dm();
    expect(
      x86Mapper(guard).map(0xffff_8000_0000_0000n, 0x2000, PAGE_4K, { noExecute: true }).ok,
    ).toBe(true);
    const g = auditCli(guard);
    expect(g.stderr).toMatch(
      /error\[E0401\]: 0xffff800000000000\.\.0xffff800000000fff \(4 KiB\) is mapped in `hypervisor_hole`, which is a guard/,
    );

    // Executable data: read-only and executable in the direct map (`perm rw`). The kernel text
    // is `perm rwx` (the installer maps it W+X), so writable text is tested on a real kernel's
    // tables (test/kernel/audit.test.ts).
    const exec = dm();
    const e = entryPa(exec, data(exec), 3);
    exec.memory.write64(e, exec.memory.read64(e) & ~Flag.XD & ~Flag.RW);
    expect(codes(auditCli(exec).stderr)).toEqual(["E0403", "W0401"]);
  });

  it("takes known bases, and refuses one KASLR cannot produce", () => {
    const inst = linux();
    const base = inst.instance.byName.get("direct_map")!.start;
    const given = auditCli(inst, "--base", `direct_map=0x${base.toString(16)}`, "--format", "json");
    expect(given.status).toBe(0);
    expect(JSON.parse(given.stdout).bases[0]).toMatchObject({ source: "given" });
    const bad = auditCli(inst, "--base", `direct_map=0x${(base + 4096n).toString(16)}`);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      /error\[E0410\]: cannot randomise KASLR group `memory`: `direct_map` at 0x[0-9a-f]+ is not a start KASLR can give it/,
    );
  });

  it("refuses malformed invocations with exit 2", () => {
    expect(vmlayout(["audit", SPEC, "--variant", "4-level"]).status).toBe(2);
    const noVariant = vmlayout(["audit", SPEC, "--image", "x", "--cr3", "0"]);
    expect(noVariant.status).toBe(2);
    expect(noVariant.stderr).toMatch(/pick the one the kernel runs with --variant/);
    const unknown = auditCli(linux(), "--base", "nosuch=0");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no KASLR member `nosuch`/);
    const missing = vmlayout([
      "audit",
      SPEC,
      "--variant",
      "4-level",
      "--image",
      write("none", "") + ".absent",
      "--cr3",
      "0",
    ]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read image/);
  });
});
