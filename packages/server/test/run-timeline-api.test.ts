import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { Readable } from "node:stream";
import { setRunStatus, type Database } from "@knitfab/db";
import type { RunStatus } from "@knitfab/domain";
import type { RunTimeline } from "@knitfab/api";
import { BACKENDS, callJson, uploadTarGz } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Json = Record<string, unknown>;

/** The run timeline extension (`GET /api/x/runs/timeline`): status history of runs of plans or given runs. */
describe.each(BACKENDS)("run timeline API on %s", (backend) => {
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

  async function advance(runId: string, path: RunStatus[]): Promise<void> {
    for (const status of path) {
      await database.db.transaction().execute(async (trx) => {
        if (status === "done" || status === "failed") await sql`DELETE FROM worker WHERE run_id = ${runId}::uuid`.execute(trx);
        await setRunStatus(trx, runId, status);
      });
    }
  }

  it("answers each run's status changes for a plan, and for given runs", async () => {
    const plan = await callJson<Json>(api("/plans"), {
      method: "POST",
      body: { image: "localhost/timeline:v1", inputs: [{ path: "/in", tags: ["tl:in"] }], outputs: [{ path: "/out", tags: ["tl:out"] }] },
    });
    const planId = String(plan.body.planId);
    const upload = await uploadTarGz(server.apiRoot, Readable.from([rawTarGz([{ path: "x.txt", content: "x" }])]));
    const knitId = String((upload.body as Json).knitId);
    await callJson(api(`/data/${knitId}`), { method: "PUT", body: { add: ["tl:in"] } });
    let runId = "";
    for (let attempt = 0; attempt < 200 && runId === ""; attempt++) {
      const runs = (await callJson<Json[]>(api(`/runs?plan=${planId}`))).body;
      runId = String(runs[0]?.runId ?? "");
      if (runId === "") await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await advance(runId, ["ready", "starting", "running", "completing", "done"]);

    const byPlan = await callJson<RunTimeline>(api(`/x/runs/timeline?plan=${planId}`));
    expect(byPlan.status).toBe(200);
    expect(byPlan.body.truncated).toBe(false);
    expect(byPlan.body.runs).toHaveLength(1);
    const [entry] = byPlan.body.runs;
    expect(entry).toMatchObject({ runId, planId, status: "done" });
    expect(entry?.changes.map((c) => c.status)).toEqual(["waiting", "ready", "starting", "running", "completing", "done"]);
    const shown = (await callJson<Json>(api(`/runs/${runId}`))).body;
    expect(entry?.updatedAt).toBe(shown.updatedAt);
    expect(entry?.changes.at(-1)?.at).toBe(shown.updatedAt);

    // The upload's run by id, together with the plan's: one answer, newest created first.
    const uploadRunId = String(((upload.body as Json).upstream as { run: Json }).run.runId);
    const both = await callJson<RunTimeline>(api(`/x/runs/timeline?plan=${planId}&run=${uploadRunId}&limit=1`));
    expect(both.body.runs.map((r) => r.runId)).toEqual([runId]);
    expect(both.body.truncated).toBe(true);
  });

  it("refuses malformed ids and empty or oversized requests with a clear 400", async () => {
    for (const [query, message] of [
      ["plan=nope", 'invalid plan id: "nope"'],
      ["", "no plan or run given"],
      [`run=${Array.from({ length: 201 }, () => "00000000-0000-0000-0000-000000000000").join(",")}`, "too many ids: 201"],
      ["run=00000000-0000-0000-0000-000000000000&limit=0", "invalid limit: 0"],
    ] as const) {
      const response = await callJson<Json>(api(`/x/runs/timeline?${query}`));
      expect(response.status, query).toBe(400);
      expect(String(response.body.message)).toContain(message);
    }
  });

  it("is in the OpenAPI document, under the extension prefix", async () => {
    const document = await callJson<{ paths: Record<string, unknown> }>(api("/openapi.json"));
    expect(Object.keys(document.body.paths)).toContain("/api/x/runs/timeline");
  });
});
