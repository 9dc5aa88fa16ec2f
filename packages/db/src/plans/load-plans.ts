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

interface PlanWithAnnotationRow extends PlanRow {
  annotation_key: string | null;
  annotation_value: string | null;
}

/** Plan rows with their summaries (annotations included), by id, in one statement. */
async function loadPlanRows(q: Queryable, ids: readonly string[]): Promise<Map<string, { row: PlanRow; summary: PlanSummaryRecord }>> {
  const result = new Map<string, { row: PlanRow; summary: PlanSummaryRecord }>();
  if (ids.length === 0) return result;
  // One row per annotation (or one with NULLs): a list asks for plans on every read, and on PGlite
  // every statement waits its turn on the one connection, so two statements cost twice the wait.
  const rows = await sql<PlanWithAnnotationRow>`
    SELECT p.plan_id, p.active, p.image, p.version, p.pseudo_name, p.entrypoint, p.args, p.service_account,
           a.key AS annotation_key, a.value AS annotation_value
    FROM plan p LEFT JOIN plan_annotation a ON a.plan_id = p.plan_id
    WHERE p.plan_id = ANY(${ids}::uuid[]) ORDER BY a.key, a.value`.execute(q);
  for (const row of rows.rows) {
    let entry = result.get(row.plan_id);
    if (!entry) {
      entry = { row, summary: summaryOf(row) };
      result.set(row.plan_id, entry);
    }
    if (row.annotation_key !== null && row.annotation_value !== null) entry.summary.annotations.push({ key: row.annotation_key, value: row.annotation_value });
  }
  return result;
}

/** Plan summaries (id, image, entrypoint, args, name, annotations) by id; unknown ids are omitted. */
export async function loadPlanSummaries(q: Queryable, planIds: readonly string[]): Promise<Map<string, PlanSummaryRecord>> {
  const rows = await loadPlanRows(q, onlyUuids(planIds));
  return new Map([...rows].map(([planId, { summary }]) => [planId, summary]));
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

type OutputRecord = MountpointRecord & { isLog: boolean };

interface PlanMountpoints {
  readonly inputs: readonly MountpointRecord[];
  readonly outputs: readonly OutputRecord[];
}

interface MountRow {
  plan_id: string;
  side: "input" | "output";
  id: number;
  path: string;
  is_log: boolean;
  knit_id_pin: string | null;
  timestamp_pin: Date | null;
  key: string | null;
  value: string | null;
}

/**
 * A plan's inputs, outputs and log point with their tags never change once its registration has
 * committed (only activeness, resources, annotations and service account do), and plan ids are
 * random UUIDs that are never reused: so what was read once is kept, and every process or replica
 * keeping its own copy agrees with the database. Bounded, in case a database holds very many plans.
 */
const MOUNTPOINT_CACHE_LIMIT = 10_000;
const mountpointCache = new Map<string, PlanMountpoints>();

/** Reads the mountpoints of plans not in the cache, in one statement, and caches them. */
async function readMountpoints(q: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  // One statement sees one snapshot: a plan row found here has its inputs and outputs beside it
  // (registration writes them in the same transaction), so a plan missing here is simply unknown.
  const rows = await sql<MountRow>`
    SELECT p.plan_id, m.side, m.id, m.path, m.is_log, m.knit_id_pin, m.timestamp_pin, m.key, m.value
    FROM plan p
    LEFT JOIN LATERAL (
      SELECT 'input' AS side, i.input_id AS id, i.path, false AS is_log, i.knit_id_pin, i.timestamp_pin, t.key, t.value
      FROM input i LEFT JOIN input_tag t ON t.input_id = i.input_id WHERE i.plan_id = p.plan_id
      UNION ALL
      SELECT 'output', o.output_id, o.path, o.is_log, NULL, NULL, t.key, t.value
      FROM output o LEFT JOIN output_tag t ON t.output_id = o.output_id WHERE o.plan_id = p.plan_id
    ) m ON true
    WHERE p.plan_id = ANY(${ids}::uuid[])
    ORDER BY m.path, m.id, m.key, m.value`.execute(q);
  const found = new Map<string, { inputs: Map<number, MountpointRecord & { pins: Tag[] }>; outputs: Map<number, OutputRecord> }>();
  for (const row of rows.rows) {
    let plan = found.get(row.plan_id);
    if (!plan) {
      plan = { inputs: new Map(), outputs: new Map() };
      found.set(row.plan_id, plan);
    }
    if (row.side === "input") {
      let input = plan.inputs.get(row.id);
      if (!input) {
        const pins: Tag[] = [];
        if (row.knit_id_pin) pins.push({ key: KNIT_ID, value: row.knit_id_pin });
        if (row.timestamp_pin) pins.push({ key: KNIT_TIMESTAMP, value: formatTimestamp(row.timestamp_pin) });
        input = { id: row.id, path: row.path, tags: [], pins };
        plan.inputs.set(row.id, input);
      }
      if (row.key !== null && row.value !== null) input.tags.push({ key: row.key, value: row.value });
    } else if (row.side === "output") {
      let output = plan.outputs.get(row.id);
      if (!output) {
        output = { id: row.id, path: row.path, tags: [], isLog: row.is_log };
        plan.outputs.set(row.id, output);
      }
      if (row.key !== null && row.value !== null) output.tags.push({ key: row.key, value: row.value });
    }
  }
  if (mountpointCache.size + found.size > MOUNTPOINT_CACHE_LIMIT) mountpointCache.clear();
  for (const [planId, plan] of found) {
    // Frozen: the records are shared by every later read, so nobody may change them in place.
    const inputs = [...plan.inputs.values()].map(({ pins, ...input }) => Object.freeze({ ...input, tags: Object.freeze([...input.tags, ...pins].map((tag) => Object.freeze(tag))) }));
    const outputs = [...plan.outputs.values()].map((output) => Object.freeze({ ...output, tags: Object.freeze(output.tags.map((tag) => Object.freeze(tag))) }));
    mountpointCache.set(planId, Object.freeze({ inputs: Object.freeze(inputs), outputs: Object.freeze(outputs) }) as PlanMountpoints);
  }
}

/** Inputs, outputs and log points of the given plans, with their tags (ordered by path, then id). */
export async function loadMountpoints(
  q: Queryable,
  planIds: readonly string[],
): Promise<{ inputs: Map<string, MountpointRecord[]>; outputs: Map<string, OutputRecord[]> }> {
  const inputs = new Map<string, MountpointRecord[]>();
  const outputs = new Map<string, OutputRecord[]>();
  const ids = onlyUuids(planIds);
  await readMountpoints(q, ids.filter((id) => !mountpointCache.has(id)));
  for (const id of ids) {
    const plan = mountpointCache.get(id);
    if (!plan) continue;
    if (plan.inputs.length > 0) inputs.set(id, plan.inputs as MountpointRecord[]);
    if (plan.outputs.length > 0) outputs.set(id, plan.outputs as OutputRecord[]);
  }
  return { inputs, outputs };
}

/** Full plan records by id, in the order of `planIds`; unknown ids are omitted. */
export async function loadPlans(q: Queryable, planIds: readonly string[]): Promise<PlanRecord[]> {
  const ids = onlyUuids(planIds);
  if (ids.length === 0) return [];
  const rows = await loadPlanRows(q, ids);
  const { inputs, outputs } = await loadMountpoints(q, ids);
  const resources = await sql<{ plan_id: string; type: string; value: string }>`
    SELECT plan_id, type, value FROM plan_resource WHERE plan_id = ANY(${ids}::uuid[]) ORDER BY type`.execute(q);
  const onNode = await sql<{ plan_id: string; mode: OnNodeMode; key: string; value: string }>`
    SELECT plan_id, mode::text AS mode, key, value FROM plan_on_node WHERE plan_id = ANY(${ids}::uuid[])
    ORDER BY mode::text, key, value`.execute(q);
  const links = await loadPlanLinks(q, ids);

  const byId = new Map<string, PlanRecord>();
  for (const { row, summary } of rows.values()) {
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
