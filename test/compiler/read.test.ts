/** The bounded reader: strict UTF-8 with the first bad byte located, and the size bound. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  InputTooLarge,
  NotRegularFile,
  NotUtf8,
  decodeUtf8,
  firstInvalidUtf8,
  readSourceFile,
} from "../../src/compiler/read.js";

const nodeDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const decodes = (bytes: Uint8Array): boolean => {
  try {
    nodeDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

describe("firstInvalidUtf8", () => {
  it("agrees with the WHATWG decoder: it is where the first replacement character starts", () => {
    // The bytes at the edges of table 3-7's ranges, and ASCII.
    const edges = [0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1];
    const byte = fc.constantFrom(
      ...edges,
      0xec,
      0xed,
      0xee,
      0xef,
      0xf0,
      0xf1,
      0xf3,
      0xf4,
      0xf5,
      0xff,
    );
    const replacement = Buffer.from("\uFFFD");
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 12 }), (array) => {
        const bytes = Buffer.from(array);
        fc.pre(!bytes.includes(replacement)); // a U+FFFD of the input itself
        const lenient = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
        const replaced = lenient.indexOf("\uFFFD");
        const bad = firstInvalidUtf8(bytes);
        if (replaced < 0) expect(bad).toBe(bytes.length);
        else expect(nodeDecoder.decode(bytes.subarray(0, bad))).toBe(lenient.slice(0, replaced));
        expect(decodes(bytes)).toBe(bad === bytes.length);
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses overlong forms, surrogates and code points past U+10FFFF", () => {
    for (const bad of [
      [0xc0, 0x80],
      [0xe0, 0x80, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ])
      expect(firstInvalidUtf8(Uint8Array.from([0x41, ...bad]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from("café ☃ 😀"))).toBe(Buffer.byteLength("café ☃ 😀"));
  });

  it("decodeUtf8 keeps a BOM and reports the text before a Latin-1 byte", () => {
    expect(decodeUtf8(Buffer.from("\uFEFFlayout t"))).toBe("\uFEFFlayout t");
    const latin1 = Buffer.concat([Buffer.from("// caf"), Buffer.from([0xe9, 0x0a])]);
    expect(() => decodeUtf8(latin1)).toThrow(NotUtf8);
    try {
      decodeUtf8(latin1);
    } catch (e) {
      expect([(e as NotUtf8).text, (e as NotUtf8).byte]).toEqual(["// caf", 0xe9]);
    }
  });
});

describe("readSourceFile", () => {
  it("reads a file of exactly the limit, refuses one byte more", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vmlayout-read-"));
    const file = path.join(dir, "f.layout");
    writeFileSync(file, "x".repeat(100));
    expect(readSourceFile(file, { maxBytes: 100 })).toBe("x".repeat(100));
    expect(() => readSourceFile(file, { maxBytes: 99 })).toThrow(InputTooLarge);
  });

  it("reads /dev/zero up to the limit only; refuses it where only regular files may be", () => {
    expect(() => readSourceFile("/dev/zero", { maxBytes: 1 << 20 })).toThrow(InputTooLarge);
    expect(() => readSourceFile("/dev/zero", { maxBytes: 1 << 20, regularOnly: true })).toThrow(
      NotRegularFile,
    );
  });
});
