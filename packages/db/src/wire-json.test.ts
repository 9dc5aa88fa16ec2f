import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { DataDetail, PlanDetail, RunDetail, type DataRecord, type MountpointRecord, type PlanRecord, type PlanSummaryRecord, type RunRecord } from "@knitfab/api";
import { dataDetailJson, planDetailJson, runDetailJson } from "./wire-json.js";

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const mountpoint = (path: string, tags: { key: string; value: string }[]): MountpointRecord => ({ id: 1, path, tags });

const imagePlan: PlanSummaryRecord = {
  planId: id(1),
  image: { repository: "train", tag: "v1" },
  pseudoName: null,
  entrypoint: ["python"],
  args: [],
  annotations: [
    { key: "b", value: "2" },
    { key: "a", value: "1" },
  ],
};
const uploaded: PlanSummaryRecord = { planId: id(2), image: null, pseudoName: "knit#uploaded", entrypoint: [], args: [], annotations: [] };

const plan: PlanRecord = {
  ...imagePlan,
  active: true,
  inputs: [{ ...mountpoint("/in", [{ key: "z", value: "1" }, { key: "a", value: "1" }, { key: "a", value: "1" }]), upstreams: [{ plan: uploaded, mountpoint: mountpoint("/out", []), isLog: true }] }],
  outputs: [{ ...mountpoint("/out", []), downstreams: [] }],
  log: null,
  onNode: [
    { mode: "must", key: "zone", value: "a" },
    { mode: "may", key: "gpu", value: "yes" },
  ],
  resources: { cpu: "1" },
  serviceAccount: null,
};

const run: RunRecord = {
  runId: id(3),
  status: "done",
  updatedAt: new Date("2024-03-06T09:25:16.580Z"),
  exit: { code: 0, message: "" },
  plan: imagePlan,
  inputs: [{ mountpoint: mountpoint("/in", []), knitId: id(4) }],
  outputs: [],
  log: null,
};

const data: DataRecord = {
  knitId: id(4),
  userTags: [{ key: "type", value: "csv" }],
  timestamp: new Date("2024-03-06T09:25:16Z"),
  upstream: { run: { ...run, plan: uploaded, status: "running" }, mountpoint: mountpoint("/upload", []), isLog: false },
  downstreams: [{ run, mountpoint: mountpoint("/in", []) }],
  nominations: [{ plan: imagePlan, mountpoint: mountpoint("/in", [{ key: "type", value: "csv" }]) }],
};

/**
 * The presenters of the contract, bound to the domain's rules: records become bodies of the
 * contract's schemas, with the reference's key order and normalised tags.
 */
describe("wire JSON", () => {
  it("presents a plan: summary keys first, optional ones in place, tags and annotations sorted", () => {
    const json = planDetailJson(plan);
    expect(Value.Errors(PlanDetail, json).First()).toBeUndefined();
    expect(Object.keys(json)).toEqual(["planId", "image", "entrypoint", "annotations", "inputs", "outputs", "active", "on_node", "resources"]);
    expect(json).toMatchObject({ image: "train:v1", annotations: ["a=1", "b=2"], on_node: { must: ["zone=a"], may: ["gpu=yes"] } });
    expect(json.inputs[0]?.tags).toEqual(["a:1", "z:1"]);
    expect(json.inputs[0]?.upstreams[0]).toEqual({ plan: { planId: id(2), name: "knit#uploaded" }, log: { tags: [] } });
  });

  it("presents a run: exit before plan, timestamps in the reference's form, log null when absent", () => {
    const json = runDetailJson(run);
    expect(Value.Errors(RunDetail, json).First()).toBeUndefined();
    expect(Object.keys(json)).toEqual(["runId", "status", "updatedAt", "exit", "plan", "inputs", "outputs", "log"]);
    expect(json.updatedAt).toBe("2024-03-06T09:25:16.58+00:00");
    expect(json.log).toBeNull();
  });

  it("presents a data with its system tags", () => {
    const json = dataDetailJson(data);
    expect(Value.Errors(DataDetail, json).First()).toBeUndefined();
    expect(json.tags).toEqual([`knit#id:${id(4)}`, "knit#timestamp:2024-03-06T09:25:16+00:00", "knit#transient:processing", "type:csv"]);
    expect(Object.keys(json.upstream)).toEqual(["mountpoint", "run"]);
  });
});
