// Lineage graph around a Data or a Run: which nodes to show (near ones, with far ones collapsed) and
// which edges join them. Pure functions over what has been fetched so far; the fetching lives elsewhere.
import type { DataDetail, RunDetail } from "@knitfab/api";
import { dataNodeId, lineageEdges, runNodeId, type LineageEdge, type LineageNodeId, type LineageStore as FetchedLineage } from "@knitfab/domain/lineage";

// What joins what is the domain's rule, shared with `knit data lineage`.
export { dataNodeId, lineageEdges, runNodeId, type LineageEdge, type LineageNodeId };

export interface LineageStore extends FetchedLineage {
  /** Data items whose producing and consuming runs are all fetched (their details may still be missing). */
  explored?: ReadonlySet<string>;
}

export interface CollapseOptions {
  /** Hops from the root that are shown without asking. */
  depth: number;
  /** At most this many not-yet-shown neighbours of one node; the rest fold into a "more" node. */
  fanout: number;
  /** Nodes the user expanded: all their neighbours are shown, whatever the depth or fan-out. */
  expanded: ReadonlySet<string>;
}

export type VisibleLineageNode =
  | { id: string; kind: "data"; knitId: string; detail?: DataDetail; distance: number; hidden: number }
  | { id: string; kind: "run"; runId: string; detail?: RunDetail; distance: number; hidden: number }
  | { id: string; kind: "more"; parent: string; count: number; distance: number };

export interface VisibleLineage {
  nodes: VisibleLineageNode[];
  edges: LineageEdge[];
  /**
   * Shown nodes whose details are not fetched yet (ids are knitIds / runIds). `structure` lists the
   * data items whose neighbouring runs are unknown, so the shape of the graph is not final yet.
   */
  missing: { data: string[]; runs: string[]; structure: string[] };
}

export const moreNodeId = (parent: string) => `more-${parent}`;

function adjacency(edges: readonly LineageEdge[]): Map<string, string[]> {
  const neighbours = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    let set = neighbours.get(a);
    if (!set) neighbours.set(a, (set = new Set()));
    set.add(b);
  };
  for (const edge of edges) {
    link(edge.source, edge.target);
    link(edge.target, edge.source);
  }
  return new Map([...neighbours].map(([id, set]) => [id, [...set].sort()]));
}

function lineageNode(store: LineageStore, id: string, distance: number): VisibleLineageNode {
  if (id.startsWith("data-")) {
    const knitId = id.slice("data-".length);
    return { id, kind: "data", knitId, detail: store.data.get(knitId), distance, hidden: 0 };
  }
  const runId = id.slice("run-".length);
  return { id, kind: "run", runId, detail: store.runs.get(runId), distance, hidden: 0 };
}

/**
 * Breadth-first walk from the root: nodes within `depth` hops are shown, a node's unseen neighbours
 * beyond `fanout` are folded into one "more" node, and nodes the user expanded show everything
 * around them. This keeps a lineage of thousands of nodes small until someone asks for more.
 */
export function visibleLineage(store: LineageStore, root: LineageNodeId, options: CollapseOptions): VisibleLineage {
  const allEdges = lineageEdges(store);
  const neighbours = adjacency(allEdges);
  const shown = new Map<string, VisibleLineageNode>();
  const moreNodes: VisibleLineageNode[] = [];
  const moreEdges: LineageEdge[] = [];

  shown.set(root, lineageNode(store, root, 0));
  const queue: string[] = [root];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head] as string;
    const node = shown.get(id) as VisibleLineageNode;
    const unseen = (neighbours.get(id) ?? []).filter((n) => !shown.has(n));
    const expanded = options.expanded.has(id);
    if (!expanded && node.distance >= options.depth) {
      if (node.kind !== "more") node.hidden = unseen.length;
      continue;
    }
    const take = expanded ? unseen.length : Math.min(unseen.length, options.fanout);
    for (const next of unseen.slice(0, take)) {
      shown.set(next, lineageNode(store, next, node.distance + 1));
      queue.push(next);
    }
    const rest = unseen.length - take;
    if (rest > 0) {
      const more = moreNodeId(id);
      moreNodes.push({ id: more, kind: "more", parent: id, count: rest, distance: node.distance + 1 });
      moreEdges.push({ id: `${id}->${more}`, source: id, target: more, label: "" });
    }
  }

  const edges = allEdges.filter((e) => shown.has(e.source) && shown.has(e.target));
  const missing = { data: [] as string[], runs: [] as string[], structure: [] as string[] };
  for (const node of shown.values()) {
    if (node.kind === "data" && !node.detail) missing.data.push(node.knitId);
    if (node.kind === "data" && !node.detail && !store.explored?.has(node.knitId)) missing.structure.push(node.knitId);
    if (node.kind === "run" && !node.detail) missing.runs.push(node.runId);
  }
  return { nodes: [...shown.values(), ...moreNodes], edges: [...edges, ...moreEdges], missing };
}
