/**
 * The declared table of subcommands and their options. Each command's implementation is
 * imported lazily, so `vmlayout check` does not pay for the emitters or the runtime.
 */
import { EMITTERS, EMIT_FORMATS, type EmitterEntry } from "../compiler/emit/registry.js";
import type { Command, OptionSpec } from "./common.js";
import { INSTALL_OPTIONS } from "./install-options.js";
import { LIMIT_OPTION } from "./limits.js";
import { LOAD_OPTIONS } from "./load-options.js";

/** `--emit`'s help: each format with its aliases and what it writes, one per line. */
function emitHelp(): string {
  const indent = "\n" + " ".repeat(29);
  const name = (e: EmitterEntry): string =>
    e.aliases.length === 0 ? e.format : `${e.format} (or ${e.aliases.join(", ")})`;
  const width = Math.max(...EMITTERS.map((e) => name(e).length));
  return [
    "what to generate:",
    ...EMITTERS.map((e) => `${name(e).padEnd(width)}  ${e.description}`),
  ].join(indent);
}

const variant: OptionSpec = { type: "string", description: "only this variant of the spec" };
const denyWarnings: OptionSpec = { type: "boolean", description: "treat warnings as errors" };

export const commands: readonly Command[] = [
  {
    name: "check",
    synopsis:
      "check <spec|dir|->... [--variant V] [--format text|json|sarif] [--deny-warnings] [--limit NAME=N]",
    summary:
      "parse and verify specs (a directory: the specs under it; -: stdin); print diagnostics",
    options: {
      variant,
      format: { type: "string", description: "diagnostics as text (default), json or sarif" },
      "deny-warnings": denyWarnings,
      ...LOAD_OPTIONS,
    },
    run: async (v, p, c) => (await import("./check.js")).runCheck(v, p, c),
  },
  {
    name: "build",
    synopsis: `build <spec> --emit ${EMIT_FORMATS.join("|")} [-o FILE] [--variant V] [--map FILE] [--check]`,
    summary: "generate an artefact from a verified spec",
    options: {
      emit: {
        type: "string",
        description: emitHelp(),
      },
      output: {
        type: "string",
        short: "o",
        description: "write to FILE (atomically) instead of stdout",
      },
      variant,
      map: {
        type: "string",
        description:
          "c-check, rust-check: FILE names the kernel's macros for the spec's values (docs/emit-check.md)",
      },
      check: {
        type: "boolean",
        description: "compare with FILE; exit 1 if it is stale; never write",
      },
      "deny-warnings": denyWarnings,
      ...LOAD_OPTIONS,
    },
    run: async (v, p, c) => (await import("./build.js")).runBuild(v, p, c),
  },
  {
    name: "explain",
    synopsis: "explain [CODE]",
    summary: "print the long explanation of a diagnostic code (all codes without one)",
    options: {},
    run: async (_v, p) => (await import("./explain.js")).runExplain(p),
  },
  {
    name: "install",
    synopsis:
      "install <spec> [--variant V] [--param NAME=VALUE]... [--ram SIZE] [--image FILE] [--json]",
    summary: "install the layout as x86-64 page tables, audit them, print the cost",
    options: {
      ...INSTALL_OPTIONS,
      ...LOAD_OPTIONS,
      image: {
        type: "string",
        description: "write the page-table frames to FILE as one raw image",
      },
      json: {
        type: "boolean",
        description: "print { levels, cr3, imageBase, imageBytes, tables } as JSON",
      },
    },
    run: async (v, p, c) => (await import("./install.js")).runInstall(v, p, c),
  },
  {
    name: "translate",
    synopsis:
      "translate <spec> [install options] [--access read|write|exec] [--user] [--expect mapped|fault] <VA>...",
    summary: "translate addresses through the installed tables",
    options: {
      ...INSTALL_OPTIONS,
      ...LOAD_OPTIONS,
      access: { type: "string", description: "read (default), write or exec" },
      user: { type: "boolean", description: "a user-mode (CPL 3) access" },
      expect: {
        type: "string",
        description: "mapped or fault: exit 1 when an address does not translate so",
      },
    },
    run: async (v, p, c) => (await import("./translate.js")).runTranslate(v, p, c),
  },
  {
    name: "dump",
    synopsis: "dump <spec> [install options]",
    summary: "list the installed page tables in Linux ptdump format",
    options: { ...INSTALL_OPTIONS, ...LOAD_OPTIONS },
    run: async (v, p, c) => (await import("./dump.js")).runDump(v, p, c),
  },
  {
    name: "fmt",
    synopsis: "fmt [--check] <spec>...",
    summary: "format specs in place (Prettier plugin vmlayout/prettier)",
    options: {
      check: {
        type: "boolean",
        description: "print a diff for each file that is not formatted; exit 1 if any; never write",
      },
    },
    run: async (v, p, c) => (await import("./fmt.js")).runFmt(v, p, c),
  },
  {
    name: "import",
    synopsis: "import <table-file> [--attributes yes|no] [--limit table=N]",
    summary:
      "read a layout table (mm.rst, mm.txt, vmparam.h, startup.c, Markdown, GayBSD, Emerald) and print a spec",
    options: {
      limit: LIMIT_OPTION,
      attributes: {
        type: "string",
        description:
          "write the document's offsets and ~sizes as checked attributes (yes, default) or comments (no)",
      },
    },
    run: async (v, p, c) => (await import("./import.js")).runImport(v, p, c),
  },
  {
    name: "audit",
    synopsis:
      "audit <spec> (--image FILE [--image-base ADDR] (--cr3 ADDR | --satp VALUE | --ttbr1 VALUE [--ttbr0 VALUE] --tcr VALUE | --root VALUE) | --ptdump FILE | --qemu-info-mem FILE | --qemu-info-tlb FILE) [--base NAME=ADDR]... [install options] [--format text|json|sarif]",
    summary:
      "check the page tables in a RAM image (a real kernel's, or install --image) against the spec",
    options: {
      variant,
      param: INSTALL_OPTIONS.param!,
      ram: INSTALL_OPTIONS.ram!,
      load: INSTALL_OPTIONS.load!,
      process: INSTALL_OPTIONS.process!,
      image: { type: "string", description: "FILE: raw physical memory (pmemsave, /dev/mem copy)" },
      "image-base": {
        type: "string",
        description:
          "ADDR: physical address of the image's first byte (the RAM base: 0 on x86-64, 0x80000000 on RISC-V, 0x40000000 on AArch64)",
      },
      cr3: { type: "string", description: "ADDR: CR3 of the address space to audit (x86-64)" },
      satp: { type: "string", description: "VALUE: satp of the address space to audit (RISC-V)" },
      ttbr1: {
        type: "string",
        description: "VALUE: TTBR1_EL1, the kernel half's tables (AArch64; needs --tcr)",
      },
      ttbr0: {
        type: "string",
        description: "VALUE: TTBR0_EL1, the user half's tables, audited too (AArch64)",
      },
      tcr: {
        type: "string",
        description:
          "VALUE: TCR_EL1, whose granule and VA size are checked against the spec's `paging` (AArch64)",
      },
      root: {
        type: "string",
        description: "VALUE: the root register of the address space (CR3, satp or TTBR1_EL1)",
      },
      ptdump: {
        type: "string",
        description:
          "FILE: Linux ptdump text (x86 debugfs page_tables/*, riscv or arm64 kernel_page_tables, dmesg lines), instead of --image",
      },
      "qemu-info-mem": {
        type: "string",
        description: "FILE: QEMU monitor `info mem` output, instead of --image",
      },
      "qemu-info-tlb": {
        type: "string",
        description: "FILE: QEMU monitor `info tlb` output, instead of --image",
      },
      base: {
        type: "string",
        multiple: true,
        description: "NAME=ADDR: a KASLR member's base, when known (default: found in the tables)",
      },
      format: { type: "string", description: "findings as text (default), json or sarif" },
      "deny-warnings": denyWarnings,
    },
    run: async (v, p, c) => (await import("./audit.js")).runAudit(v, p, c),
  },
  {
    name: "diff",
    synopsis: "diff <old> <new> [--variant V] [--format text|md|json]",
    summary: "what changed between two versions of a spec (a file or REV:path); exit 1 if any",
    options: {
      variant,
      format: { type: "string", description: "a line per change (text, default), md or json" },
    },
    run: async (v, p, c) => (await import("./diff.js")).runDiff(v, p, c),
  },
];
