import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import { describe, expect, it } from "vitest";
import {
  DataDetail,
  ENDPOINTS,
  ErrorBody,
  FINDABLE_RUN_STATUSES,
  ImportTokenClaims,
  PlanDetail,
  PlanSpec,
  RUN_STATUSES,
  RunDetail,
  RunStatusSchema,
  TagChange,
} from "./index.js";

/** The examples of spec/api.md §10 (ids made real) must pass; the shapes it calls wrong or stale must not. */

const ids = {
  knit: "a0f5911d-5ac5-4035-8c91-9946b02adc70",
  run: "0b7e1f3c-2d4a-4e5f-8a9b-0c1d2e3f4a5b",
  plan: "5d6e7f80-9a0b-4c1d-8e2f-3a4b5c6d7e8f",
  input: "11111111-2222-4333-8444-555555555555",
  output: "66666666-7777-4888-9999-aaaaaaaaaaaa",
  log: "bbbbbbbb-cccc-4ddd-8eee-ffffffffffff",
};

const uploaded = {
  knitId: ids.knit,
  tags: [`knit#id:${ids.knit}`, "knit#timestamp:2024-03-06T09:25:16.586+00:00"],
  upstream: {
    mountpoint: { path: "/upload", tags: [] },
    run: { runId: ids.run, status: "done", updatedAt: "2024-03-06T09:25:16.586+00:00", plan: { planId: ids.plan, name: "knit#uploaded" } },
  },
  downstreams: [],
  nomination: [],
};

const failedRun = {
  runId: ids.run,
  status: "failed",
  updatedAt: "2024-03-06T09:25:16.5+00:00",
  exit: { code: 137, message: "(container main) OOMKilled" },
  plan: { planId: ids.plan, image: "localhost:30503/train:v1.0", entrypoint: ["python", "train.py"] },
  inputs: [{ path: "/in/dataset", tags: ["type:dataset"], knitId: ids.input }],
  outputs: [{ path: "/out/model", tags: ["type:model"], knitId: ids.output }],
  log: { tags: ["type:log"], knitId: ids.log },
};

const plan = {
  planId: ids.plan,
  image: "localhost/train:v1",
  annotations: ["owner=me"],
  inputs: [{ path: "/in", tags: ["type:dataset"], upstreams: [{ plan: { planId: ids.input, image: "localhost/prep:v1" }, log: { tags: ["type:log"] } }] }],
  outputs: [{ path: "/out", tags: [], downstreams: [] }],
  log: { tags: ["type:log"], downstreams: [] },
  active: true,
  on_node: { may: ["gpu=yes"] },
  resources: { cpu: "500m", memory: "1Gi" },
  service_account: "trainer",
};

function errorsOf(schema: TSchema, value: unknown): string[] {
  return [...Value.Errors(schema, value)].map((error) => `${error.path}: ${error.message}`);
}

/** A deep copy of `value` changed by `edit`. */
function changed<T>(value: T, edit: (copy: T & Record<string, never>) => void): unknown {
  const copy = structuredClone(value) as T & Record<string, never>;
  edit(copy);
  return copy;
}

describe("response schemas", () => {
  it("accept the reference's example payloads", () => {
    expect(errorsOf(DataDetail, uploaded)).toEqual([]);
    expect(errorsOf(RunDetail, failedRun)).toEqual([]);
    expect(errorsOf(RunDetail, { ...failedRun, log: null })).toEqual([]);
    expect(errorsOf(PlanDetail, plan)).toEqual([]);
    expect(errorsOf(ErrorBody, { message: "there are equiverent plan", planId: ids.plan })).toEqual([]);
  });

  it.each([
    ["the pre-v1.5 log tag key 'Tags'", RunDetail, changed(failedRun, (run) => void (run.log = { Tags: ["type:log"], knitId: ids.log } as never))],
    ["a timestamp in Z form", RunDetail, { ...failedRun, updatedAt: "2024-03-06T09:25:16.586Z" }],
    ["milliseconds with trailing zeros", RunDetail, { ...failedRun, updatedAt: "2024-03-06T09:25:16.500+00:00" }],
    ["a missing log key (it is null when the plan has none)", RunDetail, changed(failedRun, (run) => void delete (run as Record<string, unknown>).log)],
    ["an exit code above 255", RunDetail, { ...failedRun, exit: { code: 256, message: "" } }],
    ["an unknown status", RunDetail, { ...failedRun, status: "queued" }],
    ["an empty entrypoint (omitted when empty)", RunDetail, { ...failedRun, plan: { planId: ids.plan, image: "a/b:c", entrypoint: [] } }],
    ["a pseudo plan with an image", RunDetail, { ...failedRun, plan: { planId: ids.plan, name: "knit#uploaded", image: "a/b:c" } }],
    ["an image without a tag", RunDetail, { ...failedRun, plan: { planId: ids.plan, image: "localhost:5000/train" } }],
    ["an upper-case id", RunDetail, { ...failedRun, runId: ids.run.toUpperCase() }],
    ["a tag as an object", RunDetail, { ...failedRun, inputs: [{ path: "/in", tags: [{ key: "a", value: "b" }], knitId: ids.input }] }],
    ["an extra field", RunDetail, { ...failedRun, worker: "x" }],
    ["the pre-v1.5 flattened upstream", DataDetail, { ...uploaded, upstream: { path: "/upload", tags: [], run: uploaded.upstream.run } }],
    ["an upstream with both mountpoint and log", DataDetail, { ...uploaded, upstream: { ...uploaded.upstream, log: { tags: [] } } }],
    ["data tags without knit#id", DataDetail, { ...uploaded, tags: ["knit#timestamp:2024-03-06T09:25:16.586+00:00"] }],
    ["a nested nomination", DataDetail, { ...uploaded, nomination: [{ mountpoint: { path: "/in", tags: ["a:b"] }, plan: plan }] }],
    ["an empty on_node", PlanDetail, { ...plan, on_node: {} }],
    ["empty resources", PlanDetail, { ...plan, resources: {} }],
    ["a resource as a number", PlanDetail, { ...plan, resources: { cpu: 1 } }],
    ["an upstream with neither mountpoint nor log", PlanDetail, { ...plan, inputs: [{ path: "/in", tags: ["a:b"], upstreams: [{ plan: { planId: ids.input, image: "a/b:c" } }] }] }],
    ["an annotation without '='", PlanDetail, { ...plan, annotations: ["owner"] }],
    ["the structured error object", ErrorBody, { message: { reason: "not found", advice: "", see: "" } }],
  ] as const)("refuse %s", (_name, schema, value) => {
    expect(Value.Check(schema, value)).toBe(false);
  });
});

describe("request schemas", () => {
  it("accept both tag forms, nulls for absent fields and unknown fields (the reference's decoder ignores them)", () => {
    expect(errorsOf(TagChange, { add: ["a:b", { key: "c", value: "d" }], remove: null, remove_key: ["e"], extra: 1 })).toEqual([]);
    expect(errorsOf(PlanSpec, { image: "a/b:c", inputs: [{ path: "/in", tags: ["a:b"] }], outputs: null, log: null, active: null, future: true })).toEqual([]);
    expect(errorsOf(PlanSpec, { image: "a/b:c", resources: { cpu: 0.5, memory: "1Gi" } })).toEqual([]);
  });

  it("refuse wrong types", () => {
    expect(Value.Check(PlanSpec, { inputs: [] })).toBe(false);
    expect(Value.Check(PlanSpec, { image: "a/b:c", inputs: "in" })).toBe(false);
    expect(Value.Check(TagChange, { add: [1] })).toBe(false);
  });
});

describe("run statuses and endpoints", () => {
  it("one list: the schema accepts exactly RUN_STATUSES; the find filter all but invalidated", () => {
    for (const status of RUN_STATUSES) expect(Value.Check(RunStatusSchema, status)).toBe(true);
    expect(Value.Check(RunStatusSchema, "invalidated ")).toBe(false);
    expect(FINDABLE_RUN_STATUSES).toEqual(RUN_STATUSES.filter((status) => status !== "invalidated"));
  });

  it("import claims carry no exp, iat or nbf", () => {
    const claims = { jti: "x", sub: `data-knitid-${ids.knit}`, "knitfab/knitId": ids.knit, "knitfab/runId": ids.run };
    expect(errorsOf(ImportTokenClaims, claims)).toEqual([]);
    expect(Value.Check(ImportTokenClaims, { ...claims, exp: 1 })).toBe(false);
  });

  it("lists the 25 routes of spec/api.md §2 and §4 once each", () => {
    const routes = Object.values(ENDPOINTS).map((endpoint) => `${endpoint.method} ${endpoint.path}`);
    expect(new Set(routes).size).toBe(routes.length);
    expect(routes).toHaveLength(25);
  });
});
