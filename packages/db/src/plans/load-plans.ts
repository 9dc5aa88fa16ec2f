import { sql } from "kysely";
import { KNIT_ID, KNIT_TIMESTAMP, formatTimestamp, type OnNodeMode, type Tag } from "@knitfab/domain";
import type { Queryable } from "../database.js";
import { onlyUuids } from "../uuid.js";
import type { MountpointRecord, PlanLinkRecord, PlanRecord, PlanSummaryRecord } from "../records.js";

interface PlanRow {
  plan_id: string;
  active: boolean;
  image: string | null;
  version: string | null;
  pseudo_name: string | null;
  entrypoint: string[];
  args: string[];
  service_account: string | null;
}

/** Plan summaries (id, image, entrypoint, args, name, annotations) by id; unknown ids are omitted. */
export async function loadPlanSummaries(q: Queryable, planIds: readonly string[]): Promise<Map<string, PlanSummaryRecord>> {
  const result = new Map<string, PlanSummaryRecord>();
  const ids = onlyUuids(planIds);
  if (ids.length === 0) return result;
  const rows = await sql<PlanRow>`
    SELECT plan_id, active, image, version, pseudo_name, entrypoint, args, service_account
    FROM plan WHERE plan_id = ANY(${ids}::uuid[])`.execute(q);
  const annotations = await sql<{ plan_id: string; key: string; value: string }>`
    SELECT plan_id, key, value FROM plan_annotation WHERE plan_id = ANY(${ids}::uuid[]) ORDER BY key, value`.execute(q);
  for (const row of rows.rows) result.set(row.plan_id, summaryOf(row));
  for (const row of annotations.rows) result.get(row.plan_id)?.annotations.push({ key: row.key, value: row.value });
  return result;
}

function summaryOf(row: PlanRow): PlanSummaryRecord {
  return {
    planId: row.plan_id,
    image: row.image !== null && row.version !== null ? { repository: row.image, tag: row.version } : null,
    pseudoName: row.pseudo_name,
    entrypoint: row.entrypoint ?? [],
    args: row.args ?? [],
    annotations: [],
  };
}

interface MountRow {
  id: number;
  plan_id: string;
  path: string;
  is_log: boolean;
  knit_id_pin: string | null;
  timestamp_pin: Date | null;
}

/** Inputs, outputs and log points of the given plans, with their tags. */
export async function loadMountpoints(
  q: Queryable,
  planIds: readonly string[],
): Promise<{ inputs: Map<string, MountpointRecord[]>; outputs: Map<string, (MountpointRecord & { isLog: boolean })[]> }> {
  const inputs = new Map<string, MountpointRecord[]>();
  const outputs = new Map<string, (MountpointRecord & { isLog: boolean })[]>();
  if (planIds.length === 0) return { inputs, outputs };
  const ids = [...new Set(planIds)];
  const inputRows = await sql<MountRow>`
    SELECT input_id AS id, plan_id, path, false AS is_log, knit_id_pin, timestamp_pin
    FROM input WHERE plan_id = ANY(${ids}::uuid[]) ORDER BY path, input_id`.execute(q);
  const outputRows = await sql<MountRow>`
    SELECT output_id AS id, plan_id, path, is_log, NULL AS knit_id_pin, NULL AS timestamp_pin
    FROM output WHERE plan_id = ANY(${ids}::uuid[]) ORDER BY path, output_id`.execute(q);
  const inputIds = inputRows.rows.map((row) => row.id);
  const outputIds = outputRows.rows.map((row) => row.id);
  const inputTags = await sql<{ id: number; key: string; value: string }>`
    SELECT input_id AS id, key, value FROM input_tag WHERE input_id = ANY(${inputIds}::int[]) ORDER BY key, value`.execute(q);
  const outputTags = await sql<{ id: number; key: string; value: string }>`
    SELECT output_id AS id, key, value FROM output_tag WHERE output_id = ANY(${outputIds}::int[]) ORDER BY key, value`.execute(q);
  const tagsOf = (rows: { id: number; key: string; value: string }[]) => {
    const map = new Map<number, Tag[]>();
    for (const row of rows) {
      const list = map.get(row.id) ?? [];
      list.push({ key: row.key, value: row.value });
      map.set(row.id, list);
    }
    return map;
  };
  const inputTagMap = tagsOf(inputTags.rows);
  const outputTagMap = tagsOf(outputTags.rows);
  for (const row of inputRows.rows) {
    const tags = [...(inputTagMap.get(row.id) ?? [])];
    if (row.knit_id_pin) tags.push({ key: KNIT_ID, value: row.knit_id_pin });
    if (row.timestamp_pin) tags.push({ key: KNIT_TIMESTAMP, value: formatTimestamp(row.timestamp_pin) });
    const list = inputs.get(row.plan_id) ?? [];
    list.push({ id: row.id, path: row.path, tags });
    inputs.set(row.plan_id, list);
  }
  for (const row of outputRows.rows) {
    const list = outputs.get(row.plan_id) ?? [];
    list.push({ id: row.id, path: row.path, tags: outputTagMap.get(row.id) ?? [], isLog: row.is_log });
    outputs.set(row.plan_id, list);
  }
  return { inputs, outputs };
}

/** Full plan records by id, in the order of `planIds`; unknown ids are omitted. */
export async function loadPlans(q: Queryable, planIds: readonly string[]): Promise<PlanRecord[]> {
  const ids = onlyUuids(planIds);
  if (ids.length === 0) return [];
  const rows = await sql<PlanRow>`
    SELECT plan_id, active, image, version, pseudo_name, entrypoint, args, service_account
    FROM plan WHERE plan_id = ANY(${ids}::uuid[])`.execute(q);
  const summaries = await loadPlanSummaries(q, ids);
  const { inputs, outputs } = await loadMountpoints(q, ids);
  const resources = await sql<{ plan_id: string; type: string; value: string }>`
    SELECT plan_id, type, value FROM plan_resource WHERE plan_id = ANY(${ids}::uuid[]) ORDER BY type`.execute(q);
  const onNode = await sql<{ plan_id: string; mode: OnNodeMode; key: string; value: string }>`
    SELECT plan_id, mode::text AS mode, key, value FROM plan_on_node WHERE plan_id = ANY(${ids}::uuid[])
    ORDER BY mode::text, key, value`.execute(q);
  const links = await loadPlanLinks(q, ids);

  const byId = new Map<string, PlanRecord>();
  for (const row of rows.rows) {
    const summary = summaries.get(row.plan_id);
    if (!summary) continue;
    const planOutputs = outputs.get(row.plan_id) ?? [];
    const log = planOutputs.find((output) => output.isLog);
    byId.set(row.plan_id, {
      ...summary,
      active: row.active,
      inputs: (inputs.get(row.plan_id) ?? []).map((input) => ({ ...input, upstreams: links.upstreams.get(input.id) ?? [] })),
      outputs: planOutputs
        .filter((output) => !output.isLog)
        .map(({ isLog: _isLog, ...output }) => ({ ...output, downstreams: links.downstreams.get(output.id) ?? [] })),
      log: log ? { id: log.id, path: log.path, tags: log.tags, downstreams: links.downstreams.get(log.id) ?? [] } : null,
      onNode: [],
      resources: {},
      serviceAccount: row.service_account,
    });
  }
  for (const row of resources.rows) {
    const plan = byId.get(row.plan_id);
    if (plan) plan.resources[row.type] = row.value;
  }
  for (const row of onNode.rows) byId.get(row.plan_id)?.onNode.push({ mode: row.mode, key: row.key, value: row.value });
  return planIds.flatMap((id) => byId.get(id.toLowerCase()) ?? []);
}

/**
 * Plan-to-plan links (spec/model.md §4.4): an input is downstream of an output when it has no
 * system-tag pin, at least one user tag, and all its user tags are among the output's tags.
 */
async function loadPlanLinks(
  q: Queryable,
  planIds: string[],
): Promise<{ upstreams: Map<number, PlanLinkRecord[]>; downstreams: Map<number, PlanLinkRecord[]> }> {
  const pairs = await sql<{ input_id: number; input_plan: string; output_id: number; output_plan: string }>`
    WITH candidate_input AS (
      SELECT i.input_id, i.plan_id, i.user_tag_count FROM input i
      WHERE i.knit_id_pin IS NULL AND i.timestamp_pin IS NULL AND i.user_tag_count > 0
    )
    SELECT ci.input_id, ci.plan_id AS input_plan, o.output_id, o.plan_id AS output_plan
    FROM candidate_input ci
    JOIN input_tag it ON it.input_id = ci.input_id
    JOIN output_tag ot ON ot.key = it.key AND ot.value = it.value
    JOIN output o ON o.output_id = ot.output_id
    WHERE ci.plan_id = ANY(${planIds}::uuid[]) OR o.plan_id = ANY(${planIds}::uuid[])
    GROUP BY ci.input_id, ci.plan_id, ci.user_tag_count, o.output_id, o.plan_id
    HAVING count(*) = ci.user_tag_count`.execute(q);
  const otherPlans = new Set<string>();
  for (const pair of pairs.rows) {
    otherPlans.add(pair.input_plan);
    otherPlans.add(pair.output_plan);
  }
  const summaries = await loadPlanSummaries(q, [...otherPlans]);
  const mounts = await loadMountpoints(q, [...otherPlans]);
  const inputById = new Map<number, MountpointRecord>();
  const outputById = new Map<number, MountpointRecord & { isLog: boolean }>();
  for (const list of mounts.inputs.values()) for (const input of list) inputById.set(input.id, input);
  for (const list of mounts.outputs.values()) for (const output of list) outputById.set(output.id, output);

  const upstreams = new Map<number, PlanLinkRecord[]>();
  const downstreams = new Map<number, PlanLinkRecord[]>();
  for (const pair of pairs.rows) {
    const input = inputById.get(pair.input_id);
    const output = outputById.get(pair.output_id);
    const inputPlan = summaries.get(pair.input_plan);
    const outputPlan = summaries.get(pair.output_plan);
    if (!input || !output || !inputPlan || !outputPlan) continue;
    const up = upstreams.get(pair.input_id) ?? [];
    up.push({ plan: outputPlan, mountpoint: { id: output.id, path: output.path, tags: output.tags }, isLog: output.isLog });
    upstreams.set(pair.input_id, up);
    const down = downstreams.get(pair.output_id) ?? [];
    down.push({ plan: inputPlan, mountpoint: input, isLog: false });
    downstreams.set(pair.output_id, down);
  }
  return { upstreams, downstreams };
}
