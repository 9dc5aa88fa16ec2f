import { describe, expect, it } from "vitest";
import { BackgroundWrites } from "./background-writes.js";

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("BackgroundWrites", () => {
  it("keeps at most the given number of writes running, and settle waits for all", async () => {
    const writes = new BackgroundWrites(3, 1_000_000);
    let running = 0;
    let most = 0;
    let finished = 0;
    for (let index = 0; index < 20; index++) {
      await writes.add(10, async () => {
        running += 1;
        most = Math.max(most, running);
        await tick();
        await tick();
        running -= 1;
        finished += 1;
      });
    }
    await writes.settle();
    expect(most).toBe(3);
    expect(finished).toBe(20);
  });

  it("keeps the bytes held under the limit (a single larger write still runs alone)", async () => {
    const writes = new BackgroundWrites(100, 100);
    let held = 0;
    let most = 0;
    for (const bytes of [40, 40, 40, 150, 10]) {
      await writes.add(bytes, async () => {
        held += bytes;
        most = Math.max(most, held);
        await tick();
        held -= bytes;
      });
      if (bytes === 150) expect(held).toBe(150);
    }
    await writes.settle();
    expect(most).toBe(150);
  });

  it("reports the first failure from settle, and from the next add", async () => {
    const writes = new BackgroundWrites(2, 1000);
    await writes.add(1, async () => {
      await tick();
      throw new Error("disk full");
    });
    await writes.add(1, async () => {
      await tick();
      throw new Error("second");
    });
    await expect(writes.add(1, async () => undefined)).rejects.toThrow("disk full");
    await expect(writes.settle()).rejects.toThrow("disk full");
  });

  it("quiesce waits for running writes without throwing", async () => {
    const writes = new BackgroundWrites(4, 1000);
    let done = 0;
    await writes.add(1, async () => {
      await tick();
      throw new Error("broken");
    });
    await writes.add(1, async () => {
      await tick();
      await tick();
      done += 1;
    });
    await writes.quiesce();
    expect(done).toBe(1);
  });
});
