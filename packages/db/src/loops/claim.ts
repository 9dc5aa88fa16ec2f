import { sql } from "kysely";
import type { RunStatus } from "@knitfab/domain";
import { notify, type Queryable } from "../database.js";
import { CHANNEL } from "../channels.js";

export interface RunClaimFilter {
  statuses: readonly RunStatus[];
  /** include runs of image-based plans */
  imageRuns: boolean;
  /** include runs of these pseudo plans (`knit#uploaded`, `knit#imported`) */
  pseudoPlans: readonly string[];
  /** how long the claim holds before another process may pick the run again */
  leaseMs: number;
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
export async function claimRun(q: Queryable, filter: RunClaimFilter): Promise<ClaimedRun | undefined> {
  const result = await sql<{ run_id: string; plan_id: string; status: RunStatus; pseudo_name: string | null; updated_at: Date }>`
    WITH picked AS (
      SELECT r.run_id FROM run r JOIN plan p ON p.plan_id = r.plan_id
      WHERE r.status = ANY(${[...filter.statuses]}::text[]::run_status[])
        AND r.lifecycle_suspend_until <= now()
        AND ((${filter.imageRuns} AND p.image IS NOT NULL) OR p.pseudo_name = ANY(${[...filter.pseudoPlans]}::text[]))
      ORDER BY r.lifecycle_suspend_until, r.run_id
      LIMIT 1
      FOR UPDATE OF r SKIP LOCKED
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

/** Runs in the given statuses (for example how many workers are starting or running). */
export async function countRuns(q: Queryable, statuses: readonly RunStatus[]): Promise<number> {
  const result = await sql<{ count: number }>`
    SELECT count(*)::int AS count FROM run r JOIN plan p ON p.plan_id = r.plan_id
    WHERE r.status = ANY(${[...statuses]}::text[]::run_status[]) AND p.image IS NOT NULL`.execute(q);
  return result.rows[0]?.count ?? 0;
}
