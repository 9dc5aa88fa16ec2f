// Fan-outs read as groups: when more than GROUP_THRESHOLD runs of one plan hang off the same node
// (a data item read by 800 runs, say), they are drawn as one group card that counts them by status
// and summarises the Data they produced, instead of 800 cards nobody can read. A pure function over
// the lineage that `visibleLineage` shows; grouping below the threshold leaves the graph unchanged.
import type { PlanSummary, RunStatus } from "@knitfab/api";
import type { LineageEdge, VisibleLineage, VisibleLineageNode } from "./lineage.js";

/** More sibling runs of one plan than this fold into one group node. */
export const GROUP_THRESHOLD = 12;

/** A count of absorbed Data by the mount point they sit on ("/out", "(log)", "/in/item"). */
export interface MountCount {
  path: string;
  count: number;
}

export interface RunGroup {
  id: string;
  /** The node the runs all hang off (a data item, or another group). */
  parent: string;
  /** `down`: the runs read from the parent; `up`: they wrote to it. */
  direction: "down" | "up";
  plan: PlanSummary;
  /** Run ids of the members, sorted. */
  runIds: string[];
  statuses: Partial<Record<RunStatus, number>>;
  /** Data the members wrote (outputs and logs), folded into the group. */
  produced: MountCount[];
  /** Inputs read by one member only (besides the parent), folded into the group with their producers. */
  privateInputs: MountCount[];
  /** knitIds of every Data folded into the group. */
  dataIds: string[];
  distance: number;
}

export type GroupedNode = VisibleLineageNode | { id: string; kind: "group"; group: RunGroup; distance: number };

export interface GroupedLineage {
  nodes: GroupedNode[];
  edges: LineageEdge[];
  groups: RunGroup[];
  /** knitIds folded into some group: their details are never drawn, so never fetched. */
  foldedData: Set<string>;
}

export interface GroupOptions {
  threshold: number;
  /** Group ids the user expanded in place: drawn as their members. */
  expanded: ReadonlySet<string>;
  /** The lineage's root, never folded. */
  root: string;
}

export const groupNodeId = (parent: string, direction: "down" | "up", planId: string) => `group-${direction}-${planId}-of-${parent}`;

interface Link {
  edge: LineageEdge;
  other: string;
  /** true when the edge points from this node to `other` */
  outgoing: boolean;
}

function countBy(values: readonly string[]): MountCount[] {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, count]) => ({ path, count }));
}

/**
 * Folds sibling runs of one plan into group nodes, nearest the root first; a group may itself be the
 * parent of a further group (800 trainings, then 800 evaluations of their outputs). A member's
 * outputs and logs fold with it; so does an input that only it reads, with that input's producer,
 * when the producer touches nothing else (an uploaded item per run). Edges from folded nodes to the
 * rest of the graph are redrawn once, from the group.
 */
export function groupFanouts(visible: VisibleLineage, options: GroupOptions): GroupedLineage {
  const nodes = new Map<string, GroupedNode>(visible.nodes.map((n) => [n.id, n]));
  const links = new Map<string, Map<string, Link>>();
  const linksOf = (id: string) => {
    let found = links.get(id);
    if (!found) links.set(id, (found = new Map()));
    return found;
  };
  const addEdge = (edge: LineageEdge) => {
    linksOf(edge.source).set(edge.id, { edge, other: edge.target, outgoing: true });
    linksOf(edge.target).set(edge.id, { edge, other: edge.source, outgoing: false });
  };
  const dropNode = (id: string) => {
    for (const link of linksOf(id).values()) links.get(link.other)?.delete(link.edge.id);
    links.delete(id);
    nodes.delete(id);
  };
  for (const edge of visible.edges) addEdge(edge);

  const groups: RunGroup[] = [];
  const foldedData = new Set<string>();
  const queue = [...visible.nodes].sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((n) => n.id);

  for (let head = 0; head < queue.length; head++) {
    const parentId = queue[head] as string;
    const parent = nodes.get(parentId);
    if (!parent || parent.kind === "run" || parent.kind === "more") continue;
    const buckets = new Map<string, { direction: "down" | "up"; plan: PlanSummary; members: Extract<GroupedNode, { kind: "run" }>[] }>();
    for (const link of linksOf(parentId).values()) {
      const node = nodes.get(link.other);
      if (!node || node.kind !== "run" || !node.detail || node.id === options.root) continue;
      const direction = link.outgoing ? "down" : "up";
      const key = `${direction} ${node.detail.plan.planId}`;
      let bucket = buckets.get(key);
      if (!bucket) buckets.set(key, (bucket = { direction, plan: node.detail.plan, members: [] }));
      if (!bucket.members.includes(node)) bucket.members.push(node);
    }
    for (const bucket of [...buckets.values()].sort((a, b) => (a.plan.planId < b.plan.planId ? -1 : 1))) {
      const id = groupNodeId(parentId, bucket.direction, bucket.plan.planId);
      if (bucket.members.length <= options.threshold || options.expanded.has(id)) continue;
      const group = foldGroup(id, parentId, bucket, parent.distance + 1);
      groups.push(group);
      queue.push(id);
    }
  }

  function foldGroup(
    id: string,
    parentId: string,
    bucket: { direction: "down" | "up"; plan: PlanSummary; members: Extract<GroupedNode, { kind: "run" }>[] },
    distance: number,
  ): RunGroup {
    const folded = new Set<string>();
    const statuses: Partial<Record<RunStatus, number>> = {};
    const produced: string[] = [];
    const privateInputs: string[] = [];
    const dataIds: string[] = [];
    const foldData = (node: GroupedNode) => {
      folded.add(node.id);
      if (node.kind === "data") dataIds.push(node.knitId);
    };
    for (const member of bucket.members) {
      folded.add(member.id);
      const status = member.detail?.status;
      if (status) statuses[status] = (statuses[status] ?? 0) + 1;
      for (const link of linksOf(member.id).values()) {
        const node = nodes.get(link.other);
        if (!node || node.id === parentId || node.id === options.root || node.kind !== "data" || folded.has(node.id)) continue;
        if (link.outgoing) {
          foldData(node);
          produced.push(link.edge.label);
          continue;
        }
        const producers = [...linksOf(node.id).values()].filter((l) => l.other !== member.id);
        const onlyProducer = producers.length === 1 && !producers[0]?.outgoing ? producers[0]?.other : undefined;
        const producerIsPrivate = onlyProducer !== undefined && onlyProducer !== options.root && linksOf(onlyProducer).size === 1;
        if (producers.length === 0 || producerIsPrivate) {
          foldData(node);
          if (onlyProducer) folded.add(onlyProducer);
          privateInputs.push(link.edge.label);
        }
      }
    }
    // Redraw edges between folded nodes and the rest once, from the group.
    const redrawn = new Map<string, LineageEdge>();
    for (const foldedId of folded) {
      for (const link of linksOf(foldedId).values()) {
        if (folded.has(link.other)) continue;
        const source = link.outgoing ? id : link.other;
        const target = link.outgoing ? link.other : id;
        const edgeId = `${source}->${target}:${link.edge.label}`;
        if (!redrawn.has(edgeId)) redrawn.set(edgeId, { id: edgeId, source, target, label: link.edge.label });
      }
    }
    for (const foldedId of folded) dropNode(foldedId);
    for (const knitId of dataIds) foldedData.add(knitId);
    const group: RunGroup = {
      id,
      parent: parentId,
      direction: bucket.direction,
      plan: bucket.plan,
      runIds: bucket.members.map((m) => m.runId).sort(),
      statuses,
      produced: countBy(produced),
      privateInputs: countBy(privateInputs),
      dataIds: dataIds.sort(),
      distance,
    };
    nodes.set(id, { id, kind: "group", group, distance });
    for (const edge of redrawn.values()) addEdge(edge);
    return group;
  }

  const edges = new Map<string, LineageEdge>();
  for (const byEdge of links.values()) for (const link of byEdge.values()) edges.set(link.edge.id, link.edge);
  return {
    nodes: [...nodes.values()],
    edges: [...edges.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    groups,
    foldedData,
  };
}

/** "790 done, 22 failed", in the order of a run's life. */
export function statusSummary(statuses: RunGroup["statuses"], order: readonly RunStatus[]): string {
  return order
    .filter((status) => (statuses[status] ?? 0) > 0)
    .map((status) => `${statuses[status]} ${status}`)
    .join(", ");
}
