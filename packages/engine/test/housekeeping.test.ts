import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, existingWorkers, IMAGE, run, workersLeftAfterCleanup, allFinished, captureLogger, shellPlan } from "@knitfab/testing";
import { applyPlan, pushData, startTestEngine, waitForRuns, type TestEngine } from "./support.js";

/**
 * Housekeeping tells normal races from leftovers (issue 8 item 15), on real Podman: a container
 * removed by finishing in between is no error, and a worker that is simply finishing (its run just
 * ended, its removal not done yet) is no orphan.
 */
describe.each(BACKENDS)("housekeeping on %s", (backend) => {
  let engine: TestEngine;
  const { logger, lines } = captureLogger();

  beforeAll(async () => {
    // A lease of a minute: a run that ended less than that ago counts as finishing.
    engine = await startTestEngine(backend, { logger, options: { housekeepingMs: 20, leaseMs: 60_000 } });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it("says nothing about a healthy pipeline while housekeeping runs all the time", async () => {
    const tag = `healthy:${backend}`;
    const planId = await applyPlan(engine, shellPlan("echo ok", { inputs: [{ path: "/in", tags: [tag] }] }));
    for (let i = 0; i < 8; i++) await pushData(engine, [{ name: "v", content: `${i}` }], [tag]);
    const runs = await waitForRuns(engine, planId, allFinished(8));
    expect(runs.map((one) => one.status)).toEqual(Array(8).fill("done"));
    expect(await workersLeftAfterCleanup(runs.map((one) => String(one.runId)))).toEqual([]);
    expect(lines.filter((line) => /orphan|step failed|no such container/.test(line))).toEqual([]);
  });

  it("leaves the container of a run that just ended to finishing, and removes one left long after its run ended", async () => {
    const tag = `leftover:${backend}`;
    const planId = await applyPlan(engine, shellPlan("true", { inputs: [{ path: "/in", tags: [tag] }] }));
    for (let i = 0; i < 2; i++) await pushData(engine, [{ name: "v", content: `${i}` }], [tag]);
    const [finishing, leftover] = (await waitForRuns(engine, planId, allFinished(2))).map((one) => String(one.runId)) as [string, string];
    expect(await workersLeftAfterCleanup([finishing, leftover])).toEqual([]);
    const db = engine.database.db;
    lines.length = 0;
    // The moment between finishing's record of the end and its removal of the exited container...
    await sql`UPDATE run SET updated_at = now() WHERE run_id = ${finishing}::uuid`.execute(db);
    await exitedWorker(finishing);
    // ...and a container whose removal was lost long ago (a crash right after the end was recorded).
    await exitedWorker(leftover);
    await sql`UPDATE run SET updated_at = now() - interval '1 hour' WHERE run_id = ${leftover}::uuid`.execute(db);

    // A pass that saw the leftover saw the other container too: it was listed first.
    expect(await workersLeftAfterCleanup([leftover])).toEqual([]);
    expect(await existingWorkers([finishing])).toEqual([`worker-run-${finishing}`]);
    expect(lines.filter((line) => /step failed|no such container/.test(line))).toEqual([]);
    expect(lines.filter((line) => /orphan/.test(line))).toEqual(["warn: housekeeping: removed 1 orphan worker(s), 0 partial upload(s)"]);
    await run("podman", ["rm", "-f", `worker-run-${finishing}`]);
  });
});

/** An exited container labelled as the worker of `runId`, as the runtime makes them. */
async function exitedWorker(runId: string): Promise<void> {
  await run("podman", [
    "run", "--name", `worker-run-${runId}`, "--label", "knitfab/worker=true", "--label", `knitfab/run-id=${runId}`,
    "--label", "knitfab/plan-id=test", IMAGE, "true",
  ]);
}
