import { describe, expect, it } from "vitest";
import { dataOf, run, widePipeline } from "@knitfab/domain/lineage.test-support";
import { dataNodeId, lineageEdges, runNodeId, visibleLineage, type LineageStore } from "./lineage.js";
import { emptyLineageState, fillLineage } from "./lineage-loader.js";

function storeOf(runs: ReturnType<typeof run>[], data: ReturnType<typeof dataOf>[]): LineageStore {
  return { runs: new Map(runs.map((r) => [r.runId, r])), data: new Map(data.map((d) => [d.knitId, d])) };
}

const everything = { depth: 100, fanout: 1000, expanded: new Set<string>() };

describe("lineage edges", () => {
  it("labels inputs and outputs with their paths and logs with (log), without duplicates", () => {
    const runs = [run("u", [], ["a"]), run("t", ["a"], ["b"], "l")];
    const store = storeOf(runs, ["a", "b", "l"].map((id) => dataOf(id, runs)));
    const edges = lineageEdges(store).map((e) => `${e.source} ${e.target} ${e.label}`);
    expect(edges.sort()).toEqual(
      ["run-u data-a /upload", "data-a run-t /in/0", "run-t data-b /out/0", "run-t data-l (log)"].sort(),
    );
  });
});

describe("visible lineage", () => {
  it("shows the whole component when nothing is collapsed", () => {
    const { runs, data } = widePipeline(3);
    const visible = visibleLineage(storeOf(runs, data), dataNodeId("root"), everything);
    expect(visible.nodes).toHaveLength(runs.length + data.length);
    expect(visible.missing).toEqual({ data: [], runs: [], structure: [] });
  });

  it("folds a wide fan-out into one 'more' node and unfolds it when the node is expanded", () => {
    const { runs, data } = widePipeline(30);
    const store = storeOf(runs, data);
    const root = dataNodeId("root");
    const folded = visibleLineage(store, root, { depth: 100, fanout: 10, expanded: new Set() });
    const more = folded.nodes.find((n) => n.kind === "more");
    // root's neighbours: its upload run and 30 train runs; 10 shown, 21 folded
    expect(more).toMatchObject({ kind: "more", parent: root, count: 21 });
    expect(folded.edges.some((e) => e.source === root && e.target === more?.id)).toBe(true);

    const unfolded = visibleLineage(store, root, { depth: 100, fanout: 10, expanded: new Set([root]) });
    expect(unfolded.nodes.filter((n) => n.kind === "run" && n.runId.startsWith("train-"))).toHaveLength(30);
  });

  it("stops at the depth limit and counts what lies beyond", () => {
    const { runs, data } = widePipeline(2);
    const visible = visibleLineage(storeOf(runs, data), dataNodeId("root"), { depth: 1, fanout: 100, expanded: new Set() });
    const ids = visible.nodes.map((n) => n.id).sort();
    expect(ids).toEqual([dataNodeId("root"), runNodeId("train-0"), runNodeId("train-1"), runNodeId("upload-root")].sort());
    const train0 = visible.nodes.find((n) => n.id === runNodeId("train-0"));
    expect(train0).toMatchObject({ hidden: 3 }); // item-0, out-0, log-0
  });

  it("reports shown nodes whose details are not fetched yet", () => {
    const runs = [run("u", [], ["a"]), run("t", ["a"], ["b"])];
    const visible = visibleLineage(storeOf([runs[1] as ReturnType<typeof run>], []), runNodeId("t"), everything);
    expect(visible.missing).toEqual({ data: ["a", "b"], runs: [], structure: ["a", "b"] });
  });
});

describe("lineage loader", () => {
  it("fetches shown nodes round by round until the shown graph is complete, recording failures", async () => {
    const { runs, data } = widePipeline(4);
    const requested: string[] = [];
    const fetchers = {
      async getData(knitId: string) {
        requested.push(knitId);
        if (knitId === "log-3") throw new Error("gone");
        const found = data.find((d) => d.knitId === knitId);
        if (!found) throw new Error(`no ${knitId}`);
        return found;
      },
      async getRun(runId: string) {
        requested.push(runId);
        const found = runs.find((r) => r.runId === runId);
        if (!found) throw new Error(`no ${runId}`);
        return found;
      },
    };
    const state = emptyLineageState();
    let rounds = 0;
    const visible = await fillLineage(state, dataNodeId("root"), everything, fetchers, () => rounds++);
    expect(visible.nodes).toHaveLength(runs.length + data.length);
    expect(state.failures.get("log-3")).toBe("gone");
    expect(new Set(requested).size).toBe(requested.length); // nothing asked twice
    expect(rounds).toBeGreaterThan(2);
    expect(state.explored.size).toBe(0); // without list requests, data details give the shape
  });
});

describe("lineage loader batching", () => {
  it("fetches runs of a wide fan-out through a few list requests instead of one per run", async () => {
    const { runs, data } = widePipeline(100);
    let single = 0;
    let batched = 0;
    const fetchers = {
      async getData(knitId: string) {
        const found = data.find((d) => d.knitId === knitId);
        if (!found) throw new Error(`no ${knitId}`);
        return found;
      },
      async getRun(runId: string) {
        single++;
        const found = runs.find((r) => r.runId === runId);
        if (!found) throw new Error(`no ${runId}`);
        return found;
      },
      async findRuns(side: "input" | "output", knitIds: string[]) {
        batched++;
        expect(knitIds.length).toBeLessThanOrEqual(40);
        return runs.filter((r) =>
          side === "input" ? r.inputs.some((i) => knitIds.includes(i.knitId)) : r.outputs.some((o) => knitIds.includes(o.knitId)),
        );
      },
    };
    const state = emptyLineageState();
    const shapes: boolean[] = [];
    const visible = await fillLineage(state, dataNodeId("root"), everything, fetchers, (v, shapeFinal) => {
      if (shapeFinal) shapes.push(v.nodes.length === runs.length + data.length);
    });
    expect(visible.nodes).toHaveLength(runs.length + data.length);
    expect(state.failures.size).toBe(0);
    // once the shape is final it stays complete while the details arrive
    expect(shapes.length).toBeGreaterThan(1);
    expect(shapes.every(Boolean)).toBe(true);
    // 201 runs and the shape of 501 nodes come through a few list requests; data details one by one
    expect(single).toBe(0);
    expect(batched).toBeLessThan(30);
    expect(state.data.size).toBe(data.length);
  });

  it("fetches data details in batches when the server lists Data by id, and marks the ones it does not return", async () => {
    const { runs, data } = widePipeline(100);
    const gone = data[data.length - 1]!.knitId;
    let single = 0;
    let batchedData = 0;
    const fetchers = {
      async getData(knitId: string) {
        single++;
        const found = data.find((d) => d.knitId === knitId);
        if (!found) throw new Error(`no ${knitId}`);
        return found;
      },
      async getRun(runId: string) {
        const found = runs.find((r) => r.runId === runId);
        if (!found) throw new Error(`no ${runId}`);
        return found;
      },
      async findRuns(side: "input" | "output", knitIds: string[]) {
        return runs.filter((r) =>
          side === "input" ? r.inputs.some((i) => knitIds.includes(i.knitId)) : r.outputs.some((o) => knitIds.includes(o.knitId)),
        );
      },
      async findData(knitIds: string[]) {
        batchedData++;
        expect(knitIds.length).toBeLessThanOrEqual(40);
        return data.filter((d) => knitIds.includes(d.knitId) && d.knitId !== gone);
      },
    };
    const state = emptyLineageState();
    const visible = await fillLineage(state, dataNodeId("root"), everything, fetchers, () => undefined);
    expect(visible.nodes).toHaveLength(runs.length + data.length);
    expect(single).toBe(0);
    expect(batchedData).toBeLessThanOrEqual(Math.ceil(data.length / 40) + 1);
    expect(state.data.size).toBe(data.length - 1);
    expect(state.failures.get(gone)).toMatch(/not found/);
  });
});
