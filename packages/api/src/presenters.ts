import type { DataDetail, DataUpstream } from "./data-json.js";
import { PSEUDO_PLAN_NAMES, type PseudoPlanName } from "./formats.js";
import type { Downstream, Mountpoint, OnNode, PlanDetail, PlanSummary, Upstream } from "./plan-json.js";
import type { DataRecord, MountpointRecord, PlanLinkRecord, PlanRecord, PlanSummaryRecord, RunRecord, RunSummaryRecord, TagRecord } from "./presenter-input.js";
import type { Assignment, RunDetail, RunSummary } from "./run-json.js";

/**
 * Records → the reference's wire JSON (spec/api.md §1.1), shared by the HTTP API and the lifecycle
 * hooks (which receive runs as `knit run show` prints them). Key order follows the reference.
 *
 * The rules that decide tag order and identity, timestamps and system tags are the domain's; the
 * caller passes them in, so this contract stays free of the domain layer (which depends on it).
 */
export interface PresenterRules {
  /** de-duplicated and sorted by key, then value, in byte order */
  normalizeTags(tags: readonly TagRecord[]): TagRecord[];
  /** byte-order (UTF-8) comparison of two texts */
  compareBytes(a: string, b: string): number;
  /** the wire form of an instant (`2006-01-02T15:04:05.999-07:00`) */
  formatTimestamp(date: Date): string;
  /** a data's user tags and its derived system tags (knit#id, knit#timestamp, knit#transient) */
  dataTags(data: DataRecord): TagRecord[];
}

export interface Presenters {
  planSummaryJson(plan: PlanSummaryRecord): PlanSummary;
  planDetailJson(plan: PlanRecord): PlanDetail;
  runSummaryJson(run: RunSummaryRecord): RunSummary;
  runDetailJson(run: RunRecord): RunDetail;
  dataDetailJson(data: DataRecord): DataDetail;
}

export function createPresenters(rules: PresenterRules): Presenters {
  const tagsJson = (tags: readonly TagRecord[]): string[] => rules.normalizeTags(tags).map((tag) => `${tag.key}:${tag.value}`);
  const mountpointJson = (mountpoint: MountpointRecord): Mountpoint => ({ path: mountpoint.path, tags: tagsJson(mountpoint.tags) });

  function planSummaryJson(plan: PlanSummaryRecord): PlanSummary {
    if (plan.image) {
      const annotations = [...plan.annotations]
        .sort((a, b) => rules.compareBytes(a.key, b.key) || rules.compareBytes(a.value, b.value))
        .map((annotation) => `${annotation.key}=${annotation.value}`);
      return {
        planId: plan.planId,
        image: `${plan.image.repository}:${plan.image.tag}`,
        ...(plan.entrypoint.length > 0 ? { entrypoint: plan.entrypoint } : {}),
        ...(plan.args.length > 0 ? { args: plan.args } : {}),
        ...(annotations.length > 0 ? { annotations } : {}),
      };
    }
    if (isPseudoPlanName(plan.pseudoName)) return { planId: plan.planId, name: plan.pseudoName };
    throw new Error(`plan ${plan.planId} has neither an image nor a pseudo plan name`);
  }

  const upstreamJson = (link: PlanLinkRecord): Upstream =>
    link.isLog
      ? { plan: planSummaryJson(link.plan), log: { tags: tagsJson(link.mountpoint.tags) } }
      : { plan: planSummaryJson(link.plan), mountpoint: mountpointJson(link.mountpoint) };
  const downstreamJson = (link: PlanLinkRecord): Downstream => ({ plan: planSummaryJson(link.plan), mountpoint: mountpointJson(link.mountpoint) });

  function onNodeJson(labels: PlanRecord["onNode"]): OnNode {
    const onNode: OnNode = {};
    for (const label of labels) (onNode[label.mode] ??= []).push(`${label.key}=${label.value}`);
    return onNode;
  }

  function planDetailJson(plan: PlanRecord): PlanDetail {
    return {
      ...planSummaryJson(plan),
      inputs: plan.inputs.map((input) => ({ ...mountpointJson(input), upstreams: input.upstreams.map(upstreamJson) })),
      outputs: plan.outputs.map((output) => ({ ...mountpointJson(output), downstreams: output.downstreams.map(downstreamJson) })),
      ...(plan.log ? { log: { tags: tagsJson(plan.log.tags), downstreams: plan.log.downstreams.map(downstreamJson) } } : {}),
      active: plan.active,
      ...(plan.onNode.length > 0 ? { on_node: onNodeJson(plan.onNode) } : {}),
      ...(Object.keys(plan.resources).length > 0 ? { resources: plan.resources } : {}),
      ...(plan.serviceAccount ? { service_account: plan.serviceAccount } : {}),
    };
  }

  function runSummaryJson(run: RunSummaryRecord): RunSummary {
    return {
      runId: run.runId,
      status: run.status,
      updatedAt: rules.formatTimestamp(run.updatedAt),
      ...(run.exit ? { exit: { code: run.exit.code, message: run.exit.message } } : {}),
      plan: planSummaryJson(run.plan),
    };
  }

  const assignmentJson = (item: { mountpoint: MountpointRecord; knitId: string }): Assignment => ({ ...mountpointJson(item.mountpoint), knitId: item.knitId });

  function runDetailJson(run: RunRecord): RunDetail {
    return {
      ...runSummaryJson(run),
      inputs: run.inputs.map(assignmentJson),
      outputs: run.outputs.map(assignmentJson),
      log: run.log ? { tags: tagsJson(run.log.mountpoint.tags), knitId: run.log.knitId } : null,
    };
  }

  function dataDetailJson(data: DataRecord): DataDetail {
    const run = runSummaryJson(data.upstream.run);
    const upstream: DataUpstream = data.upstream.isLog
      ? { log: { tags: tagsJson(data.upstream.mountpoint.tags) }, run }
      : { mountpoint: mountpointJson(data.upstream.mountpoint), run };
    return {
      knitId: data.knitId,
      tags: tagsJson(rules.dataTags(data)),
      upstream,
      downstreams: data.downstreams.map((downstream) => ({ mountpoint: mountpointJson(downstream.mountpoint), run: runSummaryJson(downstream.run) })),
      nomination: data.nominations.map((nomination) => ({ ...mountpointJson(nomination.mountpoint), plan: planSummaryJson(nomination.plan) })),
    };
  }

  return { planSummaryJson, planDetailJson, runSummaryJson, runDetailJson, dataDetailJson };
}

function isPseudoPlanName(name: string | null): name is PseudoPlanName {
  return (PSEUDO_PLAN_NAMES as readonly (string | null)[]).includes(name);
}
