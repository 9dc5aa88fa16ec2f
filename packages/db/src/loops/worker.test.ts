import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase, waitingRunOf } from "../test-support/index.js";
import type { Database } from "../database.js";
import { createRootRun } from "../data/upload.js";
import { changePlanResources } from "../plans/update-plan.js";
import { loadWorkerContext, pendingReasons, recordStartFailure, runStates, runsWithWorker, setWorkerPendingReason } from "./worker.js";

const MISSING = "00000000-0000-4000-8000-000000000000";

/** Worker records at the db layer: what starting a worker needs, why it waits, refused starts, which runs have one. */
describe.each(BACKENDS)("worker records on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("gives the worker context of a run of an image plan: image, resources, environment; none for an upload or a missing run", async () => {
    const run = await waitingRunOf(database, "localhost/worker-context");
    await changePlanResources(database, run.planId, { set: { memory: "1Gi", cpu: "1" }, unset: [] });
    await sql`UPDATE worker SET env = ${JSON.stringify({ HOOK: "set" })}::jsonb WHERE run_id = ${run.runId}::uuid`.execute(database.db);
    const context = await loadWorkerContext(database.db, run.runId);
    expect(context).toMatchObject({
      runId: run.runId,
      image: "localhost/worker-context:v1",
      env: { HOOK: "set" },
      resources: { cpu: "1", memory: "1Gi" },
      onNode: [],
      serviceAccount: null,
      pendingReason: null,
    });
    const root = await createRootRun(database, "knit#uploaded", 30);
    expect(await loadWorkerContext(database.db, root.runId)).toBeUndefined();
    expect(await loadWorkerContext(database.db, MISSING)).toBeUndefined();
  });

  it("keeps and clears a pending reason, shown for that run only", async () => {
    const run = await waitingRunOf(database, "localhost/worker-pending");
    const other = await waitingRunOf(database, "localhost/worker-pending-other");
    await setWorkerPendingReason(database.db, run.runId, "no node has label gpu=true");
    expect(await pendingReasons(database.db, [run.runId.toUpperCase(), other.runId, "junk"])).toEqual(new Map([[run.runId, "no node has label gpu=true"]]));
    expect((await loadWorkerContext(database.db, run.runId))?.pendingReason).toBe("no node has label gpu=true");
    await setWorkerPendingReason(database.db, run.runId, null);
    expect(await pendingReasons(database.db, [run.runId])).toEqual(new Map());
    expect(await pendingReasons(database.db, [])).toEqual(new Map());
  });

  it("counts refused starts one by one; a run without worker counts nothing", async () => {
    const run = await waitingRunOf(database, "localhost/worker-failures");
    expect(await recordStartFailure(database.db, run.runId)).toBe(1);
    expect(await recordStartFailure(database.db, run.runId)).toBe(2);
    expect(await recordStartFailure(database.db, MISSING)).toBe(0);
  });

  it("tells which runs have a worker, and the state of the runs that exist", async () => {
    const run = await waitingRunOf(database, "localhost/worker-which");
    const root = await createRootRun(database, "knit#uploaded", 30);
    expect(await runsWithWorker(database.db, [run.runId, root.runId, MISSING, "junk"])).toEqual(new Set([run.runId]));
    expect(await runsWithWorker(database.db, [])).toEqual(new Set());
    const states = await runStates(database.db, [run.runId, root.runId.toUpperCase(), MISSING, "junk"]);
    expect([...states.keys()].sort()).toEqual([run.runId, root.runId].sort());
    expect(states.get(run.runId)).toMatchObject({ status: "waiting", updatedAt: expect.any(Date) });
    expect(states.get(root.runId)?.status).toBe("running");
  });
});
