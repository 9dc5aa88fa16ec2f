import { sql, type RawBuilder } from "kysely";
import { FAILED_STATUSES, PROCESSING_STATUSES, type Tag } from "@knitfab/domain";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";

export interface DataQuery {
  userTags: Tag[];
  knitId?: string;
  /** effective timestamp equals this instant */
  timestamp?: Date;
  transient?: "processing" | "failed";
  since?: Date;
  /** exclusive upper bound on the effective timestamp */
  until?: Date;
}

/**
 * Data ids matching the query, ordered by knit#timestamp (data without one last), then knitId.
 * The effective timestamp is knit#timestamp, or the producing run's updated_at before it finished.
 */
export async function findKnitIds(q: Queryable, query: DataQuery): Promise<string[]> {
  const conditions: RawBuilder<unknown>[] = [sql`true`];
  if (query.userTags.length > 0) {
    const pairs = sql.join(query.userTags.map((tag) => sql`(${tag.key}, ${tag.value})`));
    conditions.push(sql`d.knit_id IN (
      SELECT knit_id FROM data_tag WHERE (key, value) IN (${pairs})
      GROUP BY knit_id HAVING count(*) = ${query.userTags.length})`);
  }
  if (query.knitId !== undefined) {
    const [id] = onlyUuids([query.knitId]);
    if (!id) return [];
    conditions.push(sql`d.knit_id = ${id}::uuid`);
  }
  if (query.timestamp !== undefined) conditions.push(sql`coalesce(d.timestamp, r.updated_at) = ${query.timestamp}`);
  if (query.transient === "processing") conditions.push(sql`r.status::text = ANY(${PROCESSING_STATUSES}::text[])`);
  if (query.transient === "failed") conditions.push(sql`r.status::text = ANY(${FAILED_STATUSES}::text[])`);
  if (query.since !== undefined) conditions.push(sql`coalesce(d.timestamp, r.updated_at) >= ${query.since}`);
  if (query.until !== undefined) conditions.push(sql`coalesce(d.timestamp, r.updated_at) < ${query.until}`);
  // Uploads and imports in progress are not data yet: they become visible once complete.
  conditions.push(sql`NOT EXISTS (SELECT 1 FROM plan p WHERE p.plan_id = r.plan_id AND p.pseudo_name IS NOT NULL AND r.status <> 'done')`);
  const rows = await sql<{ knit_id: string }>`
    SELECT d.knit_id FROM data d JOIN run r ON r.run_id = d.run_id
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY d.timestamp ASC NULLS LAST, d.knit_id`.execute(q);
  return rows.rows.map((row) => row.knit_id);
}
