import { sql, type RawBuilder } from "kysely";
import type { RunStatus } from "@knitfab/domain";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";

export interface RunQuery {
  planIds?: string[];
  inputKnitIds?: string[];
  outputKnitIds?: string[];
  statuses?: RunStatus[];
  since?: Date;
  /** exclusive upper bound on updated_at */
  until?: Date;
}

/** Run ids matching the query, ordered by updated_at then runId. */
export async function findRunIds(q: Queryable, query: RunQuery): Promise<string[]> {
  const conditions: RawBuilder<unknown>[] = [sql`true`];
  if (query.planIds?.length) conditions.push(sql`r.plan_id = ANY(${onlyUuids(query.planIds)}::uuid[])`);
  // One run_status parameter per status: the planner sees constants of the column's own type, so it
  // estimates the (usually few) matching rows and uses run_status_idx instead of scanning every run.
  if (query.statuses?.length) conditions.push(sql`r.status IN (${sql.join(query.statuses.map((status) => sql`${status}::run_status`))})`);
  if (query.inputKnitIds?.length) {
    conditions.push(sql`EXISTS (SELECT 1 FROM assign a WHERE a.run_id = r.run_id AND a.knit_id = ANY(${onlyUuids(query.inputKnitIds)}::uuid[]))`);
  }
  if (query.outputKnitIds?.length) {
    conditions.push(sql`EXISTS (SELECT 1 FROM data d WHERE d.run_id = r.run_id AND d.knit_id = ANY(${onlyUuids(query.outputKnitIds)}::uuid[]))`);
  }
  if (query.since) conditions.push(sql`r.updated_at >= ${query.since}`);
  if (query.until) conditions.push(sql`r.updated_at < ${query.until}`);
  const rows = await sql<{ run_id: string }>`
    SELECT r.run_id FROM run r WHERE ${sql.join(conditions, sql` AND `)} ORDER BY r.updated_at, r.run_id`.execute(q);
  return rows.rows.map((row) => row.run_id);
}
