import { sql, type RawBuilder } from "kysely";
import type { Tag } from "@knitfab/domain";
import type { Queryable } from "../database.js";

export interface PlanQuery {
  active?: boolean;
  image?: { repository: string; tag?: string };
  /** some single input must carry all of these (user tags), and the pins if given */
  inTags?: { userTags: Tag[]; knitId?: string; timestamp?: Date };
  /** some single output (the log counts) must carry all of these */
  outTags?: Tag[];
}

/** Plan ids matching the query, ordered by planId. */
export async function findPlanIds(q: Queryable, query: PlanQuery): Promise<string[]> {
  const conditions: RawBuilder<unknown>[] = [sql`true`];
  if (query.active !== undefined) conditions.push(sql`p.active = ${query.active}`);
  if (query.image) {
    conditions.push(sql`p.image = ${query.image.repository}`);
    if (query.image.tag !== undefined) conditions.push(sql`p.version = ${query.image.tag}`);
  }
  if (query.inTags) {
    const { userTags, knitId, timestamp } = query.inTags;
    const tagConditions = userTags.map(
      (tag) => sql`EXISTS (SELECT 1 FROM input_tag it WHERE it.input_id = i.input_id AND it.key = ${tag.key} AND it.value = ${tag.value})`,
    );
    if (knitId !== undefined) tagConditions.push(sql`i.knit_id_pin::text = ${knitId}`);
    if (timestamp !== undefined) tagConditions.push(sql`i.timestamp_pin = ${timestamp}`);
    if (tagConditions.length > 0) {
      conditions.push(sql`EXISTS (SELECT 1 FROM input i WHERE i.plan_id = p.plan_id AND ${sql.join(tagConditions, sql` AND `)})`);
    }
  }
  if (query.outTags && query.outTags.length > 0) {
    const tagConditions = query.outTags.map(
      (tag) => sql`EXISTS (SELECT 1 FROM output_tag ot WHERE ot.output_id = o.output_id AND ot.key = ${tag.key} AND ot.value = ${tag.value})`,
    );
    conditions.push(sql`EXISTS (SELECT 1 FROM output o WHERE o.plan_id = p.plan_id AND ${sql.join(tagConditions, sql` AND `)})`);
  }
  const rows = await sql<{ plan_id: string }>`
    SELECT p.plan_id FROM plan p WHERE ${sql.join(conditions, sql` AND `)} ORDER BY p.plan_id`.execute(q);
  return rows.rows.map((row) => row.plan_id);
}
