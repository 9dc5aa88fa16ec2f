import { sql } from "kysely";
import type { Queryable } from "../database.js";

/** Whether an unexpired write-transfer record exists on an output of the run (an upload still in progress). */
export async function hasLiveWriter(q: Queryable, runId: string): Promise<boolean> {
  const result = await sql`
    SELECT 1 FROM data_agent a JOIN data d ON d.knit_id = a.knit_id
    WHERE d.run_id = ${runId}::uuid AND a.mode = 'write' AND a.lifecycle_suspend_until > now() LIMIT 1`.execute(q);
  return result.rows.length > 0;
}

/** Whether an unexpired write-transfer record exists for the knitId (a partial upload still being written). */
export async function hasLiveWriterFor(q: Queryable, knitId: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(knitId)) return false;
  const result = await sql`
    SELECT 1 FROM data_agent WHERE knit_id = ${knitId}::uuid AND mode = 'write' AND lifecycle_suspend_until > now() LIMIT 1`.execute(q);
  return result.rows.length > 0;
}

/**
 * Removes transfer records whose process died: write records expired for longer than `graceMs`
 * (a live upload renews its record), read records expired for longer than `readGraceMs` (downloads do
 * not renew theirs, so they get a long grace). Returns how many went.
 */
export async function removeStaleAgents(q: Queryable, graceMs: number, readGraceMs: number): Promise<number> {
  const result = await sql`
    DELETE FROM data_agent
    WHERE (mode = 'write' AND lifecycle_suspend_until < now() - make_interval(secs => ${graceMs / 1000}))
       OR (mode = 'read' AND lifecycle_suspend_until < now() - make_interval(secs => ${readGraceMs / 1000}))`.execute(q);
  return Number(result.numAffectedRows ?? 0n);
}
