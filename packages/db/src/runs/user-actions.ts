import { sql } from "kysely";
import { ConflictError, NotFoundError } from "@knitfab/domain";
import { notify, type Database, type Queryable } from "../database.js";
import { CHANNEL } from "../channels.js";
import { IllegalTransitionError, lockRun, setRunExit, setRunStatus } from "./set-status.js";

/** API abort: → aborting with exit 253 "aborted by user" (already aborting is a no-op success). */
export async function abortRun(database: Database, runId: string): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    const run = await lockRun(trx, runId);
    await setRunStatus(trx, run.runId, "aborting");
    await setRunExit(trx, run.runId, { code: 253, message: "aborted by user" });
  });
}

/** API tearoff: → completing with exit 0 "stopped by user"; the outputs so far become final. */
export async function tearoffRun(database: Database, runId: string): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    const run = await lockRun(trx, runId);
    if (run.status === "waiting" || run.status === "deactivated") throw new IllegalTransitionError(run.status, "completing");
    await setRunStatus(trx, run.runId, "completing");
    await setRunExit(trx, run.runId, { code: 0, message: "stopped by user" });
  });
}

/**
 * Truncate (spec/model.md §8.7): shared by retry and delete. Purges invalidated downstream runs,
 * refuses while a worker, a transfer or a live downstream run exists, and turns the outputs into garbage.
 */
async function truncateRun(q: Queryable, runId: string): Promise<void> {
  await sql`DELETE FROM run_exit WHERE run_id = ${runId}::uuid`.execute(q);
  const outputs = await sql<{ knit_id: string }>`SELECT knit_id FROM data WHERE run_id = ${runId}::uuid FOR UPDATE`.execute(q);
  const knitIds = outputs.rows.map((row) => row.knit_id);
  await sql`
    DELETE FROM run r WHERE r.status = 'invalidated'
    AND EXISTS (SELECT 1 FROM assign a WHERE a.run_id = r.run_id AND a.knit_id = ANY(${knitIds}::uuid[]))`.execute(q);
  const worker = await sql`SELECT 1 FROM worker WHERE run_id = ${runId}::uuid`.execute(q);
  const agents = await sql`SELECT 1 FROM data_agent WHERE knit_id = ANY(${knitIds}::uuid[])`.execute(q);
  if (worker.rows.length > 0 || agents.rows.length > 0) {
    throw new ConflictError("the run may not be finished", { advice: "Wait for the run to finish, or abort it" });
  }
  const downstream = await sql`
    SELECT 1 FROM assign a JOIN run r ON r.run_id = a.run_id
    WHERE a.knit_id = ANY(${knitIds}::uuid[]) AND r.status <> 'invalidated' LIMIT 1`.execute(q);
  if (downstream.rows.length > 0) {
    throw new ConflictError("output of the run is in use", { advice: "Delete all downstreams of the run first" });
  }
  if (knitIds.length > 0) {
    // data_tag and nominations go with the data row (ON DELETE CASCADE)
    await sql`DELETE FROM data WHERE knit_id = ANY(${knitIds}::uuid[])`.execute(q);
    await sql`INSERT INTO garbage (knit_id) SELECT unnest(${knitIds}::uuid[]) ON CONFLICT DO NOTHING`.execute(q);
    await notify(q, CHANNEL.garbage);
  }
}

/** Creates fresh output data (new knit ids, output tags copied) for the given runs of one plan. */
export async function createOutputs(q: Queryable, planId: string, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  await sql`
    WITH created AS (
      INSERT INTO data (run_id, output_id)
      SELECT r, o.output_id FROM unnest(${[...runIds]}::uuid[]) AS r CROSS JOIN output o WHERE o.plan_id = ${planId}::uuid
      RETURNING knit_id, output_id
    )
    INSERT INTO data_tag (knit_id, key, value)
    SELECT c.knit_id, t.key, t.value FROM created c JOIN output_tag t ON t.output_id = c.output_id`.execute(q);
}

/** API retry (spec/model.md §8.5): same run id and inputs, new outputs, back to waiting. */
export async function retryRun(database: Database, runId: string): Promise<void> {
  await database.db.transaction().execute((trx) => retryRunWithin(trx, runId));
}

/** retryRun inside the caller's transaction (unfreezing retries the runs a freeze stopped). */
export async function retryRunWithin(trx: Queryable, runId: string): Promise<void> {
  const run = await lockRun(trx, runId);
  if (run.status === "invalidated") throw new NotFoundError();
  const plan = await sql<{ pseudo_name: string | null }>`SELECT pseudo_name FROM plan WHERE plan_id = ${run.planId}::uuid`.execute(trx);
  if (plan.rows[0]?.pseudo_name) throw new ConflictError("prohibited operation", { advice: "Root run cannot be retried" });
  await truncateRun(trx, run.runId);
  if (run.status !== "done" && run.status !== "failed") {
    throw new ConflictError("the run have not finished yet", { advice: "Wait for the run to finish, or abort it" });
  }
  await createOutputs(trx, run.planId, [run.runId]);
  await sql`INSERT INTO worker (run_id, name) VALUES (${run.runId}::uuid, ${`worker-run-${run.runId}`})`.execute(trx);
  await sql`UPDATE run SET status = 'waiting', updated_at = date_trunc('milliseconds', now()), lifecycle_suspend_until = now()
            WHERE run_id = ${run.runId}::uuid`.execute(trx);
  await notify(trx, CHANNEL.runStatus, "waiting");
}

/**
 * API delete (spec/model.md §8.6): runs with inputs become invalidated (their assignments stay, so
 * the combination is never projected again); root runs (uploads, imports) are removed.
 */
export async function deleteRun(database: Database, runId: string): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    const run = await lockRun(trx, runId);
    if (run.status === "invalidated") throw new NotFoundError();
    await truncateRun(trx, run.runId);
    if (!["waiting", "deactivated", "done", "failed"].includes(run.status)) {
      throw new ConflictError("output of the run is in use", { cause: new Error(`run is not stopped (status ${run.status})`) });
    }
    const assigned = await sql`SELECT 1 FROM assign WHERE run_id = ${run.runId}::uuid LIMIT 1`.execute(trx);
    if (assigned.rows.length === 0) {
      await sql`DELETE FROM run WHERE run_id = ${run.runId}::uuid`.execute(trx);
    } else {
      await sql`UPDATE run SET status = 'invalidated', updated_at = date_trunc('milliseconds', now()) WHERE run_id = ${run.runId}::uuid`.execute(trx);
    }
  });
}
