/** Small algorithms the whole house shares; each has exactly one implementation. */

/**
 * The first index in `0..length` at which `isAfter` holds, for a predicate that is false on a
 * prefix and true on the rest (a sorted array's lower bound): O(log length).
 */
export function partitionPoint(length: number, isAfter: (index: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAfter(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** `items` grouped by `keyOf`, each group in the items' order. */
export function groupBy<K, T>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** Exhaustiveness guard for a `switch` over a union: a new member is a compile error here. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`internal error: unexpected ${what} ${JSON.stringify(value)}`);
}
