#!/usr/bin/env node
/**
 * Throughput: --runs (default 500) trivial runs with at most --concurrency (default 8) workers at
 * once, against the same number of bare container runs with the same concurrency, in the same run.
 * The runs come from one plan with two inputs (a cross product, √N × √N), created deactivated and
 * timed from activation. With `--hog N`, measured again beside N CPU-burning processes.
 */
import { api, bareRun, prepareEngine, startServer, tag, timed, trivialPlan, upload, waitDone } from "./lib.mjs";
import { main, numericOptions } from "./lib/args.mjs";
import { loadAverage, quietAndLoaded } from "./lib/hog.mjs";
import { fixed, printTable } from "./lib/stats.mjs";

const USAGE = "usage: node bench/throughput.mjs [--runs 500] [--concurrency 8] [--hog 0]   (BENCH_RUNS, BENCH_CONCURRENCY set the defaults)";
const { runs, concurrency, hog } = numericOptions(USAGE, {
  runs: Number(process.env.BENCH_RUNS ?? 500),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 8),
  hog: 0,
});
const LEFT = Math.ceil(Math.sqrt(runs));
const RIGHT = Math.ceil(runs / LEFT);
const total = LEFT * RIGHT;

let batch = 0;
/** Registers a deactivated 2-input plan over fresh Data, waits for its runs to be projected, then times activation → all done. */
async function throughputOnce(apiRoot) {
  const side = `batch${batch++}`;
  const plan = await api(apiRoot, "/plans/", {
    method: "POST",
    body: JSON.stringify(trivialPlan([[`${side}:left`], [`${side}:right`]], null, { active: false })),
  });
  for (let i = 0; i < LEFT; i++) await tag(apiRoot, await upload(apiRoot, `l${i}\n`), [`${side}:left`]);
  for (let i = 0; i < RIGHT; i++) await tag(apiRoot, await upload(apiRoot, `r${i}\n`), [`${side}:right`]);
  for (;;) {
    const projected = await api(apiRoot, `/runs/?plan=${plan.planId}`);
    if (projected.length >= total) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return timed(async () => {
    await api(apiRoot, `/plans/${plan.planId}/active`, { method: "PUT" });
    await waitDone(apiRoot, plan.planId, total, 3_600_000);
  });
}

function bareThroughput() {
  let next = 0;
  return timed(() =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < total) await bareRun();
      }),
    ),
  );
}

async function measure(apiRoot, condition) {
  const before = loadAverage();
  const ours = await throughputOnce(apiRoot);
  const bare = await bareThroughput();
  return { condition, ours, bare, before, after: loadAverage() };
}

await main(async () => {
  const socket = prepareEngine();
  const server = await startServer(socket, { KNITFAB_MAX_WORKERS: String(concurrency), KNITFAB_LOOP_CONCURRENCY: String(concurrency) });
  const results = await quietAndLoaded(server, hog, measure);
  console.log(`\nthroughput: ${total} trivial runs at concurrency ${concurrency}, activation → all done, against as many bare runs (s)\n`);
  printTable(
    ["condition", "knitfab s", "bare s", "ratio", "knitfab runs/s", "bare runs/s", "load avg before → after"],
    results.map((r) => [r.condition, fixed(r.ours / 1000), fixed(r.bare / 1000), fixed(r.ours / r.bare) + "×", fixed(total / (r.ours / 1000), 1), fixed(total / (r.bare / 1000), 1), `${r.before} → ${r.after}`]),
  );
  console.log("\ntarget: <= 1.1×");
});
