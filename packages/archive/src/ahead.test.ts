import { describe, expect, it } from "vitest";
import { aheadInOrder } from "./ahead.js";

async function* numbers(count: number): AsyncGenerator<number> {
  for (let index = 0; index < count; index++) yield index;
}

/** A promise with its resolve function, to finish work items in a chosen order. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("aheadInOrder", () => {
  it("yields results in source order although work finishes in another order", async () => {
    const gates = Array.from({ length: 6 }, () => deferred<string>());
    const results = aheadInOrder(numbers(6), 3, (n) => gates[n]!.promise);
    const collected = (async () => {
      const out: string[] = [];
      for await (const value of results) out.push(value);
      return out;
    })();
    for (const n of [2, 1, 0, 5, 4, 3]) {
      gates[n]!.resolve(`r${n}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await collected).toEqual(["r0", "r1", "r2", "r3", "r4", "r5"]);
  });

  it("never runs more than `window` items at once", async () => {
    let running = 0;
    let most = 0;
    const out: number[] = [];
    for await (const value of aheadInOrder(numbers(40), 4, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return n * 2;
    })) {
      out.push(value);
    }
    expect(most).toBe(4);
    expect(out).toEqual(Array.from({ length: 40 }, (_, n) => n * 2));
  });

  it("yields the results before a failed item, then throws its error", async () => {
    const out: number[] = [];
    const failing = aheadInOrder(numbers(10), 4, async (n) => {
      if (n === 2) throw new Error("item 2 failed");
      return n;
    });
    await expect(
      (async () => {
        for await (const value of failing) out.push(value);
      })(),
    ).rejects.toThrow("item 2 failed");
    expect(out).toEqual([0, 1]);
  });

  it("stops reading the source when the consumer stops", async () => {
    let pulled = 0;
    async function* counted(): AsyncGenerator<number> {
      for (let index = 0; index < 1000; index++) {
        pulled += 1;
        yield index;
      }
    }
    for await (const value of aheadInOrder(counted(), 5, async (n) => n)) {
      if (value === 3) break;
    }
    expect(pulled).toBeLessThan(12);
  });
});
