import { sql } from "kysely";
import type { Tag } from "@knitfab/domain";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";
import type { DataRecord, MountpointRecord } from "../records.js";
import { loadMountpoints, loadPlanSummaries } from "../plans/load-plans.js";
import { RUN_SUMMARY_COLUMNS, runSummaryOf, type RunSummaryRow } from "../runs/run-summary-row.js";

interface DataRow extends RunSummaryRow {
  knit_id: string;
  output_id: number;
  output_plan_id: string;
  timestamp: Date | null;
  tag_keys: string[] | null;
  tag_values: string[] | null;
}

interface DownstreamRow extends RunSummaryRow {
  knit_id: string;
  input_id: number;
}

/**
 * Data records in the order of `knitIds`; unknown ids are omitted.
 *
 * Four statements whatever the number of Data (the plans' mountpoints are cached, see
 * loadMountpoints): a list is read on every console refresh, and on PGlite every statement waits
 * its turn on the one connection behind every other request's statements.
 */
export async function loadData(q: Queryable, knitIds: readonly string[]): Promise<DataRecord[]> {
  const ids = onlyUuids(knitIds);
  if (ids.length === 0) return [];
  // The Data with their tags and their producing run (its summary columns).
  const rows = await sql<DataRow>`
    SELECT d.knit_id, d.output_id, o.plan_id AS output_plan_id, d.timestamp, ${RUN_SUMMARY_COLUMNS},
           (SELECT array_agg(t.key::text ORDER BY t.key, t.value) FROM data_tag t WHERE t.knit_id = d.knit_id) AS tag_keys,
           (SELECT array_agg(t.value::text ORDER BY t.key, t.value) FROM data_tag t WHERE t.knit_id = d.knit_id) AS tag_values
    FROM data d JOIN output o ON o.output_id = d.output_id JOIN run r ON r.run_id = d.run_id LEFT JOIN run_exit e ON e.run_id = r.run_id
    WHERE d.knit_id = ANY(${ids}::uuid[])`.execute(q);
  if (rows.rows.length === 0) return [];
  const present = rows.rows.map((row) => row.knit_id);
  const downstreams = await sql<DownstreamRow>`
    SELECT a.knit_id, a.input_id, ${RUN_SUMMARY_COLUMNS}
    FROM assign a JOIN run r ON r.run_id = a.run_id LEFT JOIN run_exit e ON e.run_id = r.run_id
    WHERE a.knit_id = ANY(${present}::uuid[]) AND r.status <> 'invalidated'
    ORDER BY r.updated_at, r.run_id`.execute(q);
  const nominations = await sql<{ knit_id: string; input_id: number; plan_id: string }>`
    SELECT n.knit_id, n.input_id, i.plan_id FROM nomination n JOIN input i ON i.input_id = n.input_id
    WHERE n.knit_id = ANY(${present}::uuid[]) ORDER BY i.plan_id, i.path`.execute(q);

  const planIds = [
    ...new Set([...rows.rows.flatMap((row) => [row.run_plan_id, row.output_plan_id]), ...downstreams.rows.map((row) => row.run_plan_id), ...nominations.rows.map((row) => row.plan_id)]),
  ];
  const plans = await loadPlanSummaries(q, planIds);
  const mounts = await loadMountpoints(q, planIds);
  const inputById = new Map<number, MountpointRecord>();
  const outputById = new Map<number, MountpointRecord & { isLog: boolean }>();
  for (const list of mounts.inputs.values()) for (const input of list) inputById.set(input.id, input);
  for (const list of mounts.outputs.values()) for (const output of list) outputById.set(output.id, output);

  const records = new Map<string, DataRecord>();
  for (const row of rows.rows) {
    const plan = plans.get(row.run_plan_id);
    const output = outputById.get(row.output_id);
    if (!plan || !output) continue;
    const userTags: Tag[] = (row.tag_keys ?? []).map((key, index) => ({ key, value: row.tag_values?.[index] ?? "" }));
    records.set(row.knit_id, {
      knitId: row.knit_id,
      userTags,
      timestamp: row.timestamp,
      upstream: { run: runSummaryOf(row, plan), mountpoint: { id: output.id, path: output.path, tags: output.tags }, isLog: output.isLog },
      downstreams: [],
      nominations: [],
    });
  }
  for (const row of downstreams.rows) {
    const plan = plans.get(row.run_plan_id);
    const mountpoint = inputById.get(row.input_id);
    if (plan && mountpoint) records.get(row.knit_id)?.downstreams.push({ run: runSummaryOf(row, plan), mountpoint });
  }
  for (const row of nominations.rows) {
    const plan = plans.get(row.plan_id);
    const mountpoint = inputById.get(row.input_id);
    if (plan && mountpoint) records.get(row.knit_id)?.nominations.push({ plan, mountpoint });
  }
  const lowered = knitIds.map((id) => id.toLowerCase());
  return lowered.flatMap((id) => records.get(id) ?? []);
}
