/**
 * A unified diff of two texts, line by line, with three lines of context, as `diff -u` prints
 * it. The lines between the common head and tail are matched by a longest common subsequence;
 * past `MAX_CELLS` (a pathological input) they are shown as removed, then added.
 */
const CONTEXT = 3;
const MAX_CELLS = 4_000_000;

type Op = readonly [kind: " " | "-" | "+", line: string];

export function unifiedDiff(before: string, after: string, from: string, to: string): string {
  const a = lines(before);
  const b = lines(after);
  const ops = edits(a, b);
  const out = [`--- ${from}`, `+++ ${to}`];
  // Where each op is in `a` and in `b` (1-based line numbers).
  const at: { a: number; b: number }[] = [];
  const next = { a: 1, b: 1 };
  for (const [kind] of ops) {
    at.push({ ...next });
    if (kind !== "+") next.a++;
    if (kind !== "-") next.b++;
  }
  // A hunk: changes with up to CONTEXT unchanged lines around them; closer changes merge.
  let i = 0;
  while (i < ops.length) {
    if (ops[i]![0] === " ") {
      i++;
      continue;
    }
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    let quiet = 0;
    while (end < ops.length && quiet <= 2 * CONTEXT) {
      quiet = ops[end]![0] === " " ? quiet + 1 : 0;
      end++;
    }
    end -= Math.max(0, quiet - CONTEXT);
    const hunk = ops.slice(start, end);
    const na = hunk.filter(([k]) => k !== "+").length;
    const nb = hunk.filter(([k]) => k !== "-").length;
    const from = at[start]!;
    out.push(`@@ -${range(from.a, na)} +${range(from.b, nb)} @@`);
    for (const [kind, text] of hunk) out.push(kind + text);
    i = end;
  }
  return out.join("\n") + "\n";
}

/** A hunk's `start,count` as diff writes it: `start` alone for one line, the line before for none. */
const range = (start: number, count: number): string =>
  count === 1 ? `${start}` : `${count ? start : start - 1},${count}`;

/** Lines without their terminators; a last line without one is marked as diff marks it. */
function lines(text: string): string[] {
  const all = text.split("\n");
  if (all[all.length - 1] === "") all.pop();
  else all[all.length - 1] += "\n\\ No newline at end of file";
  return all;
}

function edits(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const middle: Op[] = [];
  if ((x.length + 1) * (y.length + 1) > MAX_CELLS) {
    middle.push(...x.map((l): Op => ["-", l]), ...y.map((l): Op => ["+", l]));
  } else {
    // lcs[i * w + j]: length of the longest common subsequence of x[i..] and y[j..].
    const w = y.length + 1;
    const lcs = new Uint32Array((x.length + 1) * w);
    for (let i = x.length - 1; i >= 0; i--)
      for (let j = y.length - 1; j >= 0; j--)
        lcs[i * w + j] =
          x[i] === y[j]
            ? lcs[(i + 1) * w + j + 1]! + 1
            : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) (middle.push([" ", x[i++]!]), j++);
      else if (i < x.length && (j === y.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!))
        middle.push(["-", x[i++]!]);
      else middle.push(["+", y[j++]!]);
    }
  }
  return [
    ...a.slice(0, head).map((l): Op => [" ", l]),
    ...middle,
    ...a.slice(a.length - tail).map((l): Op => [" ", l]),
  ];
}
