import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { cartesianProduct, cartesianProductIterator } from "./projection.js";

describe("cartesianProduct", () => {
  it("enumerates 2 datasets × 3 models as 6 combinations", () => {
    expect(cartesianProduct([["d1", "d2"], ["m1", "m2", "m3"]])).toEqual([
      ["d1", "m1"],
      ["d1", "m2"],
      ["d1", "m3"],
      ["d2", "m1"],
      ["d2", "m2"],
      ["d2", "m3"],
    ]);
  });

  it("has one empty combination for no sets and none when a set is empty", () => {
    expect(cartesianProduct([])).toEqual([[]]);
    expect(cartesianProduct([[1, 2], [], [3]])).toEqual([]);
  });

  const sets = fc.array(fc.uniqueArray(fc.integer(), { maxLength: 4 }), { maxLength: 4 });

  it("yields the product of the sizes, each combination exactly once, each drawn from its set", () => {
    fc.assert(
      fc.property(sets, (s) => {
        const all = cartesianProduct(s);
        expect(all).toHaveLength(s.reduce((n, set) => n * set.length, 1));
        expect(new Set(all.map((c) => JSON.stringify(c))).size).toBe(all.length);
        for (const combination of all) {
          expect(combination).toHaveLength(s.length);
          combination.forEach((x, i) => expect(s[i]).toContain(x));
        }
      }),
    );
  });

  it("contains every combination", () => {
    fc.assert(
      fc.property(
        sets.filter((s) => s.every((set) => set.length > 0)).chain((s) => fc.tuple(fc.constant(s), fc.tuple(...s.map((set) => fc.constantFrom(...set))))),
        ([s, pick]) => {
          expect(cartesianProduct(s).map((c) => JSON.stringify(c))).toContain(JSON.stringify(pick));
        },
      ),
    );
  });

  it("is lazy in its iterator form", () => {
    const huge = Array.from({ length: 10 }, () => Array.from({ length: 10 }, (_, i) => i));
    const it = cartesianProductIterator(huge);
    expect(it.next().value).toEqual(Array.from({ length: 10 }, () => 0));
    expect(it.next().value).toEqual([...Array.from({ length: 9 }, () => 0), 1]);
  });
});
