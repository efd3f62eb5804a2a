/** Reading the documents' numbers: addresses, offsets and sizes, exactly (BigInt). */
import type { Address, Quantity } from "./model.js";

const UNIT_SHIFT: Readonly<Record<string, number>> = {
  B: 0,
  K: 10,
  KB: 10,
  kB: 10,
  KiB: 10,
  M: 20,
  MB: 20,
  MiB: 20,
  G: 30,
  GB: 30,
  GiB: 30,
  T: 40,
  TB: 40,
  TiB: 40,
  P: 50,
  PB: 50,
  PiB: 50,
  E: 60,
  EB: 60,
  EiB: 60,
};

/** One unit word, as the language spells them. */
export const UNIT = "(?:[KMGTPE]iB|[KMGTPE]B|kB|[KMGTPE]|B)";

/** A quantity: `~`, sign, decimal number, up to two stacked units (`16M TB`). */
const QUANTITY = new RegExp(`^(~)?\\s*([+-])?\\s*(\\d+(?:\\.\\d+)?)((?:\\s*${UNIT}){0,2})$`);

/**
 * Parses `~-119.5  TB`, `128 TB`, `~ 1.6M TB`, `+0`, `4 kB`. Returns undefined when the cell
 * is not a quantity. A `~` may also follow the sign's space (`~ -127.75 TB`).
 */
export function parseQuantity(cell: string): Quantity | undefined {
  const m = QUANTITY.exec(cell.trim());
  if (!m) return undefined;
  const [, tilde, sign = "", number = "", unitText = ""] = m;
  const words = splitUnits(unitText.replace(/\s+/g, ""));
  if (words === undefined) return undefined;
  const shift = words.reduce((s, w) => s + UNIT_SHIFT[w]!, 0);
  const [whole = "", frac = ""] = number.split(".");
  const scaled = BigInt(whole + frac) << BigInt(shift);
  const denominator = 10n ** BigInt(frac.length);
  const magnitude = scaled % denominator === 0n ? scaled / denominator : undefined;
  const value = magnitude === undefined ? undefined : sign === "-" ? -magnitude : magnitude;
  // A single unit is written joined (`128TB`), stacked ones spaced (`16M TB`), as the specs do,
  // and the number without leading zeros (the language reads `007` as a malformed literal).
  const spelled = `${sign}${number.replace(/^0+(?=\d)/, "")}${words.join(" ")}`;
  return { text: spelled, approx: tilde !== undefined, value };
}

/** A size: a quantity without a sign (a signed cell is an offset, not a size). */
export function parseSize(cell: string): Quantity | undefined {
  const q = parseQuantity(cell);
  return q === undefined || /^[+-]/.test(q.text) ? undefined : q;
}

/** Splits `MTB` / `TB` / `kB` into unit words; undefined when it is not units. */
function splitUnits(text: string): string[] | undefined {
  if (text === "") return [];
  for (const len of [3, 2, 1]) {
    const head = text.slice(0, len);
    if (head.length === len && UNIT_SHIFT[head] !== undefined) {
      const rest = splitUnits(text.slice(len));
      if (rest !== undefined && rest.length < 2) return [head, ...rest];
    }
  }
  return undefined;
}

/** A 64-bit address as a documents writes it: 16 hex digits, `_` groups, `0x`, GayBSD pairs. */
const HEX_ADDRESS =
  /^(?:0x)?(?:[0-9a-fA-F]{8} [0-9a-fA-F]{8}|[0-9a-fA-F]{16}|[0-9a-fA-F]{4}(?:_[0-9a-fA-F]{4}){3})$/;
/** The same shape with placeholder letters (`FFFF_FFFF_8XXX_XXXX`, `XXXX_XXXX_XXXX_XXXX`). */
const PLACEHOLDER =
  /^(?:0x)?(?:[0-9a-zA-Z]{8} [0-9a-zA-Z]{8}|[0-9a-zA-Z]{16}|[0-9a-zA-Z]{4}(?:_[0-9a-zA-Z]{4}){3})$/;
const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseAddress(cell: string): Address | undefined {
  const text = cell.trim();
  if (HEX_ADDRESS.test(text)) {
    // A spec writes a GayBSD pair without `0x` (`0x` would make its first half a number).
    const spelled = text.includes(" ") ? text.replace(/^0x/, "") : text;
    return { type: "literal", text: spelled, value: BigInt("0x" + digits(text)) };
  }
  if (PLACEHOLDER.test(text) && /[g-zG-Z]/.test(text.replace(/^0x/, ""))) {
    const d = digits(text);
    const min = BigInt("0x" + d.replace(/[g-zG-Z]/g, "0"));
    const max = BigInt("0x" + d.replace(/[g-zG-Z]/g, "f"));
    return { type: "placeholder", text, min, max };
  }
  if (SYMBOL.test(text) && /[A-Za-z]/.test(text)) return { type: "symbol", text };
  return undefined;
}

function digits(text: string): string {
  return text.replace(/^0x/, "").replace(/[ _]/g, "");
}

/** Whether an address cell is a placeholder made only of letters (`XXXX_XXXX_XXXX_XXXX`). */
export function isFullPlaceholder(a: Address): boolean {
  return a.type === "placeholder" && !/[0-9a-fA-F]/.test(digits(a.text).replace(/[g-zG-Z]/g, ""));
}

export const TWO_64 = 1n << 64n;

/** An offset column's value as an address (negative: counted down from 2^64). */
export function offsetAddress(q: Quantity): bigint | undefined {
  if (q.value === undefined) return undefined;
  return q.value < 0n ? TWO_64 + q.value : q.value;
}
