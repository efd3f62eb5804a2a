/**
 * `vmlayout audit <spec> (--image FILE [--image-base ADDR] (--cr3 ADDR | --satp VALUE | --ttbr1
 * VALUE [--ttbr0 VALUE] --tcr VALUE | --root VALUE) | --ptdump FILE |
 * --qemu-info-mem FILE | --qemu-info-tlb FILE)
 * [--base NAME=ADDR]... [boot options] [--format text|json|sarif] [--deny-warnings]`: checks the
 * page tables in a raw physical-memory image, or a listing of them (Linux ptdump, QEMU's
 * `info mem` or `info tlb`), against the
 * spec, at the KASLR bases and physical offset it finds in them (or is given). Exit 0 clean, 1 findings, 2 usage or I/O error.
 */
import {
  type SourceAudit,
  auditFound,
  auditImage,
  describeBase,
  imageOfFile,
} from "../audit/image.js";
import { readPtdump } from "../audit/ptdump.js";
import { readQemuMem } from "../audit/qemu-mem.js";
import { readQemuTlb } from "../audit/qemu-tlb.js";
import { describeReadError } from "../compiler/load.js";
import { readSourceFile } from "../compiler/read.js";
import type { Paging } from "../model/layout.js";
import { archOf } from "../arch/registry.js";
import { readRiscvPtdump } from "../audit/riscv-ptdump.js";
import { readArm64Ptdump } from "../audit/arm64-ptdump.js";
import { checkTranslationControl } from "../audit/translation-control.js";
import { MapBit } from "../arch/arch.js";
import type { FoundSpace } from "../audit/checks.js";
import { type Result, hasErrors } from "../diagnostics/diagnostic.js";
import { renderJson } from "../diagnostics/render.js";
import { hex } from "../model/format.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, onlySpec, type Run } from "./common.js";
import { bootParams, pickedLayout } from "./install-options.js";
import { numberParser } from "./numbers.js";
import { parseFormat, report } from "./report.js";

/** Largest listing read (a ptdump of a large machine is a few MiB). */
const MAX_LISTING_BYTES = 256 * 2 ** 20;

type ListingReader = (file: string, text: string, paging: Paging) => Result<FoundSpace>;

/** Each architecture's Linux ptdump reader, by `paging.arch`. */
const PTDUMP_READERS: Readonly<Record<Paging["arch"], ListingReader>> = {
  x86_64: (file, text, paging) => readPtdump(file, text, x86Paging(paging).levels),
  riscv64: (file, text) => readRiscvPtdump(file, text),
  aarch64: (file, text) => readArm64Ptdump(file, text),
};

/** The listings `audit` reads, by option. */
const LISTINGS: Readonly<Record<string, ListingReader>> = {
  ptdump: (file, text, paging) => PTDUMP_READERS[paging.arch](file, text, paging),
  "qemu-info-mem": (file, text, paging) => readQemuMem(file, text, x86Paging(paging).levels),
  "qemu-info-tlb": (file, text, paging) => {
    x86Paging(paging);
    return readQemuTlb(file, text);
  },
};

/** The option that names each architecture's root register (`--root` names any). */
const ROOT_OPTIONS: Readonly<Record<Paging["arch"], "cr3" | "satp" | "ttbr1">> = {
  x86_64: "cr3",
  riscv64: "satp",
  aarch64: "ttbr1",
};

/** QEMU's `info mem` and `info tlb` are read in their x86 format only. */
function x86Paging(paging: Paging): Extract<Paging, { arch: "x86_64" }> {
  if (paging.arch !== "x86_64") {
    throw new UsageError(
      `--qemu-info-mem and --qemu-info-tlb read QEMU's x86 listings; for ${paging.arch} give --ptdump or --image`,
    );
  }
  return paging;
}

/** What a source could not show, so was not checked (a line each for the report). */
function unchecked(found: FoundSpace): string[] {
  const shown = found.shown ?? -1;
  const out: string[] = [];
  if (!found.physical) out.push("where pages point (E0402) and the physical offset");
  if ((shown & MapBit.NX) === 0) out.push("execute rights (E0403) and W^X (E0406)");
  if ((shown & MapBit.G) === 0) out.push("`global` (E0405)");
  if ((shown & MapBit.PAT) === 0) {
    out.push(`\`cache\` (E0405)${shown & MapBit.PCD ? " beyond PCD and PWT (no PAT bit)" : ""}`);
  }
  return out;
}

function readListing(file: string): string {
  try {
    return readSourceFile(file, { maxBytes: MAX_LISTING_BYTES });
  } catch (e) {
    throw new UsageError(`cannot read listing \`${file}\`: ${describeReadError(e)}`);
  }
}

export const runAudit: Run = async (values, positionals, context) => {
  const spec = onlySpec("audit", positionals);
  const format = parseFormat(values.format);
  const file = values.image as string | undefined;
  const given = Object.keys(LISTINGS).filter((o) => values[o] !== undefined);
  if (given.length + (file === undefined ? 0 : 1) !== 1) {
    throw new UsageError(
      "give one source of tables: --image FILE with --cr3 ADDR, --satp VALUE or --ttbr1 VALUE --tcr VALUE (RAM from the RAM base, or --image-base), --ptdump FILE, --qemu-info-mem FILE or --qemu-info-tlb FILE",
    );
  }
  const kind = given[0];
  const listing = kind === undefined ? undefined : (values[kind] as string);
  const roots = (["root", "cr3", "satp", "ttbr1"] as const).filter((o) => values[o] !== undefined);
  if (roots.length > 1) throw new UsageError(`give one of --${roots.join(", --")}`);
  const rootOption = roots[0];
  if (file !== undefined && rootOption === undefined) {
    throw new UsageError(
      "--image needs the address space to audit: --cr3 ADDR (x86-64), --satp VALUE (RISC-V), --ttbr1 VALUE with --tcr VALUE (AArch64) or --root VALUE",
    );
  }
  const registers = (["image-base", "ttbr0", "tcr"] as const).filter(
    (o) => values[o] !== undefined,
  );
  if (listing !== undefined && (rootOption !== undefined || registers.length > 0)) {
    throw new UsageError(
      "--cr3 and --image-base go with --image, not with a listing (and so do --satp, --ttbr1, --ttbr0, --tcr and --root)",
    );
  }
  const parse = await numberParser();
  const cr3 =
    file === undefined
      ? undefined
      : parse(values[rootOption!] as string, `--${rootOption}`, "size");
  const register = (name: "ttbr0" | "tcr"): bigint | undefined =>
    values[name] === undefined ? undefined : parse(values[name] as string, `--${name}`, "size");
  const ttbr0 = register("ttbr0");
  const tcr = register("tcr");
  const givenBase =
    values["image-base"] === undefined
      ? undefined
      : parse(values["image-base"] as string, "--image-base", "size");
  if (givenBase !== undefined && givenBase % 4096n !== 0n) {
    throw new UsageError(`--image-base ${hex(givenBase)} is not 4 KiB aligned`);
  }
  const bases = new Map<string, bigint>();
  for (const b of (values.base as string[] | undefined) ?? []) {
    const eq = b.indexOf("=");
    if (eq <= 0) throw new UsageError(`--base \`${b}\` is not NAME=ADDR`);
    bases.set(
      b.slice(0, eq).trim(),
      parse(b.slice(eq + 1).trim(), `--base ${b.slice(0, eq)}`, "address"),
    );
  }
  const boot = bootParams(values, parse);

  const { checkSpec, pickLayout } = await import("../pipeline.js");
  const checked = checkSpec(spec, {
    variant: values.variant as string | undefined,
    denyWarnings: values["deny-warnings"] === true,
  });
  const layout = pickedLayout(
    pickLayout(checked),
    checked,
    context,
    "pick the one the kernel runs with --variant",
    format,
  );
  if (layout === undefined) return EXIT_ERRORS;
  // --root names the root register of any architecture; --cr3, --satp and --ttbr1 name their own.
  const arch = archOf(layout.paging);
  const rootName = arch.rootRegister;
  const rootWord = ROOT_OPTIONS[layout.paging.arch];
  if (rootOption !== undefined && rootOption !== "root" && rootOption !== rootWord) {
    throw new UsageError(
      `--${rootOption} does not apply to a ${layout.paging.arch} layout: give --${rootWord} or --root`,
    );
  }
  const paging = layout.paging;
  const aarch64 = paging.arch === "aarch64" ? paging : undefined;
  if (aarch64 === undefined && (ttbr0 !== undefined || tcr !== undefined)) {
    throw new UsageError(`--ttbr0 and --tcr apply to an aarch64 layout, not to ${paging.arch}`);
  }
  if (aarch64 !== undefined && file !== undefined && tcr === undefined) {
    throw new UsageError(
      "--tcr VALUE: an AArch64 image needs TCR_EL1, which says the granule and VA size the kernel runs with",
    );
  }
  const base = givenBase ?? arch.ramBase;
  for (const name of bases.keys()) {
    if (!layout.kaslr.some((g) => g.members.some((m) => m.name === name))) {
      throw new UsageError(`--base ${name}: the spec has no KASLR member \`${name}\``);
    }
  }

  const options = { bases, process: boot.processes ?? 0, boot };
  let audited: Result<SourceAudit | undefined>;
  const control =
    aarch64 === undefined || tcr === undefined
      ? []
      : checkTranslationControl(aarch64, tcr, ttbr0 === undefined ? ["TTBR1"] : ["TTBR1", "TTBR0"]);
  if (hasErrors(control)) {
    audited = { value: undefined, diagnostics: control };
  } else if (file !== undefined) {
    let image: ReturnType<typeof imageOfFile>;
    try {
      image = imageOfFile(file, base);
    } catch (e) {
      throw new UsageError(`cannot read image \`${file}\`: ${describeReadError(e)}`);
    }
    try {
      audited = auditImage(layout, image, { ...options, cr3: cr3!, lowerRoot: ttbr0 });
    } finally {
      image.close();
    }
  } else {
    const text = readListing(listing!);
    checked.sources.add(listing!, text);
    const read = LISTINGS[kind!]!(listing!, text, layout.paging);
    audited = hasErrors(read.diagnostics)
      ? { value: undefined, diagnostics: read.diagnostics }
      : auditFound(layout, read.value, options);
  }
  const diagnostics = [...checked.diagnostics, ...audited.diagnostics];
  const failed =
    hasErrors(diagnostics) || (values["deny-warnings"] === true && diagnostics.length > 0);
  const result = audited.value;
  if (format === "json") {
    process.stdout.write(
      JSON.stringify(
        {
          schema: "vmlayout-audit/1",
          layout: layout.name,
          variant: layout.variant,
          levels: layout.paging.levels,
          ...(cr3 !== undefined ? { [rootWord]: hex(cr3) } : { [kind!]: listing }),
          ...(ttbr0 !== undefined ? { ttbr0: hex(ttbr0) } : {}),
          ...(tcr !== undefined ? { tcr: hex(tcr) } : {}),
          unchecked: result ? unchecked(result.found) : [],
          ok: !failed,
          bases: (result?.bases ?? []).map((b) => ({ ...b, base: hex(b.base) })),
          physOffset: result ? hex(result.physOffset) : null,
          mappings: result?.found.mappings.length ?? 0,
          diagnostics: JSON.parse(renderJson(diagnostics, checked.sources)),
        },
        null,
        2,
      ) + "\n",
    );
    return failed ? EXIT_ERRORS : EXIT_OK;
  }
  report(diagnostics, checked.sources, format, context);
  if (format === "text" && result !== undefined) {
    const process_ = boot.processes ?? 0;
    const space = process_ === 0 ? "kernel" : `process ${process_}`;
    const from = cr3 !== undefined ? `at ${rootName} ${hex(cr3)}` : `from ${kind} \`${listing}\``;
    const lines = [
      `audited ${result.found.mappings.length} runs of mappings in ${space} space ${from} (${layout.paging.levels}-level${layout.variant ? `, variant ${layout.variant}` : ""}): ${failed ? "findings" : "clean"}`,
      ...(result.bases.length > 0
        ? ["KASLR bases:", ...result.bases.map((b) => `  ${describeBase(b)}`)]
        : []),
      ...(result.found.physical
        ? [`physical offset of \`map phys\`: ${hex(result.physOffset)}`]
        : []),
      ...unchecked(result.found).map(
        (u) => `note: the ${kind} listing does not show ${u}: not checked`,
      ),
    ];
    process.stdout.write(lines.join("\n") + "\n");
  }
  return failed ? EXIT_ERRORS : EXIT_OK;
};
