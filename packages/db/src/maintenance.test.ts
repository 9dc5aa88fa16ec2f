import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase, uploadTagged } from "./test-support/index.js";
import type { Database } from "./database.js";
import { startStatisticsRefresh, tablesNeedingStatistics } from "./maintenance.js";

/**
 * startStatisticsRefresh: PGlite (no autovacuum) gets planner statistics at start and again for each
 * table changed past autovacuum's threshold; PostgreSQL is left to its autovacuum.
 */
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

  it("names a table once more than 50 rows plus a tenth of it changed since its last ANALYZE", async () => {
    await sql`ANALYZE data_tag`.execute(database.db);
    const rowsAtAnalyze = (await sql<{ rows: number }>`SELECT count(*)::int AS rows FROM data_tag`.execute(database.db)).rows[0]?.rows ?? 0;
    const needing = async () => (await tablesNeedingStatistics(database.db)).map(({ table }) => table);
    // Statistics are flushed at most once a second: wait past that, so what is counted is settled.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await uploadTagged(database, ["few:1"]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await needing()).not.toContain("data_tag");
    await uploadTagged(database, Array.from({ length: 51 + Math.ceil(rowsAtAnalyze / 10) }, (_, index) => `many:${index}`));
    await expect.poll(needing, { timeout: 10_000, interval: 200 }).toContain("data_tag");
  });

  // PostgreSQL has its autovacuum for this: the refresh does nothing there (the first test).
  if (backend === "pglite") it("analyzes a table again once enough of its rows changed, and only then", async () => {
    const stop = startStatisticsRefresh(database, 100);
    try {
      // the analysis at start
      await expect.poll(async () => (await tablesNeedingStatistics(database.db)).length, { timeout: 10_000, interval: 50 }).toBe(0);
      const analyzedAtStart = await lastAnalyze();
      await uploadTagged(database, ["few:2"]);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await lastAnalyze()).toEqual(analyzedAtStart);
      await uploadTagged(database, Array.from({ length: 200 }, (_, index) => `again:${index}`));
      await expect.poll(async () => (await lastAnalyze())?.getTime(), { timeout: 10_000, interval: 50 }).toBeGreaterThan(analyzedAtStart?.getTime() ?? 0);
    } finally {
      stop();
    }
  });
});
