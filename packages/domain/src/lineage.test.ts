import { describe, expect, it } from "vitest";
import type { DataDetail, RunDetail } from "@knitfab/api";
import { dataEdges, lineageEdges, runEdges, walkDataLineage, type LineageFetchers, type ReachedDetail } from "./lineage.js";
import { dataOf, run } from "./lineage.test-support.js";

/**
 * upload u → a;  t reads a → b (log l);  v reads b → c;  w reads a → d.
 */
const runs = [run("u", [], ["a"]), run("t", ["a"], ["b"], "l"), run("v", ["b"], ["c"]), run("w", ["a"], ["d"])];
const data = ["a", "b", "c", "d", "l"].map((id) => dataOf(id, runs));

/** Answers from the details above, counting what is asked. */
function fetchersOf(): LineageFetchers & { asked: string[] } {
  const asked: string[] = [];
  const byId = <T>(items: T[], key: (item: T) => string) => new Map(items.map((item) => [key(item), item]));
  const dataById = byId<DataDetail>(data, (d) => d.knitId);
  const runsById = byId<RunDetail>(runs, (r) => r.runId);
  const answer = <T>(found: T | undefined, id: string): Promise<T> => {
    asked.push(id);
    return found === undefined ? Promise.reject(new Error(`${id} is not found`)) : Promise.resolve(found);
  };
  return { asked, getData: (id) => answer(dataById.get(id), id), getRun: (id) => answer(runsById.get(id), id) };
}

const ids = (reached: ReachedDetail[]) => reached.map((item) => (item.kind === "data" ? item.detail.knitId : `run ${item.detail.runId}`));

describe("lineage edges", () => {
  it("a Data's and a Run's details tell the same edges, labelled with paths and (log)", () => {
    const fromRuns = runs.flatMap(runEdges).map((e) => e.id).sort();
    const fromData = data.flatMap(dataEdges).map((e) => e.id).sort();
    expect(fromData).toEqual(fromRuns);
    expect(runEdges(runs[1] as RunDetail).map((e) => `${e.source} ${e.target} ${e.label}`)).toEqual([
      "data-a run-t /in/0",
      "run-t data-b /out/0",
      "run-t data-l (log)",
    ]);
  });

  it("are de-duplicated and sorted over a store", () => {
    const edges = lineageEdges({ runs: new Map(runs.map((r) => [r.runId, r])), data: new Map(data.map((d) => [d.knitId, d])) });
    expect(edges).toHaveLength(runs.flatMap(runEdges).length);
    expect(edges.map((e) => e.id)).toEqual([...edges.map((e) => e.id)].sort());
  });
});

describe("walkDataLineage", () => {
  it("walks one run each way: the side a run was reached from first, then the side walked on to", async () => {
    const reached = await walkDataLineage("b", fetchersOf(), { upstream: true, downstream: true, depth: 1 });
    expect(ids(reached)).toEqual(["b", "run t", "l", "a", "run v", "c"]);
  });

  it("walks everything upstream with an infinite depth, but never sideways (w reads a, but leads nowhere b came from)", async () => {
    const reached = await walkDataLineage("b", fetchersOf(), { upstream: true, downstream: false, depth: Number.POSITIVE_INFINITY });
    expect(ids(reached)).toEqual(["b", "run t", "l", "a", "run u"]);
  });

  it("walks downstream only from a root, each run and Data asked for once", async () => {
    const fetchers = fetchersOf();
    const reached = await walkDataLineage("a", fetchers, { upstream: false, downstream: true, depth: Number.POSITIVE_INFINITY });
    expect(ids(reached)).toEqual(["a", "run t", "b", "l", "run w", "d", "run v", "c"]);
    expect(new Set(fetchers.asked).size).toBe(fetchers.asked.length);
  });

  it("depth 0 is the start alone; a failed fetch fails the walk", async () => {
    expect(ids(await walkDataLineage("b", fetchersOf(), { upstream: true, downstream: true, depth: 0 }))).toEqual(["b"]);
    await expect(walkDataLineage("missing", fetchersOf(), { upstream: true, downstream: true, depth: 1 })).rejects.toThrow(/missing is not found/);
  });
});
