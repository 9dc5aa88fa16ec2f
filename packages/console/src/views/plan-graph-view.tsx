// The plan graph: every plan connected to this one, with inputs, outputs and logs, laid out automatically.
import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/client.js";
import { ErrorLine } from "../components/common.js";
import { useFetch } from "../components/use-fetch.js";
import { GraphCanvas, type CanvasEdge, type CanvasNode } from "../graph/graph-canvas.js";
import { planGraph, type PlanGraphNode } from "../graph/plan-graph.js";
import { GROUP_THRESHOLD } from "../graph/fanout-groups.js";
import { groupPlanFanouts, type PlanGroupedNode } from "../graph/plan-groups.js";
import { PlanGroupPanel, planGroupLines, planGroupTitle } from "./plan-group-panel.js";
import { loadPlanGraph } from "../graph/plan-loader.js";
import { href } from "../routing/routes.js";
import { PlanBody } from "./plan-detail.js";
import { planLabel } from "./run-parts.js";

function cardOf(node: PlanGroupedNode, labels: ReadonlyMap<string, PlanGraphNode>): CanvasNode {
  switch (node.kind) {
    case "group": {
      const source = labels.get(node.group.source);
      const sourceLabel = source && source.kind === "output" ? `output ${source.path}` : "log";
      return { id: node.id, data: { kind: "group", title: planGroupTitle(node.group), lines: planGroupLines(node.group, sourceLabel) } };
    }
    case "plan":
      return {
        id: node.id,
        data: { kind: "plan", title: planLabel(node.plan), lines: [node.planId, ...(node.active === false ? ["inactive"] : [])], root: node.root, inactive: node.active === false },
      };
    case "input":
    case "output":
      return { id: node.id, data: { kind: node.kind, title: `${node.kind} ${node.path}`, lines: node.tags } };
    case "log":
      return { id: node.id, data: { kind: "log", title: "log", lines: node.tags } };
  }
}

export function PlanGraphView({ planId }: { planId: string }) {
  const startedAt = useRef(performance.now());
  const [selected, setSelected] = useState<string>();
  const [expandedGroups, setExpandedGroups] = useState<ReadonlySet<string>>(new Set());
  const graph = useFetch(`plan-graph:${planId}`, () => loadPlanGraph(planId, (id) => api.getPlan(id)));
  useEffect(() => {
    startedAt.current = performance.now();
    setSelected(undefined);
  }, [planId]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && setSelected(undefined);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const shaped = useMemo(() => (graph.value ? planGraph(graph.value.plans, planId) : { nodes: [], edges: [] }), [graph.value, planId]);
  const grouped = useMemo(() => groupPlanFanouts(shaped, { threshold: GROUP_THRESHOLD, expanded: expandedGroups, rootPlanId: planId }), [shaped, expandedGroups, planId]);
  const nodes = useMemo(() => {
    const all = new Map(shaped.nodes.map((n) => [n.id, n]));
    return grouped.nodes.map((n) => cardOf(n, all));
  }, [shaped, grouped]);
  const edges: CanvasEdge[] = useMemo(() => grouped.edges.map((e) => ({ ...e, thick: e.within })), [grouped]);
  const selectedGroup = grouped.groups.find((g) => g.id === selected);
  const focus = useMemo(() => shaped.nodes.filter((n) => n.planId === planId).map((n) => n.id), [shaped, planId]);
  const byId = useMemo(() => new Map(shaped.nodes.map((n) => [n.id, n])), [shaped]);
  const selectedPlan = selected ? graph.value?.plans.get(byId.get(selected)?.planId ?? "") : undefined;
  const failures = graph.value ? [...graph.value.failures].map(([id, why]) => `plan ${id}: ${why}`).join("; ") : "";

  return (
    <div className="graph-page">
      <div className="row graph-toolbar">
        <a href={href.plan(planId)}>← Plan</a>
        <h2>
          Plan graph of <span className="mono">{planId}</span>
        </h2>
        <button type="button" onClick={graph.reload}>
          Refresh
        </button>
        <span className="muted">{graph.loading ? "loading…" : `${graph.value?.plans.size ?? 0} plans`}</span>
      </div>
      <ErrorLine error={graph.error} />
      <ErrorLine error={failures || undefined} />
      {graph.value?.truncated && <p className="muted">Only the first {graph.value.plans.size} plans are drawn.</p>}
      <div className="graph-body">
        <GraphCanvas nodes={nodes} edges={edges} onNodeClick={setSelected} onBackgroundClick={() => setSelected(undefined)} selected={selected} startedAt={startedAt.current} settled={!graph.loading} focus={focus} />
        {selectedGroup && (
          <aside className="side-panel" aria-label="Details">
            <button type="button" className="close" aria-label="Close details" onClick={() => setSelected(undefined)}>
              ×
            </button>
            <PlanGroupPanel
              group={selectedGroup}
              onExpand={() => {
                setExpandedGroups((current) => new Set([...current, selectedGroup.id]));
                setSelected(undefined);
              }}
            />
          </aside>
        )}
        {selectedPlan && (
          <aside className="side-panel" aria-label="Details">
            <button type="button" className="close" aria-label="Close details" onClick={() => setSelected(undefined)}>
              ×
            </button>
            <h3>
              Plan <a href={href.plan(selectedPlan.planId)} className="mono">{selectedPlan.planId}</a>
            </h3>
            <p>
              <a href={href.planGraph(selectedPlan.planId)}>Plan graph from here</a>
            </p>
            <PlanBody plan={selectedPlan} />
          </aside>
        )}
      </div>
    </div>
  );
}
