import { sql } from "kysely";
import { notify, type Database } from "../database.js";
import { CHANNEL } from "../channels.js";
import { createOutputs } from "../runs/user-actions.js";

export interface ProjectionResult {
  planId: string;
  created: number;
}

/**
 * One projection step (spec/model.md §7), set-based: pick one plan with updated nominations
 * (FOR UPDATE SKIP LOCKED, so replicas share the work), create a run for every combination of its
 * nominated data that contains at least one updated nomination, and clear those flags. The unique
 * (plan_id, assignment_key) constraint makes a combination impossible to project twice, whichever
 * process or retry gets there first. Returns undefined when there is nothing to do, or while the
 * system is frozen (knitfab admin freeze).
 */
export async function projectOnce(database: Database): Promise<ProjectionResult | undefined> {
  return database.db.transaction().execute(async (trx) => {
    const picked = await sql<{ plan_id: string; active: boolean }>`
      SELECT p.plan_id, p.active FROM plan p
      WHERE p.image IS NOT NULL AND NOT EXISTS (SELECT 1 FROM system_freeze) AND EXISTS (
        SELECT 1 FROM nomination n JOIN input i ON i.input_id = n.input_id WHERE i.plan_id = p.plan_id AND n.updated
      )
      ORDER BY p.plan_id
      FOR UPDATE SKIP LOCKED LIMIT 1`.execute(trx);
    const plan = picked.rows[0];
    if (!plan) return undefined;
    const inputs = await sql<{ input_id: number }>`SELECT input_id FROM input WHERE plan_id = ${plan.plan_id}::uuid ORDER BY input_id`.execute(trx);
    const inputIds = inputs.rows.map((row) => row.input_id);
    // The flags we clear are exactly those we read now: a nomination added concurrently keeps its
    // flag and brings this plan back for another step.
    const updated = await sql<{ knit_id: string; input_id: number }>`
      SELECT n.knit_id, n.input_id FROM nomination n
      WHERE n.input_id = ANY(${inputIds}::int[]) AND n.updated FOR UPDATE`.execute(trx);

    let created = 0;
    if (inputIds.length > 0) {
      // n-way cross join of the inputs' nominations; at least one member must be an updated one.
      const joins = inputIds.map((inputId, index) => sql`${sql.raw(index === 0 ? "" : "CROSS JOIN ")}
        (SELECT knit_id, updated FROM nomination WHERE input_id = ${inputId}) AS ${sql.raw(`n${index}`)}`);
      const key = sql.join(
        inputIds.map((inputId, index) => sql`${String(inputId)} || '=' || ${sql.raw(`n${index}`)}.knit_id::text`),
        sql` || ';' || `,
      );
      const anyUpdated = sql.join(inputIds.map((_, index) => sql.raw(`n${index}.updated`)), sql` OR `);
      const knitIds = sql.join(inputIds.map((_, index) => sql.raw(`n${index}.knit_id`)));
      const status = plan.active ? "waiting" : "deactivated";
      const inserted = await sql<{ run_id: string }>`
        WITH combination AS (
          SELECT gen_random_uuid() AS run_id, ${key} AS assignment_key, ARRAY[${knitIds}]::uuid[] AS knit_ids
          FROM ${sql.join(joins, sql` `)}
          WHERE ${anyUpdated}
        ), created_run AS (
          INSERT INTO run (run_id, plan_id, status, assignment_key)
          SELECT run_id, ${plan.plan_id}::uuid, ${status}::run_status, assignment_key FROM combination
          ON CONFLICT (plan_id, assignment_key) DO NOTHING
          RETURNING run_id
        ), created_assign AS (
          INSERT INTO assign (run_id, input_id, knit_id)
          SELECT c.run_id, (${inputIds}::int[])[position], c.knit_ids[position]
          FROM combination c JOIN created_run r ON r.run_id = c.run_id
          CROSS JOIN generate_series(1, ${inputIds.length}) AS position
        ), created_worker AS (
          INSERT INTO worker (run_id, name) SELECT run_id, 'worker-run-' || run_id::text FROM created_run
        )
        SELECT run_id FROM created_run`.execute(trx);
      const runIds = inserted.rows.map((row) => row.run_id);
      await createOutputs(trx, plan.plan_id, runIds);
      created = runIds.length;
    }
    if (updated.rows.length > 0) {
      await sql`
        UPDATE nomination SET updated = false
        WHERE (knit_id, input_id) IN (SELECT * FROM unnest(${updated.rows.map((row) => row.knit_id)}::uuid[], ${updated.rows.map((row) => row.input_id)}::int[]))`.execute(trx);
    }
    if (created > 0) await notify(trx, CHANNEL.runStatus, plan.active ? "waiting" : "deactivated");
    return { planId: plan.plan_id, created };
  });
}
