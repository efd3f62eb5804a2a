/**
 * `vmlayout audit <spec> --image FILE [--image-base ADDR] --cr3 ADDR [--base NAME=ADDR]...
 * [boot options] [--format text|json|sarif] [--deny-warnings]`: checks the page tables in a raw
 * physical-memory image against the spec, at the KASLR bases and physical offset it finds in
 * them (or is given). Exit 0 clean, 1 findings, 2 usage or I/O error.
 */
import { auditImage, describeBase, imageOfFile } from "../audit/image.js";
import { describeReadError } from "../compiler/load.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { renderJson } from "../diagnostics/render.js";
import { checkSpec } from "../pipeline.js";
import { hex } from "../verifier/format.js";
import { EXIT_ERRORS, EXIT_OK, UsageError, type CommandContext } from "./common.js";
import { bootParams, numberParser } from "./install-options.js";
import { parseFormat, report } from "./report.js";

export async function runAudit(
  values: Record<string, unknown>,
  positionals: readonly string[],
  context: CommandContext,
): Promise<number> {
  if (positionals.length !== 1) throw new UsageError("audit takes exactly one spec");
  const spec = positionals[0]!;
  const format = parseFormat(values.format);
  const file = values.image as string | undefined;
  if (file === undefined || values.cr3 === undefined) {
    throw new UsageError(
      "give the tables: --image FILE --cr3 ADDR (RAM from physical 0, or --image-base)",
    );
  }
  const parse = await numberParser();
  const cr3 = parse(values.cr3 as string, "--cr3", "size");
  const base =
    values["image-base"] === undefined
      ? 0n
      : parse(values["image-base"] as string, "--image-base", "size");
  if (base % 4096n !== 0n) throw new UsageError(`--image-base ${hex(base)} is not 4 KiB aligned`);
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

  const checked = checkSpec(spec, {
    variant: values.variant as string | undefined,
    denyWarnings: values["deny-warnings"] === true,
  });
  if (hasErrors(checked.diagnostics) || checked.layouts.length === 0) {
    report(checked.diagnostics, checked.sources, format, context);
    return EXIT_ERRORS;
  }
  if (checked.layouts.length > 1) {
    const names = checked.layouts.map((l) => `"${l.variant}"`).join(", ");
    throw new UsageError(
      `the spec has variants ${names}; pick the one the kernel runs with --variant`,
    );
  }
  const layout = checked.layouts[0]!;
  for (const name of bases.keys()) {
    if (!layout.kaslr.some((g) => g.members.some((m) => m.name === name))) {
      throw new UsageError(`--base ${name}: the spec has no KASLR member \`${name}\``);
    }
  }

  let image: ReturnType<typeof imageOfFile>;
  try {
    image = imageOfFile(file, base);
  } catch (e) {
    throw new UsageError(`cannot read image \`${file}\`: ${describeReadError(e)}`);
  }
  let audited: ReturnType<typeof auditImage>;
  try {
    audited = auditImage(layout, image, { cr3, bases, process: boot.processes ?? 0, boot });
  } finally {
    image.close();
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
          cr3: hex(cr3),
          ok: !failed,
          bases: (result?.bases ?? []).map((b) => ({ ...b, base: hex(b.base) })),
          physOffset: result ? hex(result.physOffset) : null,
          mappings: result?.report.spaces[0]?.mappings.length ?? 0,
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
    const space = result.report.spaces[0]!;
    const lines = [
      `audited ${space.mappings.length} runs of mappings in ${space.name} space at CR3 ${hex(cr3)} (${layout.paging.levels}-level${layout.variant ? `, variant ${layout.variant}` : ""}): ${failed ? "findings" : "clean"}`,
      ...(result.bases.length > 0
        ? ["KASLR bases:", ...result.bases.map((b) => `  ${describeBase(b)}`)]
        : []),
      `physical offset of \`map phys\`: ${hex(result.physOffset)}`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
  }
  return failed ? EXIT_ERRORS : EXIT_OK;
}
