import { sql } from "kysely";
import { NotFoundError, type Tag } from "@knitfab/domain";
import type { Database } from "../database.js";
import { onlyUuids } from "../uuid.js";
import { nominateData } from "../nominations/nominate.js";

export interface TagChange {
  add: Tag[];
  remove: Tag[];
  removeKey: string[];
}

/** remove, then remove_key, then add; then re-nominate (spec/api.md §2.4). 404 when the data is missing. */
export async function changeDataTags(database: Database, knitId: string, change: TagChange): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    const [candidate] = onlyUuids([knitId]);
    const row = candidate
      ? await sql<{ knit_id: string }>`SELECT knit_id FROM data WHERE knit_id = ${candidate}::uuid FOR UPDATE`.execute(trx)
      : { rows: [] };
    const id = row.rows[0]?.knit_id;
    if (!id) throw new NotFoundError("correspontind data is missing", { advice: `no data has knit id ${knitId}` });
    for (const tag of change.remove) {
      await sql`DELETE FROM data_tag WHERE knit_id = ${id}::uuid AND key = ${tag.key} AND value = ${tag.value}`.execute(trx);
    }
    if (change.removeKey.length > 0) {
      await sql`DELETE FROM data_tag WHERE knit_id = ${id}::uuid AND key = ANY(${change.removeKey}::text[])`.execute(trx);
    }
    for (const tag of change.add) {
      await sql`INSERT INTO data_tag (knit_id, key, value) VALUES (${id}::uuid, ${tag.key}, ${tag.value}) ON CONFLICT DO NOTHING`.execute(trx);
    }
    await nominateData(trx, [id]);
  });
}
