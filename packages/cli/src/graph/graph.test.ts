import { describe, expect, it } from "vitest";
import type { DataDetail, PlanDetail, RunDetail, RunSummary } from "@knitfab/api";
import { DotGraph } from "./graph.js";
import { dotToSvg, renderGraph } from "./render.js";

const upload: RunSummary = { runId: "r-up", status: "done", updatedAt: "2024-03-06T09:25:16.586+00:00", plan: { planId: "p-up", name: "knit#uploaded" } };
const train: RunSummary = { runId: "r-train", status: "failed", updatedAt: "2024-03-06T10:00:00+00:00", plan: { planId: "p-train", image: "train:v1" } };

const d1: DataDetail = {
  knitId: "d-1",
  tags: ["knit#id:d-1", "knit#timestamp:2024-03-06T09:25:16.586+00:00", "project:<x&y>"],
  upstream: { mountpoint: { path: "/upload", tags: [] }, run: upload },
  downstreams: [{ mountpoint: { path: "/in/data", tags: ["project:<x&y>"] }, run: train }],
  nomination: [],
};
const d2: DataDetail = {
  knitId: "d-2",
  tags: ["knit#id:d-2", "knit#transient:failed", "type:model"],
  upstream: { mountpoint: { path: "/out/model", tags: [] }, run: train },
  downstreams: [],
  nomination: [],
};
const runUpload: RunDetail = { ...upload, inputs: [], outputs: [{ path: "/upload", tags: [], knitId: "d-1" }], log: null };
const runTrain: RunDetail = {
  ...train,
  inputs: [{ path: "/in/data", tags: [], knitId: "d-1" }],
  outputs: [{ path: "/out/model", tags: [], knitId: "d-2" }],
  log: { tags: ["type:log"], knitId: "d-log" },
};

describe("DotGraph lineage", () => {
  it("emits nodes in insertion order and only edges whose both ends are known", async () => {
    const g = new DotGraph();
    g.addData(d1, true);
    g.addRun(runTrain);
    g.addRun(runUpload);
    g.addData(d2);
    const dot = g.toDot();
    expect(dot.startsWith("digraph G {\n\tnode [shape=record fontsize=10]\n\tedge [fontsize=10]\n\n")).toBe(true);
    expect(dot.endsWith("\n}")).toBe(true);
    expect(dot.indexOf('"dd-1"[')).toBeLessThan(dot.indexOf('"dd-2"['));
    expect(dot.indexOf('"dd-2"[')).toBeLessThan(dot.indexOf('"rr-train"['));
    expect(dot).toContain('"root#0"[shape=Mdiamond];');
    expect(dot).toContain('"dd-1" -> "rr-train" [label="/in/data"];');
    expect(dot).toContain('"rr-train" -> "dd-2" [label="/out/model"];');
    expect(dot).toContain('"rr-up" -> "dd-1" [label="/upload"];');
    expect(dot).toContain('"root#0" -> "rr-up";');
    // the log data is not in the graph: no dangling edge to it
    expect(dot).not.toContain("dd-log");
    expect(dot).toContain("BGCOLOR=\"#d4ecc6\">knit#id: d-1");
    expect(dot).toContain("<B>project</B>:&lt;x&amp;y&gt;");
    expect(dot).toContain("knit#transient:failed");
    expect(dot).toContain('<FONT COLOR="red"><B>failed</B></FONT>');
    expect((dot.match(/"dd-1" -> "rr-train"/g) ?? []).length).toBe(1);
    const svg = await dotToSvg(dot);
    expect(svg).toContain("<svg");
    expect(svg).toMatch(/knit#id: d(-|&#45;)1/);
  });
});

const summary = (planId: string) => ({ planId, image: `${planId}:v1` });
const planA: PlanDetail = {
  planId: "A", image: "a:v1", active: true, annotations: ["owner=alice"],
  inputs: [{ path: "/in", tags: ["t:x"], upstreams: [] }],
  outputs: [{ path: "/out", tags: ["t:y"], downstreams: [{ plan: summary("B"), mountpoint: { path: "/in/y", tags: ["t:y"] } }] }],
  log: { tags: ["type:log"], downstreams: [] },
};
const planB: PlanDetail = {
  planId: "B", image: "b:v1", active: false,
  inputs: [{ path: "/in/y", tags: ["t:y"], upstreams: [{ plan: summary("A"), mountpoint: { path: "/out", tags: ["t:y"] } }] }],
  outputs: [],
};

describe("DotGraph plans", () => {
  it("links output points to downstream input points once, in clusters, and renders svg and png", async () => {
    const g = new DotGraph();
    g.addPlan(planA, true);
    g.addPlan(planB);
    const dot = g.toDot();
    expect(dot).toContain("subgraph {\n\t\tcluster=true;");
    expect(dot).toContain('"pA@/in"[shape=point, color="#1c9930"];');
    expect(dot).toContain('"pA" -> "pA@log" [label="(log)", weight=10, penwidth=0.3];');
    expect((dot.match(/"pA@\/out" -> "pB@\/in\/y";/g) ?? []).length).toBe(1);
    expect(dot).toContain('BGCOLOR="#EDD9B4">id: A');
    expect(dot).toContain("<B>owner</B>=alice");
    expect(dot).toContain('<FONT COLOR="gray">inactive</FONT>');
    const svg = (await renderGraph(dot, "svg")) as string;
    expect(svg).toMatch(/<svg[\s\S]*id: A/);
    const png = (await renderGraph(dot, "png")) as Uint8Array;
    expect(Buffer.from(png.subarray(0, 8)).toString("hex")).toBe("89504e470d0a1a0a");
    expect(png.length).toBeGreaterThan(1000);
  });
});
