#!/usr/bin/env node
/**
 * Throughput: RUNS (default 500) trivial runs with at most CONCURRENCY (default 8) workers at once,
 * against the same number of bare container runs with the same concurrency. The runs come from one
 * plan with two inputs (a cross product), created deactivated and timed from activation.
 */
import { api, bareRun, prepareEngine, report, startServer, tag, timed, trivialPlan, upload, waitDone } from "./lib.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const LEFT = Math.ceil(Math.sqrt(RUNS));
const RIGHT = Math.ceil(RUNS / LEFT);
const socket = prepareEngine();
const server = await startServer(socket, { KNITFAB_MAX_WORKERS: String(CONCURRENCY), KNITFAB_LOOP_CONCURRENCY: String(CONCURRENCY) });
try {
  const plan = await api(server.apiRoot, "/plans/", {
    method: "POST",
    body: JSON.stringify(trivialPlan([["side:left"], ["side:right"]], null, { active: false })),
  });
  for (let i = 0; i < LEFT; i++) await tag(server.apiRoot, await upload(server.apiRoot, `l${i}\n`), ["side:left"]);
  for (let i = 0; i < RIGHT; i++) await tag(server.apiRoot, await upload(server.apiRoot, `r${i}\n`), ["side:right"]);
  const total = LEFT * RIGHT;
  for (;;) {
    const runs = await api(server.apiRoot, `/runs/?plan=${plan.planId}`);
    if (runs.length >= total) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const ours = await timed(async () => {
    await api(server.apiRoot, `/plans/${plan.planId}/active`, { method: "PUT" });
    await waitDone(server.apiRoot, plan.planId, total, 3_600_000);
  });
  let next = 0;
  const bare = await timed(() =>
    Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < total) await bareRun();
      }),
    ),
  );
  report(`throughput of ${total} runs at concurrency ${CONCURRENCY}`, ours, bare);
  console.log(`  knitfab ${(total / (ours / 1000)).toFixed(1)} runs/s, bare ${(total / (bare / 1000)).toFixed(1)} runs/s`);
} finally {
  await server.stop();
}
