import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "@knitfab/db";
import { createTestPostgresDatabase, existingWorkers, preparePodman, allFinished, shellPlan, type Json } from "@knitfab/testing";
import { killHard, spawnServe, stopGently, type ServeProcess, applyPlan, getRun, pushData, waitForRuns } from "../../test-support/index.js";
import { readText, storeContents } from "./home-store.js";

const WIDTH = 10;
const STEPS = ["a", "b", "c"];

/**
 * A 30-run pipeline (10 inputs through 3 chained plans) while the server is killed with SIGKILL at
 * random moments at least 20 times and restarted: every run ends done exactly once, every output is
 * intact, each task ran once, and no container or partial Data is left.
 */
describe("crash safety on postgres", () => {
  let home = "";
  let databaseUrl = "";
  let database: Database;
  let current: ServeProcess | undefined;

  beforeAll(async () => {
    await preparePodman();
    home = await mkdtemp(join(tmpdir(), "knitfab-crash-"));
    databaseUrl = (await createTestPostgresDatabase()).url;
    database = await openDatabase({ url: databaseUrl, poolSize: 2 });
  });
  afterAll(async () => {
    if (current) await stopGently(current);
    await database?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("survives 20+ SIGKILLs with every run done once, outputs intact and nothing left behind", async () => {
    current = await spawnServe({ home, databaseUrl, fastEngine: true });
    const tag = (step: string) => `crash:${step}`;
    const plans: string[] = [];
    for (const [index, step] of STEPS.entries()) {
      const input = index === 0 ? "seed" : STEPS[index - 1]!;
      // Each task records its own start in its output (a second start would add a line) and
      // passes its input on with its step appended, so the last output proves the whole chain.
      const script = `echo started >> /out/starts; sleep 0.$((RANDOM % 8 + 1)); cat /in/value > /out/value; echo ${step} >> /out/value`;
      plans.push(await applyPlan(current.apiRoot, shellPlan(script, {
        inputs: [{ path: "/in", tags: [tag(input)] }],
        outputs: [{ path: "/out", tags: [tag(step)] }],
        log: null,
      })));
    }
    for (let i = 0; i < WIDTH; i++) await pushData(current.apiRoot, [{ name: "value", content: `seed-${i}\n` }], [tag("seed")]);

    let kills = 0;
    const pipelineDone = async () => {
      const result = await sql<{ n: number }>`SELECT count(*)::int AS n FROM run r JOIN plan p ON p.plan_id = r.plan_id
        WHERE p.image IS NOT NULL AND r.status = 'done'`.execute(database.db);
      return result.rows[0]!.n >= WIDTH * STEPS.length;
    };
    while (kills < 20 || !(await pipelineDone())) {
      if (kills >= 60) break;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 1_400));
      if (kills < 20 || Math.random() < 0.5) {
        await killHard(current);
        kills++;
        current = await spawnServe({ home, databaseUrl, fastEngine: true });
      }
    }
    expect(kills).toBeGreaterThanOrEqual(20);

    const apiRoot = current.apiRoot;
    const runIds: string[] = [];
    for (const planId of plans) {
      const runs = await waitForRuns(apiRoot, planId, allFinished(WIDTH), 180_000);
      expect(runs).toHaveLength(WIDTH);
      expect(runs.map((run) => run.status)).toEqual(Array(WIDTH).fill("done"));
      runIds.push(...runs.map((run) => String(run.runId)));
    }
    // No duplicate: one run per input combination, and each task started exactly once.
    const lastRuns = (await waitForRuns(apiRoot, plans.at(-1)!, allFinished(WIDTH))).map((run) => String(run.runId));
    const values = new Set<string>();
    for (const runId of runIds) {
      const output = String(((await getRun(apiRoot, runId)).outputs as Json[])[0]!.knitId);
      expect(await readText(home, output, "starts")).toBe("started\n");
      if (lastRuns.includes(runId)) values.add(await readText(home, output, "value"));
    }
    expect([...values].sort()).toEqual(Array.from({ length: WIDTH }, (_, i) => `seed-${i}\n${STEPS.join("\n")}\n`).sort());

    // Nothing left behind: no worker containers, no partial uploads, no content without its Data.
    await eventually(async () => (await existingWorkers(runIds)).length === 0);
    await eventually(async () => (await storeContents(home)).partials.length === 0);
    const known = await sql<{ knit_id: string }>`SELECT knit_id FROM data`.execute(database.db);
    const store = await storeContents(home);
    expect(store.data.sort()).toEqual(known.rows.map((row) => row.knit_id).sort());
    expect(store.sealed.sort()).toEqual(known.rows.map((row) => row.knit_id).sort());
    const stuck = await sql<{ n: number }>`SELECT count(*)::int AS n FROM run WHERE status NOT IN ('done')`.execute(database.db);
    expect(stuck.rows[0]!.n).toBe(0);
  }, 400_000);
});

async function eventually(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
