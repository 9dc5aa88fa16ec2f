import { formatTag, formatTimestamp, normalizeTags, type Tag } from "@knitfab/domain";
import type { MountpointRecord, PlanSummaryRecord, RunRecord } from "@knitfab/db";

/** The run as `knit run show` prints it (spec/api.md §1.1 RunDetail): what lifecycle hooks receive. */
export function runDetailJson(run: RunRecord): Record<string, unknown> {
  const tags = (list: Tag[]) => normalizeTags(list).map(formatTag);
  const assignment = (item: { mountpoint: MountpointRecord; knitId: string }) => ({
    path: item.mountpoint.path,
    tags: tags(item.mountpoint.tags),
    knitId: item.knitId,
  });
  const json: Record<string, unknown> = { runId: run.runId, status: run.status, updatedAt: formatTimestamp(run.updatedAt) };
  if (run.exit) json.exit = { code: run.exit.code, message: run.exit.message };
  json.plan = planSummaryJson(run.plan);
  json.inputs = run.inputs.map(assignment);
  json.outputs = run.outputs.map(assignment);
  json.log = run.log ? { tags: tags(run.log.mountpoint.tags), knitId: run.log.knitId } : null;
  return json;
}

function planSummaryJson(plan: PlanSummaryRecord): Record<string, unknown> {
  const json: Record<string, unknown> = { planId: plan.planId };
  if (plan.image) json.image = `${plan.image.repository}:${plan.image.tag}`;
  if (plan.entrypoint.length > 0) json.entrypoint = plan.entrypoint;
  if (plan.args.length > 0) json.args = plan.args;
  if (plan.pseudoName) json.name = plan.pseudoName;
  if (plan.annotations.length > 0) {
    json.annotations = plan.annotations
      .map((annotation) => `${annotation.key}=${annotation.value}`)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }
  return json;
}
