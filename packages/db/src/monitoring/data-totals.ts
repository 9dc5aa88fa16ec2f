import { sql } from "kysely";
import type { Queryable } from "../database.js";

export interface DataTotals {
  /** Data records */
  count: number;
  /** bytes of the Data whose size is known (complete content; see migration 0004) */
  bytes: number;
}

/** How many Data there are and how many bytes they hold, for the metrics (computed at scrape time). */
export async function dataTotals(q: Queryable): Promise<DataTotals> {
  const rows = await sql<{ count: number; bytes: string | number }>`
    SELECT count(*)::int AS count, coalesce(sum(size_bytes), 0)::text AS bytes FROM data`.execute(q);
  const row = rows.rows[0];
  // summed as text: the total of bigint sizes may pass 2^31, and Number holds bytes exactly up to 2^53
  return { count: row?.count ?? 0, bytes: Number(row?.bytes ?? 0) };
}
