import { randomBytes } from "node:crypto";
import { ConflictError } from "@knitfab/domain";
import { sql } from "kysely";
import { notify, type Database, type Queryable } from "../database.js";
import { CHANNEL } from "../channels.js";
import { setRunStatus } from "../runs/set-status.js";
import { recordDataSize } from "./record-size.js";

export interface RootRun {
  runId: string;
  knitId: string;
  /** the write transfer's record; its existence blocks retry/delete until the transfer ends */
  agentName: string;
}

/**
 * Starts a root run of a pseudo plan (`knit#uploaded` or `knit#imported`): a running run with one
 * output data and a write-transfer record. If the process dies mid-transfer, the run-management
 * loop aborts the run once `suspendSeconds` have passed without the transfer record being renewed.
 */
export async function createRootRun(
  database: Database,
  pseudoPlan: "knit#uploaded" | "knit#imported",
  suspendSeconds: number,
): Promise<RootRun> {
  return database.db.transaction().execute(async (trx) => {
    const plan = await sql<{ plan_id: string }>`SELECT plan_id FROM plan WHERE pseudo_name = ${pseudoPlan}`.execute(trx);
    const planId = plan.rows[0]!.plan_id;
    const run = await sql<{ run_id: string }>`
      WITH id AS (SELECT gen_random_uuid() AS run_id)
      INSERT INTO run (run_id, plan_id, status, assignment_key, lifecycle_suspend_until)
      SELECT run_id, ${planId}::uuid, 'running', run_id::text, now() + make_interval(secs => ${suspendSeconds}) FROM id
      RETURNING run_id`.execute(trx);
    const runId = run.rows[0]!.run_id;
    const data = await sql<{ knit_id: string }>`
      INSERT INTO data (run_id, output_id) SELECT ${runId}::uuid, output_id FROM output WHERE plan_id = ${planId}::uuid
      RETURNING knit_id`.execute(trx);
    const knitId = data.rows[0]!.knit_id;
    const agentName = `knitid-${knitId}-write-${randomBytes(3).toString("hex").slice(0, 5)}`;
    await sql`INSERT INTO data_agent (name, knit_id, mode, lifecycle_suspend_until)
              VALUES (${agentName}, ${knitId}::uuid, 'write', now() + make_interval(secs => ${suspendSeconds}))`.execute(trx);
    return { runId, knitId, agentName };
  });
}

/** Keeps a long transfer alive: pushes the deadlines of its run and transfer record. */
export async function renewRootRun(q: Queryable, root: RootRun, suspendSeconds: number): Promise<void> {
  await sql`UPDATE run SET lifecycle_suspend_until = now() + make_interval(secs => ${suspendSeconds})
            WHERE run_id = ${root.runId}::uuid AND status = 'running'`.execute(q);
  await sql`UPDATE data_agent SET lifecycle_suspend_until = now() + make_interval(secs => ${suspendSeconds})
            WHERE name = ${root.agentName}`.execute(q);
}

/**
 * Ends an upload. On success the run goes completing → done (knit#timestamp stamped, nominations
 * computed) and the Data's size (`sizeBytes`, when known) is recorded. On failure nothing of the upload stays visible: the root run and its data record are
 * removed and the partial content is handed to garbage collection.
 */
export async function finishUpload(database: Database, root: RootRun, succeeded: boolean, sizeBytes?: number): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    await sql`DELETE FROM data_agent WHERE name = ${root.agentName}`.execute(trx);
    if (succeeded) {
      if (sizeBytes !== undefined) await recordDataSize(trx, root.knitId, sizeBytes);
      await setRunStatus(trx, root.runId, "completing", { expect: ["running"] });
      await setRunStatus(trx, root.runId, "done");
      return;
    }
    await discardRootRun(trx, root.runId);
  });
}

/** Removes a root run that never completed, with its data; the content goes to garbage collection. */
export async function discardRootRun(q: Queryable, runId: string): Promise<void> {
  const removed = await sql<{ knit_id: string }>`
    DELETE FROM data WHERE run_id = ${runId}::uuid
    AND EXISTS (SELECT 1 FROM run r JOIN plan p ON p.plan_id = r.plan_id
                WHERE r.run_id = ${runId}::uuid AND p.pseudo_name IS NOT NULL AND r.status <> 'done')
    RETURNING knit_id`.execute(q);
  if (removed.rows.length === 0) return;
  await sql`DELETE FROM data_agent WHERE knit_id = ANY(${removed.rows.map((row) => row.knit_id)}::uuid[])`.execute(q);
  await sql`INSERT INTO garbage (knit_id) SELECT unnest(${removed.rows.map((row) => row.knit_id)}::uuid[]) ON CONFLICT DO NOTHING`.execute(q);
  await sql`DELETE FROM run WHERE run_id = ${runId}::uuid`.execute(q);
  await notify(q, CHANNEL.garbage);
}

/** Read transfers (downloads) are recorded too, so a run cannot be deleted under a reader. */
export async function beginRead(database: Database, knitId: string): Promise<string> {
  const name = `knitid-${knitId}-read-${randomBytes(3).toString("hex").slice(0, 5)}`;
  await sql`INSERT INTO data_agent (name, knit_id, mode) VALUES (${name}, ${knitId}::uuid, 'read')`.execute(database.db);
  return name;
}

export async function endTransfer(database: Database, agentName: string): Promise<void> {
  await sql`DELETE FROM data_agent WHERE name = ${agentName}`.execute(database.db);
}

/**
 * Ends a custom import (spec/api.md §4.7): the import run moves to completing (the finishing loop
 * makes it done) and its write record goes. Replaying while still completing is a no-op.
 */
export async function endImport(database: Database, runId: string, knitId: string): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    const exists = await sql`SELECT 1 FROM run WHERE run_id = ${runId}::uuid`.execute(trx);
    if (exists.rows.length === 0) throw new ConflictError("missing Run", { advice: `run ${runId} of this import no longer exists; begin a new import` });
    await setRunStatus(trx, runId, "completing");
    await sql`DELETE FROM data_agent WHERE knit_id = ${knitId}::uuid AND mode = 'write'`.execute(trx);
  });
}
