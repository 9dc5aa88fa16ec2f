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
  const inputById = new Map<number, MountpointRecord>();
  const outputById = new Map<number, MountpointRecord & { isLog: boolean }>();
  // A plan's mountpoints come ordered by path (in the database's collation): their rank orders each
  // side (input and output ids are separate sequences, so each side has its own ranks).
  const inputRank = new Map<number, number>();
  const outputRank = new Map<number, number>();
  for (const list of mounts.inputs.values()) list.forEach((input, index) => (inputById.set(input.id, input), inputRank.set(input.id, index)));
  for (const list of mounts.outputs.values()) list.forEach((output, index) => (outputById.set(output.id, output), outputRank.set(output.id, index)));
  const byRank = (ranks: Map<number, number>) => (left: { mountpoint: MountpointRecord }, right: { mountpoint: MountpointRecord }) =>
    (ranks.get(left.mountpoint.id) ?? 0) - (ranks.get(right.mountpoint.id) ?? 0);

  const records = new Map<string, RunRecord>();
  for (const row of rows.rows) {
    const plan = plans.get(row.run_plan_id);
    if (!plan) continue;
    const record: RunRecord = { ...runSummaryOf(row, plan), inputs: [], outputs: [], log: null };
    for (const [mountId, knitId] of row.inputs) {
      const mountpoint = inputById.get(mountId);
      if (mountpoint) record.inputs.push({ mountpoint, knitId });
    }
    for (const [mountId, knitId] of row.outputs) {
      const output = outputById.get(mountId);
      if (!output) continue;
      const mountpoint = { id: output.id, path: output.path, tags: output.tags };
      if (output.isLog) record.log = { mountpoint, knitId };
      else record.outputs.push({ mountpoint, knitId });
    }
    // Each side ordered by its mountpoint's path, as the API lists them.
    record.inputs.sort(byRank(inputRank));
    record.outputs.sort(byRank(outputRank));
    records.set(row.run_id, record);
  }
  return runIds.flatMap((id) => records.get(id.toLowerCase()) ?? []);
}
