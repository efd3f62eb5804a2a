/**
 * Issue #11, resources: inputs that once overflowed the stack or took seconds and gigabytes.
 * Each is now answered with the right result or a coded diagnostic, generated in memory or in
 * a temporary directory (no big files are committed).
 */
import { describe, expect, it } from "vitest";
import { lexer } from "../../grammar/tokens.js";

describe("tokens as long as the input", () => {
  // The patterns once repeated a group per character, which V8's regex engine backtracks
  // through with a stack entry each: a 9-million-character token threw a RangeError.
  const N = 9_000_000;
  it.each([
    ["string", `"${"x".repeat(N)}"`, "StringLiteral"],
    ["string of escapes", `"${"\\x".repeat(N / 2)}"`, "StringLiteral"],
    ["decimal", "1".repeat(N), "DecimalLiteral"],
    ["decimal with `_`", `${"1_".repeat(N / 2)}1.5`, "DecimalLiteral"],
    ["hex", `0x${"f".repeat(N)}`, "HexLiteral"],
  ])("%s: one token", (_, text, kind) => {
    const { tokens, groups } = lexer.tokenize(text);
    expect(tokens.map((t) => [t.tokenType.name, t.image.length])).toEqual([[kind, text.length]]);
    expect(groups["errors"] ?? []).toEqual([]);
  });

  it.each([
    ["block comment of `*`s", `/*${"*a".repeat(N / 2)}*/`, "comments", "BlockComment"],
    ["unclosed string", `"${"x".repeat(N)}\\`, "errors", "UnterminatedString"],
    ["unclosed string of escapes", `"${"\\x".repeat(N / 2)}`, "errors", "UnterminatedString"],
  ])("%s: one token in its group", (_, text, group, kind) => {
    const { tokens, groups } = lexer.tokenize(text);
    expect(tokens).toEqual([]);
    const found = groups[group]!.map((t) => [t.tokenType.name, t.image.length]);
    expect(found).toEqual([[kind, text.length]]);
  });

  it("strings and comments end where they did", () => {
    const images = (text: string) =>
      lexer.tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);
    expect(images('"a\\"b" "c\\\\" 1_000.5_0 0x1_f')).toEqual([
      'StringLiteral:"a\\"b"',
      'StringLiteral:"c\\\\"',
      "DecimalLiteral:1_000.5_0",
      "HexLiteral:0x1_f",
    ]);
    expect(images("1__0 1. 0x_1")).toEqual([
      "DecimalLiteral:1",
      "Identifier:__0",
      "DecimalLiteral:1",
      "Dot:.",
      "DecimalLiteral:0",
      "Identifier:x_1",
    ]);
    const open = lexer.tokenize('"ab\\\n"cd\n');
    expect(open.groups["errors"]!.map((t) => t.image)).toEqual(['"ab\\', '"cd']);
    expect(lexer.tokenize("/* a */ b */").groups["comments"]!.map((t) => t.image)).toEqual([
      "/* a */",
    ]);
  });
});
