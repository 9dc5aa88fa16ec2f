import { sql } from "kysely";
import { notify, type Queryable } from "../database.js";
import { CHANNEL } from "../channels.js";

/**
 * The matching rule of spec/model.md §6 as SQL, over a set of inputs × a set of data:
 * an input with user tags matches data whose producing run is done and which carries all of them
 * (and the pins, if any); an input with only system-tag pins matches on the pins alone.
 */
const MATCHES = sql`
  (i.knit_id_pin IS NULL OR i.knit_id_pin = d.knit_id)
  AND (i.timestamp_pin IS NULL OR i.timestamp_pin = d.timestamp)
  AND (
    (i.user_tag_count = 0 AND (i.knit_id_pin IS NOT NULL OR i.timestamp_pin IS NOT NULL))
    OR (i.user_tag_count > 0 AND r.status = 'done' AND NOT EXISTS (
      SELECT 1 FROM input_tag it WHERE it.input_id = i.input_id
      AND NOT EXISTS (SELECT 1 FROM data_tag dt WHERE dt.knit_id = d.knit_id AND dt.key = it.key AND dt.value = it.value)
    ))
  )`;

/**
 * Data-driven nomination: after tags change or a run becomes done. Adds missing nominations
 * (marked updated, so projection considers them) and drops those that no longer match.
 * Existing matching nominations keep their flag.
 */
export async function nominateData(q: Queryable, knitIds: readonly string[]): Promise<number> {
  if (knitIds.length === 0) return 0;
  const ids = [...new Set(knitIds)];
  await sql`
    DELETE FROM nomination n
    WHERE n.knit_id = ANY(${ids}::uuid[])
    AND NOT EXISTS (
      SELECT 1 FROM input i, data d JOIN run r ON r.run_id = d.run_id
      WHERE i.input_id = n.input_id AND d.knit_id = n.knit_id AND ${MATCHES}
    )`.execute(q);
  // Candidate inputs: those requiring one of the data's tags, or pinned by id/timestamp.
  const inserted = await sql`
    INSERT INTO nomination (knit_id, input_id, updated)
    SELECT DISTINCT d.knit_id, i.input_id, true
    FROM data d JOIN run r ON r.run_id = d.run_id
    JOIN input i ON i.input_id IN (
      SELECT it.input_id FROM input_tag it JOIN data_tag dt ON dt.key = it.key AND dt.value = it.value
      WHERE dt.knit_id = d.knit_id
      UNION SELECT input_id FROM input WHERE knit_id_pin = d.knit_id
      UNION SELECT input_id FROM input WHERE timestamp_pin IS NOT NULL AND user_tag_count = 0
    )
    WHERE d.knit_id = ANY(${ids}::uuid[]) AND ${MATCHES}
    ON CONFLICT (knit_id, input_id) DO NOTHING`.execute(q);
  const count = Number(inserted.numAffectedRows ?? 0n);
  if (count > 0) await notify(q, CHANNEL.projection);
  return count;
}

/** Input-driven nomination: for the inputs of a newly registered plan, nominate every matching data. */
export async function nominateInputs(q: Queryable, inputIds: readonly number[]): Promise<number> {
  if (inputIds.length === 0) return 0;
  const inserted = await sql`
    INSERT INTO nomination (knit_id, input_id, updated)
    SELECT d.knit_id, i.input_id, true
    FROM input i
    -- LATERAL: the candidates are computed once per input, not once per data row (which was quadratic)
    CROSS JOIN LATERAL (
      SELECT dt.knit_id FROM input_tag it JOIN data_tag dt ON dt.key = it.key AND dt.value = it.value
      WHERE it.input_id = i.input_id
      GROUP BY dt.knit_id HAVING count(*) = i.user_tag_count
      UNION SELECT i.knit_id_pin WHERE i.knit_id_pin IS NOT NULL AND i.user_tag_count = 0
      UNION SELECT d2.knit_id FROM data d2 WHERE i.timestamp_pin IS NOT NULL AND i.user_tag_count = 0 AND d2.timestamp = i.timestamp_pin
    ) AS candidate
    JOIN data d ON d.knit_id = candidate.knit_id
    JOIN run r ON r.run_id = d.run_id
    WHERE i.input_id = ANY(${[...inputIds]}::int[]) AND ${MATCHES}
    ON CONFLICT (knit_id, input_id) DO NOTHING`.execute(q);
  const count = Number(inserted.numAffectedRows ?? 0n);
  if (count > 0) await notify(q, CHANNEL.projection);
  return count;
}
