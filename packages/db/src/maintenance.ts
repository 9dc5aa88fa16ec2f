import { sql } from "kysely";
import type { Database } from "./database.js";

/**
 * PGlite has no autovacuum, so its planner never gets statistics unless asked: without them a find
 * over 100,000 Data is several times slower. This refreshes them at start and then periodically.
 * PostgreSQL's own autovacuum does this there, so nothing runs on it.
 */
export function startStatisticsRefresh(database: Database, intervalMs = 10 * 60_000): () => void {
  if (database.backend !== "pglite") return () => {};
  let stopped = false;
  const refresh = async () => {
    if (stopped) return;
    await sql`ANALYZE`.execute(database.db).catch(() => {});
  };
  void refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
