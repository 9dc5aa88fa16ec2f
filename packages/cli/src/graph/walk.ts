import type { ApiClient } from "../client/http.js";
import { findData, getPlan, getRun } from "../client/api.js";
import { CommandError } from "../cli/errors.js";
import type { PlanDetail } from "@knitfab/api";
import { walkDataLineage, type LineageWalkOptions } from "@knitfab/domain/lineage";
import { DotGraph } from "./graph.js";

export type WalkOptions = LineageWalkOptions;

/** Data lineage around one Data, walked by the domain's rule from Data and Run lookups (cli.md §4.5). */
export async function dataLineage(client: ApiClient, knitId: string, options: WalkOptions): Promise<DotGraph> {
  const graph = new DotGraph();
  const reached = await walkDataLineage(
    knitId,
    {
      getData: async (id) => {
        const [found] = await findData(client, { tags: [`knit#id:${id}`] });
        if (!found) throw new CommandError(`knit#id:${id} is not found`);
        return found;
      },
      getRun: (id) => getRun(client, id),
    },
    options,
  );
  for (const [index, item] of reached.entries()) {
    if (item.kind === "data") graph.addData(item.detail, index === 0);
    else graph.addRun(item.detail);
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
