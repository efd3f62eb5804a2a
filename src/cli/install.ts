/**
 * `vmlayout install <spec> [--variant V] [--param NAME=VALUE]... [--ram SIZE] [--load ADDR]
 * [--kaslr-seed N] [--process N] [--image FILE] [--json]`: installs the layout as page tables,
 * audits them, and prints a summary (or, with --json, `{ levels, cr3, imageBase, imageBytes,
 * tables }`, `satp` in place of `cr3` on RISC-V, `ttbr1_el1` and then `ttbr0_el1` (when the
 * lower half has tables), `tcr_el1`, `mair_el1` on AArch64; tables by the architecture's names). `--image FILE` writes every table frame as one raw little-endian file covering
 * `[imageBase, imageBase + imageBytes)`. Exit 1 when the spec, the installation or the audit
 * has errors.
 */
import type { Level } from "../arch/x86_64/entry.js";
import type { Installation } from "../runtime/install.js";
import { hex, paramNumber, size } from "../model/format.js";
import { MapBit } from "../arch/arch.js";
import { describeFlags, type AuditReport } from "../audit/checks.js";
import { EXIT_ERRORS, EXIT_OK, onlySpec, type Run } from "./common.js";
import { prepareInstall } from "./install-options.js";
import { writeOutput } from "./output.js";
import { report } from "./report.js";

/** Table frames per level, top level first, as the JSON object prints them. */
export function tablesJson(installation: Installation): Record<string, number> {
  const per = installation.framesPerLevel();
  const out: Record<string, number> = {};
  for (let l = installation.levels; l >= 1; l--)
    out[installation.arch.tableName(l).toLowerCase()] = per[l as Level];
  return out;
}

export const runInstall: Run = async (values, positionals, context) => {
  const spec = onlySpec("install", positionals);
  const prepared = await prepareInstall(values, spec, context, { audit: true });
  if (typeof prepared === "number") return prepared;
  const { installation, checked, process: space } = prepared;
  const audited = prepared.audited!; // asked for, and the installation has no error
  report(audited.diagnostics, checked.sources, "text", context);
  const image = installation.image(space);
  const file = values.image as string | undefined;
  if (file !== undefined) writeOutput(file, image.bytes, checked.sources.paths());
  if (values.json === true) {
    process.stdout.write(
      JSON.stringify(
        {
          levels: image.levels,
          [installation.arch.rootRegister.toLowerCase()]: hex(image.cr3),
          ...Object.fromEntries(
            installation
              .space(space)
              .control.map(([name, value]) => [name.toLowerCase(), hex(value)]),
          ),
          imageBase: hex(BigInt(image.imageBase)),
          imageBytes: image.imageBytes,
          tables: tablesJson(installation),
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    const warnings = audited.diagnostics.filter((d) => d.severity === "warning").length;
    process.stdout.write(summary(installation, audited.value, warnings, space, file));
  }
  return audited.value.ok ? EXIT_OK : EXIT_ERRORS;
};

/** A page or block size as Linux's ptdump abbreviates one: `4K`, `2M`, `32M`, `1G`, `4T`. */
export function pageName(bytes: bigint): string {
  let n = bytes;
  let unit = 0;
  while (n % 1024n === 0n && unit < 4) {
    n /= 1024n;
    unit++;
  }
  return `${n}${"BKMGT"[unit]}`;
}

/** The human summary: what was mapped, the page-table cost, the image and the audit. */
function summary(
  inst: Installation,
  audited: AuditReport,
  warnings: number,
  space: number,
  file: string | undefined,
): string {
  const { layout, instance } = inst;
  const lines: string[] = [];
  const title = `${layout.name}${layout.variant !== null ? ` (${layout.variant})` : ""}`;
  lines.push(`${title}: ${inst.arch.title[0]}, ${inst.arch.vaBits}-bit addresses`);
  const row = (label: string, text: string): void => {
    lines.push(`  ${label.padEnd(12)} ${text}`);
  };
  row(
    "RAM",
    instance.ram.map((r) => `${hex(r.start)}..${hex(r.end - 1n)}`).join(", ") +
      ` (${size(instance.ram.reduce((s, r) => s + r.end - r.start, 0n))})`,
  );
  const params = layout.params.map(
    (p) => `${p.name}=${paramNumber(p, instance.params.get(p.name)!)}`,
  );
  if (params.length > 0) row("parameters", params.join(", "));
  if (instance.kaslrSeed !== undefined) {
    const moved = instance.kaslr.flatMap((k) =>
      k.group.members.map((m, i) => `${m.name} ${hex(k.placement.bases[i]!)}`),
    );
    row("KASLR", `seed ${instance.kaslrSeed}: ${moved.join(", ") || "no groups"}`);
  }
  if (instance.physOffset !== 0n) row("relocation", `\`map phys\` + ${hex(instance.physOffset)}`);

  // Mapped regions: one line per region and space, with the page sizes used.
  const byRegion = new Map<
    string,
    {
      process: number;
      name: string;
      lo: bigint;
      hi: bigint;
      pages: Map<bigint, bigint>;
      flags: string;
    }
  >();
  for (const r of inst.runs) {
    const key = `${r.process}|${r.segment.owner.name}`;
    let e = byRegion.get(key);
    if (!e) {
      const f = flagsOf(r.segment);
      e = {
        process: r.process,
        name: r.segment.owner.name,
        lo: r.va,
        hi: r.va + r.bytes,
        pages: new Map(),
        flags: f,
      };
      byRegion.set(key, e);
    }
    if (r.va < e.lo) e.lo = r.va;
    if (r.va + r.bytes > e.hi) e.hi = r.va + r.bytes;
    const sz = BigInt(r.size);
    e.pages.set(sz, (e.pages.get(sz) ?? 0n) + r.bytes / sz);
  }
  const mapped = [...byRegion.values()];
  const width = Math.max(0, ...mapped.map((m) => m.name.length));
  mapped.forEach((m, i) => {
    const pages = [...m.pages.entries()]
      .sort((a, b) => (a[0] > b[0] ? -1 : 1))
      .map(([sz, n]) => `${n} x ${pageName(sz)}`)
      .join(" + ");
    const total = [...m.pages.entries()].reduce((s, [sz, n]) => s + sz * n, 0n);
    const who = m.process === 0 ? "" : ` (process ${m.process})`;
    row(
      i === 0 ? "mapped" : "",
      `${m.name.padEnd(width)}  ${hex(m.lo)}..${hex(m.hi - 1n)}  ${size(total)} in ${pages}  ${m.flags}${who}`,
    );
  });
  if (mapped.length === 0)
    row("mapped", "nothing (no region of this layout has `map ram` or `map phys`)");
  for (const r of inst.recursive)
    row("recursive", `${r.region.name}: top-level entry ${r.index} points at the top-level table`);

  const per = audited.tables;
  const levels: string[] = [];
  // A table is one 4 KiB frame on x86-64 and RISC-V, 4 or 16 with AArch64's 16K and 64K granules.
  let frames = 0;
  for (let l = inst.levels; l >= 1; l--) {
    levels.push(`${inst.arch.tableName(l)} ${per[l as Level]}`);
    frames += per[l as Level] * Math.ceil(inst.arch.tableBytes(l) / 4096);
  }
  row("page tables", `${frames} frames (${size(BigInt(frames) * 4096n)}): ${levels.join(", ")}`);
  for (const s of audited.spaces) {
    const shared =
      s.process === 0
        ? ""
        : `, shares ${s.sharedWithKernel} of its ${sum(s.tables)} tables with the kernel`;
    const control = inst
      .space(s.process)
      .control.map(([name, value]) => `, ${name} ${hex(value)}`)
      .join("");
    row(
      s.process === 0 ? "spaces" : "",
      `${s.name}: ${inst.arch.rootRegister} ${hex(s.cr3)}${control}${shared}`,
    );
  }
  const image = inst.image(space);
  row(
    "image",
    `${hex(BigInt(image.imageBase))} + ${size(BigInt(image.imageBytes))}${file !== undefined ? ` written to ${file}` : ""}`,
  );
  row("audit", auditLine(audited, warnings));
  return lines.join("\n") + "\n";
}

function sum(t: Record<Level, number>): number {
  return t[1] + t[2] + t[3] + t[4] + t[5];
}

function flagsOf(s: { perm: string; user: boolean; global: boolean }): string {
  const w = s.perm === "rw" || s.perm === "rwx";
  const x = s.perm === "rx" || s.perm === "rwx";
  return describeFlags(
    (w ? MapBit.W : 0) | (x ? 0 : MapBit.NX) | (s.user ? MapBit.U : 0) | (s.global ? MapBit.G : 0),
  );
}

function auditLine(a: AuditReport, warnings: number): string {
  const mappings = a.spaces.reduce((s, x) => s + x.mappings.length, 0);
  const what = `${mappings} mapping run${mappings === 1 ? "" : "s"} in ${a.spaces.length} address space${a.spaces.length === 1 ? "" : "s"}`;
  if (!a.ok) return `FAILED: ${what}; see the errors above`;
  return `ok: ${what} as the spec says${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? "" : "s"} above` : ""}`;
}
