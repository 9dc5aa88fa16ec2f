#!/usr/bin/env node
// Find benchmark, as a scaling curve: GET /api/data?tag=…, GET /api/runs?status=… and the lineage
// of one Data (the two reads the console and `knit data lineage` make per Data: the runs reading it,
// GET /api/runs?knitIdInput=…, and the run that wrote it, GET /api/runs?knitIdOutput=…) over a
// database holding N Data and N Runs (half uploads with their root runs, half runs of a plan with
// their output Data), filled by set-based SQL, for each N of --counts. p50/p99 over --requests
// sequential requests, on PGlite and on a real PostgreSQL, against the same query's bare SQL time
// through the server's own connection.
// Run `npm run build` first.
// PostgreSQL is ANALYZEd after the fill (what its autovacuum does within a minute); on PGlite, which
// has no autovacuum, the script waits for the server's own statistics refresh to analyze what changed.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { findKnitIds, findRunIds, loadData, loadRuns, tablesNeedingStatistics } from "@knitfab/db";
import { resolveServeConfig, startServer } from "knitfab";
import { main, numericOptions } from "./lib/args.mjs";
import { loadAverage } from "./lib/hog.mjs";
import { freshDatabase, startPostgresServer } from "./lib/postgres.mjs";
import { registerBenchPlan, seedRuns, seedUploads, uuidOf } from "./lib/seed.mjs";
import { httpGetter } from "./lib/http-timing.mjs";
import { fixed, latencies, percentile, printTable, timed } from "./lib/stats.mjs";

const USAGE = "usage: node bench/find.mjs [--counts 100000 | --count 100000] [--requests 200] [--databases pglite,postgres]\n  e.g. --counts 10000,100000,1000000";
const options = numericOptions(USAGE, { count: 0, requests: 200 }, [], { counts: ["100000", "number"], databases: ["pglite,postgres", ["pglite", "postgres"]] });
const counts = options.count > 0 ? [options.count] : options.counts;
const { requests, databases } = options;
const silent = { info: () => {}, error: (message, error) => console.error(message, error) };

async function benchBackend(backend, databaseUrl, count) {
  const uploads = Math.floor(count / 2);
  const planRuns = count - uploads;
  const groups = Math.max(1, Math.floor(uploads / 10));
  /** Each request asks for a different group (10 Data each), so no answer is served from a warm row cache alone. */
  const groupOf = (index) => String((index * 7919) % groups);
  const home = await mkdtemp(join(tmpdir(), `knitfab-bench-find-${backend}-`));
  const server = await startServer(resolveServeConfig({ home, port: "0", databaseUrl, role: "api", logLevel: "off" }, {}), silent);
  const get = httpGetter();
  try {
    const { db } = server.database;
    console.error(`${backend}, ${count}: filling ${uploads} uploaded Data and ${planRuns} Runs with their output Data ...`);
    const fill = await timed(async () => {
      const planId = await registerBenchPlan(server.database);
      await seedUploads(db, uploads, groups);
      await seedRuns(server.database, planId, planRuns);
    });
    const filled = await sql`SELECT (SELECT count(*) FROM data)::int AS data, (SELECT count(*) FROM run)::int AS runs, (SELECT count(*) FROM data_tag)::int AS tags`.execute(db);
    console.error(`  filled in ${fixed(fill.ms / 1000)} s: ${JSON.stringify(filled.rows[0])}`);
    // PostgreSQL's autovacuum analyses freshly filled tables within a minute: do what it would have
    // done. PGlite has none; the server's own refresh analyzes changed tables on its next check.
    if (backend === "postgres") await sql`ANALYZE`.execute(db);
    else {
      const refreshed = await timed(async () => {
        while ((await tablesNeedingStatistics(db)).length > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      });
      console.error(`  the server's statistics refresh analyzed the filled tables ${fixed(refreshed.ms / 1000)} s after the fill`);
    }
    const loadBefore = loadAverage();

    // Lineage: uploaded Data j (1..planRuns) was written by root run j and read by plan run j.
    const lineageIds = (
      await sql`SELECT ${uuidOf("data", sql`j`)}::text AS knit_id FROM unnest(${Array.from({ length: requests + 10 }, (_, index) => ((index * 7919) % planRuns) + 1)}::int[]) WITH ORDINALITY AS s(j, n) ORDER BY n`.execute(db)
    ).rows.map((row) => row.knit_id);
    const knitIdOf = (index) => lineageIds[index % lineageIds.length];

    const dataUrl = (index) => `${server.apiRoot}/data?tag=${encodeURIComponent(`group:${groupOf(index)}`)}`;
    const runsUrl = () => `${server.apiRoot}/runs?status=running`;
    const lineageGet = async (index) => {
      const knitId = knitIdOf(index);
      const [reading, writing] = [await get.json(`${server.apiRoot}/runs?knitIdInput=${knitId}`), await get.json(`${server.apiRoot}/runs?knitIdOutput=${knitId}`)];
      return reading.length + writing.length;
    };
    const dataAnswer = await get.json(dataUrl(1));
    const runsAnswer = await get.json(runsUrl());
    const lineageAnswer = await lineageGet(0);
    if (dataAnswer.length !== 10 || runsAnswer.length !== Math.floor(planRuns / 2500) || lineageAnswer !== 2) {
      throw new Error(`unexpected answers: ${dataAnswer.length} Data (expected 10), ${runsAnswer.length} Runs (expected ${Math.floor(planRuns / 2500)}), ${lineageAnswer} lineage runs (expected 2)`);
    }
    const dataQuery = (index) => ({ userTags: [{ key: "group", value: groupOf(index) }] });
    const runsQuery = { statuses: ["running"] };
    const lineageSql = async (index) => {
      await findRunIds(db, { inputKnitIds: [knitIdOf(index)] });
      await findRunIds(db, { outputKnitIds: [knitIdOf(index)] });
    };
    const lineageDb = async (index) => {
      await loadRuns(db, await findRunIds(db, { inputKnitIds: [knitIdOf(index)] }));
      await loadRuns(db, await findRunIds(db, { outputKnitIds: [knitIdOf(index)] }));
    };
    const measured = {
      dataHttp: await latencies((index) => get.json(dataUrl(index)), requests),
      dataSql: await latencies((index) => findKnitIds(db, dataQuery(index)), requests),
      dataDb: await latencies(async (index) => loadData(db, await findKnitIds(db, dataQuery(index))), requests),
      runsHttp: await latencies(() => get.json(runsUrl()), requests),
      runsSql: await latencies(() => findRunIds(db, runsQuery), requests),
      runsDb: await latencies(async () => loadRuns(db, await findRunIds(db, runsQuery)), requests),
      lineageHttp: await latencies(lineageGet, requests),
      lineageSql: await latencies(lineageSql, requests),
      lineageDb: await latencies(lineageDb, requests),
    };
    return { backend, count, measured, fillS: fill.ms / 1000, answers: { data: dataAnswer.length, runs: runsAnswer.length }, load: `${loadBefore} → ${loadAverage()}` };
  } finally {
    get.close();
    await server.stop();
    await rm(home, { recursive: true, force: true });
  }
}

function printSize(count, results) {
  console.log(`\nfind: ${count} Data and ${count} Runs per database; ${requests} sequential requests per figure (ms)\n`);
  const rows = [];
  for (const { backend, measured, answers, fillS, load } of results) {
    const line = (label, key, baseKey) => {
      const p50 = percentile(measured[key], 50);
      const p99 = percentile(measured[key], 99);
      rows.push([backend, label, fixed(p50), fixed(p99), baseKey ? fixed(p50 / percentile(measured[baseKey], 50), 1) + "×" : ""]);
    };
    line(`GET /api/data?tag=group:… (${answers.data} Data)`, "dataHttp", "dataSql");
    line("  bare SQL: findKnitIds", "dataSql");
    line("  db layer: findKnitIds + loadData", "dataDb");
    line(`GET /api/runs?status=running (${answers.runs} Runs)`, "runsHttp", "runsSql");
    line("  bare SQL: findRunIds", "runsSql");
    line("  db layer: findRunIds + loadRuns", "runsDb");
    line("lineage of one Data: GET /api/runs?knitIdInput= + ?knitIdOutput=", "lineageHttp", "lineageSql");
    line("  bare SQL: findRunIds × 2", "lineageSql");
    line("  db layer: (findRunIds + loadRuns) × 2", "lineageDb");
    rows.push([backend, `(fill ${fixed(fillS, 1)} s; load avg ${load})`, "", "", ""]);
  }
  printTable(["database", "request", "p50", "p99", "p50 / bare SQL"], rows);
}

await main(async () => {
  const postgres = databases.includes("postgres") ? await startPostgresServer() : undefined;
  const all = [];
  try {
    for (const count of counts) {
      const results = [];
      if (databases.includes("pglite")) results.push(await benchBackend("pglite", undefined, count));
      if (postgres) {
        const database = await freshDatabase(postgres, `find_${count}`);
        try {
          results.push(await benchBackend("postgres", database.url, count));
        } finally {
          await database.drop();
        }
      }
      printSize(count, results);
      all.push(...results);
    }
  } finally {
    await postgres?.stop();
  }
  if (counts.length > 1) {
    console.log("\nthe curve: HTTP p50 / p99 (ms) by size\n");
    const keys = [["dataHttp", "data by tag"], ["runsHttp", "runs by status"], ["lineageHttp", "lineage of one Data"]];
    printTable(
      ["database", "request", ...counts.map(String)],
      databases.flatMap((backend) =>
        keys.map(([key, label]) => [
          backend,
          label,
          ...counts.map((count) => {
            const result = all.find((r) => r.backend === backend && r.count === count);
            return result ? `${fixed(percentile(result.measured[key], 50), 1)} / ${fixed(percentile(result.measured[key], 99), 1)}` : "-";
          }),
        ]),
      ),
    );
  }
  console.log("\ntarget: HTTP p50 <= 10 ms and p99 <= 25 ms at 1,000,000 on PostgreSQL");
});
