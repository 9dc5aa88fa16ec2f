import { sql } from "kysely";
import type { Database, Queryable } from "./database.js";

/** How often the refresh looks for tables that changed enough to need new statistics. */
export const STATISTICS_CHECK_INTERVAL_MS = 15_000;

/**
 * The tables whose rows changed enough since their last ANALYZE that PostgreSQL's autovacuum would
 * analyze them now: more than 50 changed rows plus 10% of the rows counted at the last ANALYZE
 * (its defaults `autovacuum_analyze_threshold` and `autovacuum_analyze_scale_factor`).
 * The counts come from the cumulative statistics, which a backend flushes at most once a second,
 * so the last second's changes may not be counted yet: the next check sees them.
 */
export async function tablesNeedingStatistics(q: Queryable): Promise<{ schema: string; table: string }[]> {
  const rows = await sql<{ schema: string; table: string }>`
    SELECT s.schemaname AS schema, s.relname AS table
    FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
    ORDER BY s.relname`.execute(q);
  return rows.rows;
}

/**
 * PGlite has no autovacuum, so its planner never gets statistics unless asked: without them a find
 * over 100,000 Data right after they arrive is several times slower. This analyzes every table at
 * start, then, like autovacuum, each table whose rows changed by more than autovacuum's threshold,
 * checked every `checkIntervalMs` (the check is one read of the statistics views; ANALYZE samples
 * at most 30,000 rows of a table, so even a table of millions is analyzed in a fraction of a second).
 * PostgreSQL's own autovacuum does this there, so nothing runs on it.
 */
export function startStatisticsRefresh(database: Database, checkIntervalMs = STATISTICS_CHECK_INTERVAL_MS): () => void {
  if (database.backend !== "pglite") return () => {};
  let stopped = false;
  let running: Promise<void> | null = null;
  const analyzeChanged = async () => {
    for (const { schema, table } of await tablesNeedingStatistics(database.db)) {
      if (stopped) return;
      await sql`ANALYZE ${sql.id(schema, table)}`.execute(database.db);
    }
  };
  // One pass at a time: a pass still analyzing when the next tick comes makes that tick a no-op.
  const run = (pass: () => Promise<unknown>) => {
    if (stopped || running) return;
    running = pass()
      .then(() => undefined)
      // A closed database or a dropped table ends this pass; the next one starts afresh.
      .catch(() => undefined)
      .finally(() => {
        running = null;
      });
  };
  run(() => sql`ANALYZE`.execute(database.db));
  const timer = setInterval(() => run(analyzeChanged), checkIntervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
