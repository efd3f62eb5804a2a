/**
 * The document's numbers that the placement cannot carry: the Offset column and approximate
 * (`~`) or fractional sizes. With `attributes` they become the language's `offset EXPR` and
 * `size [~]EXPR` attributes (checked by the verifier: E0206, and within 10% for `~`); without,
 * they are kept in the region line's comment. This is the one place that spells them.
 */
import type { Row } from "./model.js";

export interface DocumentNumbers {
  readonly attributes: string[];
  readonly comments: string[];
}

export function documentAttributes(
  row: Row,
  options: { readonly sizeInExtent: boolean; readonly attributes: boolean },
): DocumentNumbers {
  const numbers: string[] = [];
  if (row.offset !== undefined)
    numbers.push(`offset ${row.offset.approx ? "~" : ""}${row.offset.text}`);
  if (row.size !== undefined && !options.sizeInExtent)
    numbers.push(`size ${row.size.approx ? "~" : ""}${row.size.text}`);
  return options.attributes
    ? { attributes: numbers, comments: [] }
    : { attributes: [], comments: numbers };
}
