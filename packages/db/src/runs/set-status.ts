import { sql } from "kysely";
import { ConflictError, NotFoundError, illegalTransitionMessage, statusChange, type RunStatus } from "@knitfab/domain";
import { notify, type Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";
import { CHANNEL } from "../channels.js";
import { nominateData } from "../nominations/nominate.js";

export class IllegalTransitionError extends ConflictError {
  constructor(readonly from: RunStatus, readonly to: RunStatus) {
    super("prohibited operation", { cause: new Error(illegalTransitionMessage(from, to)) });
    this.name = "IllegalTransitionError";
  }
}

/** Locks the run row and returns its status; 404 when there is no such run. */
export async function lockRun(q: Queryable, runId: string): Promise<{ runId: string; planId: string; status: RunStatus }> {
  const [id] = onlyUuids([runId]);
  if (!id) throw new NotFoundError();
  const row = await sql<{ run_id: string; plan_id: string; status: RunStatus }>`
    SELECT run_id, plan_id, status::text AS status FROM run WHERE run_id = ${id}::uuid FOR UPDATE`.execute(q);
  const run = row.rows[0];
  if (!run) throw new NotFoundError();
  return { runId: run.run_id, planId: run.plan_id, status: run.status };
}

export interface SetStatusOptions {
  /** same-status requests postpone the run by this much (the loop's debounce); 0 for API calls */
  debounceMs?: number;
  /** require the current status to be one of these (compare-and-set) */
  expect?: readonly RunStatus[];
}

/**
 * The one place a run changes status (spec/model.md §8.2), inside the caller's transaction:
 * a compare-and-set on the locked run row. Finishing (completing→done, aborting→failed) stamps
 * knit#timestamp on every output, and a run becoming done nominates its outputs.
 * Returns "change" or "noop"; throws IllegalTransitionError for a forbidden change.
 */
export async function setRunStatus(q: Queryable, runId: string, to: RunStatus, options: SetStatusOptions = {}): Promise<"change" | "noop"> {
  const run = await lockRun(q, runId);
  if (options.expect && !options.expect.includes(run.status)) throw new IllegalTransitionError(run.status, to);
  const change = statusChange(run.status, to);
  if (change === "illegal") throw new IllegalTransitionError(run.status, to);
  if (change === "noop") {
    const debounce = options.debounceMs ?? 0;
    await sql`UPDATE run SET lifecycle_suspend_until = now() + make_interval(secs => ${debounce / 1000})
              WHERE run_id = ${run.runId}::uuid`.execute(q);
    return "noop";
  }
  await sql`UPDATE run SET status = ${to}::run_status, updated_at = date_trunc('milliseconds', now()), lifecycle_suspend_until = now()
            WHERE run_id = ${run.runId}::uuid`.execute(q);
  if (to === "done" || to === "failed") {
    await sql`UPDATE data SET timestamp = date_trunc('milliseconds', now()) WHERE run_id = ${run.runId}::uuid`.execute(q);
  }
  if (to === "done") {
    const outputs = await sql<{ knit_id: string }>`SELECT knit_id FROM data WHERE run_id = ${run.runId}::uuid`.execute(q);
    await nominateData(
      q,
      outputs.rows.map((row) => row.knit_id),
    );
  }
  await notify(q, CHANNEL.runStatus, to);
  return "change";
}

/** Upserts the run's exit record (later writes overwrite). */
export async function setRunExit(q: Queryable, runId: string, exit: { code: number; message: string }): Promise<void> {
  await sql`INSERT INTO run_exit (run_id, code, message) VALUES (${runId}::uuid, ${exit.code}, ${exit.message.slice(0, 1024)})
            ON CONFLICT (run_id) DO UPDATE SET code = excluded.code, message = excluded.message`.execute(q);
}
