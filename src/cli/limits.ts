/** `--limit NAME=VALUE` (repeatable): changes a resource limit (src/limits.ts) for one run. */
import { type OptionSpec, UsageError } from "./common.js";
import { DEFAULT_LIMITS, LIMIT_NAMES, type Limits } from "../limits.js";
import { numberParser } from "./numbers.js";

export const LIMIT_OPTION: OptionSpec = {
  type: "string",
  multiple: true,
  description: `NAME=N: change a resource limit (${Object.keys(LIMIT_NAMES).join(", ")}); repeatable`,
};

/** The limits `--limit` changes, or undefined when it is not given. */
export async function limitsFrom(
  values: Record<string, unknown>,
): Promise<Partial<Limits> | undefined> {
  const given = (values.limit as string[] | undefined) ?? [];
  if (given.length === 0) return undefined;
  const parseNumber = await numberParser();
  const limits: { -readonly [K in keyof Limits]?: number } = {};
  for (const option of given) {
    const eq = option.indexOf("=");
    const name = option.slice(0, Math.max(eq, 0)).trim();
    const key = LIMIT_NAMES[name];
    if (eq <= 0 || key === undefined)
      throw new UsageError(
        `--limit \`${option}\` is not NAME=N with NAME one of ${Object.keys(LIMIT_NAMES).join(", ")}`,
      );
    if (limits[key] !== undefined) throw new UsageError(`--limit ${name} is given twice`);
    const value = parseNumber(option.slice(eq + 1).trim(), `--limit ${name}`, "count");
    if (value < 1n || value > BigInt(Number.MAX_SAFE_INTEGER))
      throw new UsageError(`--limit ${name} must be at least 1 and at most 2^53 - 1`);
    limits[key] = Number(value);
  }
  return limits;
}

/** `NAME=N` for each limit in `limits` that is not its default, in `LIMIT_NAMES` order. */
export function nonDefaultLimits(limits: Partial<Limits> | undefined): string[] {
  return Object.entries(LIMIT_NAMES)
    .filter(([, key]) => limits?.[key] !== undefined && limits[key] !== DEFAULT_LIMITS[key])
    .map(([name, key]) => `${name}=${limits![key]}`);
}
