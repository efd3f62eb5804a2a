/** Shared by the import tests: the fixtures (the seeds' tables, no prose) and a temp import. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { importTable } from "../../src/import/index.js";
import { ROOT } from "../cli-helpers.js";

export const FIXTURES = path.join(ROOT, "test", "fixtures", "import");
export const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), "utf8");
export const IMPORTED = [
  ["linux-mm.rst", "mm-rst"],
  ["gaybsd-amd64.txt", "gaybsd"],
  ["emerald.txt", "emerald"],
  ["markdown-layout.md", "markdown"],
  ["freebsd-vmparam.h", "vmparam"],
  ["linux-2.6-mm.txt", "mm-txt"],
  ["illumos-startup.c", "illumos-box"],
  ["linux-riscv-vm-layout.rst", "mm-rst"],
  ["linux-arm64-memory.rst", "memory-rst"],
  ["linux-arm64-memory-v5.rst", "memory-rst"],
  ["linux-arm64-memory.txt", "memory-rst"],
] as const;

/** Writes the imported spec of `file` into a temporary directory. */
export function importToDir(file: string, attributes: boolean): { dir: string; spec: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-import-"));
  const spec = file.replace(/\.[^.]*$/, "") + ".layout";
  writeFileSync(
    path.join(dir, spec),
    importTable(fixture(file), { fileName: file, attributes }).value!.spec,
  );
  return { dir, spec };
}
