#!/usr/bin/env node
// Projection benchmark: a plan with 2 inputs over left × right matching Data (300 × 300 ⇒ 90,000
// Runs); time `projectOnce` (repeated until it reports nothing to do) against a raw multi-row
// INSERT of the same number of runs and their assignments into tables shaped like `run` and
// `assign` (same columns, defaults and indexes), on the same database; on PGlite and PostgreSQL.
// `--shapes 100x100,300x300,1000x100` measures several sizes in one run (a table row each).
// Run `npm run build` first. Usage: node bench/projection.mjs [--side 300 | --shapes LxR,…] [--databases pglite,postgres]
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { migrate, openDatabase, projectOnce, registerPlan } from "@knitfab/db";
import { main, numericOptions } from "./lib/args.mjs";
import { loadAverage } from "./lib/hog.mjs";
import { freshDatabase, startPostgresServer } from "./lib/postgres.mjs";
import { benchPlanSpec, seedUploads } from "./lib/seed.mjs";
import { fixed, printTable, timed } from "./lib/stats.mjs";

const USAGE = "usage: node bench/projection.mjs [--side 300 | --shapes 100x100,300x300,1000x100] [--databases pglite,postgres]";
const options = numericOptions(USAGE, { side: 0 }, [], { shapes: ["300x300", /^[1-9][0-9]*x[1-9][0-9]*$/], databases: ["pglite,postgres", ["pglite", "postgres"]] });
const shapes = options.side > 0 ? [[options.side, options.side]] : options.shapes.map((shape) => shape.split("x").map(Number));
/** Rows per INSERT statement of the baseline: large, yet within PostgreSQL's limits on statement size. */
const BATCH = 5000;

/** Uploaded Data 1..left tagged side:left, left+1..left+right tagged side:right (plus the usual batch/group/id tags). */
async function seedSides(db, left, right) {
  await seedUploads(db, left + right, left + right);
  await sql`INSERT INTO data_tag (knit_id, key, value)
            SELECT d.knit_id, 'side', CASE WHEN t.value::int <= ${left} THEN 'left' ELSE 'right' END
            FROM data d JOIN data_tag t ON t.knit_id = d.knit_id AND t.key = 'id'`.execute(db);
}

async function projectAll(database) {
  let created = 0;
  let steps = 0;
  for (;;) {
    const result = await projectOnce(database);
    if (!result) return { created, steps };
    created += result.created;
    steps += 1;
  }
}

/**
 * Makes a table `<prefix>_<table>` LIKE each of `tables` (indexes and defaults, no foreign keys, no
 * trigger), then times, in one transaction, the multi-row INSERTs that `insertBatch(batch, insert)`
 * sends for each BATCH of the left × right runs: rows [runId, left knitId, right knitId, output knitId].
 */
async function timedRawInserts(db, prefix, tables, knitIds, left, insertBatch) {
  for (const table of tables) await sql.raw(`CREATE TABLE ${prefix}_${table} (LIKE ${table} INCLUDING ALL)`).execute(db);
  const rows = [];
  for (const a of knitIds.slice(0, left)) for (const b of knitIds.slice(left)) rows.push([randomUUID(), a, b, randomUUID()]);
  return timed(() =>
    db.transaction().execute(async (trx) => {
      const insert = (table, columns, values) => sql.raw(`INSERT INTO ${prefix}_${table} (${columns}) VALUES ${values.join(",")}`).execute(trx);
      for (let start = 0; start < rows.length; start += BATCH) await insertBatch(rows.slice(start, start + BATCH), insert);
    }),
  );
}

const literal = (text) => `'${text}'`;
/** A batch's run rows, as both baselines insert them. */
const insertRuns = (insert, planId, inputIds, batch) =>
  insert("run", "run_id, plan_id, status, assignment_key", batch.map(([runId, a, b]) => `(${literal(runId)}, ${literal(planId)}, 'waiting', ${literal(`${inputIds[0]}=${a};${inputIds[1]}=${b}`)})`));
/** A batch's two assignments per run, as both baselines insert them. */
const insertAssignments = (insert, inputIds, batch) =>
  insert("assign", "run_id, input_id, knit_id", batch.flatMap(([runId, a, b]) => [`(${literal(runId)}, ${inputIds[0]}, ${literal(a)})`, `(${literal(runId)}, ${inputIds[1]}, ${literal(b)})`]));

/** The baseline: the same number of run rows and two assignments each, built here and sent as multi-row INSERTs in one transaction. */
function rawInsert(db, planId, inputIds, knitIds, left) {
  return timedRawInserts(db, "raw", ["run", "assign"], knitIds, left, async (batch, insert) => {
    await insertRuns(insert, planId, inputIds, batch);
    await insertAssignments(insert, inputIds, batch);
  });
}

/**
 * The second baseline: every row projectOnce writes, as the same multi-row INSERTs into tables made
 * LIKE theirs: per run its row, its status history row, two assignments, a worker row, an output
 * Data and its tag. Its ratio is projection's own overhead: the cross join, the uniqueness check on
 * (plan, assignment key), foreign keys, the trigger.
 */
function rawInsertEveryRow(db, planId, outputId, inputIds, knitIds, left) {
  return timedRawInserts(db, "every", ["run", "assign", "worker", "run_status_change", "data", "data_tag"], knitIds, left, async (batch, insert) => {
    await insertRuns(insert, planId, inputIds, batch);
    await insert("run_status_change", "run_id, status, changed_at", batch.map(([runId]) => `(${literal(runId)}, 'waiting', now())`));
    await insertAssignments(insert, inputIds, batch);
    await insert("worker", "run_id, name", batch.map(([runId]) => `(${literal(runId)}, ${literal(`worker-run-${runId}`)})`));
    await insert("data", "knit_id, run_id, output_id", batch.map(([runId, , , knitId]) => `(${literal(knitId)}, ${literal(runId)}, ${outputId})`));
    await insert("data_tag", "knit_id, key, value", batch.map(([, , , knitId]) => `(${literal(knitId)}, 'kind', 'model')`));
  });
}

async function benchBackend(backend, url, left, right) {
  const runs = left * right;
  const folder = await mkdtemp(join(tmpdir(), `knitfab-bench-projection-${backend}-`));
  const database = await openDatabase(url ? { url } : { dataDir: join(folder, "db") });
  try {
    await migrate(database);
    const { db } = database;
    await seedSides(db, left, right);
    // Registration nominates the left + right Data (marked updated), exactly what projection then consumes.
    const planId = await registerPlan(database, benchPlanSpec("localhost/bench-pair", [[{ key: "side", value: "left" }], [{ key: "side", value: "right" }]]));
    if (backend === "postgres") await sql`ANALYZE`.execute(db);
    console.error(`${backend}: projecting ${left} × ${right} ...`);
    const loadBefore = loadAverage();
    const projection = await timed(() => projectAll(database));
    const check = await sql`SELECT count(*)::int AS runs, count(DISTINCT assignment_key)::int AS keys,
                              (SELECT count(*)::int FROM assign a JOIN run r2 ON r2.run_id = a.run_id WHERE r2.plan_id = ${planId}::uuid) AS assignments
                            FROM run WHERE plan_id = ${planId}::uuid`.execute(db);
    const { runs: made, keys, assignments } = check.rows[0];
    if (made !== runs || keys !== runs || assignments !== 2 * runs || projection.result.created !== runs) {
      throw new Error(`projection made ${made} runs (${keys} distinct, ${assignments} assignments; reported ${projection.result.created}), expected ${runs}`);
    }
    const inputIds = (await sql`SELECT input_id FROM input WHERE plan_id = ${planId}::uuid ORDER BY input_id`.execute(db)).rows.map((row) => row.input_id);
    const knitIds = (await sql`SELECT n.knit_id FROM nomination n WHERE n.input_id = ANY(${inputIds}::int[]) ORDER BY n.input_id, n.knit_id`.execute(db)).rows.map((row) => row.knit_id);
    console.error(`${backend}: raw INSERT of ${runs} runs and ${2 * runs} assignments ...`);
    const raw = await rawInsert(db, planId, inputIds, knitIds, left);
    const outputId = (await sql`SELECT output_id FROM output WHERE plan_id = ${planId}::uuid AND NOT is_log`.execute(db)).rows[0].output_id;
    console.error(`${backend}: raw INSERT of every row projection wrote (${7 * runs} rows) ...`);
    const every = await rawInsertEveryRow(db, planId, outputId, inputIds, knitIds, left);
    return { backend, shape: `${left} × ${right}`, runs, projectionMs: projection.ms, steps: projection.result.steps, rawMs: raw.ms, everyMs: every.ms, load: `${loadBefore} → ${loadAverage()}` };
  } finally {
    await database.close();
    await rm(folder, { recursive: true, force: true });
  }
}

await main(async () => {
  const postgres = options.databases.includes("postgres") ? await startPostgresServer() : undefined;
  const results = [];
  try {
    for (const [left, right] of shapes) {
      if (options.databases.includes("pglite")) results.push(await benchBackend("pglite", undefined, left, right));
      if (postgres) {
        const database = await freshDatabase(postgres, `projection_${left}_${right}`);
        try {
          results.push(await benchBackend("postgres", database.url, left, right));
        } finally {
          await database.drop();
        }
      }
    }
  } finally {
    await postgres?.stop();
  }
  console.log(`\nprojection: 2-input plan over left × right matching Data ⇒ left·right Runs\n`);
  printTable(
    ["database", "left × right", "runs", "projectOnce until done (s)", "steps", "raw INSERT runs + assignments (s)", "ratio", "raw INSERT every row (s)", "ratio", "load avg before → after"],
    results.map((r) => [r.backend, r.shape, r.runs, fixed(r.projectionMs / 1000), r.steps, fixed(r.rawMs / 1000), fixed(r.projectionMs / r.rawMs, 2) + "×", fixed(r.everyMs / 1000), fixed(r.projectionMs / r.everyMs, 2) + "×", r.load]),
  );
  console.log("\ntarget: <= 2× the raw INSERT of runs and assignments. projectOnce also writes what that INSERT does not (a status history row, a worker row, an output Data and its tag per run): the second baseline writes all 7 rows per run, without foreign keys or the trigger.");
});
