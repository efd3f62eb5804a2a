/**
 * Invalid characters are lexed as runs of one token (`InvalidCharacters`, group "invalid")
 * instead of by Chevrotain's error recovery, which tries every pattern at every character and
 * takes seconds on megabytes of binary input. The two must find exactly the same runs: checked
 * here against a lexer without that token, for every UTF-16 code unit and on random text.
 */
import type { IToken, TokenType } from "chevrotain";
import { Lexer } from "../../grammar/chevrotain.js";
import { describe, expect, it } from "vitest";
import { InvalidCharacters, allTokens, lexer } from "../../grammar/tokens.js";

const reference = new Lexer(allTokens.filter((t) => t !== InvalidCharacters) as TokenType[], {
  positionTracking: "onlyOffset",
});

const shape = (tokens: readonly IToken[]) =>
  tokens.map((t) => `${t.tokenType.name}@${t.startOffset}:${t.image}`);

/** What each lexer makes of `text`: the same tokens and groups, and the same invalid runs. */
function expectSameLexing(text: string): void {
  const ours = lexer.tokenize(text);
  const theirs = reference.tokenize(text);
  expect(ours.errors).toEqual([]);
  expect((ours.groups["invalid"] ?? []).map((t) => [t.startOffset, t.image.length])).toEqual(
    theirs.errors.map((e) => [e.offset, e.length]),
  );
  expect(shape(ours.tokens)).toEqual(shape(theirs.tokens));
  for (const group of ["comments", "errors"])
    expect(shape(ours.groups[group] ?? [])).toEqual(shape(theirs.groups[group] ?? []));
}

describe("invalid characters", () => {
  it("a code unit starts a token exactly when it is not an invalid run (every code unit)", () => {
    const mismatched: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const text = String.fromCharCode(c);
      const invalid = (lexer.tokenize(text).groups["invalid"] ?? []).length > 0;
      const error = reference.tokenize(text).errors.length > 0;
      if (invalid !== error) mismatched.push(c);
    }
    expect(mismatched).toEqual([]);
  });

  it("random text: the same runs, tokens and groups", () => {
    let seed = 42;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed >>> 8) % n;
    };
    const alphabet = 'abfxKB09_ \t\n\r./*"+-(){}:=;,#$@`~\u00e9\u00ff\ufffd\ufeff\u0000\ud800';
    for (let i = 0; i < 2000; i++) {
      let text = "";
      const length = next(40);
      for (let j = 0; j < length; j++)
        text +=
          next(8) === 0 ? String.fromCharCode(next(0x10000)) : alphabet[next(alphabet.length)];
      expectSameLexing(text);
    }
  });

  it("binary bytes", () => {
    const bytes = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919 + 13) % 256));
    expectSameLexing(bytes.toString("latin1"));
    expectSameLexing(bytes.toString("utf8"));
  });
});
