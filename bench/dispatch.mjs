#!/usr/bin/env node
/**
 * Dispatch latency: Data gets its tag → the dependent trivial run is done, median of --rounds
 * (default 20), against a bare `podman run` of the same task measured in the same run. Each
 * round runs one of each, alternating, so a change of load on the shared machine hits both.
 * With `--hog N`, the same is measured again beside N CPU-burning processes, and both reported.
 */
import { api, bareRun, median, prepareEngine, startServer, tag, timed, trivialPlan, upload, waitDone } from "./lib.mjs";
import { main, numericOptions } from "./lib/args.mjs";
import { loadAverage, quietAndLoaded } from "./lib/hog.mjs";
import { fixed, percentile, printTable } from "./lib/stats.mjs";

const USAGE = "usage: node bench/dispatch.mjs [--rounds 20] [--hog 0] [--log]   (BENCH_N sets the default of --rounds; --log: the plan keeps a log, as most do)";
const { rounds, hog, log } = numericOptions(USAGE, { rounds: Number(process.env.BENCH_N ?? 20), hog: 0 }, ["log"]);

/** Where the time of one dispatch went, from the run's recorded status changes (`/api/x/runs/timeline`, same clock). */
const PHASES = [
  ["tag → run created (projection)", "tagged", "created"],
  ["created → ready (initialize)", "created", "ready"],
  ["ready → starting (worker created)", "ready", "starting"],
  ["starting → completing (task ran)", "starting", "completing"],
  ["completing → done (finishing)", "completing", "done"],
  ["done → noticed (client polls)", "done", "noticed"],
];
let label = 0;
/** One dispatch: a plan waiting for a fresh tag, a fresh Data; timed from tagging to the run done. */
async function dispatchOnce(apiRoot, phases) {
  const tagName = `dispatch:${label++}`;
  const plan = await api(apiRoot, "/plans/", { method: "POST", body: JSON.stringify(trivialPlan([[tagName]], null, log ? { log: { tags: [`${tagName}:log`] } } : {})) });
  const knitId = await upload(apiRoot, `value ${tagName}\n`);
  const tagged = Date.now();
  const ms = await timed(async () => {
    await tag(apiRoot, knitId, [tagName]);
    await waitDone(apiRoot, plan.planId, 1);
  });
  const noticed = Date.now();
  if (phases) {
    const { runs } = await api(apiRoot.replace(/\/api$/, "/api/x"), `/runs/timeline?plan=${plan.planId}`);
    const at = { tagged, noticed, created: Date.parse(runs[0].createdAt) };
    for (const change of runs[0].changes) at[change.status] ??= Date.parse(change.at);
    for (const [name, from, to] of PHASES) if (at[from] !== undefined && at[to] !== undefined) (phases[name] ??= []).push(at[to] - at[from]);
  }
  return ms;
}

async function measure(apiRoot, condition) {
  const before = loadAverage();
  await dispatchOnce(apiRoot); // warms caches on both sides
  await bareRun();
  const ours = [];
  const bare = [];
  const phases = {};
  for (let round = 0; round < rounds; round++) {
    ours.push(await dispatchOnce(apiRoot, phases));
    bare.push(await timed(() => bareRun()));
  }
  return { condition, ours, bare, phases, before, after: loadAverage() };
}

await main(async () => {
  const socket = prepareEngine();
  const server = await startServer(socket);
  const results = await quietAndLoaded(server, hog, measure);
  console.log(`\ndispatch: tag → trivial run done${log ? " (the plan has a log)" : ""}, ${rounds} rounds per condition (ms)\n`);
  printTable(
    ["condition", "knitfab p50", "bare p50", "overhead p50", "ratio", "knitfab p90", "bare p90", "load avg before → after"],
    results.map((r) => {
      const ours = median(r.ours);
      const bare = median(r.bare);
      return [r.condition, fixed(ours, 1), fixed(bare, 1), fixed(ours - bare, 1), fixed(ours / bare) + "×", fixed(percentile(r.ours, 90), 1), fixed(percentile(r.bare, 90), 1), `${r.before} → ${r.after}`];
    }),
  );
  console.log("\nwhere the time goes, median per phase (ms; the server's recorded status changes, ms resolution)\n");
  printTable(
    ["phase", ...results.map((r) => r.condition)],
    PHASES.map(([name]) => [name, ...results.map((r) => (r.phases[name] ? fixed(median(r.phases[name]), 1) : "-"))]),
  );
  console.log("\ntarget: overhead <= 15 ms (median), quiet and loaded");
});
