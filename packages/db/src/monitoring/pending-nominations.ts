import { sql } from "kysely";
import type { Queryable } from "../database.js";

/** Nominations the projection loop has yet to look at (its backlog), over nomination_updated_idx. */
export async function countPendingNominations(q: Queryable): Promise<number> {
  const rows = await sql<{ pending: number }>`SELECT count(*)::int AS pending FROM nomination WHERE updated`.execute(q);
  return rows.rows[0]?.pending ?? 0;
}
