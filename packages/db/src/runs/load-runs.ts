import { sql } from "kysely";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";
import type { RunRecord, RunSummaryRecord } from "../records.js";
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

/** A run's summary row with its assignments and outputs, each as [mountpoint id, knit id] pairs. */
interface RunWithLinksRow extends RunSummaryRow {
  inputs: [number, string][];
  outputs: [number, string][];
}

/** Full run records in the order of `runIds`; unknown ids are omitted. */
export async function loadRuns(q: Queryable, runIds: readonly string[]): Promise<RunRecord[]> {
  const ids = onlyUuids(runIds);
  if (ids.length === 0) return [];
  // The runs with their assignments and outputs in one statement: a list of 200 runs is one round
  // trip and 200 rows, not three statements each sending the 200 ids again.
  const rows = await sql<RunWithLinksRow>`
    SELECT ${RUN_SUMMARY_COLUMNS},
           (SELECT coalesce(json_agg(json_build_array(a.input_id, a.knit_id)), '[]') FROM assign a WHERE a.run_id = r.run_id) AS inputs,
           (SELECT coalesce(json_agg(json_build_array(d.output_id, d.knit_id)), '[]') FROM data d WHERE d.run_id = r.run_id) AS outputs
    FROM run r LEFT JOIN run_exit e ON e.run_id = r.run_id
    WHERE r.run_id = ANY(${ids}::uuid[])`.execute(q);
  if (rows.rows.length === 0) return [];
  const planIds = [...new Set(rows.rows.map((row) => row.run_plan_id))];
  const plans = await loadPlanSummaries(q, planIds);
  const mounts = await loadMountpoints(q, planIds);

  const records = new Map<string, RunRecord>();
  for (const row of rows.rows) {
    const plan = plans.get(row.run_plan_id);
    if (!plan) continue;
    const record: RunRecord = { ...runSummaryOf(row, plan), inputs: [], outputs: [], log: null };
    // The plan's mountpoints come ordered by path (in the database's collation): walking them in
    // that order lists each side as the API does.
    const assigned = new Map(row.inputs);
    for (const mountpoint of mounts.inputs.get(row.run_plan_id) ?? []) {
      const knitId = assigned.get(mountpoint.id);
      if (knitId !== undefined) record.inputs.push({ mountpoint, knitId });
    }
    const written = new Map(row.outputs);
    for (const { isLog, ...mountpoint } of mounts.outputs.get(row.run_plan_id) ?? []) {
      const knitId = written.get(mountpoint.id);
      if (knitId === undefined) continue;
      if (isLog) record.log = { mountpoint, knitId };
      else record.outputs.push({ mountpoint, knitId });
    }
    records.set(row.run_id, record);
  }
  return runIds.flatMap((id) => records.get(id.toLowerCase()) ?? []);
}
