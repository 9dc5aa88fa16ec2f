import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPostgresDatabase, workersLeftAfterCleanup, preparePodman, allFinished, shellPlan, type Json } from "@knitfab/testing";
import { spawnServe, stopGently, type ServeProcess, applyPlan, getRun, pushData, waitForRuns } from "../../test-support/index.js";
import { readText } from "./home-store.js";

const WIDTH = 12;

/** Three processes running every loop against one PostgreSQL: each run's worker starts exactly once. */
describe("replicas on postgres", () => {
  let home = "";
  const replicas: ServeProcess[] = [];

  beforeAll(async () => {
    await preparePodman();
    home = await mkdtemp(join(tmpdir(), "knitfab-replicas-"));
    const { url } = await createTestPostgresDatabase();
    for (let i = 0; i < 3; i++) replicas.push(await spawnServe({ home, databaseUrl: url, fastEngine: true }));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => stopGently(replica)));
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("shares the work without starting any worker twice", async () => {
    // Plans and data go through different replicas; every replica runs every loop.
    const [one, two, three] = replicas.map((replica) => replica.apiRoot) as [string, string, string];
    const script = "echo started >> /out/starts; cat /in/value > /out/value; echo $HOSTNAME >> /out/value";
    const first = await applyPlan(one, shellPlan(script, { inputs: [{ path: "/in", tags: ["rep:seed"] }], outputs: [{ path: "/out", tags: ["rep:first"] }] }));
    const second = await applyPlan(two, shellPlan(script, { inputs: [{ path: "/in", tags: ["rep:first"] }], outputs: [{ path: "/out", tags: ["rep:second"] }] }));
    for (let i = 0; i < WIDTH; i++) await pushData(replicas[i % 3]!.apiRoot, [{ name: "value", content: `v${i}\n` }], ["rep:seed"]);

    const runIds: string[] = [];
    for (const planId of [first, second]) {
      const runs = await waitForRuns(three, planId, allFinished(WIDTH), 180_000);
      expect(runs.map((run) => run.status)).toEqual(Array(WIDTH).fill("done"));
      runIds.push(...runs.map((run) => String(run.runId)));
    }
    for (const runId of runIds) {
      const output = String(((await getRun(three, runId)).outputs as Json[])[0]!.knitId);
      expect(await readText(home, output, "starts"), `run ${runId}`).toBe("started\n");
    }
    expect(await workersLeftAfterCleanup(runIds)).toEqual([]);
  }, 300_000);
});
