#!/usr/bin/env node
/**
 * Dispatch latency: Data gets its tag → the dependent trivial run is done, median of --rounds
 * (default 20), against a bare `podman run` of the same task measured in the same run. Each
 * round runs one of each, alternating, so a change of load on the shared machine hits both.
 * With `--hog N`, the same is measured again beside N CPU-burning processes, and both reported.
 */
import { api, bareRun, median, prepareEngine, startServer, tag, timed, trivialPlan, upload, waitDone } from "./lib.mjs";
import { main, numericOptions } from "./lib/args.mjs";
import { loadAverage, withHogs } from "./lib/hog.mjs";
import { fixed, percentile, printTable } from "./lib/stats.mjs";

const USAGE = "usage: node bench/dispatch.mjs [--rounds 20] [--hog 0]   (BENCH_N sets the default of --rounds)";
const { rounds, hog } = numericOptions(USAGE, { rounds: Number(process.env.BENCH_N ?? 20), hog: 0 });

let label = 0;
/** One dispatch: a plan waiting for a fresh tag, a fresh Data; timed from tagging to the run done. */
async function dispatchOnce(apiRoot) {
  const tagName = `dispatch:${label++}`;
  const plan = await api(apiRoot, "/plans/", { method: "POST", body: JSON.stringify(trivialPlan([[tagName]], null)) });
  const knitId = await upload(apiRoot, `value ${tagName}\n`);
  return timed(async () => {
    await tag(apiRoot, knitId, [tagName]);
    await waitDone(apiRoot, plan.planId, 1);
  });
}

async function measure(apiRoot, condition) {
  const before = loadAverage();
  await dispatchOnce(apiRoot); // warms caches on both sides
  await bareRun();
  const ours = [];
  const bare = [];
  for (let round = 0; round < rounds; round++) {
    ours.push(await dispatchOnce(apiRoot));
    bare.push(await timed(() => bareRun()));
  }
  return { condition, ours, bare, before, after: loadAverage() };
}

await main(async () => {
  const socket = prepareEngine();
  const server = await startServer(socket);
  const results = [];
  try {
    results.push(await measure(server.apiRoot, "quiet (no hog)"));
    if (hog > 0) results.push(await withHogs(hog, () => measure(server.apiRoot, `beside ${hog} CPU hog(s)`)));
  } finally {
    await server.stop();
  }
  console.log(`\ndispatch: tag → trivial run done, ${rounds} rounds per condition (ms)\n`);
  printTable(
    ["condition", "knitfab p50", "bare p50", "overhead p50", "ratio", "knitfab p90", "bare p90", "load avg before → after"],
    results.map((r) => {
      const ours = median(r.ours);
      const bare = median(r.bare);
      return [r.condition, fixed(ours, 1), fixed(bare, 1), fixed(ours - bare, 1), fixed(ours / bare) + "×", fixed(percentile(r.ours, 90), 1), fixed(percentile(r.bare, 90), 1), `${r.before} → ${r.after}`];
    }),
  );
  console.log("\ntarget: overhead <= 15 ms (median), quiet and loaded");
});
