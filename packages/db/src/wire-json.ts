import {
  KNIT_ID,
  KNIT_TIMESTAMP,
  KNIT_TRANSIENT,
  formatTag,
  formatTimestamp,
  normalizeTags,
  transientOf,
  type Tag,
} from "@knitfab/domain";
import type { DataRecord, MountpointRecord, PlanLinkRecord, PlanRecord, PlanSummaryRecord, RunRecord, RunSummaryRecord } from "./records.js";

/**
 * Records → the reference's wire JSON (spec/api.md §1.1), shared by the HTTP API and the lifecycle
 * hooks (which receive runs as `knit run show` prints them). Key order follows the reference.
 */

const tagsJson = (tags: Tag[]): string[] => normalizeTags(tags).map(formatTag);

export function planSummaryJson(plan: PlanSummaryRecord): Record<string, unknown> {
  const json: Record<string, unknown> = { planId: plan.planId };
  if (plan.image) json.image = `${plan.image.repository}:${plan.image.tag}`;
  if (plan.entrypoint.length > 0) json.entrypoint = plan.entrypoint;
  if (plan.args.length > 0) json.args = plan.args;
  if (plan.pseudoName) json.name = plan.pseudoName;
  if (plan.annotations.length > 0) {
    json.annotations = [...plan.annotations]
      .sort((a, b) => (a.key === b.key ? compare(a.value, b.value) : compare(a.key, b.key)))
      .map((annotation) => `${annotation.key}=${annotation.value}`);
  }
  return json;
}

function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export const mountpointJson = (mountpoint: MountpointRecord) => ({ path: mountpoint.path, tags: tagsJson(mountpoint.tags) });

function linkJson(link: PlanLinkRecord, direction: "upstream" | "downstream"): Record<string, unknown> {
  if (direction === "upstream" && link.isLog) return { plan: planSummaryJson(link.plan), log: { tags: tagsJson(link.mountpoint.tags) } };
  return { plan: planSummaryJson(link.plan), mountpoint: mountpointJson(link.mountpoint) };
}

export function planDetailJson(plan: PlanRecord): Record<string, unknown> {
  const json: Record<string, unknown> = {
    ...planSummaryJson(plan),
    inputs: plan.inputs.map((input) => ({ ...mountpointJson(input), upstreams: input.upstreams.map((link) => linkJson(link, "upstream")) })),
    outputs: plan.outputs.map((output) => ({
      ...mountpointJson(output),
      downstreams: output.downstreams.map((link) => linkJson(link, "downstream")),
    })),
  };
  if (plan.log) json.log = { tags: tagsJson(plan.log.tags), downstreams: plan.log.downstreams.map((link) => linkJson(link, "downstream")) };
  json.active = plan.active;
  if (plan.onNode.length > 0) {
    const onNode: Record<string, string[]> = {};
    for (const label of plan.onNode) (onNode[label.mode] ??= []).push(`${label.key}=${label.value}`);
    json.on_node = onNode;
  }
  if (Object.keys(plan.resources).length > 0) json.resources = plan.resources;
  if (plan.serviceAccount) json.service_account = plan.serviceAccount;
  return json;
}

export function runSummaryJson(run: RunSummaryRecord): Record<string, unknown> {
  const json: Record<string, unknown> = { runId: run.runId, status: run.status, updatedAt: formatTimestamp(run.updatedAt) };
  if (run.exit) json.exit = { code: run.exit.code, message: run.exit.message };
  json.plan = planSummaryJson(run.plan);
  return json;
}

export function runDetailJson(run: RunRecord): Record<string, unknown> {
  const assignment = (item: { mountpoint: MountpointRecord; knitId: string }) => ({ ...mountpointJson(item.mountpoint), knitId: item.knitId });
  return {
    ...runSummaryJson(run),
    inputs: run.inputs.map(assignment),
    outputs: run.outputs.map(assignment),
    log: run.log ? { tags: tagsJson(run.log.mountpoint.tags), knitId: run.log.knitId } : null,
  };
}

/** The data's tags: user tags plus the derived system tags (spec/model.md §3.2). */
export function dataTags(data: DataRecord): Tag[] {
  const tags: Tag[] = [...data.userTags, { key: KNIT_ID, value: data.knitId }];
  if (data.timestamp) tags.push({ key: KNIT_TIMESTAMP, value: formatTimestamp(data.timestamp) });
  const transient = transientOf(data.upstream.run.status);
  if (transient) tags.push({ key: KNIT_TRANSIENT, value: transient });
  return tags;
}

export function dataDetailJson(data: DataRecord): Record<string, unknown> {
  const upstream: Record<string, unknown> = data.upstream.isLog
    ? { log: { tags: tagsJson(data.upstream.mountpoint.tags) } }
    : { mountpoint: mountpointJson(data.upstream.mountpoint) };
  upstream.run = runSummaryJson(data.upstream.run);
  return {
    knitId: data.knitId,
    tags: tagsJson(dataTags(data)),
    upstream,
    downstreams: data.downstreams.map((downstream) => ({ mountpoint: mountpointJson(downstream.mountpoint), run: runSummaryJson(downstream.run) })),
    nomination: data.nominations.map((nomination) => ({ ...mountpointJson(nomination.mountpoint), plan: planSummaryJson(nomination.plan) })),
  };
}
