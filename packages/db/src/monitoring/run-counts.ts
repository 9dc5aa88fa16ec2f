import { sql } from "kysely";
import type { RunStatus } from "@knitfab/domain";
import type { Queryable } from "../database.js";

export interface RunCount {
  status: RunStatus;
  /** runs in this status */
  runs: number;
  /** of those, runs a loop may take up now (not suspended until later): the backlog */
  due: number;
  /** since when the longest-waiting due run has been due; null when none is */
  oldestDueSince: Date | null;
}

/** Runs by status, one aggregate over run_status_idx, for the metrics (computed at scrape time). */
export async function countRunsByStatus(q: Queryable): Promise<RunCount[]> {
  const rows = await sql<{ status: RunStatus; runs: number; due: number; oldest_due_since: Date | null }>`
    SELECT status,
           count(*)::int AS runs,
           (count(*) FILTER (WHERE lifecycle_suspend_until <= now()))::int AS due,
           min(lifecycle_suspend_until) FILTER (WHERE lifecycle_suspend_until <= now()) AS oldest_due_since
    FROM run GROUP BY status`.execute(q);
  return rows.rows.map((row) => ({ status: row.status, runs: row.runs, due: row.due, oldestDueSince: row.oldest_due_since }));
}
