#!/usr/bin/env node
/**
 * A linear pipeline of --steps (default 10) trivial plans, from the first tag to the last run done,
 * against as many sequential bare container runs, measured in the same run; --rounds pairs (median).
 * With `--hog N`, measured again beside N CPU-burning processes, and both reported.
 */
import { api, bareRun, median, prepareEngine, startServer, tag, timed, trivialPlan, upload, waitDone } from "./lib.mjs";
import { main, numericOptions } from "./lib/args.mjs";
import { loadAverage, quietAndLoaded } from "./lib/hog.mjs";
import { fixed, printTable } from "./lib/stats.mjs";

const USAGE = "usage: node bench/chain.mjs [--steps 10] [--rounds 1] [--hog 0]   (BENCH_STEPS sets the default of --steps)";
const { steps, rounds, hog } = numericOptions(USAGE, { steps: Number(process.env.BENCH_STEPS ?? 10), rounds: 1, hog: 0 });

let chainNumber = 0;
async function chainOnce(apiRoot) {
  const chain = `chain${chainNumber++}`;
  const plans = [];
  for (let step = 0; step < steps; step++) {
    const body = trivialPlan([[`${chain}:${step}`]], [`${chain}:${step + 1}`]);
    plans.push((await api(apiRoot, "/plans/", { method: "POST", body: JSON.stringify(body) })).planId);
  }
  const knitId = await upload(apiRoot, "seed\n");
  return timed(async () => {
    await tag(apiRoot, knitId, [`${chain}:0`]);
    for (const planId of plans) await waitDone(apiRoot, planId, 1);
  });
}

const bareChain = () =>
  timed(async () => {
    for (let step = 0; step < steps; step++) await bareRun();
  });

async function measure(apiRoot, condition) {
  const before = loadAverage();
  await chainOnce(apiRoot); // warm-up
  await bareRun();
  const ours = [];
  const bare = [];
  for (let round = 0; round < rounds; round++) {
    ours.push(await chainOnce(apiRoot));
    bare.push(await bareChain());
  }
  return { condition, ours: median(ours), bare: median(bare), before, after: loadAverage() };
}

await main(async () => {
  const socket = prepareEngine();
  const server = await startServer(socket);
  const results = await quietAndLoaded(server, hog, measure);
  console.log(`\nchain of ${steps}: first tag → last run done, against ${steps} sequential bare runs; median of ${rounds} (ms)\n`);
  printTable(
    ["condition", "knitfab", "bare", "overhead per step", "ratio", "load avg before → after"],
    results.map((r) => [r.condition, fixed(r.ours, 1), fixed(r.bare, 1), fixed((r.ours - r.bare) / steps, 1), fixed(r.ours / r.bare) + "×", `${r.before} → ${r.after}`]),
  );
  console.log("\ntarget: <= 1.1×");
});
