import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase, uploadTagged } from "./test-support/index.js";
import type { Database } from "./database.js";
import { startStatisticsRefresh } from "./maintenance.js";

/** startStatisticsRefresh: PGlite (no autovacuum) gets planner statistics at start; PostgreSQL is left to its autovacuum. */
describe.each(BACKENDS)("statistics refresh on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const lastAnalyze = async () =>
    (await sql<{ at: Date | null }>`SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = 'data_tag'`.execute(database.db)).rows[0]?.at ?? null;

  it("analyzes the tables at once on PGlite, and runs no ANALYZE of its own on PostgreSQL", async () => {
    await uploadTagged(database, ["stats:1"]);
    expect(await lastAnalyze()).toBeNull();
    const stop = startStatisticsRefresh(database);
    try {
      if (backend === "pglite") {
        await expect.poll(lastAnalyze, { timeout: 10_000, interval: 50 }).toBeInstanceOf(Date);
      } else {
        // the refresh is started without being awaited: give a would-be ANALYZE the time to land (a weak, one-sided check)
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await lastAnalyze()).toBeNull();
      }
    } finally {
      stop();
      stop();
    }
  });
});
