import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InputError } from "./errors.js";
import { canonicalQuantity } from "./quantity.js";

describe("canonicalQuantity", () => {
  it.each<[string | number, string]>([
    ["1", "1"],
    ["500m", "500m"],
    ["0.5", "500m"],
    [0.5, "500m"],
    [2, "2"],
    ["1Gi", "1Gi"],
    ["1024Mi", "1Gi"],
    ["300Mi", "300Mi"],
    ["307200Ki", "300Mi"],
    ["6Ki", "6Ki"],
    ["1025024Mi", "1001Gi"],
    ["1024Gi", "1Ti"],
    ["1Ki", "1Ki"],
    ["1025", "1025"],
    ["0.5Gi", "512Mi"],
    [".001Ki", "1024m"],
    [".000001Ki", "1024u"],
    [".000000001Ki", "1024n"],
    [".000000000001Ki", "2n"],
    ["1000M", "1G"],
    ["0.001T", "1G"],
    ["1000000k", "1G"],
    ["1000000000", "1G"],
    ["2000m", "2"],
    ["1000u", "1m"],
    ["80m", "80m"],
    ["1.08", "1080m"],
    ["1080000000n", "1080m"],
    ["300M", "300M"],
    ["1234567M", "1234567M"],
    ["3k", "3k"],
    ["1e3", "1e3"],
    ["1E6", "1e6"],
    [".001e12", "1e9"],
    ["0.001e0", "1e-3"],
    ["1000e-12", "1e-9"],
    ["80e-3", "80e-3"],
    ["300e6", "300e6"],
    ["0", "0"],
    ["00", "0"],
    ["0Gi", "0"],
    ["-1", "-1"],
    ["-1Gi", "-1Gi"],
    ["-9.01", "-9010m"],
    ["+1", "1"],
    [" 1 ", "1"],
    ["0.1n", "1n"],
    ["1.5n", "2n"],
    ["1n", "1n"],
    ["1u", "1u"],
    ["1E", "1E"],
    ["10Ei", "9223372036854775807"],
  ])("%j ⇒ %s", (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  it.each(["", "1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", "1 Gi", "Gi", ".", "1gi", "1KI"])(
    "rejects %j",
    (input) => {
      expect(() => canonicalQuantity(input)).toThrow(InputError);
    },
  );

  it("rejects non-finite numbers", () => {
    expect(() => canonicalQuantity(Number.NaN)).toThrow(InputError);
    expect(() => canonicalQuantity(Number.POSITIVE_INFINITY)).toThrow(InputError);
  });

  it("is idempotent: a canonical form is its own canonical form", () => {
    const suffix = fc.constantFrom("", "n", "u", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", "e3", "e-3", "e6");
    const number = fc.tuple(fc.nat({ max: 100000 }), fc.option(fc.nat({ max: 999 }), { nil: undefined }));
    fc.assert(
      fc.property(number, suffix, ([whole, fraction], s) => {
        const text = `${whole}${fraction === undefined ? "" : "." + String(fraction)}${s}`;
        const canonical = canonicalQuantity(text);
        expect(canonicalQuantity(canonical)).toBe(canonical);
      }),
    );
  });

  it("preserves the value of binary quantities", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 30 }), (bytes) => {
        const canonical = canonicalQuantity(String(bytes));
        const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(canonicalQuantity(`${bytes}`));
        expect(m).not.toBeNull();
        const factor: Record<string, number> = { "": 1, Ki: 1024, Mi: 1 << 20, Gi: 1 << 30, k: 1e3, M: 1e6, G: 1e9 };
        expect(Number(m?.[1]) * (factor[m?.[2] ?? ""] ?? Number.NaN)).toBe(bytes);
        expect(canonical).toBe(canonicalQuantity(bytes));
      }),
    );
  });
});
