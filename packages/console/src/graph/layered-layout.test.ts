import { describe, expect, it } from "vitest";
import { widePipeline } from "@knitfab/domain/lineage.test-support";
import { closestNonOverlapping, layeredLayout } from "./layered-layout.js";
import type { LayoutInput, LayoutResult } from "./layout.js";
import { dataNodeId, visibleLineage } from "./lineage.js";

/** Cards on the same row must not overlap (24 px apart at least). */
function expectNoOverlap(input: LayoutInput, result: LayoutResult) {
  const rows = new Map<number, Array<{ left: number; right: number }>>();
  for (const node of input.nodes) {
    const p = result.positions[node.id];
    if (!p) throw new Error(`${node.id} not placed`);
    const row = rows.get(p.y) ?? [];
    row.push({ left: p.x, right: p.x + node.width });
    rows.set(p.y, row);
  }
  for (const row of rows.values()) {
    row.sort((a, b) => a.left - b.left);
    for (let i = 1; i < row.length; i++) expect(row[i]!.left - row[i - 1]!.right).toBeGreaterThanOrEqual(24 - 1e-6);
  }
}

const box = (id: string) => ({ id, width: 100, height: 40 });

describe("layeredLayout", () => {
  it("places every node top to bottom along edges, and ignores edges to undrawn nodes and self loops", () => {
    const input: LayoutInput = {
      nodes: ["a", "b", "c", "d"].map(box),
      edges: [
        { id: "ab", source: "a", target: "b" },
        { id: "bc", source: "b", target: "c" },
        { id: "ad", source: "a", target: "d" },
        { id: "cc", source: "c", target: "c" },
        { id: "cx", source: "c", target: "missing" },
      ],
    };
    const result = layeredLayout(input);
    const y = (id: string) => result.positions[id]?.y ?? Number.NaN;
    expect(Object.keys(result.positions).sort()).toEqual(["a", "b", "c", "d"]);
    expect(y("a")).toBeLessThan(y("b"));
    expect(y("b")).toBeLessThan(y("c"));
    expect(y("d")).toBe(y("b"));
    expectNoOverlap(input, result);
    expect(result.height).toBe(3 * 40 + 2 * 48);
  });

  it("moves an input down next to the run that reads it", () => {
    // a → r1 → d1 → r2 ← late: `late` sits on r2's parent row, not at the top.
    const input: LayoutInput = {
      nodes: ["a", "r1", "d1", "r2", "late"].map(box),
      edges: [
        { id: "1", source: "a", target: "r1" },
        { id: "2", source: "r1", target: "d1" },
        { id: "3", source: "d1", target: "r2" },
        { id: "4", source: "late", target: "r2" },
      ],
    };
    const result = layeredLayout(input);
    expect(result.positions.late?.y).toBe(result.positions.d1?.y);
  });

  it("lays out a graph with a cycle without failing", () => {
    const input: LayoutInput = {
      nodes: ["a", "b", "c"].map(box),
      edges: [
        { id: "ab", source: "a", target: "b" },
        { id: "bc", source: "b", target: "c" },
        { id: "ca", source: "c", target: "a" },
      ],
    };
    const result = layeredLayout(input);
    expect(Object.keys(result.positions)).toHaveLength(3);
    expectNoOverlap(input, result);
  });

  it("centres a single child under its parent and a parent over its children", () => {
    const input: LayoutInput = {
      nodes: [box("p"), box("c1"), box("c2"), box("c3")],
      edges: [1, 2, 3].map((i) => ({ id: `e${i}`, source: "p", target: `c${i}` })),
    };
    const result = layeredLayout(input);
    const centre = (id: string) => (result.positions[id]?.x ?? Number.NaN) + 50;
    expect(centre("p")).toBeCloseTo(centre("c2"), 6);
  });

  it("lays out a 10,000-node lineage with no overlap and every edge pointing down (time is logged, not asserted)", () => {
    const { runs, data } = widePipeline(2000);
    const store = { runs: new Map(runs.map((r) => [r.runId, r])), data: new Map(data.map((d) => [d.knitId, d])) };
    const visible = visibleLineage(store, dataNodeId("root"), { depth: 100, fanout: 100_000, expanded: new Set() });
    expect(visible.nodes.length).toBeGreaterThanOrEqual(10_000);
    const input: LayoutInput = { nodes: visible.nodes.map((n) => ({ id: n.id, width: 250, height: 84 })), edges: visible.edges };
    const started = performance.now();
    const result = layeredLayout(input);
    console.log(`layered layout of ${input.nodes.length} nodes / ${input.edges.length} edges: ${(performance.now() - started).toFixed(0)} ms`);
    expectNoOverlap(input, result);
    for (const edge of input.edges) {
      expect(result.positions[edge.source]!.y).toBeLessThan(result.positions[edge.target]!.y);
    }
  });
});

describe("closestNonOverlapping", () => {
  it("keeps free positions and pushes colliding ones apart symmetrically", () => {
    expect(closestNonOverlapping([0, 500], [100, 100])).toEqual([0, 500]);
    // Both want 0: they split the difference around it, 124 apart.
    expect(closestNonOverlapping([0, 0], [100, 100])).toEqual([-62, 62]);
  });
});
