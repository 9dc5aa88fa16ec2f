// Fan-outs in the plan graph read as groups: when more than GROUP_THRESHOLD plans of one image (and
// one state, active or not) all read the same output, they are drawn as one group card instead of a
// row of look-alike cards. Below the threshold the graph is returned unchanged.
import type { PlanSummary } from "@knitfab/api";
import type { PlanGraphEdge, PlanGraphNode } from "./plan-graph.js";

export interface PlanGroup {
  id: string;
  /** The output or log node every member reads from. */
  source: string;
  label: string;
  active: boolean;
  plans: PlanSummary[];
}

export type PlanGroupedNode = PlanGraphNode | { id: string; kind: "group"; group: PlanGroup };

export interface PlanGroupOptions {
  threshold: number;
  expanded: ReadonlySet<string>;
  rootPlanId: string;
}

export const planGroupId = (source: string, label: string, active: boolean) => `plan-group-${active ? "active" : "inactive"}-${label}-of-${source}`;

const planLabelOf = (plan: PlanSummary) => (plan.image !== undefined ? plan.image : plan.name);

export function groupPlanFanouts(graph: { nodes: PlanGraphNode[]; edges: PlanGraphEdge[] }, options: PlanGroupOptions) {
  const nodes = new Map<string, PlanGroupedNode>(graph.nodes.map((n) => [n.id, n]));
  let edges = [...graph.edges];
  const plans = new Map(graph.nodes.flatMap((n) => (n.kind === "plan" ? [[n.planId, n] as const] : [])));
  const grouped = new Set<string>();
  const groups: PlanGroup[] = [];

  const sources = graph.nodes.filter((n) => n.kind === "output" || n.kind === "log").map((n) => n.id).sort();
  for (const source of sources) {
    const buckets = new Map<string, { label: string; active: boolean; planIds: Set<string> }>();
    for (const edge of edges) {
      if (edge.source !== source || edge.within) continue;
      const input = nodes.get(edge.target);
      const plan = input && input.kind === "input" ? plans.get(input.planId) : undefined;
      if (!plan || plan.root || plan.planId === options.rootPlanId || grouped.has(plan.planId)) continue;
      const label = planLabelOf(plan.plan);
      const active = plan.active !== false;
      const key = `${active} ${label}`;
      let bucket = buckets.get(key);
      if (!bucket) buckets.set(key, (bucket = { label, active, planIds: new Set() }));
      bucket.planIds.add(plan.planId);
    }
    for (const bucket of buckets.values()) {
      const id = planGroupId(source, bucket.label, bucket.active);
      if (bucket.planIds.size <= options.threshold || options.expanded.has(id)) continue;
      const members = [...bucket.planIds].sort();
      for (const planId of members) grouped.add(planId);
      const folded = new Set(graph.nodes.filter((n) => bucket.planIds.has(n.planId)).map((n) => n.id));
      const redrawn = new Map<string, PlanGraphEdge>();
      const kept: PlanGraphEdge[] = [];
      for (const edge of edges) {
        const from = folded.has(edge.source);
        const to = folded.has(edge.target);
        if (from && to) continue;
        if (!from && !to) {
          kept.push(edge);
          continue;
        }
        const source2 = from ? id : edge.source;
        const target2 = to ? id : edge.target;
        const edgeId = `${source2}->${target2}`;
        if (!redrawn.has(edgeId)) redrawn.set(edgeId, { id: edgeId, source: source2, target: target2, within: false });
      }
      edges = [...kept, ...redrawn.values()];
      for (const nodeId of folded) nodes.delete(nodeId);
      const group: PlanGroup = { id, source, label: bucket.label, active: bucket.active, plans: members.flatMap((planId) => plans.get(planId)?.plan ?? []) };
      nodes.set(id, { id, kind: "group", group });
      groups.push(group);
    }
  }
  return { nodes: [...nodes.values()], edges, groups };
}
