import { statfs } from "node:fs/promises";
import { Readable } from "node:stream";
import pg from "pg";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { setRunStatus, type Database } from "@knitfab/db";
import type { RunStatus } from "@knitfab/domain";
import { BACKENDS, callJson, createTestPostgresDatabase, requestRaw, uploadTarGz } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";
import { startTestServer, type TestServer } from "../test-support/index.js";
import type { Logger } from "knitfab";
import { scrapeMetrics } from "./support/prometheus.js";

type Json = Record<string, unknown>;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * GET /metrics, /healthz and /readyz of a live server, over real HTTP, parsed by an independent
 * Prometheus parser. No worker runtime runs here (the API and projection roles only): runs are moved
 * through their states with the database operations the loops use, as in runs-api.test.ts.
 */
describe.each(BACKENDS)("metrics and health on %s", (backend) => {
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

  async function upload(content: string, tags: string[]): Promise<string> {
    const result = await uploadTarGz(server.apiRoot, Readable.from([rawTarGz([{ path: "x.txt", content }])]));
    expect(result.status).toBe(200);
    const knitId = String((result.body as Json).knitId);
    expect((await callJson(api(`/data/${knitId}`), { method: "PUT", body: { add: tags } })).status).toBe(200);
    return knitId;
  }

  async function advance(runId: string, path: RunStatus[]): Promise<void> {
    for (const status of path) {
      await database.db.transaction().execute(async (trx) => {
        if (status === "done") await sql`DELETE FROM worker WHERE run_id = ${runId}::uuid`.execute(trx);
        await setRunStatus(trx, runId, status);
      });
    }
  }

  it("answers /healthz and /readyz outside /api, with the request id it was given", async () => {
    const health = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "probe-1" } });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(health.headers.get("x-request-id")).toBe("probe-1");
    const ready = await callJson(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready" });
    // probes reach a server by any name (a pod's address); the metrics keep the Host check
    expect((await requestRaw(`${server.url}/healthz`, { headers: { host: "probe.elsewhere.example" } })).status).toBe(200);
    expect((await requestRaw(`${server.url}/readyz`, { headers: { host: "probe.elsewhere.example" } })).status).toBe(200);
    expect((await requestRaw(`${server.url}/metrics`, { headers: { host: "probe.elsewhere.example" } })).status).toBe(403);
    // an id that is not plain is replaced by a fresh one
    const replaced = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "a b\"c" } });
    expect(replaced.headers.get("x-request-id")).toMatch(UUID);
  });

  it("reports runs by status, loop backlogs, Data records and bytes, request latencies and free space as created", async () => {
    const planId = String(
      (
        await callJson<Json>(api("/plans"), {
          method: "POST",
          body: {
            image: "localhost/metrics:v1",
            inputs: [{ path: "/in", tags: ["metrics:in"] }],
            outputs: [{ path: "/out", tags: ["metrics:out"] }],
            log: { tags: ["metrics:log"] },
          },
        })
      ).body.planId,
    );
    await upload("hello", ["metrics:in"]);
    await upload("goodbye", ["metrics:in"]);
    let runs: Json[] = [];
    for (let attempt = 0; attempt < 200 && runs.length < 2; attempt++) {
      runs = (await callJson<Json[]>(api(`/runs?plan=${planId}`))).body;
      if (runs.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(runs).toHaveLength(2);
    await advance(String(runs[0]!.runId), ["ready", "starting", "running", "completing", "done"]);

    const scrape = await scrapeMetrics(server.url);
    expect(scrape.typeOf("knitfab_runs")).toBe("GAUGE");
    // the two uploads are done runs of knit#uploaded; of the plan's runs one is done, one waits
    expect(scrape.value("knitfab_runs", { status: "done" })).toBe(3);
    expect(scrape.value("knitfab_runs", { status: "waiting" })).toBe(1);
    expect(scrape.value("knitfab_runs", { status: "running" })).toBe(0);
    // the initialize loop does not run in this process, so the waiting run is its backlog
    expect(scrape.value("knitfab_loop_backlog", { loop: "initialize" })).toBe(1);
    expect(scrape.value("knitfab_loop_backlog", { loop: "finishing" })).toBe(0);
    expect(scrape.value("knitfab_loop_backlog", { loop: "projection" })).toBe(0);
    expect(scrape.value("knitfab_loop_lag_seconds", { loop: "initialize" })).toBeGreaterThanOrEqual(0);
    expect(scrape.value("knitfab_loop_lag_seconds", { loop: "finishing" })).toBe(0);
    // two uploads, and an output and a log for each of the two runs
    expect(scrape.value("knitfab_data_records")).toBe(6);
    // only complete content counts: the uploads' files; the runs' outputs were never written
    expect(scrape.value("knitfab_data_stored_bytes")).toBe("hello".length + "goodbye".length);
    expect(scrape.typeOf("knitfab_http_request_duration_seconds")).toBe("HISTOGRAM");
    expect(scrape.histogramCount("knitfab_http_request_duration_seconds", { method: "POST", route: "/api/data/", status_code: "200" })).toBe(2);
    expect(scrape.histogramCount("knitfab_http_request_duration_seconds", { method: "PUT", route: "/api/data/:knitId/", status_code: "200" })).toBe(2);
    expect(scrape.typeOf("knitfab_worker_starts_total")).toBe("COUNTER");
    expect(scrape.value("knitfab_worker_starts_total")).toBe(0);

    const disk = await statfs(server.home);
    const free = scrape.value("knitfab_data_store_free_bytes")!;
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(disk.blocks * disk.bsize);
    expect(scrape.value("knitfab_data_store_free_space_warning_bytes")).toBe(2 * 1024 ** 3);

    // no ids as labels: every label value of our families is a word, a route pattern or a number
    for (const family of scrape.families.filter((one) => one.name.startsWith("knitfab_"))) {
      for (const sample of family.metrics) for (const value of Object.values(sample.labels ?? {})) expect(value).not.toMatch(UUID);
    }
  });

  it("counts requests by route pattern, never by path", async () => {
    await callJson(api("/data/00000000-0000-0000-0000-000000000000"));
    await callJson(api("/data/11111111-1111-1111-1111-111111111111"));
    await fetch(`${server.url}/no/such/thing`);
    const scrape = await scrapeMetrics(server.url);
    expect(scrape.histogramCount("knitfab_http_request_duration_seconds", { method: "GET", route: "/api/data/:knitId/", status_code: "404" })).toBe(2);
    expect(scrape.histogramCount("knitfab_http_request_duration_seconds", { method: "GET", route: "unmatched", status_code: "404" })).toBe(1);
  });
});

describe.each(BACKENDS)("free-space warning on %s", (backend) => {
  it("warns once when the data store's free space is below --free-space-warning, and says so in a metric", async () => {
    const lines: string[] = [];
    const logger: Logger = { info: (message) => lines.push(`info: ${message}`), warn: (message) => lines.push(`warn: ${message}`), error: () => {} };
    // more than any disk here has free
    const server = await startTestServer(backend, { role: "api", logger, flags: { freeSpaceWarning: "1000Ti" } });
    try {
      const first = await scrapeMetrics(server.url);
      const second = await scrapeMetrics(server.url);
      expect(first.value("knitfab_data_store_free_space_low")).toBe(1);
      expect(second.value("knitfab_data_store_free_space_low")).toBe(1);
      expect(second.value("knitfab_data_store_free_space_warning_bytes")).toBe(1000 * 1024 ** 4);
      const warnings = lines.filter((line) => line.includes("low on space"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^warn: the data store is low on space: \d+ bytes free, below the warning level of 1099511627776000 \(--free-space-warning\)/);
    } finally {
      await server.stop();
    }
  });
});

describe("readiness when PostgreSQL goes away", () => {
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.stop().catch(() => {});
  });

  it("answers /readyz with 503 and JSON once its database is dropped, while /healthz still answers", async () => {
    const { url, name } = await createTestPostgresDatabase();
    server = await startTestServer("postgres", { role: "api", databaseUrl: url });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    const admin = new pg.Client({ connectionString: inject("postgresUrl") });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    const ready = await callJson<Json>(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get("content-type")).toBe("application/json");
    expect(String(ready.body.message)).toMatch(/^not ready\nthe database does not answer: /);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
