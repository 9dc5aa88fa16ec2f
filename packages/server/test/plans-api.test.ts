import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, callJson } from "@knitfab/testing";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Json = Record<string, unknown>;

const trainPlan = (overrides: Json = {}) => ({
  image: "localhost/train:v1",
  inputs: [{ path: "/in/dataset", tags: ["type:dataset", "project:p1"] }],
  outputs: [{ path: "/out/model", tags: ["type:model", "project:p1"] }],
  log: { tags: ["type:log"] },
  ...overrides,
});

describe.each(BACKENDS)("plans API on %s", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { role: "api,projection" });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const api = (path: string) => `${server.apiRoot}${path}`;

  it("registers a plan with defaults and returns its detail", async () => {
    const response = await callJson<Json>(api("/plans"), { method: "POST", body: trainPlan({ annotations: ["b=2", "a = 1"] }) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const plan = response.body;
    expect(plan.planId).toMatch(/^[0-9a-f-]{36}$/);
    expect(plan.image).toBe("localhost/train:v1");
    expect(plan.active).toBe(true);
    expect(plan.resources).toEqual({ cpu: "1", memory: "1Gi" });
    expect(plan.annotations).toEqual(["a=1", "b=2"]);
    expect(plan.inputs).toEqual([{ path: "/in/dataset", tags: ["project:p1", "type:dataset"], upstreams: [] }]);
    expect(plan.outputs).toEqual([{ path: "/out/model", tags: ["project:p1", "type:model"], downstreams: [] }]);
    expect(plan.log).toEqual({ tags: ["type:log"], downstreams: [] });
    expect(plan).not.toHaveProperty("entrypoint");
    expect(plan).not.toHaveProperty("on_node");

    const shown = await callJson<Json>(api(`/plans/${plan.planId}`));
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(plan);
  });

  it("answers 409 with the existing planId when an equivalent plan is applied again", async () => {
    const spec = trainPlan({ image: "localhost/dup:v1" });
    const first = await callJson<Json>(api("/plans"), { method: "POST", body: spec });
    expect(first.status).toBe(200);
    const again = await callJson<Json>(api("/plans"), { method: "POST", body: { ...spec, active: false, resources: { cpu: "2" } } });
    expect(again.status).toBe(409);
    expect(String(again.body.message)).toMatch(/^there are equiverent plan/);
    expect(again.body.planId).toBe(first.body.planId);
  });

  it("links plans by tags: upstreams and downstreams", async () => {
    const upstream = await callJson<Json>(api("/plans"), {
      method: "POST",
      body: { image: "localhost/prep:v1", inputs: [{ path: "/in", tags: ["kind:raw"] }], outputs: [{ path: "/out", tags: ["kind:clean", "x:y"] }] },
    });
    const downstream = await callJson<Json>(api("/plans"), {
      method: "POST",
      body: { image: "localhost/use:v1", inputs: [{ path: "/in", tags: ["kind:clean"] }], outputs: [] },
    });
    expect(downstream.status).toBe(200);
    const inputs = downstream.body.inputs as { upstreams: { plan: Json; mountpoint: Json }[] }[];
    expect(inputs[0]!.upstreams).toHaveLength(1);
    expect(inputs[0]!.upstreams[0]!.plan.planId).toBe(upstream.body.planId);
    expect(inputs[0]!.upstreams[0]!.mountpoint).toEqual({ path: "/out", tags: ["kind:clean", "x:y"] });
    const refreshed = await callJson<Json>(api(`/plans/${upstream.body.planId}`));
    const outputs = refreshed.body.outputs as { downstreams: { plan: Json }[] }[];
    expect(outputs[0]!.downstreams.map((link) => link.plan.planId)).toEqual([downstream.body.planId]);
  });

  it("rejects a plan that closes a cycle with 409 and stores nothing", async () => {
    const before = await callJson<Json[]>(api("/plans"));
    const cyclic = await callJson<Json>(api("/plans"), {
      method: "POST",
      body: { image: "localhost/loop:v1", inputs: [{ path: "/in", tags: ["c:1"] }], outputs: [{ path: "/out", tags: ["c:1"] }] },
    });
    expect(cyclic.status).toBe(409);
    expect(String(cyclic.body.message)).toContain("plan spec conflics with others");
    const after = await callJson<Json[]>(api("/plans"));
    expect(after.body.length).toBe(before.body.length);
  });

  it.each([
    ["no inputs", { image: "img:v1", inputs: [], outputs: [] }, /unreachable plan: no inputs/],
    ["overlapping mountpoints", { image: "img:v1", inputs: [{ path: "/in", tags: ["a:b"] }], outputs: [{ path: "/in/x", tags: [] }] }, /plan spec is invalid/],
    ["relative path", { image: "img:v1", inputs: [{ path: "in", tags: ["a:b"] }], outputs: [] }, /plan spec is invalid/],
    ["transient input", { image: "img:v1", inputs: [{ path: "/in", tags: ["knit#transient:processing"] }], outputs: [] }, /knit#transient/],
    ["system tag on output", { image: "img:v1", inputs: [{ path: "/in", tags: ["a:b"] }], outputs: [{ path: "/out", tags: ["knit#id:x"] }] }, /knit#/],
  ])("rejects an invalid plan (%s) with 400", async (_name, body, pattern) => {
    const response = await callJson<Json>(api("/plans"), { method: "POST", body });
    expect(response.status).toBe(400);
    expect(String(response.body.message)).toMatch(pattern);
  });

  it("rejects malformed JSON and a wrong content type with 400", async () => {
    const broken = await callJson<Json>(api("/plans"), { method: "POST", rawBody: "{not json" });
    expect(broken.status).toBe(400);
    expect(String(broken.body.message)).toMatch(/^bad request\ncan not understand the requested json\n/);
    const wrongType = await callJson<Json>(api("/plans"), { method: "POST", body: trainPlan(), contentType: "application/json; charset=utf-8" });
    expect(wrongType.status).toBe(400);
    expect(String(wrongType.body.message)).toMatch(/^bad request\nunexpected content type/);
  });

  it("finds plans by active, image, in_tag and out_tag", async () => {
    const created = await callJson<Json>(api("/plans"), {
      method: "POST",
      body: { image: "localhost/find:v2", inputs: [{ path: "/in", tags: ["find:in", "other:1"] }], outputs: [{ path: "/o", tags: ["find:out"] }], active: false },
    });
    const planId = created.body.planId;
    const ids = async (query: string) => ((await callJson<Json[]>(api(`/plans?${query}`))).body ?? []).map((plan) => plan.planId);
    expect(await ids("image=localhost/find")).toEqual([planId]);
    expect(await ids("image=localhost/find:v2")).toEqual([planId]);
    expect(await ids("image=localhost/find:v3")).toEqual([]);
    expect(await ids("active=false&image=localhost/find")).toEqual([planId]);
    expect(await ids("active=true&image=localhost/find")).toEqual([]);
    expect(await ids("in_tag=find:in&in_tag=other:1")).toEqual([planId]);
    expect(await ids("in_tag=find:in&in_tag=never:seen")).toEqual([]);
    expect(await ids("out_tag=find:out")).toEqual([planId]);
    expect(await ids("out_tag=knit%23id:x")).toEqual([]);
    expect((await callJson(api("/plans?active=maybe"))).status).toBe(400);
    expect((await callJson(api("/plans?in_tag=nocolon"))).status).toBe(400);
    const all = await callJson<Json[]>(api("/plans"));
    expect(all.body.some((plan) => plan.name === "knit#uploaded")).toBe(true);
    const sorted = all.body.map((plan) => String(plan.planId));
    expect(sorted).toEqual([...sorted].sort());
  });

  it("changes the mutable attributes: active, resources, annotations, service account", async () => {
    const created = await callJson<Json>(api("/plans"), { method: "POST", body: trainPlan({ image: "localhost/mutable:v1" }) });
    const planId = String(created.body.planId);
    const off = await callJson<Json>(api(`/plans/${planId}/active`), { method: "DELETE" });
    expect(off.body.active).toBe(false);
    const on = await callJson<Json>(api(`/plans/${planId}/active`), { method: "PUT" });
    expect(on.body.active).toBe(true);
    const resources = await callJson<Json>(api(`/plans/${planId}/resources`), {
      method: "PUT",
      body: { set: { cpu: "0.5", "nvidia.com/gpu": 1, memory: "2Gi" }, unset: ["memory"] },
    });
    expect(resources.status).toBe(200);
    expect(resources.body.resources).toEqual({ cpu: "500m", "nvidia.com/gpu": "1" });
    const annotations = await callJson<Json>(api(`/plans/${planId}/annotations`), {
      method: "PUT",
      body: { add: ["k=v1", "k=v2", "z=1"], remove: [], remove_key: [] },
    });
    expect(annotations.body.annotations).toEqual(["k=v1", "k=v2", "z=1"]);
    const removed = await callJson<Json>(api(`/plans/${planId}/annotations`), { method: "PUT", body: { remove_key: ["k"], remove: ["z=1"] } });
    expect(removed.body).not.toHaveProperty("annotations");
    const account = await callJson<Json>(api(`/plans/${planId}/serviceaccount`), { method: "PUT", body: { service_account: "trainer" } });
    expect(account.body.service_account).toBe("trainer");
    const unset = await callJson<Json>(api(`/plans/${planId}/serviceaccount`), { method: "DELETE" });
    expect(unset.body).not.toHaveProperty("service_account");
  });

  it("refuses plans and resource changes no worker could start with, saying why, and changes nothing", async () => {
    for (const [body, why] of [
      [trainPlan({ image: "localhost/absurd:v1", resources: { cpu: "-1" } }), 'cpu "-1" is negative'],
      [trainPlan({ image: "localhost/absurd:v2", resources: { memory: "-5Gi" } }), 'memory "-5Gi" is negative'],
      [trainPlan({ image: "localhost/absurd:v3", resources: { memory: "1e999" } }), "is too large"],
      [trainPlan({ image: "localhost/absurd:v4", inputs: [{ path: "/in:x", tags: ["a:b"] }] }), 'contains ":" or ","'],
      [trainPlan({ image: "localhost/absurd:v5", outputs: [{ path: "/out,x", tags: [] }] }), 'contains ":" or ","'],
    ] as const) {
      const refused = await callJson<Json>(api("/plans"), { method: "POST", body });
      expect(refused.status, why).toBe(400);
      expect(String(refused.body.message)).toContain(why);
    }
    const absurd = await callJson<Json[]>(api("/plans?image=localhost/absurd"));
    expect(absurd.body).toEqual([]);

    const created = await callJson<Json>(api("/plans"), { method: "POST", body: trainPlan({ image: "localhost/limits:v1" }) });
    const planId = String(created.body.planId);
    const refused = await callJson<Json>(api(`/plans/${planId}/resources`), { method: "PUT", body: { set: { cpu: "2", memory: "-1" } } });
    expect(refused.status).toBe(400);
    expect(String(refused.body.message)).toContain('memory "-1" is negative');
    expect((await callJson<Json>(api(`/plans/${planId}`))).body.resources).toEqual({ cpu: "1", memory: "1Gi" });
  });

  it("warns, in a header beside the usual body, about what the docker runtime does not honour", async () => {
    const plain = await callJson<Json>(api("/plans"), { method: "POST", body: trainPlan({ image: "localhost/placed:v1", on_node: { must: ["gpu=a100"], may: ["zone=x"] } }) });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("warning")).toBeNull();

    const placed = await callJson<Json>(api("/plans"), {
      method: "POST",
      body: trainPlan({ image: "localhost/placed:v2", service_account: "trainer", on_node: { prefer: ["gpu=a100", "zone=x"] } }),
    });
    expect(placed.status).toBe(200);
    expect(placed.body.service_account).toBe("trainer");
    expect(placed.body.on_node).toEqual({ prefer: ["gpu=a100", "zone=x"] });
    expect(placed.headers.get("warning")).toBe(
      '199 knitfab "service_account \\"trainer\\" is recorded but not used: the docker runtime gives workers no Kubernetes service account or credentials", ' +
        '199 knitfab "on_node prefer gpu=a100, zone=x chooses nothing: the docker runtime runs every worker on its one machine, whatever its labels (use must to require a label)"',
    );

    const account = await callJson<Json>(api(`/plans/${String(plain.body.planId)}/serviceaccount`), { method: "PUT", body: { service_account: "reader" } });
    expect(account.status).toBe(200);
    expect(account.headers.get("warning")).toMatch(/^199 knitfab "service_account \\"reader\\" is recorded but not used/);
  });

  it("answers 404 for unknown plans and pseudo plans' activation", async () => {
    const missing = "00000000-0000-0000-0000-000000000000";
    for (const [method, path] of [
      ["GET", `/plans/${missing}`],
      ["PUT", `/plans/${missing}/active`],
      ["DELETE", `/plans/${missing}/active`],
      ["GET", "/plans/not-a-uuid"],
    ] as const) {
      const response = await callJson<Json>(api(path), { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.message).toBe("not found");
    }
    const uploaded = (await callJson<Json[]>(api("/plans"))).body.find((plan) => plan.name === "knit#uploaded")!;
    expect((await callJson(api(`/plans/${uploaded.planId}/active`), { method: "PUT" })).status).toBe(404);
  });

  it("serves an OpenAPI document built from the request schemas", async () => {
    const response = await callJson<{ openapi: string; paths: Record<string, unknown> }>(api("/openapi.json"));
    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\./);
    expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(["/api/plans/", "/api/data/", "/api/runs/"]));
  });
});
