import { sql, type Kysely } from "kysely";
import type { RunStatus } from "@knitfab/domain";
import { notify, type Queryable, type Schema } from "../database.js";
import { CHANNEL } from "../channels.js";

export interface RunClaimFilter {
  statuses: readonly RunStatus[];
  /** include runs of image-based plans */
  imageRuns: boolean;
  /** include runs of these pseudo plans (`knit#uploaded`, `knit#imported`) */
  pseudoPlans: readonly string[];
  /** how long the claim holds before another process may pick the run again */
  leaseMs: number;
  /**
   * Most workers starting or running at once (0 = no limit). A `ready` run of an image plan is then
   * claimed only with a worker slot: one it holds already, or a free one it takes in the same step.
   */
  maxWorkers?: number;
}

export interface ClaimedRun {
  runId: string;
  planId: string;
  status: RunStatus;
  /** null for image-based plans */
  pseudoName: string | null;
  /** when the run entered its current status */
  updatedAt: Date;
}

/**
 * Claims one due run: picks the run whose `lifecycle_suspend_until` passed longest ago, skipping rows
 * other processes hold (FOR UPDATE SKIP LOCKED), and pushes its suspension by the lease, all in one
 * autocommitted statement. Until the lease runs out no other claimer sees the run, so the caller may
 * talk to hooks and the container engine without holding a transaction; its result is then recorded
 * with a compare-and-set on the status (recordTransition). A crashed claimer's lease simply expires.
 */
export async function claimRun(q: Kysely<Schema>, filter: RunClaimFilter): Promise<ClaimedRun | undefined> {
  const maxWorkers = filter.maxWorkers ?? 0;
  if (maxWorkers <= 0 || !filter.statuses.includes("ready")) return claimOne(q, filter, undefined);
  // Counting the slots in use and taking one must be one step for every claimer of every process: the
  // advisory lock serialises these steps, and the claim's statement, started after the lock was
  // granted, sees every slot taken before (READ COMMITTED takes a snapshot per statement).
  return q.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${WORKER_SLOT_LOCK})`.execute(trx);
    return claimOne(trx, filter, maxWorkers);
  });
}

/** Key of the advisory lock that guards worker slots; any constant, the same in every process. */
const WORKER_SLOT_LOCK = 0x6b6e7377;

async function claimOne(q: Queryable, filter: RunClaimFilter, maxWorkers: number | undefined): Promise<ClaimedRun | undefined> {
  // Slots in use: workers starting or running, and ready runs that took a slot to start.
  const slotFree =
    maxWorkers === undefined
      ? sql`true`
      : sql`(w.holds_slot OR (
          SELECT count(*) FROM run a JOIN plan ap ON ap.plan_id = a.plan_id LEFT JOIN worker aw ON aw.run_id = a.run_id
          WHERE ap.image IS NOT NULL AND (a.status IN ('starting', 'running') OR (a.status = 'ready' AND aw.holds_slot))
        ) < ${maxWorkers})`;
  const result = await sql<{ run_id: string; plan_id: string; status: RunStatus; pseudo_name: string | null; updated_at: Date }>`
    WITH picked AS (
      SELECT r.run_id, r.status FROM run r JOIN plan p ON p.plan_id = r.plan_id LEFT JOIN worker w ON w.run_id = r.run_id
      WHERE r.status = ANY(${[...filter.statuses]}::text[]::run_status[])
        AND r.lifecycle_suspend_until <= now()
        AND ((${filter.imageRuns} AND p.image IS NOT NULL) OR p.pseudo_name = ANY(${[...filter.pseudoPlans]}::text[]))
        AND (r.status <> 'ready' OR p.image IS NULL OR ${slotFree})
        -- a frozen system (knitfab admin freeze) initializes and starts nothing; what runs may end
        AND (p.image IS NULL OR r.status NOT IN ('waiting', 'ready') OR NOT EXISTS (SELECT 1 FROM system_freeze))
      ORDER BY r.lifecycle_suspend_until, r.run_id
      LIMIT 1
      FOR UPDATE OF r SKIP LOCKED
    ), slot AS (
      UPDATE worker w SET holds_slot = true FROM picked
      WHERE ${maxWorkers !== undefined} AND w.run_id = picked.run_id AND picked.status = 'ready' AND NOT w.holds_slot
    )
    UPDATE run r SET lifecycle_suspend_until = now() + make_interval(secs => ${filter.leaseMs / 1000})
    FROM picked, plan p
    WHERE r.run_id = picked.run_id AND p.plan_id = r.plan_id
    RETURNING r.run_id, r.plan_id, r.status::text AS status, p.pseudo_name, r.updated_at`.execute(q);
  const row = result.rows[0];
  if (!row) return undefined;
  return { runId: row.run_id, planId: row.plan_id, status: row.status, pseudoName: row.pseudo_name, updatedAt: row.updated_at };
}

/**
 * Gives back the worker slot of a run that stays ready without starting (it waits for a node label,
 * a hook refused, the engine refused its start), so runs that can start get it.
 */
export async function releaseWorkerSlot(q: Queryable, runId: string): Promise<void> {
  await sql`UPDATE worker SET holds_slot = false WHERE run_id = ${runId}::uuid AND holds_slot`.execute(q);
}

/**
 * Sets the run's next visit `delayMs` from now, provided it is still in `status` (a lease renewal, or a
 * postponement after a failed hook). Returns false when the run has moved on or is gone.
 */
export async function suspendRun(q: Queryable, runId: string, status: RunStatus, delayMs: number): Promise<boolean> {
  const result = await sql`
    UPDATE run SET lifecycle_suspend_until = now() + make_interval(secs => ${delayMs / 1000})
    WHERE run_id = ${runId}::uuid AND status = ${status}::run_status`.execute(q);
  return Number(result.numAffectedRows ?? 0n) > 0;
}

/**
 * Makes a run due now if it is in one of `statuses` (its worker ended, say), and wakes the loops
 * of every process. Returns false when the run is elsewhere.
 */
export async function wakeRun(q: Queryable, runId: string, statuses: readonly RunStatus[]): Promise<boolean> {
  const result = await sql<{ status: RunStatus }>`
    UPDATE run SET lifecycle_suspend_until = now()
    WHERE run_id = ${runId}::uuid AND status = ANY(${[...statuses]}::text[]::run_status[])
    RETURNING status::text AS status`.execute(q);
  const row = result.rows[0];
  if (!row) return false;
  await notify(q, CHANNEL.runStatus, row.status);
  return true;
}
