/** What the audit tests share: the boot they audit, planted faults, and files to audit. */
import type { Mapper } from "../../src/arch/x86_64/mapper.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Flag, type Level, levelIndex } from "../../src/arch/x86_64/entry.js";
import { install, type Installation } from "../../src/runtime/install.js";
import { GiB, specLayout } from "../runtime/qemu/layouts.js";

export const SPEC = "specs/linux-x86_64.layout";
/** The audit of `SPEC`'s 4-level variant with 4 GB of RAM, as JSON. */
export const AUDIT_JSON = [
  "audit",
  SPEC,
  "--variant",
  "4-level",
  "--ram",
  "4GB",
  "--format",
  "json",
];

const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-audit-"));

export const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/** Linux's 4-level layout installed with KASLR (seed 7 moves the direct map). */
export function linux(): Installation {
  const r = install(specLayout("linux-x86_64", "4-level"), { kaslrSeed: 7n, ram: 4n * GiB });
  if (!r.value) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.value;
}

/** Physical address of the entry at `level` on the walk of `va`. */
export function entryPa(inst: Installation, va: bigint, level: Level): number {
  let table = (inst.kernel.mapper as Mapper).root;
  for (let l = inst.levels as number; l > level; l--) {
    table = Number(
      inst.memory.read64(table + levelIndex(va, l as Level) * 8) & 0x000f_ffff_ffff_f000n,
    );
  }
  return table + levelIndex(va, level) * 8;
}

/**
 * Plants faults in `linux()`'s tables, past the direct map's first 1 GiB (its first MiB is
 * `low_memory`, `perm rwx`): the second 1 GiB page executable and user-accessible (E0406,
 * E0404), the third pointing past the RAM (E0402), the fourth read-only but executable
 * (E0403: executable data; read-only alone is allowed, `perm` being the most a page may have).
 */
export function plantFaults(inst: Installation): void {
  const dm = inst.instance.byName.get("direct_map")!.start;
  const patch = (va: bigint, f: (e: bigint) => bigint): void => {
    const pud = entryPa(inst, va, 3);
    inst.memory.write64(pud, f(inst.memory.read64(pud)));
  };
  patch(dm + GiB, (e) => (e & ~Flag.XD) | Flag.US);
  patch(dm + 2n * GiB, (e) => e + 4n * GiB);
  patch(dm + 3n * GiB, (e) => e & ~Flag.XD & ~Flag.RW);
}

/** Writes `data` to a new file in the tests' directory. */
export function write(name: string, data: string | Uint8Array): string {
  const file = path.join(dir, `${name}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, data);
  return file;
}

/** The arguments that audit the kernel space of `inst` from its image. */
export function imageArgs(inst: Installation): string[] {
  const image = inst.image(0);
  return [
    "--image",
    write("img", image.bytes),
    "--image-base",
    hex(image.imageBase),
    "--cr3",
    hex(image.cr3),
  ];
}

export interface Finding {
  code: string;
  message: string;
}

/** The findings of a JSON report, as code and message. */
export const findings = (report: { diagnostics: Finding[] }): Finding[] =>
  report.diagnostics.map((d) => ({ code: d.code, message: d.message }));

/** The distinct codes of a JSON report, sorted. */
export const codesOf = (report: { diagnostics: Finding[] }): string[] =>
  [...new Set(findings(report).map((f) => f.code))].sort();
