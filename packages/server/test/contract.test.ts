import { createServer, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { sql } from "kysely";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { Value, type ValueError } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ENDPOINTS,
  ErrorBody,
  ImportTokenClaims,
  ImportTokenHeader,
  LifecycleHookPayload,
  MEDIA_TYPES,
  type EndpointName,
  type RunStatus,
} from "@knitfab/api";
import { setRunStatus } from "@knitfab/db";
import { BACKENDS, callJson, freePort, uploadTarGz, type JsonResponse } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Json = Record<string, unknown>;

/**
 * Every schema violation of `value`, one line each, with the offending value; for a union (a plan
 * summary, a data's upstream, a run's log) also why each of its members refused it.
 */
function violations(schema: TSchema, value: unknown): string[] {
  const lines = (errors: Iterable<ValueError>, indent: string): string[] =>
    [...errors].flatMap((error) => [
      `${indent}${error.path || "/"}: ${error.message} (got ${JSON.stringify(error.value)})`,
      ...error.errors.flatMap((member, index) => [`${indent}  member ${index + 1}:`, ...lines(member, `${indent}    `)]),
    ]);
  return lines(Value.Errors(schema, value), "");
}

function expectConforms(schema: TSchema, value: unknown, what: string): void {
  const found = violations(schema, value);
  expect(found, `${what} does not match the contract:\n  ${found.join("\n  ")}\nbody: ${JSON.stringify(value)}\n`).toEqual([]);
}

/**
 * The server against the API contract (@knitfab/api): every endpoint of spec/api.md is called over
 * real HTTP until it has given its success response, and error bodies of each status the API uses;
 * every JSON body is validated against the contract's schema, every request we send against the
 * request schema. Runs are moved through their states with the database operations the loops use
 * (no worker runtime here); the initialize loop runs, so lifecycle hook payloads are checked too.
 */
describe.each(BACKENDS)("API contract on %s", (backend) => {
  let server: TestServer;
  let hookServer: Server;
  let folder = "";
  const hookCalls: { hook: string; body: unknown }[] = [];
  /** endpoints whose success response was validated */
  const covered = new Set<EndpointName>();
  /** error statuses whose body was validated */
  const errorStatuses = new Set<number>();

  beforeAll(async () => {
    hookServer = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        hookCalls.push({ hook: request.url ?? "", body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown });
        response.writeHead(204).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => hookServer.listen(port, "127.0.0.1", resolve));
    folder = await mkdtemp(join(tmpdir(), "knitfab-contract-"));
    const hooks = join(folder, "hooks.yaml");
    await writeFile(hooks, ["lifecycle-hooks:", "  before:", `    - http://127.0.0.1:${port}/before`, "  after:", `    - http://127.0.0.1:${port}/after`, ""].join("\n"));
    server = await startTestServer(backend, { role: "api,backend,projection,initialize", hooks });
  });
  afterAll(async () => {
    await server?.stop();
    await new Promise<void>((resolve) => (hookServer ? hookServer.close(() => resolve()) : resolve()));
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  interface CallOptions {
    params?: Record<string, string>;
    query?: Record<string, string | string[]>;
    body?: unknown;
    rawBody?: string;
    contentType?: string | null;
    /** the expected status; the endpoint's success status by default */
    status?: number;
  }

  /**
   * Calls an endpoint of the contract and checks what comes back: the success body against the
   * endpoint's schema (or its media type), an error body against ErrorBody. A request meant to
   * succeed is first checked against the endpoint's request schemas.
   */
  async function call(name: EndpointName, options: CallOptions = {}): Promise<JsonResponse<Json & Json[]>> {
    const endpoint: { path: string; method: string; status: number; query?: TSchema; body?: unknown; response: unknown } = ENDPOINTS[name];
    const status = options.status ?? endpoint.status;
    const success = status === endpoint.status;
    if (success && options.query && endpoint.query) expectConforms(endpoint.query, options.query, `the query of ${name}`);
    if (success && options.body !== undefined && typeof endpoint.body === "object") expectConforms(endpoint.body as TSchema, options.body, `the request of ${name}`);
    const path = endpoint.path.replace(/\{(\w+)\}/g, (_whole, param: string) => encodeURIComponent(options.params?.[param] ?? ""));
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) for (const item of [value].flat()) search.append(key, item);
    const url = `${server.url}${path}${search.size > 0 ? `?${search.toString()}` : ""}`;
    const response = await callJson<Json & Json[]>(url, {
      method: endpoint.method,
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.rawBody !== undefined ? { rawBody: options.rawBody } : {}),
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
    });
    expect(response.status, `${endpoint.method} ${url}: ${response.text}`).toBe(status);
    if (!success) {
      expect(response.headers.get("content-type"), `${name} ${status}`).toBe(MEDIA_TYPES.json);
      expectConforms(ErrorBody, response.body, `the ${status} of ${name}`);
      errorStatuses.add(status);
      return response;
    }
    checkSuccess(name, response);
    return response;
  }

  function checkSuccess(name: EndpointName, response: { headers?: Headers; body: unknown; text?: string }): void {
    const expected = ENDPOINTS[name].response;
    const contentType = response.headers?.get("content-type");
    if (expected === "empty") expect(response.text, `${name} answers no body`).toBe("");
    else if (expected === "tar.gz") expect(contentType).toBe(MEDIA_TYPES.tarGz);
    else if (expected === "log") expect(contentType).toBe(MEDIA_TYPES.log);
    else if (expected === "jwt") expect(contentType).toBe(MEDIA_TYPES.jwt);
    else {
      if (response.headers) expect(contentType, name).toBe(MEDIA_TYPES.json);
      expectConforms(expected, response.body, `the answer of ${name}`);
    }
    covered.add(name);
  }

  async function upload(via: "uploadData" | "backendUploadData", content: string): Promise<Json> {
    const root = via === "uploadData" ? server.apiRoot : `${server.apiRoot}/backend`;
    const result = await uploadTarGz(root, Readable.from([rawTarGz([{ path: "file.txt", content }])]));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    checkSuccess(via, { body: result.body });
    return result.body as Json;
  }

  async function uploadTagged(add: string[]): Promise<string> {
    const knitId = String((await upload("uploadData", add.join(","))).knitId);
    await call("changeDataTags", { params: { knitId }, body: { add } });
    return knitId;
  }

  async function applyPlan(body: Json): Promise<Json> {
    return (await call("applyPlan", { body })).body;
  }

  /** Projection and initialization are asynchronous: wait (bounded) until the plan's runs are all in `status`. */
  async function runsOfPlan(planId: string, count: number, status: RunStatus): Promise<Json[]> {
    for (let attempt = 0; attempt < 400; attempt++) {
      const runs = (await callJson<Json[]>(`${server.apiRoot}/runs?plan=${planId}`)).body;
      if (runs.length >= count && runs.every((run) => run.status === status)) return runs;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`plan ${planId} did not get ${count} runs in status ${status}`);
  }

  /** Moves a run as the loops would; a finished run gives up its worker record, as the finishing loop does. */
  async function advance(runId: string, path: RunStatus[]): Promise<void> {
    for (const status of path) {
      await server.server.database.db.transaction().execute(async (trx) => {
        if (status === "done" || status === "failed") await sql`DELETE FROM worker WHERE run_id = ${runId}::uuid`.execute(trx);
        await setRunStatus(trx, runId, status);
      });
    }
  }

  it("data: upload, tag, find and download; errors of each", async () => {
    const uploaded = await upload("uploadData", "contract");
    const knitId = String(uploaded.knitId);
    await call("changeDataTags", { params: { knitId }, body: { add: ["ct:data", { key: "ct", value: "object form" }], remove: [], remove_key: ["none"] } });
    const found = await call("findData", { query: { tag: ["ct:data", `knit#id:${knitId}`], since: "2000-01-01T00:00:00Z", duration: "1000000h" } });
    expect(found.body.map((data) => data.knitId)).toEqual([knitId]);
    await call("findData", { query: { tag: "knit#bogus:x" } });
    await call("downloadData", { params: { knitId } });

    await call("findData", { query: { tag: "no-colon" }, status: 400 });
    await call("findData", { query: { duration: "1h" }, status: 400 });
    await call("changeDataTags", { params: { knitId }, body: { add: ["knit#id:x"] }, status: 400 });
    await call("changeDataTags", { params: { knitId: "00000000-0000-0000-0000-000000000000" }, body: { add: ["a:b"] }, status: 404 });
    await call("downloadData", { params: { knitId: "00000000-0000-0000-0000-000000000000" }, status: 404 });
  });

  it("plans: apply, show, find, activate, resources, annotations, service account; errors of each", async () => {
    const upstream = await applyPlan({
      image: "localhost/contract-up:v1",
      entrypoint: ["sh", "-c"],
      args: ["true"],
      inputs: [{ path: "/in/raw", tags: ["ct:plan-raw", { key: "kind", value: "raw" }] }],
      outputs: [{ path: "/out/mid", tags: ["ct:plan-mid"] }, { path: "/out/empty", tags: [] }],
      log: { tags: ["ct:plan-log"] },
      on_node: { may: ["gpu=yes"], must: ["zone=a"] },
      resources: { cpu: 0.5, memory: "2Gi", "nvidia.com/gpu": "1" },
      annotations: ["owner=contract", "purpose = testing"],
      service_account: "contract-sa",
      active: true,
      unknown_field: "ignored",
    });
    const upstreamId = String(upstream.planId);
    // fed by the upstream's output and by its log: both kinds of upstream link
    const downstream = await applyPlan({
      image: "localhost/contract-down",
      inputs: [{ path: "/in/mid", tags: ["ct:plan-mid"] }, { path: "/in/log", tags: ["ct:plan-log"] }],
      outputs: [],
      log: null,
      active: null,
    });
    const shown = await call("showPlan", { params: { planId: upstreamId } });
    expect((shown.body.outputs as Json[]).some((output) => (output.downstreams as Json[]).length > 0)).toBe(true);
    expect(((shown.body.log as Json).downstreams as Json[]).map((link) => (link.plan as Json).planId)).toEqual([downstream.planId]);
    expect(((await call("showPlan", { params: { planId: String(downstream.planId) } })).body.inputs as Json[]).map((input) => (input.upstreams as Json[]).length)).toEqual([1, 1]);

    const all = await call("findPlans");
    expect(all.body.map((plan) => plan.name).filter(Boolean)).toEqual(expect.arrayContaining(["knit#uploaded", "knit#imported"]));
    await call("findPlans", { query: { active: "true", image: "localhost/contract-up:v1", in_tag: ["ct:plan-raw"], out_tag: ["ct:plan-log"] } });
    await call("deactivatePlan", { params: { planId: upstreamId } });
    expect((await call("findPlans", { query: { active: "false" } })).body.map((plan) => plan.planId)).toContain(upstreamId);
    await call("activatePlan", { params: { planId: upstreamId } });
    await call("changePlanResources", { params: { planId: upstreamId }, body: { set: { cpu: "2" }, unset: ["nvidia.com/gpu"] } });
    const withoutResources = await call("changePlanResources", { params: { planId: upstreamId }, body: { unset: ["cpu", "memory"] } });
    expect(withoutResources.body).not.toHaveProperty("resources");
    await call("changePlanAnnotations", { params: { planId: upstreamId }, body: { add: ["owner=second"], remove: ["purpose=testing"], remove_key: [] } });
    const noAnnotations = await call("changePlanAnnotations", { params: { planId: upstreamId }, body: { remove_key: ["owner"] } });
    expect(noAnnotations.body).not.toHaveProperty("annotations");
    await call("setPlanServiceAccount", { params: { planId: upstreamId }, body: { service_account: "other-sa" } });
    const noAccount = await call("unsetPlanServiceAccount", { params: { planId: upstreamId } });
    expect(noAccount.body).not.toHaveProperty("service_account");

    const equivalent = await call("applyPlan", { body: { image: "localhost/contract-down:latest", inputs: [{ path: "/in/log", tags: ["ct:plan-log"] }, { path: "/in/mid", tags: ["ct:plan-mid"] }] }, status: 409 });
    expect(equivalent.body.planId).toBe(downstream.planId);
    await call("applyPlan", { body: { image: "localhost/x:v1", inputs: [] }, status: 400 });
    await call("applyPlan", { rawBody: "{", status: 400 });
    await call("applyPlan", { body: { image: "localhost/x:v1" }, contentType: "application/json; charset=utf-8", status: 400 });
    await call("findPlans", { query: { active: "maybe" }, status: 400 });
    const missing = { planId: "00000000-0000-0000-0000-000000000000" };
    await call("showPlan", { params: missing, status: 404 });
    await call("activatePlan", { params: missing, status: 404 });
    await call("deactivatePlan", { params: missing, status: 404 });
    await call("changePlanResources", { params: missing, body: {}, status: 404 });
    await call("changePlanResources", { params: { planId: upstreamId }, body: { set: { cpu: "lots" } }, status: 400 });
    await call("changePlanAnnotations", { params: missing, body: {}, status: 404 });
    await call("setPlanServiceAccount", { params: missing, body: { service_account: "sa" }, status: 404 });
    await call("unsetPlanServiceAccount", { params: missing, status: 404 });
  });

  it("runs: find, show, log, tearoff, abort, retry, delete; the data they write; hook payloads", async () => {
    const logged = String(
      (await applyPlan({ image: "localhost/contract-run:v1", inputs: [{ path: "/in", tags: ["ct:run-in"] }], outputs: [{ path: "/out", tags: ["ct:run-out"] }], log: { tags: ["ct:run-log"] } })).planId,
    );
    const unlogged = String((await applyPlan({ image: "localhost/contract-nolog:v1", inputs: [{ path: "/in", tags: ["ct:run-in"] }], outputs: [] })).planId);
    const input = await uploadTagged(["ct:run-in"]);
    const [run] = await runsOfPlan(logged, 1, "ready");
    const runId = String(run!.runId);
    const [other] = await runsOfPlan(unlogged, 1, "ready");
    const otherId = String(other!.runId);

    await call("findRuns", { query: { plan: `${logged},${unlogged}`, status: "ready,waiting", knitIdInput: input, since: "2000-01-01T00:00:00+00:00", duration: "1000000h" } });
    await call("findRuns");
    await call("showRun", { params: { runId } });
    await call("runLog", { params: { runId }, status: 503 });

    // a running run's stored log, then tearoff (exit 0), done: outputs and the log become data
    await advance(runId, ["starting", "running"]);
    await call("runLog", { params: { runId } });
    await call("backendRunLog", { params: { runId } });
    const torn = await call("tearoffRun", { params: { runId } });
    expect(torn.body.exit).toEqual({ code: 0, message: "stopped by user" });
    await advance(runId, ["done"]);
    const outputs = await call("findData", { query: { tag: "ct:run-out" } });
    expect(outputs.body).toHaveLength(1);
    const logs = await call("findData", { query: { tag: "ct:run-log" } });
    expect((logs.body[0]!.upstream as Json).log).toEqual({ tags: ["ct:run-log"] });
    const usedInput = await call("findData", { query: { tag: `knit#id:${input}` } });
    expect((usedInput.body[0]!.downstreams as Json[]).length).toBe(2);

    // a run without log (log: null): abort (exit 253), fail, retry (200, empty), again, delete (204), invalidated
    await call("tearoffRun", { params: { runId: otherId }, status: 200 });
    await advance(otherId, ["done"]);
    await call("retryRun", { params: { runId: otherId } });
    await runsOfPlan(unlogged, 1, "ready");
    const aborted = await call("abortRun", { params: { runId: otherId } });
    expect(aborted.body.exit).toEqual({ code: 253, message: "aborted by user" });
    expect(aborted.body.log).toBeNull();
    await call("retryRun", { params: { runId: otherId }, status: 409 });
    await advance(otherId, ["failed"]);
    await call("deleteRun", { params: { runId: otherId } });
    expect((await call("showRun", { params: { runId: otherId } })).body.status).toBe("invalidated");

    await call("abortRun", { params: { runId }, status: 409 });
    await call("findRuns", { query: { status: "invalidated" }, status: 400 });
    await call("findRuns", { query: { since: "yesterday" }, status: 400 });
    const missing = { runId: "00000000-0000-0000-0000-000000000000" };
    for (const name of ["showRun", "abortRun", "tearoffRun", "retryRun", "deleteRun", "runLog", "backendRunLog"] as const) {
      await call(name, { params: missing, status: 404 });
    }

    // the root run of an upload: its plan is a pseudo plan; its output is in use, so it stays
    const [root] = (await call("findRuns", { query: { knitIdOutput: input } })).body;
    expect((root!.plan as Json).name).toBe("knit#uploaded");
    await call("deleteRun", { params: { runId: String(root!.runId) }, status: 409 });

    // the initialize loop told the hooks: before with the waiting run, after with the ready one
    // (after hooks are sent once the change is committed: wait, bounded, until it arrived)
    const told = () => hookCalls.filter((hookCall) => (hookCall.body as Json).runId === runId).map((hookCall) => `${hookCall.hook} ${String((hookCall.body as Json).status)}`);
    for (let attempt = 0; attempt < 200 && !told().includes("/after ready"); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(told()).toEqual(expect.arrayContaining(["/before waiting", "/after ready"]));
    for (const hookCall of hookCalls) expectConforms(LifecycleHookPayload, hookCall.body, `the ${hookCall.hook} hook payload`);
  });

  it("backend: import begin and end with a token of the documented form, uploads and downloads", async () => {
    const begin = await call("beginImport");
    const token = begin.text;
    expectConforms(ENDPOINTS.beginImport.responseText, token, "the import token");
    expectConforms(ImportTokenHeader, decodeProtectedHeader(token), "the import token's header");
    const claims = decodeJwt(token);
    expectConforms(ImportTokenClaims, claims, "the import token's claims");
    // the volume data-knitid-<knitId> is the folder <home>/data/data/<knitId> of the local store
    await writeFile(join(server.home, "data", "data", String(claims.sub).replace(/^data-knitid-/, ""), "imported.txt"), "from outside\n");
    await call("endImport", { rawBody: token, contentType: "text/plain", status: 400 });
    await call("endImport", { rawBody: `${token.slice(0, -4)}AAAA`, contentType: MEDIA_TYPES.jwt, status: 401 });
    const imported = await call("endImport", { rawBody: token, contentType: MEDIA_TYPES.jwt });
    expect(((imported.body.upstream as Json).run as Json).status).toBe("completing");

    const uploaded = await upload("backendUploadData", "through the backend");
    await call("backendDownloadData", { params: { knitId: String(uploaded.knitId) } });
  });

  it("unknown paths answer an error body too", async () => {
    const response = await callJson(`${server.url}/api/no-such-thing`);
    expect(response.status).toBe(404);
    expectConforms(ErrorBody, response.body, "the 404 of an unknown path");
  });

  it("every endpoint of the contract gave its success response, and errors of every status were checked", () => {
    expect(Object.keys(ENDPOINTS).filter((name) => !covered.has(name as EndpointName))).toEqual([]);
    expect([...errorStatuses].sort((a, b) => a - b)).toEqual([400, 401, 404, 409, 503]);
  });
});
