import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { setRunExit, setRunStatus, type Database } from "@knitfab/db";
import type { RunStatus } from "@knitfab/domain";
import { BACKENDS, callJson, uploadTarGz } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";
import { startTestServer, type TestServer } from "../test-support/index.js";
import { Readable } from "node:stream";

type Json = Record<string, unknown>;

/**
 * Runs API, with the API and projection roles only: no worker runtime runs here, so the tests move
 * runs through their states with the same database operations the loops use.
 */
describe.each(BACKENDS)("runs API on %s", (backend) => {
  let server: TestServer;
  let database: Database;
  beforeAll(async () => {
    server = await startTestServer(backend, { role: "api,projection" });
    database = server.server.database;
  });
  afterAll(async () => {
    await server?.stop();
  });
  const api = (path: string) => `${server.apiRoot}${path}`;

  async function uploadTagged(tags: string[]): Promise<string> {
    const result = await uploadTarGz(server.apiRoot, Readable.from([rawTarGz([{ path: "x.txt", content: tags.join(",") }])]));
    expect(result.status).toBe(200);
    const knitId = String((result.body as Json).knitId);
    const tagged = await callJson(api(`/data/${knitId}`), { method: "PUT", body: { add: tags } });
    expect(tagged.status).toBe(200);
    return knitId;
  }

  async function applyPlan(body: Json): Promise<string> {
    const response = await callJson<Json>(api("/plans"), { method: "POST", body });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return String(response.body.planId);
  }

  /** Projection is asynchronous: wait (bounded) until the plan has the expected number of runs. */
  async function runsOfPlan(planId: string, count: number): Promise<Json[]> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const runs = (await callJson<Json[]>(api(`/runs?plan=${planId}`))).body;
      if (runs.length >= count) return runs;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`plan ${planId} did not get ${count} runs`);
  }

  async function advance(runId: string, path: RunStatus[]): Promise<void> {
    for (const status of path) {
      await database.db.transaction().execute(async (trx) => {
        if (status === "done" || status === "failed") await sql`DELETE FROM worker WHERE run_id = ${runId}::uuid`.execute(trx);
        await setRunStatus(trx, runId, status);
      });
    }
  }

  it("projects runs when data gets the input's tags, and shows them in run and data details", async () => {
    const planId = await applyPlan({
      image: "localhost/train:v1",
      entrypoint: ["sh", "-c"],
      args: ["cp -r /in/data /out/model"],
      inputs: [{ path: "/in/data", tags: ["r1:dataset"] }],
      outputs: [{ path: "/out/model", tags: ["r1:model"] }],
      log: { tags: ["r1:log"] },
    });
    const knitId = await uploadTagged(["r1:dataset", "extra:yes"]);
    const [run] = await runsOfPlan(planId, 1);
    expect(run!.status).toBe("waiting");
    expect(run!.plan).toEqual({ planId, image: "localhost/train:v1", entrypoint: ["sh", "-c"], args: ["cp -r /in/data /out/model"] });
    expect(run!.inputs).toEqual([{ path: "/in/data", tags: ["r1:dataset"], knitId }]);
    const outputs = run!.outputs as Json[];
    expect(outputs).toHaveLength(1);
    expect(outputs[0]!.path).toBe("/out/model");
    expect(outputs[0]!.tags).toEqual(["r1:model"]);
    expect((run!.log as Json).tags).toEqual(["r1:log"]);
    expect(run).not.toHaveProperty("exit");

    const data = await callJson<Json[]>(api(`/data?tag=knit%23id:${knitId}`));
    const detail = data.body[0]!;
    expect((detail.downstreams as Json[]).map((downstream) => (downstream.run as Json).runId)).toEqual([run!.runId]);
    expect(detail.nomination).toEqual([{ path: "/in/data", tags: ["r1:dataset"], plan: { planId, image: "localhost/train:v1", entrypoint: ["sh", "-c"], args: ["cp -r /in/data /out/model"] } }]);

    const output = await callJson<Json[]>(api(`/data?tag=knit%23id:${outputs[0]!.knitId}`));
    expect(output.body[0]!.tags).toEqual([`knit#id:${outputs[0]!.knitId}`, "knit#transient:processing", "r1:model"]);
    expect((await callJson<Json[]>(api("/data?tag=r1:model&tag=knit%23transient:processing"))).body).toHaveLength(1);

    const shown = await callJson<Json>(api(`/runs/${run!.runId}`));
    expect(shown.body).toEqual(run);
  });

  it("creates every combination: 2 datasets × 3 models ⇒ 6 runs; adding a model adds 2", async () => {
    const planId = await applyPlan({
      image: "localhost/eval:v1",
      inputs: [{ path: "/in/dataset", tags: ["combo:dataset"] }, { path: "/in/model", tags: ["combo:model"] }],
      outputs: [{ path: "/out", tags: ["combo:score"] }],
    });
    for (let index = 0; index < 2; index++) await uploadTagged(["combo:dataset"]);
    for (let index = 0; index < 3; index++) await uploadTagged(["combo:model"]);
    expect(await runsOfPlan(planId, 6)).toHaveLength(6);
    await uploadTagged(["combo:model"]);
    const runs = await runsOfPlan(planId, 8);
    expect(runs).toHaveLength(8);
    const assignments = runs.map((run) => (run.inputs as Json[]).map((input) => input.knitId).join(","));
    expect(new Set(assignments).size).toBe(8);
  });

  it("finds runs by plan, input, output, status and time; rejects bad filters", async () => {
    const planId = await applyPlan({ image: "localhost/find-runs:v1", inputs: [{ path: "/in", tags: ["fr:in"] }], outputs: [{ path: "/out", tags: [] }] });
    const knitId = await uploadTagged(["fr:in"]);
    const [run] = await runsOfPlan(planId, 1);
    const runId = String(run!.runId);
    const output = String((run!.outputs as Json[])[0]!.knitId);
    const ids = async (query: string) => (await callJson<Json[]>(api(`/runs?${query}`))).body.map((found) => found.runId);
    expect(await ids(`plan=${planId}`)).toEqual([runId]);
    expect(await ids(`knitIdInput=${knitId}`)).toEqual([runId]);
    expect(await ids(`knitIdOutput=${output}`)).toEqual([runId]);
    expect(await ids(`plan=${planId}&status=waiting,running`)).toEqual([runId]);
    expect(await ids(`plan=${planId}&status=done`)).toEqual([]);
    expect(await ids(`plan=${planId}&since=2000-01-01T00:00:00Z&duration=1h`)).toEqual([]);
    expect(await ids(`plan=${planId}&since=2000-01-01T00:00:00Z`)).toEqual([runId]);
    const uploads = await ids(`knitIdOutput=${knitId}`);
    expect(uploads).toHaveLength(1);
    for (const bad of ["status=invalidated", "status=bogus", "duration=1h", "since=nope"]) {
      const response = await callJson<Json>(api(`/runs?${bad}`));
      expect(response.status, bad).toBe(400);
      expect(String(response.body.message)).toMatch(/^bad request\n/);
    }
    const all = (await callJson<Json[]>(api("/runs"))).body;
    const order = all.map((found) => `${found.updatedAt}`);
    expect(order.length).toBeGreaterThan(0);
  });

  it("aborts: 253 'aborted by user'; illegal transitions are 409; unknown runs 404", async () => {
    const planId = await applyPlan({ image: "localhost/abort:v1", inputs: [{ path: "/in", tags: ["ab:in"] }], outputs: [] });
    await uploadTagged(["ab:in"]);
    const [run] = await runsOfPlan(planId, 1);
    const runId = String(run!.runId);
    const tearoff = await callJson<Json>(api(`/runs/${runId}/tearoff`), { method: "PUT" });
    expect(tearoff.status).toBe(409);
    expect(String(tearoff.body.message)).toContain("cannot change run state: waiting -> completing");
    const aborted = await callJson<Json>(api(`/runs/${runId}/abort`), { method: "PUT" });
    expect(aborted.status).toBe(200);
    expect(aborted.body.status).toBe("aborting");
    expect(aborted.body.exit).toEqual({ code: 253, message: "aborted by user" });
    expect((await callJson(api(`/runs/${runId}/abort`), { method: "PUT" })).status).toBe(200);
    await advance(runId, ["failed"]);
    const again = await callJson<Json>(api(`/runs/${runId}/abort`), { method: "PUT" });
    expect(again.status).toBe(409);
    expect(String(again.body.message)).toBe("prohibited operation\n caused by:cannot change run state: failed -> aborting");
    const missing = "00000000-0000-0000-0000-000000000000";
    for (const [method, path] of [
      ["GET", `/runs/${missing}`],
      ["PUT", `/runs/${missing}/abort`],
      ["PUT", `/runs/${missing}/tearoff`],
      ["PUT", `/runs/${missing}/retry`],
      ["DELETE", `/runs/${missing}`],
      ["GET", `/runs/${missing}/log`],
      ["GET", "/runs/not-a-uuid"],
    ] as const) {
      expect((await callJson(api(path), { method })).status, `${method} ${path}`).toBe(404);
    }
  });

  it("tears off a running run: completing with exit 0 'stopped by user'", async () => {
    const planId = await applyPlan({ image: "localhost/tearoff:v1", inputs: [{ path: "/in", tags: ["to:in"] }], outputs: [] });
    await uploadTagged(["to:in"]);
    const [run] = await runsOfPlan(planId, 1);
    const runId = String(run!.runId);
    await advance(runId, ["ready", "starting", "running"]);
    const torn = await callJson<Json>(api(`/runs/${runId}/tearoff`), { method: "PUT" });
    expect(torn.status).toBe(200);
    expect(torn.body.status).toBe("completing");
    expect(torn.body.exit).toEqual({ code: 0, message: "stopped by user" });
  });

  it("retries a finished run: 200 with an empty body, same run id and inputs, new outputs, waiting again", async () => {
    const planId = await applyPlan({ image: "localhost/retry:v1", inputs: [{ path: "/in", tags: ["rt:in"] }], outputs: [{ path: "/out", tags: ["rt:out"] }] });
    await uploadTagged(["rt:in"]);
    const [run] = await runsOfPlan(planId, 1);
    const runId = String(run!.runId);
    const notFinished = await callJson<Json>(api(`/runs/${runId}/retry`), { method: "PUT" });
    expect(notFinished.status).toBe(409);
    expect(String(notFinished.body.message)).toMatch(/^the run may not be finished/);
    await advance(runId, ["ready", "starting", "running", "aborting", "failed"]);
    await database.db.transaction().execute((trx) => setRunExit(trx, runId, { code: 1, message: "(container main) Error" }));
    const retried = await fetch(api(`/runs/${runId}/retry`), { method: "PUT" });
    expect(retried.status).toBe(200);
    expect(await retried.text()).toBe("");
    const after = (await callJson<Json>(api(`/runs/${runId}`))).body;
    expect(after.status).toBe("waiting");
    expect(after).not.toHaveProperty("exit");
    expect(after.inputs).toEqual(run!.inputs);
    expect((after.outputs as Json[])[0]!.knitId).not.toBe((run!.outputs as Json[])[0]!.knitId);
    const oldOutput = await callJson<Json[]>(api(`/data?tag=knit%23id:${(run!.outputs as Json[])[0]!.knitId}`));
    expect(oldOutput.body).toEqual([]);
    const garbage = await sql<{ count: number }>`SELECT count(*)::int AS count FROM garbage`.execute(database.db);
    expect(garbage.rows[0]!.count).toBeGreaterThan(0);
  });

  it("protects lineage: no retry or delete while downstream runs use the outputs; delete invalidates, never re-projects", async () => {
    const upstreamPlan = await applyPlan({ image: "localhost/up:v1", inputs: [{ path: "/in", tags: ["ln:raw"] }], outputs: [{ path: "/out", tags: ["ln:mid"] }] });
    const downstreamPlan = await applyPlan({ image: "localhost/down:v1", inputs: [{ path: "/in", tags: ["ln:mid"] }], outputs: [] });
    await uploadTagged(["ln:raw"]);
    const [upstream] = await runsOfPlan(upstreamPlan, 1);
    const upstreamId = String(upstream!.runId);
    await advance(upstreamId, ["ready", "starting", "running", "completing", "done"]);
    const done = (await callJson<Json>(api(`/runs/${upstreamId}`))).body;
    const middle = String((done.outputs as Json[])[0]!.knitId);
    const middleData = (await callJson<Json[]>(api(`/data?tag=knit%23id:${middle}`))).body[0]!;
    expect((middleData.tags as string[]).some((tag) => tag.startsWith("knit#timestamp:"))).toBe(true);
    const [downstream] = await runsOfPlan(downstreamPlan, 1);
    const downstreamId = String(downstream!.runId);

    const retryUp = await callJson<Json>(api(`/runs/${upstreamId}/retry`), { method: "PUT" });
    expect(retryUp.status).toBe(409);
    expect(String(retryUp.body.message)).toMatch(/^output of the run is in use/);
    const deleteUp = await callJson<Json>(api(`/runs/${upstreamId}`), { method: "DELETE" });
    expect(deleteUp.status).toBe(409);

    // a waiting image run owns a worker record: abort it first, then delete
    expect((await callJson(api(`/runs/${downstreamId}`), { method: "DELETE" })).status).toBe(409);
    await callJson(api(`/runs/${downstreamId}/abort`), { method: "PUT" });
    await advance(downstreamId, ["failed"]);
    const deleted = await fetch(api(`/runs/${downstreamId}`), { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    const invalidated = (await callJson<Json>(api(`/runs/${downstreamId}`))).body;
    expect(invalidated.status).toBe("invalidated");
    expect((await callJson(api(`/runs/${downstreamId}`), { method: "DELETE" })).status).toBe(404);
    const middleAfter = (await callJson<Json[]>(api(`/data?tag=knit%23id:${middle}`))).body[0]!;
    expect(middleAfter.downstreams).toEqual([]);
    // re-nominating the same data never re-creates the invalidated combination
    await callJson(api(`/data/${middle}`), { method: "PUT", body: { add: ["touch:1"] } });
    await sql`UPDATE nomination SET updated = true`.execute(database.db);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await callJson<Json[]>(api(`/runs?plan=${downstreamPlan}`))).body.map((run) => run.status)).toEqual(["invalidated"]);

    // now the upstream can be deleted: the invalidated downstream is purged with it
    const deleteNow = await fetch(api(`/runs/${upstreamId}`), { method: "DELETE" });
    expect(deleteNow.status).toBe(204);
    expect((await callJson<Json[]>(api(`/runs?plan=${downstreamPlan}`))).body).toEqual([]);
  });

  it("deletes an upload's root run physically", async () => {
    const knitId = await uploadTagged(["root:1"]);
    const [root] = (await callJson<Json[]>(api(`/runs?knitIdOutput=${knitId}`))).body;
    const rootId = String(root!.runId);
    expect((await fetch(api(`/runs/${rootId}/retry`), { method: "PUT" })).status).toBe(409);
    expect((await fetch(api(`/runs/${rootId}`), { method: "DELETE" })).status).toBe(204);
    expect((await callJson(api(`/runs/${rootId}`))).status).toBe(404);
    expect((await callJson<Json[]>(api(`/data?tag=knit%23id:${knitId}`))).body).toEqual([]);
  });

  it("run log: 404 without a log point, 503 before the run starts", async () => {
    const planId = await applyPlan({ image: "localhost/log:v1", inputs: [{ path: "/in", tags: ["lg:in"] }], outputs: [], log: { tags: ["lg:log"] } });
    const noLogPlan = await applyPlan({ image: "localhost/nolog:v1", inputs: [{ path: "/in", tags: ["lg:in"] }], outputs: [] });
    await uploadTagged(["lg:in"]);
    const [run] = await runsOfPlan(planId, 1);
    const [noLog] = await runsOfPlan(noLogPlan, 1);
    const waiting = await callJson<Json>(api(`/runs/${run!.runId}/log`));
    expect(waiting.status).toBe(503);
    expect(String(waiting.body.message)).toMatch(/^service unavailable temporaly/);
    expect((await callJson(api(`/runs/${noLog!.runId}/log`))).status).toBe(404);
  });

  it("deactivating a plan holds its waiting runs; activating releases them", async () => {
    const planId = await applyPlan({ image: "localhost/toggle:v1", inputs: [{ path: "/in", tags: ["tg:in"] }], outputs: [] });
    await uploadTagged(["tg:in"]);
    const [run] = await runsOfPlan(planId, 1);
    await callJson(api(`/plans/${planId}/active`), { method: "DELETE" });
    expect((await callJson<Json>(api(`/runs/${run!.runId}`))).body.status).toBe("deactivated");
    await uploadTagged(["tg:in"]);
    const runs = await runsOfPlan(planId, 2);
    expect(runs.map((found) => found.status)).toEqual(["deactivated", "deactivated"]);
    await callJson(api(`/plans/${planId}/active`), { method: "PUT" });
    expect((await callJson<Json[]>(api(`/runs?plan=${planId}`))).body.map((found) => found.status)).toEqual(["waiting", "waiting"]);
  });

  it("pretty-prints JSON with ?pretty", async () => {
    const response = await fetch(api("/plans?pretty"));
    const text = await response.text();
    expect(text.startsWith('[\n  {\n    "planId"')).toBe(true);
  });
});
