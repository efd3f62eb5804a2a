/**
 * What an AArch64 audit checks before it walks: that TCR_EL1, as read from the CPU, configures
 * each half it reads the way the spec's `paging` says (Arm ARM D17.2 TCR_EL1: TG1/T1SZ for
 * TTBR1_EL1, TG0/T0SZ for TTBR0_EL1) and walks it at all (EPD1/EPD0 clear). A kernel built for
 * another granule or VA size, or the variant of another configuration, makes every address a
 * finding; this says so once, with both values, instead.
 */
import { tcrHalf } from "../arch/aarch64/mmu.js";
import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import type { Paging } from "../model/layout.js";
import { hex } from "../model/format.js";

/**
 * E0416 for each half among `halves` that TCR_EL1 `tcr` configures with another granule or VA
 * size than `paging`, E0417 for each whose walks it disables.
 */
export function checkTranslationControl(
  paging: Extract<Paging, { arch: "aarch64" }>,
  tcr: bigint,
  halves: readonly ("TTBR1" | "TTBR0")[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const half of halves) {
    const upper = half === "TTBR1";
    const n = upper ? 1 : 0;
    const got = tcrHalf(tcr, upper);
    if (got.granule !== paging.granule || got.vaBits !== paging.vaBits) {
      out.push(
        diagnostic(
          "E0416",
          `TCR_EL1 ${hex(tcr)} gives the ${half}_EL1 half a ${got.granule}K granule and ${got.vaBits}-bit VAs (TG${n}, T${n}SZ = ${64 - got.vaBits}); the spec's \`paging\` is ${paging.granule}K with ${paging.vaBits}-bit VAs`,
          undefined,
          {
            help: `audit against the variant for the kernel's configuration (CONFIG_ARM64_${got.granule}K_PAGES, CONFIG_ARM64_VA_BITS=${got.vaBits}), or check that --tcr is this CPU's TCR_EL1`,
          },
        ),
      );
    }
    if (got.disabled) {
      out.push(
        diagnostic(
          "E0417",
          `TCR_EL1 ${hex(tcr)} sets EPD${n}: the CPU does not walk the ${half}_EL1 tables, so every address of that half faults`,
          undefined,
          {
            help: `give TCR_EL1 as read from a CPU that runs with the ${half}_EL1 half in use`,
          },
        ),
      );
    }
  }
  return out;
}
