import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase } from "../test-support/index.js";
import type { Database } from "../database.js";
import { createRootRun } from "../data/upload.js";
import { countRunsByStatus } from "./run-counts.js";

/** countRunsByStatus at the db layer (the run metrics): runs per status, the due backlog, and since when it is due. */
describe.each(BACKENDS)("counting runs on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("counts the runs of each status, which of them are due, and the oldest due time", async () => {
    const runningBefore = (await countRunsByStatus(database.db)).find((count) => count.status === "running")?.runs ?? 0;
    await sql`UPDATE run SET lifecycle_suspend_until = now() + interval '1 day'`.execute(database.db);
    const late = await createRootRun(database, "knit#uploaded", 3600);
    const due = await createRootRun(database, "knit#uploaded", 3600);
    const older = await createRootRun(database, "knit#imported", 3600);
    await sql`UPDATE run SET lifecycle_suspend_until = '2030-01-02T00:00:00Z' WHERE run_id = ${late.runId}::uuid`.execute(database.db);
    await sql`UPDATE run SET lifecycle_suspend_until = '2020-01-02T00:00:00Z' WHERE run_id = ${due.runId}::uuid`.execute(database.db);
    await sql`UPDATE run SET lifecycle_suspend_until = '2020-01-01T00:00:00Z' WHERE run_id = ${older.runId}::uuid`.execute(database.db);
    await sql`UPDATE run SET status = 'aborting' WHERE run_id = ${late.runId}::uuid`.execute(database.db);
    const counts = await countRunsByStatus(database.db);
    expect(counts.find((count) => count.status === "running")).toEqual({
      status: "running",
      runs: runningBefore + 2,
      due: 2,
      oldestDueSince: new Date("2020-01-01T00:00:00Z"),
    });
    expect(counts.find((count) => count.status === "aborting")).toEqual({ status: "aborting", runs: 1, due: 0, oldestDueSince: null });
    expect(counts.find((count) => count.status === "waiting")).toBeUndefined();
  });
});
