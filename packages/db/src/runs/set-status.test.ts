import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError } from "@knitfab/domain";
import { BACKENDS, planSpecOf, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { createRootRun } from "../data/upload.js";
import { changeDataTags } from "../data/change-tags.js";
import { registerPlan } from "../plans/register-plan.js";
import { IllegalTransitionError, setRunStatus } from "./set-status.js";

/** setRunStatus at the db layer, the one place a run changes status (spec/model.md §8.2). */
describe.each(BACKENDS)("run status transitions on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const statusOf = async (runId: string) =>
    (await sql<{ status: string }>`SELECT status::text AS status FROM run WHERE run_id = ${runId}::uuid`.execute(database.db)).rows[0]!.status;
  const timestampOf = async (knitId: string) =>
    (await sql<{ timestamp: Date | null }>`SELECT timestamp FROM data WHERE knit_id = ${knitId}::uuid`.execute(database.db)).rows[0]!.timestamp;
  const running = () => createRootRun(database, "knit#uploaded", 30);

  it("changes along the state machine, and a same-status request is a no-op", async () => {
    const { runId } = await running();
    expect(await setRunStatus(database.db, runId, "running")).toBe("noop");
    expect(await statusOf(runId)).toBe("running");
    expect(await setRunStatus(database.db, runId, "completing")).toBe("change");
    expect(await statusOf(runId)).toBe("completing");
  });

  it("refuses a forbidden change and leaves the run as it was", async () => {
    const { runId } = await running();
    await expect(setRunStatus(database.db, runId, "done")).rejects.toThrow(IllegalTransitionError);
    await expect(setRunStatus(database.db, runId, "waiting")).rejects.toMatchObject({ name: "IllegalTransitionError", from: "running", to: "waiting" });
    expect(await statusOf(runId)).toBe("running");
  });

  it("accepts nothing once the run has ended, not even its own status", async () => {
    const { runId } = await running();
    await setRunStatus(database.db, runId, "aborting");
    expect(await setRunStatus(database.db, runId, "failed")).toBe("change");
    await expect(setRunStatus(database.db, runId, "failed")).rejects.toThrow(IllegalTransitionError);
    expect(await statusOf(runId)).toBe("failed");
  });

  it("changes only from an expected status when asked to (compare-and-set)", async () => {
    const { runId } = await running();
    await expect(setRunStatus(database.db, runId, "completing", { expect: ["starting"] })).rejects.toThrow(IllegalTransitionError);
    expect(await statusOf(runId)).toBe("running");
    expect(await setRunStatus(database.db, runId, "completing", { expect: ["running"] })).toBe("change");
  });

  it("stamps knit#timestamp on the outputs when the run finishes, and a done run nominates its outputs", async () => {
    const root = await running();
    await changeDataTags(database, root.knitId, { add: [{ key: "status", value: "feeds" }], remove: [], removeKey: [] });
    const planId = await registerPlan(database, planSpecOf("localhost/downstream", [["status:feeds"]]));
    const nominations = async () =>
      (await sql<{ count: number }>`
        SELECT count(*)::int AS count FROM nomination n JOIN input i ON i.input_id = n.input_id
        WHERE i.plan_id = ${planId}::uuid AND n.knit_id = ${root.knitId}::uuid`.execute(database.db)).rows[0]!.count;
    // not done yet: the Data matches no input
    expect(await nominations()).toBe(0);
    await setRunStatus(database.db, root.runId, "completing");
    expect(await timestampOf(root.knitId)).toBeNull();
    await setRunStatus(database.db, root.runId, "done");
    expect(await timestampOf(root.knitId)).toBeInstanceOf(Date);
    expect(await nominations()).toBe(1);
  });

  it("says not found for a run that does not exist", async () => {
    await expect(setRunStatus(database.db, "00000000-0000-4000-8000-000000000000", "running")).rejects.toThrow(NotFoundError);
    await expect(setRunStatus(database.db, "not-a-uuid", "running")).rejects.toThrow(NotFoundError);
  });
});
