import { describe, expect, it } from "vitest";
import type { RunDetail } from "@knitfab/api";
import { RUN_STATUSES } from "@knitfab/api/run-statuses";
import { dataOf, run, widePipeline } from "@knitfab/domain/lineage.test-support";
import { GROUP_THRESHOLD, groupFanouts, groupNodeId, statusSummary } from "./fanout-groups.js";
import { dataNodeId, visibleLineage, type LineageStore } from "./lineage.js";

function storeOf(runs: RunDetail[], data = runs.flatMap((r) => [...r.outputs.map((o) => o.knitId), ...(r.log ? [r.log.knitId] : [])]).map((id) => dataOf(id, runs))): LineageStore {
  return { runs: new Map(runs.map((r) => [r.runId, r])), data: new Map(data.map((d) => [d.knitId, d])) };
}

const everything = { depth: 100, fanout: 10_000, expanded: new Set<string>() };
const root = dataNodeId("root");
const options = (expanded: string[] = []) => ({ threshold: GROUP_THRESHOLD, expanded: new Set(expanded), root });

describe("fan-out groups", () => {
  it("folds 400 sibling runs of one plan, with what they wrote and their private inputs, into one node", () => {
    const { runs, data } = widePipeline(400);
    const visible = visibleLineage(storeOf(runs, data), root, everything);
    expect(visible.nodes.length).toBeGreaterThan(2000);
    const grouped = groupFanouts(visible, options());
    const groupId = groupNodeId(root, "down", "plan-train");
    expect(grouped.nodes.map((n) => n.id).sort()).toEqual([root, "run-upload-root", groupId].sort());
    expect(grouped.edges.map((e) => `${e.source} ${e.target} ${e.label}`).sort()).toEqual(
      [`run-upload-root ${root} /upload`, `${root} ${groupId} /in/0`].sort(),
    );
    const [group] = grouped.groups;
    expect(group).toMatchObject({
      parent: root,
      direction: "down",
      statuses: { done: 400 },
      produced: [
        { path: "(log)", count: 400 },
        { path: "/out/0", count: 400 },
      ],
      privateInputs: [{ path: "/in/1", count: 400 }],
    });
    expect(group?.runIds).toHaveLength(400);
    // outputs, logs and the uploaded items: never drawn, so never fetched
    expect(grouped.foldedData.size).toBe(1200);
    expect(grouped.foldedData.has("root")).toBe(false);
  });

  it("leaves a fan-out at the threshold unchanged, and a group the user expanded", () => {
    const small = widePipeline(GROUP_THRESHOLD);
    const visible = visibleLineage(storeOf(small.runs, small.data), root, everything);
    const grouped = groupFanouts(visible, options());
    expect(grouped.groups).toEqual([]);
    expect(grouped.nodes).toEqual(visible.nodes);
    expect(grouped.edges).toEqual(visible.edges);

    const wide = widePipeline(GROUP_THRESHOLD + 1);
    const wideVisible = visibleLineage(storeOf(wide.runs, wide.data), root, everything);
    expect(groupFanouts(wideVisible, options()).groups).toHaveLength(1);
    const expanded = groupFanouts(wideVisible, options([groupNodeId(root, "down", "plan-train")]));
    expect(expanded.nodes).toHaveLength(wideVisible.nodes.length);
  });

  it("counts members by status and keeps runs of other plans apart", () => {
    const runs: RunDetail[] = [run("upload-root", [], ["root"])];
    for (let i = 0; i < 20; i++) runs.push(run(`train-${i}`, ["root"], [`out-${i}`], undefined, i < 3 ? "failed" : "done"));
    const other = { ...run("other", ["root"], ["other-out"]), plan: { planId: "plan-other", image: "other:v1" } };
    runs.push(other);
    const grouped = groupFanouts(visibleLineage(storeOf(runs), root, everything), options());
    expect(grouped.groups).toHaveLength(1);
    expect(statusSummary(grouped.groups[0]?.statuses ?? {}, RUN_STATUSES)).toBe("17 done, 3 failed");
    expect(grouped.nodes.some((n) => n.id === "run-other")).toBe(true);
    expect(grouped.nodes.some((n) => n.id === "data-other-out")).toBe(true);
  });

  it("folds a second step of the fan-out into a group of the first, and keeps a shared downstream run", () => {
    const evalPlan = { planId: "plan-eval", image: "eval:v1" };
    const runs: RunDetail[] = [run("upload-root", [], ["root"])];
    const outs: string[] = [];
    for (let i = 0; i < 30; i++) {
      runs.push(run(`train-${i}`, ["root"], [`out-${i}`]));
      runs.push({ ...run(`eval-${i}`, [`out-${i}`], [`score-${i}`]), plan: evalPlan });
      outs.push(`score-${i}`);
    }
    runs.push({ ...run("summary", outs, ["report"]), plan: { planId: "plan-summary", image: "summary:v1" } });
    const grouped = groupFanouts(visibleLineage(storeOf(runs), root, everything), options());
    const train = groupNodeId(root, "down", "plan-train");
    const evaluation = groupNodeId(train, "down", "plan-eval");
    expect(grouped.groups.map((g) => g.id)).toEqual([train, evaluation]);
    expect(grouped.nodes.map((n) => n.id).sort()).toEqual([root, "run-upload-root", train, evaluation, "run-summary", "data-report"].sort());
    expect(grouped.edges.map((e) => `${e.source} ${e.target}`)).toContain(`${evaluation} run-summary`);
  });
});
