import { sql } from "kysely";
import type { Queryable } from "../database.js";

/** Throws unless the database answers a trivial query (the readiness check). */
export async function pingDatabase(q: Queryable): Promise<void> {
  await sql`SELECT 1`.execute(q);
}
