import { sql, type RawBuilder } from "kysely";
import { FAILED_STATUSES, PROCESSING_STATUSES, type Tag } from "@knitfab/domain";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";

export interface DataQuery {
  userTags: Tag[];
  knitId?: string;
  /** Only these Data (ids that are not UUIDs match nothing). */
  knitIds?: readonly string[];
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
  // One semi-join per tag rather than counting matches per Data: the planner can then start from the
  // rarest tag or from a time window and probe the others by key, instead of grouping every Data
  // that carries a common tag (kind:dataset) before any other condition narrows them.
  for (const tag of query.userTags) {
    conditions.push(sql`EXISTS (SELECT 1 FROM data_tag t WHERE t.knit_id = d.knit_id AND t.key = ${tag.key} AND t.value = ${tag.value})`);
  }
  if (query.knitId !== undefined) {
    const [id] = onlyUuids([query.knitId]);
    if (!id) return [];
    conditions.push(sql`d.knit_id = ${id}::uuid`);
  }
  if (query.knitIds !== undefined) {
    const ids = onlyUuids(query.knitIds);
    if (ids.length === 0) return [];
    conditions.push(sql`d.knit_id = ANY(${ids}::uuid[])`);
  }
  if (query.timestamp !== undefined) conditions.push(sql`coalesce(d.timestamp, r.updated_at) = ${query.timestamp}`);
  if (query.transient === "processing") conditions.push(sql`r.status::text = ANY(${PROCESSING_STATUSES}::text[])`);
  if (query.transient === "failed") conditions.push(sql`r.status::text = ANY(${FAILED_STATUSES}::text[])`);
  if (query.since !== undefined) conditions.push(sql`coalesce(d.timestamp, r.updated_at) >= ${query.since}`);
  if (query.until !== undefined) conditions.push(sql`coalesce(d.timestamp, r.updated_at) < ${query.until}`);
  // The effective timestamp spans two tables, so no index answers the conditions above. Implied by
  // them, the same bounds on data.timestamp (or none yet: Data still being written, few) let
  // data_timestamp_idx narrow the candidates first; the exact conditions still decide.
  const bounds: RawBuilder<unknown>[] = [];
  if (query.timestamp !== undefined) bounds.push(sql`d.timestamp = ${query.timestamp}`);
  if (query.since !== undefined) bounds.push(sql`d.timestamp >= ${query.since}`);
  if (query.until !== undefined) bounds.push(sql`d.timestamp < ${query.until}`);
  if (bounds.length > 0) conditions.push(sql`(d.timestamp IS NULL OR (${sql.join(bounds, sql` AND `)}))`);
  // Uploads and imports in progress are not data yet: they become visible once complete.
  conditions.push(sql`NOT EXISTS (SELECT 1 FROM plan p WHERE p.plan_id = r.plan_id AND p.pseudo_name IS NOT NULL AND r.status <> 'done')`);
  const rows = await sql<{ knit_id: string }>`
    SELECT d.knit_id FROM data d JOIN run r ON r.run_id = d.run_id
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY d.timestamp ASC NULLS LAST, d.knit_id`.execute(q);
  return rows.rows.map((row) => row.knit_id);
}
