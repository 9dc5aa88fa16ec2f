import { describe, expect, it } from "vitest";
import type { PlanDetail } from "@knitfab/api";
import { neighbourPlanIds, planGraph } from "./plan-graph.js";
import { loadPlanGraph } from "./plan-loader.js";

const summary = (planId: string) => ({ planId, image: `${planId}:v1` });

// prep --/out--> train(/in) ; train log --> report(/log)
const plans: PlanDetail[] = [
  {
    ...summary("prep"),
    active: true,
    inputs: [{ path: "/in", tags: ["raw:x"], upstreams: [] }],
    outputs: [{ path: "/out", tags: ["clean:x"], downstreams: [{ plan: summary("train"), mountpoint: { path: "/in", tags: ["clean:x"] } }] }],
  },
  {
    ...summary("train"),
    active: false,
    inputs: [{ path: "/in", tags: ["clean:x"], upstreams: [{ plan: summary("prep"), mountpoint: { path: "/out", tags: ["clean:x"] } }] }],
    outputs: [],
    log: { tags: ["log:train"], downstreams: [{ plan: summary("report"), mountpoint: { path: "/log", tags: ["log:train"] } }] },
  },
  {
    ...summary("report"),
    active: true,
    inputs: [{ path: "/log", tags: ["log:train"], upstreams: [{ plan: summary("train"), log: { tags: ["log:train"] } }] }],
    outputs: [],
  },
];

describe("plan graph", () => {
  it("links outputs and logs to downstream inputs, and each plan to its own mount points", () => {
    const graph = planGraph(new Map(plans.map((p) => [p.planId, p])), "train");
    const edges = graph.edges.map((e) => `${e.source} > ${e.target}${e.within ? "" : " (link)"}`).sort();
    expect(edges).toEqual(
      [
        "prep:/in > prep",
        "prep > prep:/out",
        "prep:/out > train:/in (link)",
        "train:/in > train",
        "train > train:log",
        "train:log > report:/log (link)",
        "report:/log > report",
      ].sort(),
    );
    expect(graph.nodes.find((n) => n.id === "train")).toMatchObject({ kind: "plan", root: true, active: false });
  });

  it("finds neighbours in both directions", () => {
    expect(neighbourPlanIds(plans[1] as PlanDetail)).toEqual(["prep", "report"]);
  });

  it("loads the whole connected component from any plan", async () => {
    const fetched: string[] = [];
    const result = await loadPlanGraph("report", async (id) => {
      fetched.push(id);
      const plan = plans.find((p) => p.planId === id);
      if (!plan) throw new Error("not found");
      return plan;
    });
    expect([...result.plans.keys()].sort()).toEqual(["prep", "report", "train"]);
    expect(fetched).toEqual(["report", "train", "prep"]);
    expect(result.truncated).toBe(false);
  });
});
