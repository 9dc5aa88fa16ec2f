import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase, waitingRunOf } from "../test-support/index.js";
import type { Database } from "../database.js";
import { recordTransition } from "./record.js";

/** recordTransition at the db layer: one compare-and-set, with exit, worker env and worker removal committed together. */
describe.each(BACKENDS)("recording transitions on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const stateOf = async (runId: string) =>
    (
      await sql<{ status: string; code: number | null; env: unknown; has_worker: boolean }>`
        SELECT r.status::text AS status, e.code, w.env, w.run_id IS NOT NULL AS has_worker
        FROM run r LEFT JOIN run_exit e ON e.run_id = r.run_id LEFT JOIN worker w ON w.run_id = r.run_id WHERE r.run_id = ${runId}::uuid`.execute(database.db)
    ).rows[0]!;

  it("applies a change from the status seen, with the worker's environment", async () => {
    const { runId } = await waitingRunOf(database, "localhost/record-change");
    expect(await recordTransition(database, { runId, from: "waiting", to: "ready" })).toBe("change");
    expect(await recordTransition(database, { runId, from: "ready", to: "starting", env: { A: "1" } })).toBe("change");
    const state = await stateOf(runId);
    expect(state.status).toBe("starting");
    expect(typeof state.env === "string" ? JSON.parse(state.env) : state.env).toEqual({ A: "1" });
  });

  it("says moved and writes nothing when the run is no longer in the status seen, or is gone", async () => {
    const { runId } = await waitingRunOf(database, "localhost/record-moved");
    expect(await recordTransition(database, { runId, from: "ready", to: "starting", exit: { code: 1, message: "x" }, deleteWorker: true })).toBe("moved");
    expect(await stateOf(runId)).toMatchObject({ status: "waiting", code: null, has_worker: true });
    expect(await recordTransition(database, { runId, from: "waiting", to: "done" })).toBe("moved");
    expect(await recordTransition(database, { runId: "00000000-0000-4000-8000-000000000000", from: "waiting", to: "ready" })).toBe("moved");
  });

  it("a same-status record is a no-op postponement; an ending records its exit and drops the worker together", async () => {
    const { runId } = await waitingRunOf(database, "localhost/record-end");
    expect(await recordTransition(database, { runId, from: "waiting", to: "waiting", debounceMs: 60_000 })).toBe("noop");
    for (const [from, to] of [["waiting", "ready"], ["ready", "starting"], ["starting", "running"], ["running", "aborting"]] as const) {
      await recordTransition(database, { runId, from, to });
    }
    expect(await recordTransition(database, { runId, from: "aborting", to: "failed", exit: { code: 137, message: "killed" }, deleteWorker: true })).toBe("change");
    expect(await stateOf(runId)).toMatchObject({ status: "failed", code: 137, has_worker: false });
  });
});
