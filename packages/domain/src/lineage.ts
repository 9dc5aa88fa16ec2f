// Lineage (Data → Run → Data) as the API's details tell it: which nodes join which, and the walk
// from one Data up and down its lineage. Shared by the CLI (`knit data lineage`) and the web console
// (its lineage view), so both draw the same graph from the same answers. Pure: fetching is passed in.
import type { DataDetail, RunDetail } from "@knitfab/api";

export type LineageNodeId = `data-${string}` | `run-${string}`;

export const dataNodeId = (knitId: string): LineageNodeId => `data-${knitId}`;
export const runNodeId = (runId: string): LineageNodeId => `run-${runId}`;

/** Details fetched so far, by knitId and by runId. */
export interface LineageStore {
  data: ReadonlyMap<string, DataDetail>;
  runs: ReadonlyMap<string, RunDetail>;
}

/** An edge of the lineage, labelled with the mountpoint's path (`(log)` for a log). */
export interface LineageEdge {
  id: string;
  source: string;
  target: string;
  label: string;
}

const LOG_LABEL = "(log)";

function edge(source: string, target: string, label: string): LineageEdge {
  return { id: `${source}->${target}:${label}`, source, target, label };
}

/** The edges a Data's detail tells about: from the run that produced it, to the runs that read it. */
export function dataEdges(data: DataDetail): LineageEdge[] {
  const node = dataNodeId(data.knitId);
  return [
    edge(runNodeId(data.upstream.run.runId), node, data.upstream.mountpoint?.path ?? LOG_LABEL),
    ...data.downstreams.map((down) => edge(node, runNodeId(down.run.runId), down.mountpoint.path)),
  ];
}

/** The edges a Run's detail tells about: from its inputs, to its outputs and its log. */
export function runEdges(run: RunDetail): LineageEdge[] {
  const node = runNodeId(run.runId);
  return [
    ...run.inputs.map((input) => edge(dataNodeId(input.knitId), node, input.path)),
    ...run.outputs.map((output) => edge(node, dataNodeId(output.knitId), output.path)),
    ...(run.log ? [edge(node, dataNodeId(run.log.knitId), LOG_LABEL)] : []),
  ];
}

/** Every edge that the fetched details tell about, de-duplicated, in a stable order. */
export function lineageEdges(store: LineageStore): LineageEdge[] {
  const edges = new Map<string, LineageEdge>();
  const add = (found: LineageEdge) => {
    if (!edges.has(found.id)) edges.set(found.id, found);
  };
  for (const run of store.runs.values()) runEdges(run).forEach(add);
  for (const data of store.data.values()) dataEdges(data).forEach(add);
  return [...edges.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The knitIds a run wrote: its outputs, then its log. */
export function producedBy(run: RunDetail): string[] {
  return [...run.outputs.map((output) => output.knitId), ...(run.log ? [run.log.knitId] : [])];
}

export interface LineageFetchers {
  getData(knitId: string): Promise<DataDetail>;
  getRun(runId: string): Promise<RunDetail>;
}

export interface LineageWalkOptions {
  upstream: boolean;
  downstream: boolean;
  /** Runs to step over each way; Infinity for all. */
  depth: number;
}

export type ReachedDetail = { kind: "data"; detail: DataDetail } | { kind: "run"; detail: RunDetail };

/**
 * Walks from one Data up its lineage (the run that produced it, that run's inputs, ...) and down
 * (the runs that read it, their outputs and logs, ...), `depth` runs each way, breadth first. Each
 * run reached brings all its Data: the side it was reached from first, then the side walked on to.
 * Returns the details in the order they were reached (the start first), each once.
 */
export async function walkDataLineage(knitId: string, fetchers: LineageFetchers, options: LineageWalkOptions): Promise<ReachedDetail[]> {
  const reached: ReachedDetail[] = [];
  const data = new Map<string, DataDetail>();
  const runs = new Set<string>();
  const reach = async (id: string): Promise<DataDetail> => {
    const known = data.get(id);
    if (known) return known;
    const detail = await fetchers.getData(id);
    data.set(id, detail);
    reached.push({ kind: "data", detail });
    return detail;
  };
  const start = await reach(knitId);
  const directions = [...(options.upstream ? (["upstream"] as const) : []), ...(options.downstream ? (["downstream"] as const) : [])];
  for (const direction of directions) {
    let frontier = [start];
    for (let step = 0; step < options.depth && frontier.length > 0; step++) {
      const next: DataDetail[] = [];
      for (const item of frontier) {
        const runIds = direction === "upstream" ? [item.upstream.run.runId] : item.downstreams.map((down) => down.run.runId);
        for (const runId of runIds) {
          if (runs.has(runId)) continue;
          runs.add(runId);
          const run = await fetchers.getRun(runId);
          reached.push({ kind: "run", detail: run });
          const inputs = run.inputs.map((input) => input.knitId);
          const [cameFrom, goesTo] = direction === "upstream" ? [producedBy(run), inputs] : [inputs, producedBy(run)];
          for (const id of cameFrom) await reach(id);
          for (const id of goesTo) next.push(await reach(id));
        }
      }
      frontier = next;
    }
  }
  return reached;
}
