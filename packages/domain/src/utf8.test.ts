import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compareBytes, utf8Length } from "./utf8.js";

// Node's own UTF-8 encoder is the reference the pure code must agree with.
const encoded = (text: string) => Buffer.from(text, "utf8");

/** Any text, weighted towards what differs between UTF-16 and UTF-8 order: surrogates (paired and lone) and U+E000..U+FFFF. */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.array(fc.constantFrom("a", "\u007f", "\u0080", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\ufffd", "\uffff", "\ud800", "\udbff", "\udc00", "\udfff", "\u{10000}", "\u{1f600}", "\u{10ffff}"), { maxLength: 6 }).map((parts) => parts.join("")),
);

describe("compareBytes", () => {
  it("orders as the UTF-8 bytes do (Buffer.compare)", () => {
    fc.assert(fc.property(text, text, (a, b) => {
      expect(compareBytes(a, b)).toBe(Buffer.compare(encoded(a), encoded(b)));
    }), { numRuns: 2000 });
  });

  it("puts a character above U+FFFF after U+E000..U+FFFF, unlike UTF-16 order", () => {
    expect("\u{1f600}" < "\uffff").toBe(true);
    expect(compareBytes("\u{1f600}", "\uffff")).toBe(1);
    expect(compareBytes("ab", "abc")).toBe(-1);
    expect(compareBytes("abc", "abc")).toBe(0);
  });
});

describe("utf8Length", () => {
  it("counts the bytes Node's encoder writes", () => {
    fc.assert(fc.property(text, (t) => {
      expect(utf8Length(t)).toBe(encoded(t).length);
    }), { numRuns: 2000 });
  });
});
