import { sql } from "kysely";
import type { RunStatus } from "@knitfab/domain";
import { ConflictError } from "@knitfab/domain";
import { notify, type Database, type Queryable } from "../database.js";
import { CHANNEL } from "../channels.js";
import { setRunExit, setRunStatus } from "../runs/set-status.js";
import { retryRunWithin } from "../runs/user-actions.js";

/** Who froze the system: an administrator, or a backup (which lifts only a freeze of its own). */
export type FrozenBy = "admin" | "backup";

export interface FreezeRecord {
  /** `freezing` while runs it stopped are still ending, then `frozen` */
  state: "freezing" | "frozen";
  frozenAt: Date;
  frozenBy: FrozenBy;
  /** runs the freeze stopped, to be retried by unfreezing */
  stoppedRuns: number;
}

/** The exit a freeze gives the runs it stops (253 like a user's abort, which the reference's script uses). */
export const FREEZE_EXIT = { code: 253, message: "stopped by knitfab admin freeze (retried when the system is unfrozen)" } as const;

/** Runs still doing something: the freeze is complete when none is left. */
const UNSETTLED: readonly RunStatus[] = ["ready", "starting", "running", "aborting", "completing"];

/** The freeze in force, or undefined when the system is not frozen. */
export async function readFreeze(q: Queryable): Promise<FreezeRecord | undefined> {
  const result = await sql<{ state: "freezing" | "frozen"; frozen_at: Date; frozen_by: FrozenBy; stopped: number }>`
    SELECT state, frozen_at, frozen_by, (SELECT count(*)::int FROM system_freeze_stopped_run) AS stopped FROM system_freeze`.execute(q);
  const row = result.rows[0];
  return row ? { state: row.state, frozenAt: new Date(row.frozen_at), frozenBy: row.frozen_by, stoppedRuns: row.stopped } : undefined;
}

/**
 * Freezes the system (idempotent: an existing freeze is kept as it is, whoever made it). From the
 * commit on, the loops claim no new work (see claimRun, projectOnce, claimGarbage) and the API
 * refuses writes. Returns the freeze in force and whether this call made it.
 */
export async function beginFreeze(database: Database, by: FrozenBy): Promise<{ freeze: FreezeRecord; created: boolean }> {
  return database.db.transaction().execute(async (trx) => {
    const inserted = await sql`INSERT INTO system_freeze (frozen_by) VALUES (${by}) ON CONFLICT DO NOTHING RETURNING frozen_at`.execute(trx);
    const freeze = await readFreeze(trx);
    if (!freeze) throw new Error("the freeze was lifted while being made; run the command again");
    return { freeze, created: inserted.rows.length > 0 };
  });
}

/**
 * Stops every run of an image plan that is ready, starting or running, as the reference's freeze
 * script does (`knit run stop --fail`): → aborting with FREEZE_EXIT, recorded so that unfreezing
 * retries it. One transaction; repeating it stops only what started since. Returns how many it stopped.
 */
export async function stopRunsForFreeze(database: Database): Promise<number> {
  return database.db.transaction().execute(async (trx) => {
    if (!(await readFreeze(trx))) return 0;
    const active = await sql<{ run_id: string; status: RunStatus }>`
      SELECT r.run_id, r.status::text AS status FROM run r JOIN plan p ON p.plan_id = r.plan_id
      WHERE p.image IS NOT NULL AND r.status IN ('ready', 'starting', 'running')
      ORDER BY r.run_id FOR UPDATE OF r`.execute(trx);
    for (const run of active.rows) {
      await sql`INSERT INTO system_freeze_stopped_run (run_id, previous_status) VALUES (${run.run_id}::uuid, ${run.status}::run_status)
                ON CONFLICT DO NOTHING`.execute(trx);
      await setRunStatus(trx, run.run_id, "aborting");
      await setRunExit(trx, run.run_id, FREEZE_EXIT);
    }
    return active.rows.length;
  });
}

/** How many runs are still ready, starting, running, aborting or completing (uploads included). */
export async function countUnsettledRuns(q: Queryable): Promise<number> {
  const result = await sql<{ count: number }>`
    SELECT count(*)::int AS count FROM run WHERE status = ANY(${[...UNSETTLED]}::text[]::run_status[])`.execute(q);
  return result.rows[0]?.count ?? 0;
}

/** Records that nothing runs any more under the freeze. */
export async function markFrozen(q: Queryable): Promise<void> {
  await sql`UPDATE system_freeze SET state = 'frozen'`.execute(q);
}

export interface LiftReport {
  /** runs the freeze had stopped, retried now (same run id, new outputs) */
  retried: string[];
  /** stopped runs left as they are, and why (a user deleted or retried it meanwhile, say) */
  skipped: { runId: string; reason: string }[];
  /** false when there was no freeze to lift (or not one made by `onlyBy`) */
  lifted: boolean;
}

/**
 * Undoes a freeze: retries each run it stopped that is still failed (one transaction per run, which
 * also forgets the run, so a repetition after a kill goes on where it stopped), then removes the
 * freeze and wakes every loop. With `onlyBy`, a freeze made by someone else is left alone.
 */
export async function liftFreeze(database: Database, onlyBy?: FrozenBy): Promise<LiftReport> {
  const report: LiftReport = { retried: [], skipped: [], lifted: false };
  const freeze = await readFreeze(database.db);
  if (!freeze || (onlyBy !== undefined && freeze.frozenBy !== onlyBy)) return report;
  const stopped = await sql<{ run_id: string }>`SELECT run_id FROM system_freeze_stopped_run ORDER BY stopped_at, run_id`.execute(database.db);
  for (const { run_id: runId } of stopped.rows) {
    await database.db.transaction().execute(async (trx) => {
      const row = await sql<{ status: RunStatus; code: number | null; message: string | null }>`
        SELECT r.status::text AS status, e.code, e.message FROM run r LEFT JOIN run_exit e ON e.run_id = r.run_id
        WHERE r.run_id = ${runId}::uuid FOR UPDATE OF r`.execute(trx);
      const run = row.rows[0];
      if (run?.status === "failed" && run.message === FREEZE_EXIT.message) {
        try {
          await sql`SAVEPOINT retry_stopped`.execute(trx);
          await retryRunWithin(trx, runId);
          report.retried.push(runId);
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
          await sql`ROLLBACK TO SAVEPOINT retry_stopped`.execute(trx);
          report.skipped.push({ runId, reason: error.message });
        }
      } else {
        report.skipped.push({ runId, reason: run ? `it is ${run.status} now, not failed by the freeze` : "it is gone" });
      }
      await sql`DELETE FROM system_freeze_stopped_run WHERE run_id = ${runId}::uuid`.execute(trx);
    });
  }
  await database.db.transaction().execute(async (trx) => {
    await sql`DELETE FROM system_freeze_stopped_run`.execute(trx);
    const removed = await sql`DELETE FROM system_freeze RETURNING frozen_by`.execute(trx);
    report.lifted = removed.rows.length > 0;
    // Every loop may have work that waited: new nominations, waiting and ready runs, garbage.
    await notify(trx, CHANNEL.projection);
    for (const status of ["waiting", "ready", "aborting", "completing"]) await notify(trx, CHANNEL.runStatus, status);
    await notify(trx, CHANNEL.garbage);
  });
  return report;
}
