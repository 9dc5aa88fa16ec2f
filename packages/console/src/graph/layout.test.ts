import { describe, expect, it } from "vitest";
import ELK from "elkjs/lib/elk.bundled.js";
import { widePipeline } from "@knitfab/domain/lineage.test-support";
import { ELK_MAX_NODES, layoutForSize, layoutGraph, type ElkLike } from "./layout.js";
import { layeredLayout } from "./layered-layout.js";
import { dataNodeId, visibleLineage } from "./lineage.js";

const elk = new ELK() as unknown as ElkLike;

describe("layout", () => {
  it("places every node, top to bottom along edges, and ignores edges to undrawn nodes", async () => {
    const result = await layoutGraph(elk, {
      nodes: [
        { id: "a", width: 100, height: 40 },
        { id: "b", width: 100, height: 40 },
        { id: "c", width: 100, height: 40 },
      ],
      edges: [
        { id: "ab", source: "a", target: "b" },
        { id: "bc", source: "b", target: "c" },
        { id: "cx", source: "c", target: "missing" },
      ],
    });
    expect(Object.keys(result.positions).sort()).toEqual(["a", "b", "c"]);
    const y = (id: string) => result.positions[id]?.y ?? Number.NaN;
    expect(y("a")).toBeLessThan(y("b"));
    expect(y("b")).toBeLessThan(y("c"));
  });

  it("lays out a 2,000-node lineage completely (time is logged, not asserted)", async () => {
    const { runs, data } = widePipeline(400); // 2,001 nodes
    const store = { runs: new Map(runs.map((r) => [r.runId, r])), data: new Map(data.map((d) => [d.knitId, d])) };
    const visible = visibleLineage(store, dataNodeId("root"), { depth: 100, fanout: 10_000, expanded: new Set() });
    expect(visible.nodes.length).toBeGreaterThanOrEqual(2000);
    const started = performance.now();
    const result = await layoutGraph(elk, {
      nodes: visible.nodes.map((n) => ({ id: n.id, width: 220, height: 60 })),
      edges: visible.edges,
    });
    const elapsed = performance.now() - started;
    console.log(`layout of ${visible.nodes.length} nodes / ${visible.edges.length} edges: ${elapsed.toFixed(0)} ms`);
    expect(Object.keys(result.positions)).toHaveLength(visible.nodes.length);
  });

  it("uses ELK up to ELK_MAX_NODES nodes and the layered layout above", async () => {
    const chain = (count: number) => ({
      nodes: Array.from({ length: count }, (_, i) => ({ id: `n${i}`, width: 100, height: 40 })),
      edges: Array.from({ length: count - 1 }, (_, i) => ({ id: `e${i}`, source: `n${i}`, target: `n${i + 1}` })),
    });
    const small = chain(ELK_MAX_NODES);
    expect(await layoutForSize(elk, small)).toEqual(await layoutGraph(elk, small));
    const large = chain(ELK_MAX_NODES + 1);
    expect(await layoutForSize(elk, large)).toEqual(layeredLayout(large));
  });
});
