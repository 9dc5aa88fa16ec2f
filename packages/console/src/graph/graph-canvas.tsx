// Draws a laid-out graph with React Flow. Layout runs in a Web Worker; large graphs render only
// what is on screen and drop edge labels and animation, so thousands of nodes stay responsive.
import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useEffect, useMemo, useRef, useState } from "react";
import { layoutInWorker, LayoutSuperseded } from "./layout-client.js";

export interface CardData extends Record<string, unknown> {
  kind: "data" | "run" | "more" | "plan" | "input" | "output" | "log" | "group";
  title: string;
  lines: string[];
  status?: string;
  /** Neighbours not drawn yet: the card offers to expand. */
  hidden?: number;
  root?: boolean;
  inactive?: boolean;
}

export interface CanvasNode {
  id: string;
  data: CardData;
}

export interface CanvasEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
  thick?: boolean;
}

const LARGE = 300;
/** Below this zoom card text cannot be read. */
const LEGIBLE_ZOOM = 0.7;
const WIDTH: Record<CardData["kind"], number> = { data: 250, run: 250, more: 170, plan: 250, input: 200, output: 200, log: 200, group: 340 };

/** Text lines a card has room for; fixed per kind so loading details never changes the layout. */
const LINES: Record<CardData["kind"], number> = { data: 3, run: 2, more: 1, plan: 2, input: 2, output: 2, log: 2, group: 4 };
/** Cards that can say "+N more" keep a row for it. */
const EXPANDABLE = new Set<CardData["kind"]>(["data", "run"]);

export const cardHeight = (data: CardData) => 30 + 18 * LINES[data.kind] + (EXPANDABLE.has(data.kind) ? 18 : 0);

const Card = memo(function Card({ data, selected }: NodeProps<Node<CardData>>) {
  return (
    <div
      className={`card card-${data.kind}${data.root ? " card-root" : ""}${selected ? " card-selected" : ""}${data.inactive ? " card-inactive" : ""}`}
      style={{ width: WIDTH[data.kind], height: cardHeight(data) }}
      data-testid={`node-${data.kind}`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="card-title" title={data.title}>
        {data.status && <span className={`status status-${data.status}`}>{data.status}</span>} {data.title}
      </div>
      {data.lines.slice(0, LINES[data.kind]).map((line, i) => (
        <div key={i} className="card-line" title={line}>
          {line}
        </div>
      ))}
      {data.hidden ? <div className="card-more">+{data.hidden} more — click to expand</div> : null}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { card: Card };

interface Props {
  nodes: CanvasNode[];
  edges: CanvasEdge[];
  onNodeClick: (id: string) => void;
  onBackgroundClick: () => void;
  selected?: string;
  /** When the view started loading; the first complete drawing reports the time since then. */
  startedAt: number;
  /** True once every shown node has its details: only then is a drawing "complete". */
  settled: boolean;
  /** Nodes to frame when the whole graph cannot be shown at a legible size (the root and its neighbours). */
  focus?: string[];
}

export function GraphCanvas(props: Props) {
  return (
    <ReactFlowProvider>
      <Canvas {...props} />
    </ReactFlowProvider>
  );
}

function Canvas({ nodes, edges, onNodeClick, onBackgroundClick, selected, startedAt, settled, focus }: Props) {
  const flow = useReactFlow();
  const [positions, setPositions] = useState<Record<string, { x: number; y: number }>>({});
  const [laidOutKey, setLaidOutKey] = useState("");
  const [extent, setExtent] = useState({ width: 0, height: 0 });
  const container = useRef<HTMLDivElement>(null);
  const [layoutError, setLayoutError] = useState<string>();
  const [firstRenderMs, setFirstRenderMs] = useState<number>();
  const [laying, setLaying] = useState(false);
  // Fit the view after each new layout until the user pans or zooms by hand.
  const autoFit = useRef(true);
  const measured = useRef(false);
  const large = nodes.length > LARGE;

  // Re-layout only when the structure changes (not when details or the selection change).
  const structureKey = useMemo(
    () => `${nodes.map((n) => `${n.id}:${cardHeight(n.data)}`).join(",")}|${edges.map((e) => e.id).join(",")}`,
    [nodes, edges],
  );
  useEffect(() => {
    if (nodes.length === 0) return;
    let cancelled = false;
    setLaying(true);
    layoutInWorker({
      nodes: nodes.map((n) => ({ id: n.id, width: WIDTH[n.data.kind], height: cardHeight(n.data) })),
      edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
    }).then(
      (result) => {
        if (cancelled) return;
        setPositions(result.positions);
        setLaidOutKey(structureKey);
        setExtent({ width: result.width, height: result.height });
        setLayoutError(undefined);
        setLaying(false);
      },
      (error: unknown) => {
        if (cancelled || error instanceof LayoutSuperseded) return;
        setLayoutError(error instanceof Error ? error.message : String(error));
        setLaying(false);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [structureKey]);

  const flowNodes: Node<CardData>[] = useMemo(
    () =>
      nodes
        .filter((n) => positions[n.id])
        .map((n) => ({
          id: n.id,
          type: "card",
          position: positions[n.id] as { x: number; y: number },
          data: n.data,
          selected: n.id === selected,
          draggable: false,
          connectable: false,
        })),
    [nodes, positions, selected],
  );
  const shown = useMemo(() => new Set(flowNodes.map((n) => n.id)), [flowNodes]);
  const flowEdges: Edge[] = useMemo(
    () =>
      edges
        .filter((e) => shown.has(e.source) && shown.has(e.target))
        .map((e) => ({
          id: e.id,
          source: e.source,
          target: e.target,
          label: large ? undefined : e.label,
          animated: !large,
          selectable: false,
          style: { strokeWidth: e.thick ? 3 : 1.5 },
        })),
    [edges, shown, large],
  );

  useEffect(() => {
    if (flowNodes.length === 0) return;
    const complete = settled && laidOutKey === structureKey;
    requestAnimationFrame(() => {
      if (autoFit.current) {
        // A graph too large to read when fitted whole is framed around its root instead.
        const box = container.current?.getBoundingClientRect();
        const wholeZoom = box && extent.width > 0 ? Math.min(box.width / extent.width, box.height / extent.height) : 1;
        const framed = wholeZoom < LEGIBLE_ZOOM && focus && focus.length > 0 ? focus.filter((id) => positions[id]) : [];
        if (framed.length > 0) void flow.fitView({ nodes: framed.map((id) => ({ id })), padding: 1.5, maxZoom: 1, minZoom: LEGIBLE_ZOOM });
        else void flow.fitView({ padding: 0.1, maxZoom: 1.2, minZoom: 0.02 });
      }
      if (complete && !measured.current) {
        measured.current = true;
        requestAnimationFrame(() => {
          const ms = Math.round(performance.now() - startedAt);
          setFirstRenderMs(ms);
          console.info(`graph first complete render: ${flowNodes.length} nodes in ${ms} ms`);
        });
      }
    });
  }, [flowNodes, flow, startedAt, settled, laidOutKey, structureKey, extent, focus, positions]);

  return (
    <div
      ref={container}
      className="canvas"
      data-first-render-ms={firstRenderMs}
      data-node-count={flowNodes.length}
      data-complete={settled && laidOutKey === structureKey && !laying ? "true" : "false"}
    >
      {layoutError && (
        <div className="error" role="alert">
          {layoutError}
        </div>
      )}
      {laying && <div className="canvas-note">laying out {nodes.length} nodes…</div>}
      <ReactFlow
        nodes={flowNodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        onNodeClick={(_, node) => onNodeClick(node.id)}
        onPaneClick={onBackgroundClick}
        onMoveStart={(event) => {
          if (event) autoFit.current = false;
        }}
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        onlyRenderVisibleElements={large}
        minZoom={0.02}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
      <div className="canvas-actions">
        <button type="button" onClick={() => void flow.fitView({ padding: 0.1, minZoom: 0.02 })}>
          Fit
        </button>
        <button type="button" onClick={() => void flow.zoomIn()}>
          Zoom in
        </button>
        <button type="button" onClick={() => void flow.zoomOut()}>
          Zoom out
        </button>
      </div>
    </div>
  );
}
