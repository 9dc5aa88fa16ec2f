import { sql } from "kysely";
import type { Queryable } from "../database.js";

/** Records the size of a Data's complete content (idempotent: sealing again writes the same size). */
export async function recordDataSize(q: Queryable, knitId: string, bytes: number): Promise<void> {
  await sql`UPDATE data SET size_bytes = ${bytes} WHERE knit_id = ${knitId}::uuid`.execute(q);
}
