#!/usr/bin/env node
// API under concurrency: --requests reads of the console's list endpoints (data by tags and time,
// plans, runs by status, plan and time) over --connections keep-alive connections, against a
// `knitfab serve --role api` child process (so the load generator does not share its event loop),
// on PGlite and on a real PostgreSQL. The database holds --count Data and --count Runs (as in
// find.mjs) and a few Plans, filled by set-based SQL. Baseline: the same queries' bare SQL
// (findKnitIds / findPlanIds / findRunIds) through the server's own database layer at the same
// concurrency; also the whole database part (find + load) the same way, and one read at a time.
// Each figure is the median of --rounds rounds. Run `npm run build` first.
// Usage: node bench/api-concurrency.mjs [--count 10000] [--requests 1000] [--connections 64] [--rounds 3]
// BENCH_CPU_PROF=<dir> runs the server child with `node --cpu-prof --cpu-prof-dir <dir>`.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir, loadavg } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { findKnitIds, findPlanIds, findRunIds, loadData, loadPlans, loadRuns, registerPlan } from "@knitfab/db";
import { resolveServeConfig, startServer } from "knitfab";
import { main, numericOptions } from "./lib/args.mjs";
import { startPostgresServer } from "./lib/postgres.mjs";
import { benchPlanSpec, registerBenchPlan, seedRuns, seedUploads } from "./lib/seed.mjs";
import { httpGetter } from "./lib/http-timing.mjs";
import { startServerProcess } from "./lib/server-process.mjs";
import { median } from "./lib.mjs";
import { fixed, percentile, printTable, timed } from "./lib/stats.mjs";

const USAGE = "usage: node bench/api-concurrency.mjs [--count 10000] [--requests 1000] [--connections 64] [--rounds 3]";
const { count, requests, connections, rounds } = numericOptions(USAGE, { count: 10_000, requests: 1000, connections: 64, rounds: 3 });
const uploads = Math.floor(count / 2);
const planRuns = count - uploads;
const groups = Math.max(1, Math.floor(uploads / 10));
const silent = { info: () => {}, error: (message, error) => console.error(message, error) };
const HOUR = 3_600_000;

/**
 * The reads the console sends (packages/console/src/api/query.ts), each with its bare query. Every
 * kind differs from one request to the next (another group, another hour), so no answer is a copy
 * of the one before.
 */
function readMix({ planId, firstTimestamp }) {
  const windowStart = (index) => new Date(firstTimestamp.getTime() + ((index * 37) % Math.max(1, Math.floor(uploads / 60) - 1)) * HOUR);
  const window = (index) => ({ since: windowStart(index), until: new Date(windowStart(index).getTime() + HOUR) });
  const sinceQuery = (index) => `since=${encodeURIComponent(windowStart(index).toISOString())}&duration=1h`;
  const group = (index) => String((index * 7919) % groups);
  const kinds = [
    {
      name: "data ?tag=group:…",
      path: (index) => `/data/?tag=${encodeURIComponent(`group:${group(index)}`)}`,
      find: (db, index) => findKnitIds(db, { userTags: [{ key: "group", value: group(index) }] }),
      load: loadData,
    },
    {
      name: "data ?tag=kind:dataset&since=…&duration=1h",
      path: (index) => `/data/?tag=kind%3Adataset&${sinceQuery(index)}`,
      find: (db, index) => findKnitIds(db, { userTags: [{ key: "kind", value: "dataset" }], ...window(index) }),
      load: loadData,
    },
    {
      name: "plans (all)",
      path: () => "/plans/",
      find: (db) => findPlanIds(db, {}),
      load: loadPlans,
    },
    {
      name: "plans ?active=true&in_tag=kind:dataset",
      path: () => "/plans/?active=true&in_tag=kind%3Adataset",
      find: (db) => findPlanIds(db, { active: true, inTags: { userTags: [{ key: "kind", value: "dataset" }] } }),
      load: loadPlans,
    },
    {
      name: "runs ?status=running,waiting",
      path: () => "/runs/?status=running,waiting",
      find: (db) => findRunIds(db, { statuses: ["running", "waiting"] }),
      load: loadRuns,
    },
    {
      name: "runs ?plan=…&status=done,failed&since=…&duration=1h",
      path: (index) => `/runs/?plan=${planId}&status=done,failed&${sinceQuery(index)}`,
      find: (db, index) => findRunIds(db, { planIds: [planId], statuses: ["done", "failed"], ...window(index) }),
      load: loadRuns,
    },
  ];
  // Data lists are what the console opens first and most: three in eight reads are data by tag.
  const order = [0, 0, 1, 2, 3, 4, 5, 0];
  return Array.from({ length: requests }, (_, index) => ({ ...kinds[order[index % order.length]], index }));
}

/** Runs `calls` (index → promise) with `concurrency` in flight; each latency from its own start. */
async function concurrently(calls, concurrency) {
  const latencies = new Array(calls.length);
  let next = 0;
  const { ms } = await timed(() =>
    Promise.all(
      Array.from({ length: Math.min(concurrency, calls.length) }, async () => {
        for (let index = next++; index < calls.length; index = next++) {
          const start = performance.now();
          await calls[index]();
          latencies[index] = performance.now() - start;
        }
      }),
    ),
  );
  return { wallMs: ms, latencies };
}

const summary = ({ wallMs, latencies }) => ({
  rps: (latencies.length * 1000) / wallMs,
  wallMs,
  p50: percentile(latencies, 50),
  p99: percentile(latencies, 99),
});

/** Median of each field over rounds. */
const medianOf = (results) => Object.fromEntries(Object.keys(results[0]).map((key) => [key, median(results.map((result) => result[key]))]));

const ALONE = 80;

async function benchBackend(backend, databaseUrl) {
  const home = await mkdtemp(join(tmpdir(), `knitfab-bench-api-${backend}-`));
  try {
    // 1. Fill, and the database-layer figures, in this process through the server's own connection.
    const server = await startServer(resolveServeConfig({ home, port: "0", databaseUrl, role: "api", logLevel: "off" }, {}), silent);
    let mix;
    const sqlRounds = [];
    const dbRounds = [];
    const aloneDb = [];
    try {
      const { database } = server;
      const { db } = database;
      console.error(`${backend}: filling ${uploads} uploaded Data, ${planRuns} Runs with their output Data, and Plans ...`);
      const fill = await timed(async () => {
        // Registered before the Data exist, so registration nominates nothing.
        const planId = await registerBenchPlan(database);
        // Downstream plans write other kinds (a plan reading and writing kind:model would be a cycle).
        const plan = (image, inputs, kind, extra = {}) => {
          const spec = benchPlanSpec(image, inputs);
          return registerPlan(database, { ...spec, outputs: spec.outputs.map((output) => ({ ...output, tags: [{ key: "kind", value: kind }] })), ...extra });
        };
        await plan("localhost/bench-evaluate", [[{ key: "kind", value: "model" }]], "score");
        await plan("localhost/bench-compare", [[{ key: "kind", value: "model" }], [{ key: "kind", value: "dataset" }]], "comparison");
        await plan("localhost/bench-old", [[{ key: "kind", value: "dataset" }, { key: "batch", value: "1" }]], "model-v0", { active: false });
        await seedUploads(db, uploads, groups);
        await seedRuns(database, planId, planRuns);
        return planId;
      });
      const planId = fill.result;
      const counts = await sql`SELECT (SELECT count(*) FROM data)::int AS data, (SELECT count(*) FROM run)::int AS runs, (SELECT count(*) FROM plan)::int AS plans`.execute(db);
      console.error(`  filled in ${fixed(fill.ms / 1000)} s: ${JSON.stringify(counts.rows[0])}`);
      // What PostgreSQL's autovacuum and the PGlite server's start (startStatisticsRefresh) both do.
      await sql`ANALYZE`.execute(db);
      const first = await sql`SELECT min(timestamp) AS first FROM data`.execute(db);
      mix = readMix({ planId, firstTimestamp: new Date(first.rows[0].first) });

      for (const read of mix.slice(0, ALONE)) aloneDb.push((await timed(async () => read.load(db, await read.find(db, read.index)))).ms);
      for (let round = 0; round < rounds; round++) {
        sqlRounds.push(summary(await concurrently(mix.map((read) => () => read.find(db, read.index)), connections)));
        dbRounds.push(summary(await concurrently(mix.map((read) => async () => read.load(db, await read.find(db, read.index))), connections)));
      }
    } finally {
      await server.stop();
    }

    // 2. The same reads over HTTP, from a separate server process on the same database.
    const profile = process.env.BENCH_CPU_PROF;
    const child = await startServerProcess({
      home,
      databaseUrl,
      extraArgs: ["--role", "api"],
      nodeArgs: profile ? ["--cpu-prof", "--cpu-prof-dir", profile] : [],
    });
    const httpRounds = [];
    const aloneHttp = [];
    const answered = new Map();
    try {
      const get = httpGetter(connections);
      try {
        // Warm up (and check): every kind once, the answers counted.
        for (const read of mix.slice(0, 8)) answered.set(read.name, (await get.json(`${child.apiRoot}${read.path(read.index)}`)).length);
        for (const read of mix.slice(0, ALONE)) aloneHttp.push((await timed(() => get.json(`${child.apiRoot}${read.path(read.index)}`))).ms);
        for (let round = 0; round < rounds; round++) {
          httpRounds.push(summary(await concurrently(mix.map((read) => () => get.json(`${child.apiRoot}${read.path(read.index)}`)), connections)));
        }
      } finally {
        get.close();
      }
    } finally {
      await child.stop();
    }
    return {
      backend,
      answered,
      http: medianOf(httpRounds),
      db: medianOf(dbRounds),
      bare: medianOf(sqlRounds),
      alone: { http: percentile(aloneHttp, 50), db: percentile(aloneDb, 50) },
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

await main(async () => {
  const loadBefore = loadavg();
  const postgres = await startPostgresServer();
  const results = [];
  try {
    results.push(await benchBackend("pglite", undefined));
    results.push(await benchBackend("postgres", postgres.url));
  } finally {
    await postgres.stop();
  }
  const loadAfter = loadavg();

  console.log(`\napi-concurrency: ${count} Data and ${count} Runs per database; ${requests} reads over ${connections} connections; median of ${rounds} rounds`);
  console.log(`load average before ${loadBefore.map((value) => fixed(value)).join(", ")}, after ${loadAfter.map((value) => fixed(value)).join(", ")}\n`);
  for (const [name, rows] of results[0].answered) console.log(`  ${name}: ${rows} items in the first answer`);
  console.log("");
  const rows = [];
  for (const { backend, http, db, bare, alone } of results) {
    const line = (label, figures, aloneMs) =>
      rows.push([backend, label, fixed(figures.rps, 0), fixed(figures.wallMs / 1000), fixed(figures.p50), fixed(figures.p99), aloneMs === undefined ? "" : fixed(aloneMs)]);
    line("HTTP GET (server process)", http, alone.http);
    line("db layer: find + load", db, alone.db);
    line("bare SQL: find", bare);
  }
  printTable(["database", "reads", "req/s", "wall s", "p50 ms", "p99 ms", "one at a time p50 ms"], rows);
  console.log("");
  for (const { backend, http, bare } of results) {
    console.log(`${backend}: HTTP / bare SQL: req/s ${fixed(http.rps / bare.rps, 3)}×, p99 ${fixed(http.p99 / bare.p99, 1)}×`);
  }
});
