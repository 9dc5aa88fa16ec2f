import { sql } from "kysely";
import type { Queryable } from "../database.js";

/**
 * Claims one garbage knitId (FOR UPDATE SKIP LOCKED, then a lease), so replicas share the work; the
 * caller deletes the content (idempotent) and then `forgetGarbage`. A crashed collector's lease expires.
 */
export async function claimGarbage(q: Queryable, leaseMs: number): Promise<string | undefined> {
  const result = await sql<{ knit_id: string }>`
    WITH picked AS (
      SELECT knit_id FROM garbage WHERE lifecycle_suspend_until <= now() AND NOT EXISTS (SELECT 1 FROM system_freeze)
      ORDER BY lifecycle_suspend_until, knit_id LIMIT 1 FOR UPDATE SKIP LOCKED
    )
    UPDATE garbage g SET lifecycle_suspend_until = now() + make_interval(secs => ${leaseMs / 1000})
    FROM picked WHERE g.knit_id = picked.knit_id
    RETURNING g.knit_id`.execute(q);
  return result.rows[0]?.knit_id;
}

export async function forgetGarbage(q: Queryable, knitId: string): Promise<void> {
  await sql`DELETE FROM garbage WHERE knit_id = ${knitId}::uuid`.execute(q);
}

/** Whether `knitId` is listed as garbage (its content must not be kept). */
export async function isGarbage(q: Queryable, knitId: string): Promise<boolean> {
  const result = await sql`SELECT 1 FROM garbage WHERE knit_id = ${knitId}::uuid`.execute(q);
  return result.rows.length > 0;
}
