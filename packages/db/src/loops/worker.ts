import { sql } from "kysely";
import type { OnNodeMode, RunStatus } from "@knitfab/domain";
import type { Queryable } from "../database.js";

/** What starting a run's worker needs beyond the run record: the plan's image and runtime settings. */
export interface WorkerContext {
  runId: string;
  name: string;
  image: string;
  entrypoint: string[];
  args: string[];
  env: Record<string, string>;
  resources: Record<string, string>;
  onNode: { mode: OnNodeMode; key: string; value: string }[];
  serviceAccount: string | null;
  pendingReason: string | null;
}

/** The worker context of a run; undefined when the run has no worker row (finished, or not image-based). */
export async function loadWorkerContext(q: Queryable, runId: string): Promise<WorkerContext | undefined> {
  const rows = await sql<{
    name: string;
    env: Record<string, string> | string;
    pending_reason: string | null;
    image: string;
    version: string;
    entrypoint: string[];
    args: string[];
    service_account: string | null;
    plan_id: string;
  }>`
    SELECT w.name, w.env, w.pending_reason, p.image, p.version, p.entrypoint, p.args, p.service_account, p.plan_id
    FROM worker w JOIN run r ON r.run_id = w.run_id JOIN plan p ON p.plan_id = r.plan_id
    WHERE w.run_id = ${runId}::uuid AND p.image IS NOT NULL`.execute(q);
  const row = rows.rows[0];
  if (!row) return undefined;
  const resources = await sql<{ type: string; value: string }>`
    SELECT type, value FROM plan_resource WHERE plan_id = ${row.plan_id}::uuid ORDER BY type`.execute(q);
  const onNode = await sql<{ mode: OnNodeMode; key: string; value: string }>`
    SELECT mode::text AS mode, key, value FROM plan_on_node WHERE plan_id = ${row.plan_id}::uuid ORDER BY mode, key, value`.execute(q);
  const env = typeof row.env === "string" ? (JSON.parse(row.env) as Record<string, string>) : row.env;
  return {
    runId,
    name: row.name,
    image: `${row.image}:${row.version}`,
    entrypoint: row.entrypoint,
    args: row.args,
    env,
    resources: Object.fromEntries(resources.rows.map((resource) => [resource.type, resource.value])),
    onNode: onNode.rows,
    serviceAccount: row.service_account,
    pendingReason: row.pending_reason,
  };
}

/** Says why a run cannot start yet (null clears it); shown with the run until it moves on. */
export async function setWorkerPendingReason(q: Queryable, runId: string, reason: string | null): Promise<void> {
  await sql`UPDATE worker SET pending_reason = ${reason} WHERE run_id = ${runId}::uuid`.execute(q);
}

/** Counts one refused start of the run's worker; returns how many there have been. */
export async function recordStartFailure(q: Queryable, runId: string): Promise<number> {
  const result = await sql<{ start_failures: number }>`
    UPDATE worker SET start_failures = start_failures + 1 WHERE run_id = ${runId}::uuid RETURNING start_failures`.execute(q);
  return result.rows[0]?.start_failures ?? 0;
}

/** The subset of `runIds` that still have a worker row (i.e. may legitimately have a container). */
export async function runsWithWorker(q: Queryable, runIds: readonly string[]): Promise<Set<string>> {
  const ids = runIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id)).map((id) => id.toLowerCase());
  if (ids.length === 0) return new Set();
  const rows = await sql<{ run_id: string }>`SELECT run_id FROM worker WHERE run_id = ANY(${ids}::uuid[])`.execute(q);
  return new Set(rows.rows.map((row) => row.run_id));
}

/** Pending reasons of runs, for presenting why they wait. */
export async function pendingReasons(q: Queryable, runIds: readonly string[]): Promise<Map<string, string>> {
  const ids = runIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id)).map((id) => id.toLowerCase());
  if (ids.length === 0) return new Map();
  const rows = await sql<{ run_id: string; pending_reason: string }>`
    SELECT run_id, pending_reason FROM worker WHERE run_id = ANY(${ids}::uuid[]) AND pending_reason IS NOT NULL`.execute(q);
  return new Map(rows.rows.map((row) => [row.run_id, row.pending_reason]));
}

/**
 * Status and time of the last status change of those of `runIds` that exist in this database (a
 * container of an unknown run belongs to someone else).
 */
export async function runStates(q: Queryable, runIds: readonly string[]): Promise<Map<string, { status: RunStatus; updatedAt: Date }>> {
  const ids = runIds.filter((id) => /^[0-9a-f-]{36}$/i.test(id)).map((id) => id.toLowerCase());
  if (ids.length === 0) return new Map();
  const rows = await sql<{ run_id: string; status: RunStatus; updated_at: Date }>`
    SELECT run_id, status::text AS status, updated_at FROM run WHERE run_id = ANY(${ids}::uuid[])`.execute(q);
  return new Map(rows.rows.map((row) => [row.run_id, { status: row.status, updatedAt: row.updated_at }]));
}
