import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notify, type Database } from "@knitfab/db";
import { testDatabase } from "@knitfab/testing";
import { startLoop } from "./loop-runner.js";

const quiet = { error: () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a loop of several lanes", () => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase("pglite");
  });
  afterAll(async () => {
    await database?.close();
  });

  it("polls with one lane when idle, not with every lane", async () => {
    let steps = 0;
    const loop = await startLoop(database, { name: "idle", channels: [], pollMs: 50, concurrency: 4, step: async () => (steps++, false) }, quiet);
    await sleep(1_000);
    await loop.stop();
    // One lane polling every 50 ms makes about 20 steps in a second (plus each lane's first step);
    // four lanes polling would make about 80.
    expect(steps).toBeGreaterThanOrEqual(8);
    expect(steps).toBeLessThanOrEqual(35);
  });

  it("spreads work found by its poll over every lane", async () => {
    let backlog = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    const loop = await startLoop(
      database,
      {
        name: "backlog",
        channels: [],
        pollMs: 50,
        concurrency: 4,
        step: async () => {
          if (backlog === 0) return false;
          backlog -= 1;
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          await sleep(100);
          inFlight -= 1;
          return true;
        },
      },
      quiet,
    );
    // Every lane has made its first step and sleeps: the work arrives unannounced, for the poll to find.
    await sleep(200);
    backlog = 20;
    await expect.poll(() => backlog, { timeout: 5_000, interval: 20 }).toBe(0);
    await loop.stop();
    expect(mostInFlight).toBe(4);
  });

  it("wakes on a notification at once, whichever lane takes it", async () => {
    let work = 0;
    let done = 0;
    const loop = await startLoop(
      database,
      { name: "woken", channels: ["loop_runner_test"], pollMs: 60_000, concurrency: 3, step: async () => (work > 0 ? (work--, done++, true) : false) },
      quiet,
    );
    await sleep(100);
    work = 1;
    await notify(database.db, "loop_runner_test");
    await expect.poll(() => done, { timeout: 2_000, interval: 10 }).toBe(1);
    await loop.stop();
  });
});
