import { sql } from "kysely";
import type { Tag } from "@knitfab/domain";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";
import type { DataRecord, MountpointRecord } from "../records.js";
import { loadMountpoints, loadPlanSummaries } from "../plans/load-plans.js";
import { loadRunSummaries } from "../runs/load-runs.js";

/** Data records in the order of `knitIds`; unknown ids are omitted. */
export async function loadData(q: Queryable, knitIds: readonly string[]): Promise<DataRecord[]> {
  const ids = onlyUuids(knitIds);
  if (ids.length === 0) return [];
  const rows = await sql<{ knit_id: string; run_id: string; output_id: number; plan_id: string; timestamp: Date | null }>`
    SELECT d.knit_id, d.run_id, d.output_id, o.plan_id, d.timestamp
    FROM data d JOIN output o ON o.output_id = d.output_id
    WHERE d.knit_id = ANY(${ids}::uuid[])`.execute(q);
  if (rows.rows.length === 0) return [];
  const present = rows.rows.map((row) => row.knit_id);
  const tags = await sql<{ knit_id: string; key: string; value: string }>`
    SELECT knit_id, key, value FROM data_tag WHERE knit_id = ANY(${present}::uuid[]) ORDER BY key, value`.execute(q);
  const downstreams = await sql<{ knit_id: string; run_id: string; input_id: number; plan_id: string }>`
    SELECT a.knit_id, a.run_id, a.input_id, r.plan_id FROM assign a JOIN run r ON r.run_id = a.run_id
    WHERE a.knit_id = ANY(${present}::uuid[]) AND r.status <> 'invalidated'
    ORDER BY r.updated_at, r.run_id`.execute(q);
  const nominations = await sql<{ knit_id: string; input_id: number; plan_id: string }>`
    SELECT n.knit_id, n.input_id, i.plan_id FROM nomination n JOIN input i ON i.input_id = n.input_id
    WHERE n.knit_id = ANY(${present}::uuid[]) ORDER BY i.plan_id, i.path`.execute(q);

  const runIds = [...rows.rows.map((row) => row.run_id), ...downstreams.rows.map((row) => row.run_id)];
  const runs = await loadRunSummaries(q, runIds);
  const planIds = [...rows.rows.map((row) => row.plan_id), ...downstreams.rows.map((row) => row.plan_id), ...nominations.rows.map((row) => row.plan_id)];
  const plans = await loadPlanSummaries(q, planIds);
  const mounts = await loadMountpoints(q, [...new Set(planIds)]);
  const inputById = new Map<number, MountpointRecord>();
  const outputById = new Map<number, MountpointRecord & { isLog: boolean }>();
  for (const list of mounts.inputs.values()) for (const input of list) inputById.set(input.id, input);
  for (const list of mounts.outputs.values()) for (const output of list) outputById.set(output.id, output);

  const tagsOf = new Map<string, Tag[]>();
  for (const row of tags.rows) {
    const list = tagsOf.get(row.knit_id) ?? [];
    list.push({ key: row.key, value: row.value });
    tagsOf.set(row.knit_id, list);
  }
  const records = new Map<string, DataRecord>();
  for (const row of rows.rows) {
    const run = runs.get(row.run_id);
    const output = outputById.get(row.output_id);
    if (!run || !output) continue;
    records.set(row.knit_id, {
      knitId: row.knit_id,
      userTags: tagsOf.get(row.knit_id) ?? [],
      timestamp: row.timestamp,
      upstream: { run, mountpoint: { id: output.id, path: output.path, tags: output.tags }, isLog: output.isLog },
      downstreams: [],
      nominations: [],
    });
  }
  for (const row of downstreams.rows) {
    const run = runs.get(row.run_id);
    const mountpoint = inputById.get(row.input_id);
    if (run && mountpoint) records.get(row.knit_id)?.downstreams.push({ run, mountpoint });
  }
  for (const row of nominations.rows) {
    const plan = plans.get(row.plan_id);
    const mountpoint = inputById.get(row.input_id);
    if (plan && mountpoint) records.get(row.knit_id)?.nominations.push({ plan, mountpoint });
  }
  const lowered = knitIds.map((id) => id.toLowerCase());
  return lowered.flatMap((id) => records.get(id) ?? []);
}
