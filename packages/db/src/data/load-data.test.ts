import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, planSpecOf, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { registerPlan } from "../plans/register-plan.js";
import { projectOnce } from "../projection/project.js";
import { createRootRun } from "./upload.js";
import { loadData } from "./load-data.js";

/** loadData at the db layer (`GET /api/data/{knitId}` and the Data list read it): tags, upstream, downstreams, nominations. */
describe.each(BACKENDS)("loading Data on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("gives the user tags sorted, the upstream upload run and its output, and no links for Data nothing uses", async () => {
    const knitId = await uploadTagged(database, ["load-b:2", "load-a:1", "load-a:0"]);
    const [record] = await loadData(database.db, [knitId]);
    expect(record!.knitId).toBe(knitId);
    expect(record!.userTags).toEqual([
      { key: "load-a", value: "0" },
      { key: "load-a", value: "1" },
      { key: "load-b", value: "2" },
    ]);
    expect(record!.timestamp).toBeInstanceOf(Date);
    expect(record!.upstream.run).toMatchObject({ status: "done", plan: { pseudoName: "knit#uploaded" } });
    expect(record!.upstream.isLog).toBe(false);
    expect(record!.downstreams).toEqual([]);
    expect(record!.nominations).toEqual([]);
  });

  it("keeps the order of the ids asked for, omits unknown and malformed ids, and accepts upper case", async () => {
    const a = await uploadTagged(database, ["order-load:a"]);
    const b = await uploadTagged(database, ["order-load:b"]);
    const ids = (records: { knitId: string }[]) => records.map((record) => record.knitId);
    expect(ids(await loadData(database.db, [b, a]))).toEqual([b, a]);
    expect(ids(await loadData(database.db, [a, "00000000-0000-4000-8000-000000000000", "not-a-uuid", b]))).toEqual([a, b]);
    expect(ids(await loadData(database.db, [a.toUpperCase()]))).toEqual([a]);
    expect(await loadData(database.db, [])).toEqual([]);
    expect(await loadData(database.db, ["not-a-uuid"])).toEqual([]);
  });

  it("shows an upload in progress as running, without timestamp", async () => {
    const root = await createRootRun(database, "knit#uploaded", 30);
    const [record] = await loadData(database.db, [root.knitId]);
    expect(record!.timestamp).toBeNull();
    expect(record!.upstream.run.status).toBe("running");
  });

  it("links the plans that nominate the Data and the runs that use it; an invalidated run is not shown", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/load-data-consumer", [["load-use:yes"]]));
    const knitId = await uploadTagged(database, ["load-use:yes"]);
    const [nominated] = await loadData(database.db, [knitId]);
    expect(nominated!.nominations.map((link) => [link.plan.planId, link.mountpoint.path])).toEqual([[planId, "/in/0"]]);

    while (await projectOnce(database));
    const runId = (await sql<{ run_id: string }>`SELECT run_id FROM assign WHERE knit_id = ${knitId}::uuid`.execute(database.db)).rows[0]!.run_id;
    const [used] = await loadData(database.db, [knitId]);
    expect(used!.downstreams.map((link) => [link.run.runId, link.run.plan.planId, link.mountpoint.path])).toEqual([[runId, planId, "/in/0"]]);

    await sql`UPDATE run SET status = 'invalidated' WHERE run_id = ${runId}::uuid`.execute(database.db);
    expect((await loadData(database.db, [knitId]))[0]!.downstreams).toEqual([]);
  });

  it("shows the log of a run as a log", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/load-data-log", [["load-log:yes"]]));
    await uploadTagged(database, ["load-log:yes"]);
    while (await projectOnce(database));
    const rows = await sql<{ knit_id: string }>`
      SELECT d.knit_id FROM data d JOIN run r ON r.run_id = d.run_id WHERE r.plan_id = ${planId}::uuid`.execute(database.db);
    const records = await loadData(database.db, rows.rows.map((row) => row.knit_id));
    expect(records.map((record) => record.upstream.isLog).sort()).toEqual([false, true]);
    expect(records.every((record) => record.upstream.run.plan.planId === planId)).toBe(true);
  });
});
