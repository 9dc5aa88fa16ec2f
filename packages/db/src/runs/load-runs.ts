import { sql } from "kysely";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";
import type { MountpointRecord, RunRecord, RunSummaryRecord } from "../records.js";
import { loadMountpoints, loadPlanSummaries } from "../plans/load-plans.js";
import { RUN_SUMMARY_COLUMNS, runSummaryOf, type RunSummaryRow } from "./run-summary-row.js";

/** Run summaries by id; unknown ids are omitted. */
export async function loadRunSummaries(q: Queryable, runIds: readonly string[]): Promise<Map<string, RunSummaryRecord>> {
  const result = new Map<string, RunSummaryRecord>();
  const ids = onlyUuids(runIds);
  if (ids.length === 0) return result;
  const rows = await sql<RunSummaryRow>`
    SELECT ${RUN_SUMMARY_COLUMNS}
    FROM run r LEFT JOIN run_exit e ON e.run_id = r.run_id
    WHERE r.run_id = ANY(${ids}::uuid[])`.execute(q);
  const plans = await loadPlanSummaries(q, rows.rows.map((row) => row.run_plan_id));
  for (const row of rows.rows) {
    const plan = plans.get(row.run_plan_id);
    if (plan) result.set(row.run_id, runSummaryOf(row, plan));
  }
  return result;
}

/** Full run records in the order of `runIds`; unknown ids are omitted. */
export async function loadRuns(q: Queryable, runIds: readonly string[]): Promise<RunRecord[]> {
  if (runIds.length === 0) return [];
  const summaries = await loadRunSummaries(q, runIds);
  const ids = [...summaries.keys()];
  if (ids.length === 0) return [];
  const planIds = [...new Set([...summaries.values()].map((run) => run.plan.planId))];
  const mounts = await loadMountpoints(q, planIds);
  const inputById = new Map<number, MountpointRecord>();
  const outputById = new Map<number, MountpointRecord & { isLog: boolean }>();
  for (const list of mounts.inputs.values()) for (const input of list) inputById.set(input.id, input);
  for (const list of mounts.outputs.values()) for (const output of list) outputById.set(output.id, output);

  // Inputs (assignments) and outputs in one statement, each side ordered by its mountpoint's path.
  const links = await sql<{ side: "input" | "output"; run_id: string; mount_id: number; knit_id: string }>`
    SELECT 'input' AS side, a.run_id, a.input_id AS mount_id, a.knit_id, i.path FROM assign a JOIN input i ON i.input_id = a.input_id
    WHERE a.run_id = ANY(${ids}::uuid[])
    UNION ALL
    SELECT 'output', d.run_id, d.output_id, d.knit_id, o.path FROM data d JOIN output o ON o.output_id = d.output_id
    WHERE d.run_id = ANY(${ids}::uuid[])
    ORDER BY path`.execute(q);

  const records = new Map<string, RunRecord>();
  for (const [runId, summary] of summaries) records.set(runId, { ...summary, inputs: [], outputs: [], log: null });
  for (const row of links.rows) {
    const record = records.get(row.run_id);
    if (!record) continue;
    if (row.side === "input") {
      const mountpoint = inputById.get(row.mount_id);
      if (mountpoint) record.inputs.push({ mountpoint, knitId: row.knit_id });
      continue;
    }
    const output = outputById.get(row.mount_id);
    if (!output) continue;
    const mountpoint = { id: output.id, path: output.path, tags: output.tags };
    if (output.isLog) record.log = { mountpoint, knitId: row.knit_id };
    else record.outputs.push({ mountpoint, knitId: row.knit_id });
  }
  return runIds.flatMap((id) => records.get(id.toLowerCase()) ?? []);
}
