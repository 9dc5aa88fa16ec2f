import type { ApiClient } from "../client/http.js";
import { findData, getPlan, getRun } from "../client/api.js";
import { CommandError } from "../cli/errors.js";
import type { DataDetail, PlanDetail, RunDetail } from "@knitfab/api";
import { DotGraph } from "./graph.js";

export interface WalkOptions {
  upstream: boolean;
  downstream: boolean;
  /** Number of steps; Infinity for all. */
  depth: number;
}

/** Data lineage around one Data, built client-side from Data and Run lookups (cli.md §4.5). */
export async function dataLineage(client: ApiClient, knitId: string, options: WalkOptions): Promise<DotGraph> {
  const graph = new DotGraph();
  const dataCache = new Map<string, DataDetail>();
  const runCache = new Map<string, RunDetail>();
  const data = async (id: string): Promise<DataDetail> => {
    const cached = dataCache.get(id);
    if (cached) return cached;
    const [found] = await findData(client, { tags: [`knit#id:${id}`] });
    if (!found) throw new CommandError(`knit#id:${id} is not found`);
    dataCache.set(id, found);
    return found;
  };
  const run = async (id: string): Promise<RunDetail> => {
    const cached = runCache.get(id);
    if (cached) return cached;
    const found = await getRun(client, id);
    runCache.set(id, found);
    return found;
  };
  const addData = async (id: string) => graph.addData(await data(id));

  const start = await data(knitId);
  graph.addData(start, true);

  if (options.upstream) {
    let frontier = [start];
    for (let step = 0; step < options.depth && frontier.length; step++) {
      const next: DataDetail[] = [];
      for (const d of frontier) {
        const runId = d.upstream?.run?.runId;
        if (!runId || graph.hasRun(runId)) continue;
        const r = await run(runId);
        graph.addRun(r);
        for (const out of r.outputs) await addData(out.knitId);
        if (r.log) await addData(r.log.knitId);
        for (const input of r.inputs) {
          await addData(input.knitId);
          next.push(await data(input.knitId));
        }
      }
      frontier = next;
    }
  }
  if (options.downstream) {
    let frontier = [start];
    for (let step = 0; step < options.depth && frontier.length; step++) {
      const next: DataDetail[] = [];
      for (const d of frontier) {
        for (const down of d.downstreams) {
          if (graph.hasRun(down.run.runId)) continue;
          const r = await run(down.run.runId);
          graph.addRun(r);
          for (const input of r.inputs) await addData(input.knitId);
          for (const out of [...r.outputs, ...(r.log ? [r.log] : [])]) {
            await addData(out.knitId);
            next.push(await data(out.knitId));
          }
        }
      }
      frontier = next;
    }
  }
  return graph;
}

/** Plans linked to one Plan through inputs, outputs and logs, breadth first (cli.md §5.4). */
export async function planGraph(client: ApiClient, planId: string, options: WalkOptions): Promise<DotGraph> {
  const graph = new DotGraph();
  const cache = new Map<string, PlanDetail>();
  const plan = async (id: string): Promise<PlanDetail> => {
    const cached = cache.get(id);
    if (cached) return cached;
    const found = await getPlan(client, id);
    cache.set(id, found);
    return found;
  };
  const start = await plan(planId);
  graph.addPlan(start, true);
  const walk = async (neighbours: (p: PlanDetail) => string[]) => {
    let frontier = [start];
    for (let step = 0; step < options.depth && frontier.length; step++) {
      const next: PlanDetail[] = [];
      for (const p of frontier) {
        for (const id of neighbours(p)) {
          if (graph.hasPlan(id)) continue;
          const found = await plan(id);
          graph.addPlan(found);
          next.push(found);
        }
      }
      frontier = next;
    }
  };
  if (options.upstream) await walk((p) => p.inputs.flatMap((i) => i.upstreams.map((u) => u.plan.planId)));
  if (options.downstream) {
    await walk((p) => [
      ...p.outputs.flatMap((o) => o.downstreams.map((d) => d.plan.planId)),
      ...(p.log?.downstreams ?? []).map((d) => d.plan.planId),
    ]);
  }
  return graph;
}
