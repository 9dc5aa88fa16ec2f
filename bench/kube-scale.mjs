#!/usr/bin/env node
/**
 * Scale in kubernetes mode: N runs through `knitfab serve --runtime kubernetes` against the REAL
 * Kubernetes control plane (packages/kube-testing: etcd, kube-apiserver, controller manager,
 * scheduler), where the STAND-IN kubelet's nodes complete every pod at once, as kwok does, so what
 * is measured is the engine, the database and the API server, not containers. With 1 and 3
 * replicas of `knitfab serve` (all roles) on one PostgreSQL.
 *
 * Baseline, in the same run, against the same API server and nodes: N bare Job cycles (create →
 * complete → delete) made directly through @kubernetes/client-node, with as many Jobs in flight as
 * the engine's worker limit allows.
 *
 * Printed: runs per second, p99 time from ready to running as the loops record it (the
 * run_status_change table), and API requests per run (kube-apiserver's apiserver_request_total,
 * summed over every label, before and after, read through the admin kubeconfig; every client's
 * requests count: our server, the controllers, the scheduler and the stand-in kubelet).
 *
 * Run `npm run build` first; the control plane's binaries are built (or taken from the cache) by
 * packages/kube-testing. Needs Podman's API socket only for the stand-in kubelet's start-up check.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:https";
import { readFileSync } from "node:fs";
import { loadavg, tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, Watch } from "@kubernetes/client-node";
import { grantRole, RUNTIME_RULES, startControlPlane, startStandInKubelet, waitUntil } from "@knitfab/kube-testing";
import pg from "pg";
import { api, sleep, tag, upload } from "./lib.mjs";
import { main, numericOptions } from "./lib/args.mjs";
import { startPostgresServer } from "./lib/postgres.mjs";
import { startServerProcess } from "./lib/server-process.mjs";
import { fixed, percentile, printTable } from "./lib/stats.mjs";

const USAGE = `usage: node bench/kube-scale.mjs [--runs 10000] [--workers 16] [--nodes 4] [--qps 500] [--replicas 1,3] [--baseline-rate R]
  --runs      runs per measurement (and bare Job cycles in the baseline)
  --workers   the engine's worker limit (KNITFAB_MAX_WORKERS) and the baseline's Jobs in flight
  --nodes     instant stand-in nodes
  --qps       client rate limit of kube-controller-manager and kube-scheduler (--kube-api-qps; burst
              twice that), as clusters tuned for scale set it; 0 keeps their defaults (20 and 50
              requests/s), with which the Job controller caps both sides near 3 runs/s
  --replicas  replica counts of the engine to measure, in order
  --baseline-rate  skip the bare Jobs and compare with this rate (runs/s) measured by an earlier
              run of this script on the same machine, with the same --runs, --workers and --qps`;
const options = numericOptions(USAGE, { runs: 10_000, workers: 16, nodes: 4, qps: 500, "baseline-rate": 0 }, [], { replicas: ["1,3", "number"] });
const NAMESPACE = "knitfab-scale";
const PUSH_CONCURRENCY = 8;

await main(async () => {
  const load = () => loadavg().map((value) => value.toFixed(2)).join(" ");
  console.log(`kube-scale: ${options.runs} runs, worker limit ${options.workers}, ${options.nodes} instant nodes, control-plane qps ${options.qps || "default"}; ${cpus().length} cores; load average ${load()}`);
  const cleanups = [];
  // Interrupted: stop what was started (PostgreSQL is a daemon of its own) before exiting.
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      void (async () => {
        for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
        process.exit(130);
      })();
    });
  }
  try {
    const postgres = await startPostgresServer();
    cleanups.push(() => postgres.stop());
    const rateFlags = options.qps > 0 ? [`--kube-api-qps=${options.qps}`, `--kube-api-burst=${2 * options.qps}`] : [];
    const controlPlane = await startControlPlane({
      // More Job syncs at once than the default 5, as the raised rate limit would otherwise queue there.
      controllerManagerFlags: options.qps > 0 ? [...rateFlags, "--concurrent-job-syncs=50", "--concurrent-gc-syncs=50"] : [],
      schedulerFlags: rateFlags,
    });
    cleanups.push(() => controlPlane.close());
    // Many pods per node: completed pods stay until their Job is deleted.
    const nodes = Array.from({ length: options.nodes }, (_, index) => ({ name: `instant-${index}`, allocatable: { pods: "1000" } }));
    const kubelet = await startStandInKubelet({ controlPlane, instant: true, nodes });
    cleanups.unshift(() => kubelet.close());
    const admin = controlPlane.adminConfig();
    const core = admin.makeApiClient(CoreV1Api);
    const batch = admin.makeApiClient(BatchV1Api);
    await waitUntil("the nodes Ready", async () => {
      const ready = (await core.listNode()).items.filter((node) => node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
      return ready.length === options.nodes;
    }, 120_000);
    const kubeconfig = await serviceAccountKubeconfig(controlPlane, core);
    const requests = () => apiRequestTotal(controlPlane);

    const rows = [];
    // Baseline first, then the engine: the API server's caches are warm for both after a first cycle.
    await bareJobs(admin, batch, 16, () => undefined); // warm-up
    await drained(core, batch);
    if (options["baseline-rate"] > 0) {
      rows.push(["bare Jobs (an earlier run, given)", fixed(options["baseline-rate"], 1), "", "", "", ""]);
    } else {
      const before = await requests();
      const cycles = [];
      const start = performance.now();
      await bareJobs(admin, batch, options.runs, (ms) => cycles.push(ms));
      const seconds = (performance.now() - start) / 1000;
      await drained(core, batch);
      const used = (await requests()) - before;
      rows.push(["bare Jobs (client-node)", fixed(options.runs / seconds, 1), fixed(seconds, 1), "", `create→complete p99 ${fixed(percentile(cycles, 99), 0)}`, fixed(used / options.runs, 1)]);
      console.log(`  baseline done, load average ${load()}`);
    }
    for (const replicas of options.replicas) {
      const figures = await engineRound(postgres, kubeconfig, replicas, requests, core, batch);
      rows.push([`knitfab, ${replicas} replica${replicas > 1 ? "s" : ""}`, fixed(figures.perSecond, 1), fixed(figures.seconds, 1), fixed(figures.readyToRunningP99, 0), `ready→running p50 ${fixed(figures.readyToRunningP50, 0)}`, fixed(figures.requestsPerRun, 1)]);
      console.log(`  ${replicas} replica(s) done, load average ${load()}`);
    }
    console.log();
    printTable(["", "runs/s", "wall s", "ready→running p99 ms", "other ms", "API requests/run"], rows);
    const bare = Number(rows[0][1]);
    for (const row of rows.slice(1)) console.log(`${row[0]}: ${fixed(Number(row[1]) / bare, 2)}× the bare Jobs' rate`);
    console.log(`load average after: ${load()}`);
  } finally {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch((error) => console.error(`cleanup: ${error?.message ?? error}`));
  }
});

/** The namespace, the service account and the runtime's Role (as the README lists it), and a kubeconfig for it. */
async function serviceAccountKubeconfig(controlPlane, core) {
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await grantRole(controlPlane.adminConfig(), NAMESPACE, "knitfab", "knitfab", RUNTIME_RULES);
  return controlPlane.kubeconfigForServiceAccount(NAMESPACE, "knitfab", { expirationSeconds: 7200 });
}

/** The sum of every apiserver_request_total series of the API server's /metrics. */
async function apiRequestTotal(controlPlane) {
  const user = controlPlane.adminConfig().getCurrentUser();
  const text = await new Promise((resolve, reject) => {
    const req = request(
      `${controlPlane.server}/metrics`,
      { ca: readFileSync(controlPlane.caFile), cert: readFileSync(user?.certFile ?? ""), key: readFileSync(user?.keyFile ?? "") },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`/metrics: ${response.statusCode} ${body.slice(0, 200)}`))));
      },
    );
    req.on("error", reject);
    req.end();
  });
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("apiserver_request_total{")) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/**
 * `count` Job cycles, at most options.workers in flight: create a one-container Job (backoffLimit 0,
 * restartPolicy Never), wait for its Complete condition through one watch, delete it with its pod.
 */
async function bareJobs(admin, batch, count, record) {
  const waiting = new Map();
  const request = await new Watch(admin).watch(
    `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`,
    { labelSelector: "bench=bare" },
    (_type, job) => {
      const done = job.status?.conditions?.some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
      const resolve = waiting.get(job.metadata?.name);
      if (done && resolve) {
        waiting.delete(job.metadata?.name);
        resolve(job);
      }
    },
    () => undefined,
  );
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const name = `bare-${Date.now().toString(36)}-${next++}`;
      const start = performance.now();
      const ended = new Promise((resolve) => waiting.set(name, resolve));
      await batch.createNamespacedJob({
        namespace: NAMESPACE,
        body: {
          metadata: { name, namespace: NAMESPACE, labels: { bench: "bare" } },
          spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "localhost/busybox:test", command: ["true"] }] } } },
        },
      });
      const job = await ended;
      if (!job.status?.succeeded) throw new Error(`job ${name} failed: ${JSON.stringify(job.status)}`);
      record(performance.now() - start);
      await batch.deleteNamespacedJob({ name, namespace: NAMESPACE, propagationPolicy: "Background" });
    }
  };
  try {
    await Promise.all(Array.from({ length: options.workers }, lane));
  } finally {
    request.abort();
  }
}

/** Waits until the namespace has no Job and no pod left (deletions are asynchronous). */
async function drained(core, batch) {
  await waitUntil("the namespace drained", async () => {
    const jobs = (await batch.listNamespacedJob({ namespace: NAMESPACE })).items.length;
    const pods = (await core.listNamespacedPod({ namespace: NAMESPACE })).items.length;
    return jobs === 0 && pods === 0;
  }, 600_000);
}

/**
 * One measurement: a new database and home, `replicas` × `knitfab serve --runtime kubernetes
 * --store local` on it, N one-file Data pushed and tagged, then a one-input plan applied; the clock
 * runs from the plan's registration until every run is done (read from the database).
 */
async function engineRound(postgres, kubeconfig, replicas, requests, core, batch) {
  const database = `scale_${replicas}_${Date.now()}`;
  const maintenance = new pg.Client({ connectionString: postgres.url });
  await maintenance.connect();
  await maintenance.query(`CREATE DATABASE ${database}`);
  await maintenance.end();
  const databaseUrl = postgres.databaseUrl(database);
  const home = await mkdtemp(join(tmpdir(), "knitfab-kube-scale-"));
  const servers = [];
  const db = new pg.Client({ connectionString: databaseUrl });
  try {
    const extraArgs = ["--runtime", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", NAMESPACE, "--store", "local"];
    process.env.KNITFAB_MAX_WORKERS = String(options.workers);
    // The first creates the schema; the others start on it.
    servers.push(await startServerProcess({ home, databaseUrl, extraArgs }));
    for (let index = 1; index < replicas; index++) servers.push(await startServerProcess({ home, databaseUrl, extraArgs }));
    await db.connect();
    const apiRoot = servers[0].apiRoot;
    const label = `scale:${replicas}`;
    let pushed = 0;
    const pushStart = performance.now();
    await Promise.all(
      Array.from({ length: PUSH_CONCURRENCY }, async () => {
        while (pushed < options.runs) {
          const index = pushed++;
          const knitId = await upload(apiRoot, `value ${index}\n`);
          await tag(apiRoot, knitId, [label]);
        }
      }),
    );
    console.log(`  ${replicas} replica(s): ${options.runs} Data pushed and tagged in ${fixed((performance.now() - pushStart) / 1000, 1)} s`);
    await drained(core, batch);
    const before = await requests();
    const start = performance.now();
    const plan = await api(apiRoot, "/plans/", {
      method: "POST",
      body: JSON.stringify({
        image: "localhost/busybox:test",
        entrypoint: ["true"],
        inputs: [{ path: "/in/0", tags: [label] }],
        outputs: [{ path: "/out", tags: [`${label}-out`] }],
        resources: { cpu: "0.1", memory: "16Mi" },
      }),
    });
    let seconds;
    for (;;) {
      const { rows } = await db.query(
        "SELECT count(*) FILTER (WHERE status IN ('done', 'failed'))::int AS ended, count(*) FILTER (WHERE status = 'failed')::int AS failed FROM run WHERE plan_id = $1",
        [plan.planId],
      );
      if (rows[0].ended >= options.runs) {
        seconds = (performance.now() - start) / 1000;
        if (rows[0].failed > 0) {
          const failed = await db.query("SELECT e.code, e.message FROM run r JOIN run_exit e USING (run_id) WHERE r.plan_id = $1 AND r.status = 'failed' LIMIT 1", [plan.planId]);
          throw new Error(`${rows[0].failed} run(s) failed, e.g. ${JSON.stringify(failed.rows[0])}`);
        }
        break;
      }
      await sleep(200);
    }
    await drained(core, batch);
    const used = (await requests()) - before;
    // Ready → running as the loops record it; on an instant node a worker may have ended before
    // the loops first look at it, so the run goes from starting straight to completing: then the
    // first status after starting counts as "running" (the loops saw the worker started).
    const { rows: latencies } = await db.query(
      `SELECT extract(epoch FROM (seen.changed_at - ready.changed_at)) * 1000 AS ms, seen.running
       FROM run r
       JOIN LATERAL (SELECT min(changed_at) AS changed_at FROM run_status_change c WHERE c.run_id = r.run_id AND c.status = 'ready') ready ON true
       JOIN LATERAL (SELECT min(changed_at) AS changed_at, bool_or(status = 'running') AS running FROM run_status_change c
                     WHERE c.run_id = r.run_id AND c.status IN ('running', 'completing', 'done', 'failed')) seen ON true
       WHERE r.plan_id = $1 AND ready.changed_at IS NOT NULL AND seen.changed_at IS NOT NULL`,
      [plan.planId],
    );
    const readyToRunning = latencies.map((row) => Number(row.ms));
    const skipped = latencies.filter((row) => !row.running).length;
    if (readyToRunning.length !== options.runs) console.log(`  note: ${readyToRunning.length} of ${options.runs} runs have both a ready and a later time`);
    if (skipped > 0) console.log(`  note: ${skipped} of ${readyToRunning.length} runs were never recorded running (the worker had ended when first seen)`);
    return {
      seconds,
      perSecond: options.runs / seconds,
      readyToRunningP99: percentile(readyToRunning, 99),
      readyToRunningP50: percentile(readyToRunning, 50),
      requestsPerRun: used / options.runs,
    };
  } finally {
    await db.end().catch(() => undefined);
    for (const server of servers) await server.stop();
    await rm(home, { recursive: true, force: true });
  }
}
