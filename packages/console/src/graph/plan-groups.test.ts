import { describe, expect, it } from "vitest";
import type { PlanDetail } from "@knitfab/api";
import { GROUP_THRESHOLD } from "./fanout-groups.js";
import { groupPlanFanouts, planGroupId } from "./plan-groups.js";
import { mountNodeId, planGraph } from "./plan-graph.js";

const summary = (planId: string, image = `${planId}:v1`) => ({ planId, image });

/** One "prep" plan whose output feeds `count` evaluation plans of one image, each writing a report. */
function fanout(count: number): Map<string, PlanDetail> {
  const evals = Array.from({ length: count }, (_, i) => `eval-${String(i).padStart(2, "0")}`);
  const plans: PlanDetail[] = [
    {
      ...summary("prep"),
      active: true,
      inputs: [],
      outputs: [{ path: "/out", tags: ["x:y"], downstreams: evals.map((id) => ({ plan: summary(id, "eval:v1"), mountpoint: { path: "/in", tags: ["x:y"] } })) }],
    },
    ...evals.map((id) => ({
      ...summary(id, "eval:v1"),
      active: true,
      inputs: [{ path: "/in", tags: ["x:y"], upstreams: [{ plan: summary("prep"), mountpoint: { path: "/out", tags: ["x:y"] } }] }],
      outputs: [{ path: "/report", tags: ["r:s"], downstreams: [] }],
    })),
  ];
  return new Map(plans.map((p) => [p.planId, p]));
}

const options = (expanded: string[] = []) => ({ threshold: GROUP_THRESHOLD, expanded: new Set(expanded), rootPlanId: "prep" });

describe("plan graph groups", () => {
  it("folds more plans of one image reading one output than the threshold into one node", () => {
    const graph = planGraph(fanout(20), "prep");
    const grouped = groupPlanFanouts(graph, options());
    const id = planGroupId(mountNodeId("prep", "/out"), "eval:v1", true);
    expect(grouped.nodes.map((n) => n.id).sort()).toEqual(["prep", mountNodeId("prep", "/out"), id].sort());
    expect(grouped.edges.map((e) => `${e.source} > ${e.target}`).sort()).toEqual(["prep > prep:/out", `prep:/out > ${id}`].sort());
    expect(grouped.groups[0]?.plans).toHaveLength(20);
  });

  it("leaves a fan-out at the threshold, or expanded, unchanged", () => {
    const small = planGraph(fanout(GROUP_THRESHOLD), "prep");
    expect(groupPlanFanouts(small, options())).toMatchObject({ nodes: small.nodes, edges: small.edges, groups: [] });
    const wide = planGraph(fanout(GROUP_THRESHOLD + 1), "prep");
    const expanded = groupPlanFanouts(wide, options([planGroupId(mountNodeId("prep", "/out"), "eval:v1", true)]));
    expect(expanded.nodes).toHaveLength(wide.nodes.length);
  });
});
