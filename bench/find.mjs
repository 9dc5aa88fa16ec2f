#!/usr/bin/env node
// Find benchmark: GET /api/data?tag=… and GET /api/runs?status=… over a database holding --count
// Data and --count Runs (half uploads with their root runs, half runs of a plan with their output
// Data), filled by set-based SQL. p50/p99 over --requests sequential requests, on PGlite and on a
// real PostgreSQL, against the same query's bare SQL time through the server's own connection.
// Run `npm run build` first. Usage: node bench/find.mjs [--count 100000] [--requests 200]
// BENCH_PGLITE_ANALYZE=1 also ANALYZEs the PGlite database (which has no autovacuum) before measuring.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { findKnitIds, findRunIds, loadData, loadRuns } from "@knitfab/db";
import { resolveServeConfig, startServer } from "knitfab";
import { main, numericOptions } from "./lib/args.mjs";
import { startPostgresServer } from "./lib/postgres.mjs";
import { registerBenchPlan, seedRuns, seedUploads } from "./lib/seed.mjs";
import { httpGetter } from "./lib/http-timing.mjs";
import { fixed, latencies, percentile, printTable, timed } from "./lib/stats.mjs";

const USAGE = "usage: node bench/find.mjs [--count 100000] [--requests 200]";
const { count, requests } = numericOptions(USAGE, { count: 100_000, requests: 200 });
const uploads = Math.floor(count / 2);
const planRuns = count - uploads;
const groups = Math.max(1, Math.floor(uploads / 10));
const silent = { info: () => {}, error: (message, error) => console.error(message, error) };

/** Each request asks for a different group (10 Data each), so no answer is served from a warm row cache alone. */
const groupOf = (index) => String((index * 7919) % groups);

async function benchBackend(backend, databaseUrl) {
  const home = await mkdtemp(join(tmpdir(), `knitfab-bench-find-${backend}-`));
  const server = await startServer(resolveServeConfig({ home, port: "0", databaseUrl, role: "api", logLevel: "off" }, {}), silent);
  const get = httpGetter();
  try {
    const { db } = server.database;
    console.error(`${backend}: filling ${uploads} uploaded Data and ${planRuns} Runs with their output Data ...`);
    const fill = await timed(async () => {
      const planId = await registerBenchPlan(server.database);
      await seedUploads(db, uploads, groups);
      await seedRuns(server.database, planId, planRuns);
    });
    const counts = await sql`SELECT (SELECT count(*) FROM data)::int AS data, (SELECT count(*) FROM run)::int AS runs, (SELECT count(*) FROM data_tag)::int AS tags`.execute(db);
    console.error(`  filled in ${fixed(fill.ms / 1000)} s: ${JSON.stringify(counts.rows[0])}`);
    // PostgreSQL's autovacuum analyses freshly filled tables within a minute; PGlite has no
    // autovacuum, so it keeps whatever the server itself runs. Do what each one would have done.
    if (backend === "postgres" || process.env.BENCH_PGLITE_ANALYZE === "1") await sql`ANALYZE`.execute(db);

    const dataUrl = (index) => `${server.apiRoot}/data?tag=${encodeURIComponent(`group:${groupOf(index)}`)}`;
    const runsUrl = () => `${server.apiRoot}/runs?status=running`;
    const dataAnswer = await get.json(dataUrl(1));
    const runsAnswer = await get.json(runsUrl());
    if (dataAnswer.length !== 10 || runsAnswer.length !== Math.floor(planRuns / 2500)) {
      throw new Error(`unexpected answers: ${dataAnswer.length} Data (expected 10), ${runsAnswer.length} Runs (expected ${Math.floor(planRuns / 2500)})`);
    }
    const dataQuery = (index) => ({ userTags: [{ key: "group", value: groupOf(index) }] });
    const runsQuery = { statuses: ["running"] };
    const measured = {
      dataHttp: await latencies((index) => get.json(dataUrl(index)), requests),
      dataSql: await latencies((index) => findKnitIds(db, dataQuery(index)), requests),
      dataDb: await latencies(async (index) => loadData(db, await findKnitIds(db, dataQuery(index))), requests),
      runsHttp: await latencies(() => get.json(runsUrl()), requests),
      runsSql: await latencies(() => findRunIds(db, runsQuery), requests),
      runsDb: await latencies(async () => loadRuns(db, await findRunIds(db, runsQuery)), requests),
    };
    return { backend, measured, rows: { data: dataAnswer.length, runs: runsAnswer.length } };
  } finally {
    get.close();
    await server.stop();
    await rm(home, { recursive: true, force: true });
  }
}

await main(async () => {
  const postgres = await startPostgresServer();
  const results = [];
  try {
    results.push(await benchBackend("pglite", undefined));
    results.push(await benchBackend("postgres", postgres.url));
  } finally {
    await postgres.stop();
  }

  console.log(`\nfind: ${count} Data and ${count} Runs per database; ${requests} sequential requests per figure (ms)\n`);
  const rows = [];
  for (const { backend, measured, rows: answered } of results) {
    const line = (label, key, baseKey) => {
      const p50 = percentile(measured[key], 50);
      const p99 = percentile(measured[key], 99);
      rows.push([backend, label, fixed(p50), fixed(p99), baseKey ? fixed(p50 / percentile(measured[baseKey], 50), 1) + "×" : ""]);
    };
    line(`GET /api/data?tag=group:… (${answered.data} Data)`, "dataHttp", "dataSql");
    line("  bare SQL: findKnitIds", "dataSql");
    line("  db layer: findKnitIds + loadData", "dataDb");
    line(`GET /api/runs?status=running (${answered.runs} Runs)`, "runsHttp", "runsSql");
    line("  bare SQL: findRunIds", "runsSql");
    line("  db layer: findRunIds + loadRuns", "runsDb");
  }
  printTable(["database", "request", "p50", "p99", "p50 / bare SQL"], rows);
  console.log("\ntarget: HTTP p50 <= 10 ms at 100,000");
});
