import { sql } from "kysely";

/** Runs one fill statement, logging its time (the fill is part of what the benchmark reports). */
async function step(name, query, db) {
  const start = performance.now();
  await query.execute(db);
  console.error(`    ${name}: ${((performance.now() - start) / 1000).toFixed(2)} s`);
}
import { registerPlan } from "@knitfab/db";
import { validatePlanSpec } from "@knitfab/domain";

/**
 * A version-4-shaped UUID derived from a label and a number, so rows made by separate statements
 * can refer to each other without a mapping table (the server uses gen_random_uuid(), same shape).
 */
export function uuidOf(label, number) {
  return sql`overlay(overlay(md5(${label} || ${number}::text) placing '4' from 13) placing '8' from 17)::uuid`;
}

/** A plan like users apply: an image, inputs requiring tags, one output with a tag. */
export function benchPlanSpec(image, inputTags) {
  return validatePlanSpec({
    image: { repository: image, tag: "v1" },
    entrypoint: ["python", "main.py"],
    args: [],
    inputs: inputTags.map((tags, index) => ({ path: `/in/${index}`, tags })),
    outputs: [{ path: "/out", tags: [{ key: "kind", value: "model" }] }],
    log: null,
    onNode: [],
    resources: { cpu: "1", memory: "1Gi" },
    annotations: [],
    serviceAccount: null,
    active: true,
  });
}

/**
 * Uploaded Data as the server writes them after `POST /api/data` and tagging: a done root run of
 * the `knit#uploaded` plan, its one Data with knit#timestamp, and user tags. Data number i (1..count)
 * has id uuidOf('data', i) and tags kind:dataset (all), batch:<i mod 1000>, group:<i mod groups>
 * and id:<i> (unique). Timestamps are one minute apart, ending now.
 */
export async function seedUploads(db, count, groups) {
  const upload = await sql`SELECT p.plan_id, o.output_id FROM plan p JOIN output o ON o.plan_id = p.plan_id WHERE p.pseudo_name = 'knit#uploaded'`.execute(db);
  const { plan_id: planId, output_id: outputId } = upload.rows[0];
  const at = sql`date_trunc('milliseconds', now() - make_interval(mins => ${count} - i))`;
  await step("root runs", sql`
    INSERT INTO run (run_id, plan_id, status, assignment_key, lifecycle_suspend_until, updated_at, created_at)
    SELECT ${uuidOf("root", sql`i`)}, ${planId}::uuid, 'done', ${uuidOf("root", sql`i`)}::text, ${at}, ${at}, ${at}
    FROM generate_series(1, ${count}) AS i`, db);
  await step("uploaded data", sql`
    INSERT INTO data (knit_id, run_id, output_id, timestamp, created_at)
    SELECT ${uuidOf("data", sql`i`)}, ${uuidOf("root", sql`i`)}, ${outputId}, ${at}, ${at}
    FROM generate_series(1, ${count}) AS i`, db);
  await step("data tags", sql`
    INSERT INTO data_tag (knit_id, key, value)
    SELECT ${uuidOf("data", sql`i`)}, t.key, t.value
    FROM generate_series(1, ${count}) AS i
    CROSS JOIN LATERAL (VALUES ('kind', 'dataset'), ('batch', (i % 1000)::text), ('group', (i % ${groups})::text), ('id', i::text)) AS t(key, value)`, db);
}

/** The plan whose runs fill the run table: one input (kind:dataset), one output (kind:model). */
export async function registerBenchPlan(database) {
  return registerPlan(database, benchPlanSpec("localhost/bench-train", [[{ key: "kind", value: "dataset" }]]));
}

/**
 * Runs of one plan (registered before the uploads, so registration nominates nothing) as the loops
 * leave them: run j (1..count) took uploaded Data j as its input and
 * has one output Data (tag kind:model). Statuses: every 2500th running, every 100th (offset 1)
 * waiting, every 20th (offset 2) failed, the rest done. Finished runs have an exit record and
 * stamped outputs; unfinished ones a worker row; the uploaded Data are nominated, marked projected.
 */
export async function seedRuns(database, planId, count) {
  const { db } = database;
  const shape = await sql`SELECT i.input_id, o.output_id FROM input i JOIN output o ON o.plan_id = i.plan_id WHERE i.plan_id = ${planId}::uuid`.execute(db);
  const { input_id: inputId, output_id: outputId } = shape.rows[0];
  const status = sql`(CASE WHEN j % 2500 = 0 THEN 'running' WHEN j % 100 = 1 THEN 'waiting' WHEN j % 20 = 2 THEN 'failed' ELSE 'done' END)`;
  const at = sql`date_trunc('milliseconds', now() - make_interval(mins => ${count} - j) + interval '30 seconds')`;
  await step("runs", sql`
    INSERT INTO run (run_id, plan_id, status, assignment_key, lifecycle_suspend_until, updated_at, created_at)
    SELECT ${uuidOf("run", sql`j`)}, ${planId}::uuid, ${status}::run_status, ${String(inputId)} || '=' || ${uuidOf("data", sql`j`)}::text, ${at}, ${at}, ${at}
    FROM generate_series(1, ${count}) AS j`, db);
  await step("assignments", sql`
    INSERT INTO assign (run_id, input_id, knit_id)
    SELECT ${uuidOf("run", sql`j`)}, ${inputId}, ${uuidOf("data", sql`j`)} FROM generate_series(1, ${count}) AS j`, db);
  // What tagging the uploads kind:dataset did (nominateData), already consumed by projection.
  await step("nominations", sql`
    INSERT INTO nomination (knit_id, input_id, updated)
    SELECT ${uuidOf("data", sql`j`)}, ${inputId}, false FROM generate_series(1, ${count}) AS j`, db);
  await step("output data", sql`
    INSERT INTO data (knit_id, run_id, output_id, timestamp, created_at)
    SELECT ${uuidOf("output", sql`j`)}, ${uuidOf("run", sql`j`)}, ${outputId},
           CASE WHEN ${status} IN ('done', 'failed') THEN ${at} END, ${at}
    FROM generate_series(1, ${count}) AS j`, db);
  await step("output tags", sql`
    INSERT INTO data_tag (knit_id, key, value)
    SELECT ${uuidOf("output", sql`j`)}, 'kind', 'model' FROM generate_series(1, ${count}) AS j`, db);
  await step("exit records", sql`
    INSERT INTO run_exit (run_id, code, message)
    SELECT ${uuidOf("run", sql`j`)}, CASE WHEN ${status} = 'done' THEN 0 ELSE 1 END, CASE WHEN ${status} = 'done' THEN '' ELSE 'exit status 1' END
    FROM generate_series(1, ${count}) AS j WHERE ${status} IN ('done', 'failed')`, db);
  await step("workers", sql`
    INSERT INTO worker (run_id, name)
    SELECT ${uuidOf("run", sql`j`)}, 'worker-run-' || ${uuidOf("run", sql`j`)}::text
    FROM generate_series(1, ${count}) AS j WHERE ${status} IN ('running', 'waiting')`, db);
  return planId;
}
