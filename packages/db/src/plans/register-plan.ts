import { sql } from "kysely";
import {
  ConflictError,
  KNIT_ID,
  KNIT_TIMESTAMP,
  isSystemKey,
  parseTimestamp,
  plansEquivalent,
  badRequest,
  type PlanSpec,
} from "@knitfab/domain";
import type { Database } from "../database.js";
import { planHash } from "./plan-hash.js";
import { nominateInputs } from "../nominations/nominate.js";
import { loadPlans } from "./load-plans.js";
import { planSpecOfRecord } from "./plan-spec-of-record.js";

/**
 * Registers a validated plan (spec/model.md §4.3): 409 when an equivalent plan exists (its id is in
 * the error's details) or when the plan would close a cycle; otherwise the plan is stored and its
 * inputs nominated, which wakes projection.
 */
export async function registerPlan(database: Database, spec: PlanSpec): Promise<string> {
  const hash = planHash(spec);
  return database.db.transaction().execute(async (trx) => {
    // Registrations are serialised so two equivalent plans cannot slip in side by side.
    await sql`LOCK TABLE plan IN EXCLUSIVE MODE`.execute(trx);
    const sameHash = await sql<{ plan_id: string }>`SELECT plan_id FROM plan WHERE hash = ${hash}`.execute(trx);
    if (sameHash.rows.length > 0) {
      const existing = await loadPlans(trx, sameHash.rows.map((row) => row.plan_id));
      const equivalent = existing.find((record) => plansEquivalent(planSpecOfRecord(record), spec));
      if (equivalent) {
        throw new ConflictError("there are equiverent plan", {
          advice: `plan ${equivalent.planId} has the same definition; change it with the plan's own endpoints (active, resources, annotations, serviceaccount)`,
          details: { planId: equivalent.planId },
        });
      }
    }

    const inserted = await sql<{ plan_id: string }>`
      INSERT INTO plan (hash, active, image, version, entrypoint, args, service_account)
      VALUES (${hash}, ${spec.active}, ${spec.image.repository}, ${spec.image.tag},
              ${spec.entrypoint}::text[], ${spec.args}::text[], ${spec.serviceAccount})
      RETURNING plan_id`.execute(trx);
    const planId = inserted.rows[0]!.plan_id;

    for (const [type, value] of Object.entries(spec.resources)) {
      await sql`INSERT INTO plan_resource (plan_id, type, value) VALUES (${planId}, ${type}, ${value})`.execute(trx);
    }
    for (const label of spec.onNode) {
      await sql`INSERT INTO plan_on_node (plan_id, mode, key, value) VALUES (${planId}, ${label.mode}::on_node_mode, ${label.key}, ${label.value})
                ON CONFLICT DO NOTHING`.execute(trx);
    }
    for (const annotation of spec.annotations) {
      await sql`INSERT INTO plan_annotation (plan_id, key, value) VALUES (${planId}, ${annotation.key}, ${annotation.value})
                ON CONFLICT DO NOTHING`.execute(trx);
    }

    const inputIds: number[] = [];
    for (const input of spec.inputs) {
      const userTags = input.tags.filter((tag) => !isSystemKey(tag.key));
      const knitIdPin = input.tags.find((tag) => tag.key === KNIT_ID)?.value ?? null;
      const timestampText = input.tags.find((tag) => tag.key === KNIT_TIMESTAMP)?.value;
      const timestampPin = timestampText === undefined ? null : parseTimestamp(timestampText);
      if (timestampPin === undefined) throw badRequest(`plan spec is invalid: knit#timestamp "${timestampText}" is not an RFC3339 date-time`);
      if (knitIdPin !== null && !/^[0-9a-f-]{36}$/i.test(knitIdPin)) {
        throw badRequest(`plan spec is invalid: knit#id "${knitIdPin}" is not a knit id`);
      }
      const row = await sql<{ input_id: number }>`
        INSERT INTO input (plan_id, path, knit_id_pin, timestamp_pin, user_tag_count)
        VALUES (${planId}, ${input.path}, ${knitIdPin?.toLowerCase() ?? null}::uuid, ${timestampPin}, ${userTags.length})
        RETURNING input_id`.execute(trx);
      const inputId = row.rows[0]!.input_id;
      inputIds.push(inputId);
      for (const tag of userTags) {
        await sql`INSERT INTO input_tag (input_id, key, value) VALUES (${inputId}, ${tag.key}, ${tag.value})`.execute(trx);
      }
    }
    const outputs = [...spec.outputs.map((output) => ({ ...output, isLog: false }))];
    if (spec.log) outputs.push({ path: "/log", tags: spec.log.tags, isLog: true });
    for (const output of outputs) {
      const row = await sql<{ output_id: number }>`
        INSERT INTO output (plan_id, path, is_log) VALUES (${planId}, ${output.path}, ${output.isLog}) RETURNING output_id`.execute(trx);
      for (const tag of output.tags) {
        await sql`INSERT INTO output_tag (output_id, key, value) VALUES (${row.rows[0]!.output_id}, ${tag.key}, ${tag.value})`.execute(trx);
      }
    }

    if (await closesCycle(trx, planId)) {
      throw new ConflictError("plan spec conflics with others", {
        cause: new Error("plan's tag dependency makes cycle"),
        advice: "an output of this plan (directly or through other plans) feeds one of its own inputs; change the tags",
      });
    }
    await nominateInputs(trx, inputIds);
    return planId;
  });
}

/** Whether following "output feeds input" edges from the plan leads back to it (§4.5). */
async function closesCycle(q: Parameters<typeof loadPlans>[0], planId: string): Promise<boolean> {
  const result = await sql<{ found: number }>`
    WITH RECURSIVE edge AS (
      SELECT DISTINCT o.plan_id AS source, i.plan_id AS target
      FROM input i
      JOIN input_tag it ON it.input_id = i.input_id
      JOIN output_tag ot ON ot.key = it.key AND ot.value = it.value
      JOIN output o ON o.output_id = ot.output_id
      WHERE i.knit_id_pin IS NULL AND i.timestamp_pin IS NULL AND i.user_tag_count > 0
      GROUP BY i.input_id, i.plan_id, i.user_tag_count, o.output_id, o.plan_id
      HAVING count(*) = i.user_tag_count
    ), reach(plan_id) AS (
      SELECT target FROM edge WHERE source = ${planId}
      UNION
      SELECT edge.target FROM edge JOIN reach ON edge.source = reach.plan_id
    )
    SELECT 1 AS found FROM reach WHERE plan_id = ${planId} LIMIT 1`.execute(q);
  return result.rows.length > 0;
}
