/**
 * From a Layout's `paging` to its architecture: the one place that knows which architectures
 * exist. A new architecture adds its directory under `src/arch/` and one case here.
 */

import type { Paging } from "../model/layout.js";
import type { Arch } from "./arch.js";
import { x86_64 } from "./x86_64/arch.js";

/** The architecture and mode a Layout's `paging` names. */
export function archOf(paging: Paging): Arch {
  return x86_64(paging.levels);
}

/** The paging mode of x86-64 with `levels` tables: 4 (48-bit) or 5 (57-bit). */
export function pagingOfLevels(levels: 4 | 5): Paging {
  return { levels, vaBits: x86_64(levels).vaBits as 48 | 57 };
}
