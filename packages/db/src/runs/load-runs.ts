import { sql } from "kysely";
import type { RunStatus } from "@knitfab/domain";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";
import type { MountpointRecord, RunRecord, RunSummaryRecord } from "../records.js";
import { loadMountpoints, loadPlanSummaries } from "../plans/load-plans.js";

interface RunRow {
  run_id: string;
  plan_id: string;
  status: RunStatus;
  updated_at: Date;
  exit_code: number | null;
  exit_message: string | null;
}

/** Run summaries by id; unknown ids are omitted. */
export async function loadRunSummaries(q: Queryable, runIds: readonly string[]): Promise<Map<string, RunSummaryRecord>> {
  const result = new Map<string, RunSummaryRecord>();
  const ids = onlyUuids(runIds);
  if (ids.length === 0) return result;
  const rows = await sql<RunRow>`
    SELECT r.run_id, r.plan_id, r.status::text AS status, r.updated_at, e.code AS exit_code, e.message AS exit_message
    FROM run r LEFT JOIN run_exit e ON e.run_id = r.run_id
    WHERE r.run_id = ANY(${ids}::uuid[])`.execute(q);
  const plans = await loadPlanSummaries(q, rows.rows.map((row) => row.plan_id));
  for (const row of rows.rows) {
    const plan = plans.get(row.plan_id);
    if (!plan) continue;
    result.set(row.run_id, {
      runId: row.run_id,
      status: row.status,
      updatedAt: row.updated_at,
      exit: row.exit_code === null ? null : { code: row.exit_code, message: row.exit_message ?? "" },
      plan,
    });
  }
  return result;
}

/** Full run records in the order of `runIds`; unknown ids are omitted. */
export async function loadRuns(q: Queryable, runIds: readonly string[]): Promise<RunRecord[]> {
  if (runIds.length === 0) return [];
  const summaries = await loadRunSummaries(q, runIds);
  const ids = [...summaries.keys()];
  const planIds = [...new Set([...summaries.values()].map((run) => run.plan.planId))];
  const mounts = await loadMountpoints(q, planIds);
  const inputById = new Map<number, MountpointRecord>();
  const outputById = new Map<number, MountpointRecord & { isLog: boolean }>();
  for (const list of mounts.inputs.values()) for (const input of list) inputById.set(input.id, input);
  for (const list of mounts.outputs.values()) for (const output of list) outputById.set(output.id, output);

  const assigns = await sql<{ run_id: string; input_id: number; knit_id: string }>`
    SELECT a.run_id, a.input_id, a.knit_id FROM assign a JOIN input i ON i.input_id = a.input_id
    WHERE a.run_id = ANY(${ids}::uuid[]) ORDER BY i.path`.execute(q);
  const outputs = await sql<{ run_id: string; output_id: number; knit_id: string }>`
    SELECT d.run_id, d.output_id, d.knit_id FROM data d JOIN output o ON o.output_id = d.output_id
    WHERE d.run_id = ANY(${ids}::uuid[]) ORDER BY o.path`.execute(q);

  const records = new Map<string, RunRecord>();
  for (const [runId, summary] of summaries) records.set(runId, { ...summary, inputs: [], outputs: [], log: null });
  for (const row of assigns.rows) {
    const mountpoint = inputById.get(row.input_id);
    if (mountpoint) records.get(row.run_id)?.inputs.push({ mountpoint, knitId: row.knit_id });
  }
  for (const row of outputs.rows) {
    const output = outputById.get(row.output_id);
    const record = records.get(row.run_id);
    if (!output || !record) continue;
    const mountpoint = { id: output.id, path: output.path, tags: output.tags };
    if (output.isLog) record.log = { mountpoint, knitId: row.knit_id };
    else record.outputs.push({ mountpoint, knitId: row.knit_id });
  }
  return runIds.flatMap((id) => records.get(id.toLowerCase()) ?? []);
}
