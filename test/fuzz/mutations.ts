/**
 * Byte-level mutations of a file for the fuzzers: random bytes inserted, deleted and replaced,
 * lines swapped and duplicated, the file truncated, and tokens of the input's language spliced
 * in (they reach deeper than random bytes).
 */
import fc from "fast-check";

export type Mutation =
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; length: number }
  | { kind: "replace"; at: number; bytes: Uint8Array }
  | { kind: "token"; at: number; token: string }
  | { kind: "swap-lines"; a: number; b: number }
  | { kind: "dup-line"; line: number }
  | { kind: "truncate"; at: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

/** One to six mutations, splicing in `tokens` among random bytes. */
export function mutations(tokens: readonly string[]): fc.Arbitrary<Mutation[]> {
  return fc.array(mutation(tokens), { minLength: 1, maxLength: 6 });
}

const mutation = (tokens: readonly string[]): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({
      kind: fc.constant("insert" as const),
      at: position,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    }),
    fc.record({
      kind: fc.constant("delete" as const),
      at: position,
      length: fc.integer({ min: 1, max: 64 }),
    }),
    fc.record({
      kind: fc.constant("replace" as const),
      at: position,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
    }),
    fc.record({
      kind: fc.constant("token" as const),
      at: position,
      token: fc.constantFrom(...tokens),
    }),
    fc.record({ kind: fc.constant("swap-lines" as const), a: position, b: position }),
    fc.record({ kind: fc.constant("dup-line" as const), line: position }),
    fc.record({ kind: fc.constant("truncate" as const), at: position }),
  );

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

/** `original` with `ms` applied, decoded as UTF-8 as the CLI reads files. */
export function mutated(original: Uint8Array, ms: readonly Mutation[]): string {
  let bytes = original;
  for (const m of ms) bytes = mutate(bytes, m);
  return decoder.decode(bytes);
}

function splice(buf: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(buf.length - remove + insert.length);
  out.set(buf.subarray(0, at), 0);
  out.set(insert, at);
  out.set(buf.subarray(at + remove), at + insert.length);
  return out;
}

/** Applies one mutation to the file's bytes. Positions are fractions of the current length. */
function mutate(buf: Uint8Array, m: Mutation): Uint8Array {
  const at = (f: number): number => Math.floor(f * (buf.length + 1));
  switch (m.kind) {
    case "insert":
      return splice(buf, at(m.at), 0, m.bytes);
    case "delete": {
      const i = at(m.at);
      return splice(buf, i, Math.min(m.length, buf.length - i), new Uint8Array());
    }
    case "replace": {
      const i = at(m.at);
      return splice(buf, i, Math.min(m.bytes.length, buf.length - i), m.bytes);
    }
    case "token":
      return splice(buf, at(m.at), 0, encoder.encode(m.token));
    case "truncate":
      return buf.subarray(0, at(m.at));
    case "swap-lines":
    case "dup-line": {
      const lines = decoder.decode(buf).split("\n");
      const pick = (f: number): number => Math.floor(f * lines.length);
      if (m.kind === "dup-line") {
        const i = pick(m.line);
        lines.splice(i, 0, lines[i]!);
      } else {
        const a = pick(m.a);
        const b = pick(m.b);
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      }
      return encoder.encode(lines.join("\n"));
    }
  }
}
