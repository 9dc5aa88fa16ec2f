// The plan graph (admin.md §7.2): plan nodes, their input/output/log nodes, and edges from an output
// (or log) to each downstream plan input it feeds.
import type { PlanDetail, PlanSummary } from "@knitfab/api";

export type PlanGraphNode =
  | { id: string; kind: "plan"; planId: string; plan: PlanSummary; active?: boolean; root: boolean }
  | { id: string; kind: "input" | "output"; planId: string; path: string; tags: string[] }
  | { id: string; kind: "log"; planId: string; tags: string[] };

export interface PlanGraphEdge {
  id: string;
  source: string;
  target: string;
  /** Edges inside one plan (its own inputs/outputs) are drawn thick, links between plans thin. */
  within: boolean;
}

export const planNodeId = (planId: string) => planId;
export const mountNodeId = (planId: string, path: string) => `${planId}:${path}`;
export const logNodeId = (planId: string) => `${planId}:log`;

/** Ids of plans directly linked to this one (upstream of its inputs, downstream of its outputs/log). */
export function neighbourPlanIds(plan: PlanDetail): string[] {
  const ids = new Set<string>();
  for (const input of plan.inputs) for (const up of input.upstreams) ids.add(up.plan.planId);
  for (const output of plan.outputs) for (const down of output.downstreams) ids.add(down.plan.planId);
  for (const down of plan.log?.downstreams ?? []) ids.add(down.plan.planId);
  ids.delete(plan.planId);
  return [...ids].sort();
}

export function planGraph(plans: ReadonlyMap<string, PlanDetail>, rootPlanId: string) {
  const nodes = new Map<string, PlanGraphNode>();
  const edges = new Map<string, PlanGraphEdge>();
  const addEdge = (source: string, target: string, within: boolean) => {
    const id = `${source}->${target}`;
    edges.set(id, { id, source, target, within });
  };
  const ensurePlan = (plan: PlanSummary, active?: boolean) => {
    const existing = nodes.get(plan.planId);
    if (!existing || active !== undefined) {
      nodes.set(plan.planId, { id: plan.planId, kind: "plan", planId: plan.planId, plan, active, root: plan.planId === rootPlanId });
    }
  };

  for (const plan of plans.values()) {
    ensurePlan(plan, plan.active);
    for (const input of plan.inputs) {
      const inputId = mountNodeId(plan.planId, input.path);
      nodes.set(inputId, { id: inputId, kind: "input", planId: plan.planId, path: input.path, tags: input.tags });
      addEdge(inputId, plan.planId, true);
    }
    for (const output of plan.outputs) {
      const outputId = mountNodeId(plan.planId, output.path);
      nodes.set(outputId, { id: outputId, kind: "output", planId: plan.planId, path: output.path, tags: output.tags });
      addEdge(plan.planId, outputId, true);
      for (const down of output.downstreams) addEdge(outputId, mountNodeId(down.plan.planId, down.mountpoint.path), false);
    }
    if (plan.log) {
      const logId = logNodeId(plan.planId);
      nodes.set(logId, { id: logId, kind: "log", planId: plan.planId, tags: plan.log.tags });
      addEdge(plan.planId, logId, true);
      for (const down of plan.log.downstreams) addEdge(logId, mountNodeId(down.plan.planId, down.mountpoint.path), false);
    }
  }
  // Links may point at plans not fetched (yet); keep only edges whose both ends are known nodes.
  const shownEdges = [...edges.values()].filter((e) => nodes.has(e.source) && nodes.has(e.target));
  return { nodes: [...nodes.values()], edges: shownEdges };
}
