// Lineage graph around a Data item or a Run: near nodes drawn, far ones folded, expandable on click.
import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/client.js";
import { emptyRunFilter, runListUrl } from "../api/query.js";
import type { DataDetail, RunDetail } from "@knitfab/api";
import { ErrorLine, TagList } from "../components/common.js";
import { displayOrder } from "../format/tags.js";
import { formatLocal } from "../format/time.js";
import { GraphCanvas, type CanvasEdge, type CanvasNode } from "../graph/graph-canvas.js";
import { dataNodeId, runNodeId, type LineageNodeId, type VisibleLineage } from "../graph/lineage.js";
import { emptyLineageState, fillLineage } from "../graph/lineage-loader.js";
import { GROUP_THRESHOLD, groupFanouts, type GroupedLineage, type GroupedNode } from "../graph/fanout-groups.js";
import { groupCardLines, groupTitle, RunGroupPanel } from "./run-group-panel.js";
import { LoadedTimeline } from "./run-timeline.js";
import { href } from "../routing/routes.js";
import { RunBody } from "./run-detail.js";
import { planLabel } from "./run-parts.js";

const DEFAULT_DEPTH = 6;
/**
 * Neighbours of one node walked before the rest fold into a "more" node. Fan-outs of one plan are
 * drawn as groups (graph/fanout-groups.ts), so the walk goes wider than the 12 cards a user could
 * read around one node; the groups, not this bound, keep the drawing small. At 1,000 a fan-out of
 * 2,000 runs showed as a group of 999 and a "+1001 more" card; the bound now only guards against
 * fetching hundreds of thousands of runs for one view.
 */
const GROUPED_FANOUT = 20_000;

const grouping = (visible: VisibleLineage, root: string, expandedGroups: ReadonlySet<string>): GroupedLineage =>
  groupFanouts(visible, { threshold: GROUP_THRESHOLD, expanded: expandedGroups, root });

function cardOf(node: GroupedNode, root: string): CanvasNode {
  if (node.kind === "group") {
    return { id: node.id, data: { kind: "group", title: groupTitle(node.group), lines: groupCardLines(node.group) } };
  }
  if (node.kind === "more") {
    return { id: node.id, data: { kind: "more", title: `+${node.count} more`, lines: ["click to show them"] } };
  }
  if (node.kind === "data") {
    const tags = node.detail ? displayOrder(node.detail.tags).filter((t) => !t.startsWith("knit#id:")) : ["loading…"];
    return { id: node.id, data: { kind: "data", title: node.knitId, lines: tags, hidden: node.hidden, root: node.id === root } };
  }
  const run = node.detail;
  return {
    id: node.id,
    data: {
      kind: "run",
      title: run ? planLabel(run.plan) : node.runId,
      status: run?.status,
      lines: run ? [node.runId, formatLocal(run.updatedAt)] : ["loading…"],
      hidden: node.hidden,
      root: node.id === root,
    },
  };
}

export function LineageView({ kind, id }: { kind: "data" | "run"; id: string }) {
  const root: LineageNodeId = kind === "data" ? dataNodeId(id) : runNodeId(id);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [expandedGroups, setExpandedGroups] = useState<ReadonlySet<string>>(new Set());
  const [depth, setDepth] = useState(DEFAULT_DEPTH);
  const [visible, setVisible] = useState<VisibleLineage>();
  const [loading, setLoading] = useState(true);
  const [shapeFinal, setShapeFinal] = useState(false);
  const [selected, setSelected] = useState<string>();
  const [timeline, setTimeline] = useState(false);
  const state = useRef(emptyLineageState());
  const startedAt = useRef(performance.now());

  // A new root starts from scratch; expanding keeps what was fetched.
  useEffect(() => {
    state.current = emptyLineageState();
    startedAt.current = performance.now();
    setExpanded(new Set());
    setExpandedGroups(new Set());
    setDepth(DEFAULT_DEPTH);
    setSelected(undefined);
    setVisible(undefined);
  }, [root]);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    setShapeFinal(false);
    void fillLineage(
      state.current,
      root,
      { depth, fanout: GROUPED_FANOUT, expanded },
      {
        getData: (k) => api.getData(k),
        getRun: (r) => api.getRun(r),
        findRuns: (side, knitIds) =>
          api.listRuns(runListUrl({ ...emptyRunFilter(), [side === "input" ? "inputKnitIds" : "outputKnitIds"]: knitIds })),
        findData: (knitIds) => api.listData(`/api/data/?${new URLSearchParams({ knitId: knitIds.join(",") }).toString()}`),
      },
      (progress, shapeFinal) => {
        if (cancelled) return;
        setVisible(progress);
        setShapeFinal(shapeFinal);
      },
      8,
      () => cancelled,
      (progress) => grouping(progress, root, expandedGroups).foldedData,
    ).then(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [root, depth, expanded, expandedGroups]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && setSelected(undefined);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const grouped = useMemo(() => (visible ? grouping(visible, root, expandedGroups) : undefined), [visible, root, expandedGroups]);
  const nodes = useMemo(() => (grouped?.nodes ?? []).map((n) => cardOf(n, root)), [grouped, root]);
  const edges: CanvasEdge[] = useMemo(() => grouped?.edges ?? [], [grouped]);
  // Framed when the whole graph is too large to read: the root, with its surroundings around it.
  const focus = useMemo(() => [root], [root]);
  const expand = (nodeId: string) => setExpanded((current) => new Set([...current, nodeId]));
  const onNodeClick = (nodeId: string) => {
    const node = grouped?.nodes.find((n) => n.id === nodeId);
    if (node?.kind === "more") expand(node.parent);
    else setSelected(nodeId);
  };
  const selectedNode = grouped?.nodes.find((n) => n.id === selected);
  const rootFailure = state.current.failures.get(id);

  return (
    <div className="graph-page">
      <div className="row graph-toolbar">
        <a href={kind === "data" ? href.data(id) : href.run(id)}>← {kind === "data" ? "Data" : "Run"}</a>
        <h2>
          Lineage of {kind} <span className="mono">{id}</span>
        </h2>
        <button type="button" onClick={() => setDepth(depth + 2)}>
          Show further (depth {depth} → {depth + 2})
        </button>
        <button type="button" aria-pressed={timeline} onClick={() => setTimeline(!timeline)} disabled={loading && !timeline}>
          {timeline ? "Graph" : "Timeline"}
        </button>
        <span className="muted" aria-live="polite">
          {loading ? "loading…" : ""} {visible ? `${visible.nodes.length} nodes` : ""}
          {grouped && grouped.groups.length > 0 ? `, ${grouped.groups.length} fan-out ${grouped.groups.length === 1 ? "group" : "groups"} drawn as one card each` : ""}
        </span>
      </div>
      <ErrorLine error={rootFailure} />
      {timeline && (
        <div className="lineage-timeline">
          <LineageTimeline runs={state.current.runs} root={root} />
        </div>
      )}
      <div className="graph-body" style={timeline ? { display: "none" } : undefined}>
        <GraphCanvas nodes={nodes} edges={edges} onNodeClick={onNodeClick} onBackgroundClick={() => setSelected(undefined)} selected={selected} startedAt={startedAt.current} settled={shapeFinal} focus={focus} />
        {selectedNode?.kind === "group" && (
          <aside className="side-panel" aria-label="Details">
            <button type="button" className="close" aria-label="Close details" onClick={() => setSelected(undefined)}>
              ×
            </button>
            <RunGroupPanel
              group={selectedNode.group}
              runs={state.current.runs}
              onExpand={() => {
                setExpandedGroups((current) => new Set([...current, selectedNode.id]));
                setSelected(undefined);
              }}
            />
          </aside>
        )}
        {selectedNode && selectedNode.kind !== "more" && selectedNode.kind !== "group" && (
          <aside className="side-panel" aria-label="Details">
            <button type="button" className="close" aria-label="Close details" onClick={() => setSelected(undefined)}>
              ×
            </button>
            {selectedNode.hidden > 0 && (
              <button type="button" className="primary" onClick={() => expand(selectedNode.id)}>
                Expand {selectedNode.hidden} more around this node
              </button>
            )}
            {selectedNode.kind === "data" && <DataPanel knitId={selectedNode.knitId} detail={selectedNode.detail} />}
            {selectedNode.kind === "run" && <RunPanel runId={selectedNode.runId} detail={selectedNode.detail} />}
          </aside>
        )}
      </div>
    </div>
  );
}

function DataPanel({ knitId, detail }: { knitId: string; detail?: DataDetail }) {
  return (
    <div>
      <h3>
        Data <a href={href.data(knitId)} className="mono">{knitId}</a>
      </h3>
      {detail ? <TagList tags={detail.tags} /> : <p className="muted">loading…</p>}
      <p>
        <a href={href.dataLineage(knitId)}>Lineage from here</a>
      </p>
    </div>
  );
}

function RunPanel({ runId, detail }: { runId: string; detail?: RunDetail }) {
  return (
    <div>
      <h3>
        Run <a href={href.run(runId)} className="mono">{runId}</a>
      </h3>
      <p>
        <a href={href.runLineage(runId)}>Lineage from here</a>
      </p>
      {detail ? <RunBody run={detail} /> : <p className="muted">loading…</p>}
    </div>
  );
}

/** The image-based runs of the lineage (uploads take no time worth drawing) on a time axis. */
function LineageTimeline({ runs, root }: { runs: ReadonlyMap<string, RunDetail>; root: string }) {
  const { runIds, labels } = useMemo(() => {
    const shown = [...runs.values()].filter((run) => run.plan.image !== undefined);
    return { runIds: shown.map((run) => run.runId).sort(), labels: new Map(shown.map((run) => [run.plan.planId, planLabel(run.plan)])) };
  }, [runs]);
  if (runIds.length === 0) return <p className="muted">No run of an image-based plan in this lineage.</p>;
  return <LoadedTimeline fetchKey={`lineage-timeline:${root}:${runIds.length}`} planIds={[]} runIds={runIds} labels={labels} />;
}
