import { sql } from "kysely";
import type { RunStatus } from "@knitfab/domain";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";

/** One run on a time axis: when it was created and every status it entered since (schema version 7). */
export interface RunTimelineRecord {
  runId: string;
  planId: string;
  status: RunStatus;
  createdAt: Date;
  updatedAt: Date;
  /** Oldest first. Runs from before version 7 have only the change into their status at that time. */
  changes: Array<{ status: RunStatus; at: Date }>;
}

export interface RunTimelineQuery {
  /** Runs of any of these plans. */
  planIds?: readonly string[];
  /** These runs. */
  runIds?: readonly string[];
  /** At most this many runs, the most recently created first. */
  limit: number;
}

/**
 * Runs of the given plans and/or with the given ids (either matches), newest first, with their
 * status history. Ids that are not UUIDs match nothing.
 */
export async function loadRunTimeline(q: Queryable, query: RunTimelineQuery): Promise<RunTimelineRecord[]> {
  const planIds = onlyUuids(query.planIds ?? []);
  const runIds = onlyUuids(query.runIds ?? []);
  if (planIds.length === 0 && runIds.length === 0) return [];
  const runs = await sql<{ run_id: string; plan_id: string; status: RunStatus; created_at: Date; updated_at: Date }>`
    SELECT run_id, plan_id, status::text AS status, date_trunc('milliseconds', created_at) AS created_at, updated_at
    FROM run
    WHERE plan_id = ANY(${planIds}::uuid[]) OR run_id = ANY(${runIds}::uuid[])
    ORDER BY created_at DESC, run_id
    LIMIT ${query.limit}`.execute(q);
  if (runs.rows.length === 0) return [];
  const changes = await sql<{ run_id: string; status: RunStatus; changed_at: Date }>`
    SELECT run_id, status::text AS status, changed_at FROM run_status_change
    WHERE run_id = ANY(${runs.rows.map((r) => r.run_id)}::uuid[])
    ORDER BY run_id, change_id`.execute(q);
  const byRun = new Map<string, RunTimelineRecord["changes"]>();
  for (const row of changes.rows) {
    let list = byRun.get(row.run_id);
    if (!list) byRun.set(row.run_id, (list = []));
    list.push({ status: row.status, at: row.changed_at });
  }
  return runs.rows.map((row) => ({
    runId: row.run_id,
    planId: row.plan_id,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    changes: byRun.get(row.run_id) ?? [],
  }));
}
