import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunStatus } from "@knitfab/domain";
import { BACKENDS, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { createRootRun } from "../data/upload.js";
import { findRunIds } from "./find-runs.js";
import { setRunStatus } from "./set-status.js";

/** findRunIds at the db layer (`GET /api/runs/` is its HTTP face): by status, plan and output. */
describe.each(BACKENDS)("finding Runs on %s", (backend) => {
  let database: Database;
  let uploadPlan = "";
  beforeAll(async () => {
    database = await testDatabase(backend);
    const plans = await sql<{ plan_id: string }>`SELECT plan_id FROM plan WHERE pseudo_name = 'knit#uploaded'`.execute(database.db);
    uploadPlan = plans.rows[0]!.plan_id;
  });
  afterAll(async () => {
    await database?.close();
  });

  const runOf = async (knitId: string) =>
    (await sql<{ run_id: string }>`SELECT run_id FROM data WHERE knit_id = ${knitId}::uuid`.execute(database.db)).rows[0]!.run_id;

  it("finds runs by status: each status asked for, and no other", async () => {
    const done = await runOf(await uploadTagged(database, ["runs:done"]));
    const running = (await createRootRun(database, "knit#uploaded", 30)).runId;
    const aborting = (await createRootRun(database, "knit#uploaded", 30)).runId;
    await setRunStatus(database.db, aborting, "aborting");

    const byStatus = (...statuses: RunStatus[]) => findRunIds(database.db, { statuses });
    expect(await byStatus("running")).toEqual([running]);
    expect(await byStatus("aborting")).toEqual([aborting]);
    expect(await byStatus("done")).toContain(done);
    expect(await byStatus("done")).not.toContain(running);
    expect((await byStatus("running", "aborting")).sort()).toEqual([running, aborting].sort());
    expect(await byStatus("ready")).toEqual([]);
  });

  it("finds runs by plan and by output Data, combined with the status", async () => {
    const knitId = await uploadTagged(database, ["runs:output"]);
    const runId = await runOf(knitId);
    expect(await findRunIds(database.db, { outputKnitIds: [knitId] })).toEqual([runId]);
    expect(await findRunIds(database.db, { outputKnitIds: [knitId], statuses: ["failed"] })).toEqual([]);
    expect(await findRunIds(database.db, { planIds: [uploadPlan] })).toContain(runId);
    expect(await findRunIds(database.db, { planIds: ["not-a-uuid"] })).toEqual([]);
  });

  it("orders runs by their last update", async () => {
    const first = await runOf(await uploadTagged(database, ["runs:order"]));
    const second = await runOf(await uploadTagged(database, ["runs:order"]));
    await sql`UPDATE run SET updated_at = ${new Date("2030-01-01T00:00:02Z")} WHERE run_id = ${first}::uuid`.execute(database.db);
    await sql`UPDATE run SET updated_at = ${new Date("2030-01-01T00:00:01Z")} WHERE run_id = ${second}::uuid`.execute(database.db);
    expect(await findRunIds(database.db, { planIds: [uploadPlan], since: new Date("2030-01-01T00:00:00Z") })).toEqual([second, first]);
  });
});
