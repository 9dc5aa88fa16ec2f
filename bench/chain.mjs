#!/usr/bin/env node
/** A 10-step linear pipeline of trivial tasks against 10 sequential bare container runs. */
import { api, bareRun, prepareEngine, report, startServer, tag, timed, trivialPlan, upload, waitDone } from "./lib.mjs";

const STEPS = Number(process.env.BENCH_STEPS ?? 10);
const socket = prepareEngine();
const server = await startServer(socket);
try {
  const measure = async (round) => {
    const plans = [];
    for (let step = 0; step < STEPS; step++) {
      const body = trivialPlan([[`chain${round}:${step}`]], [`chain${round}:${step + 1}`]);
      plans.push((await api(server.apiRoot, "/plans/", { method: "POST", body: JSON.stringify(body) })).planId);
    }
    const knitId = await upload(server.apiRoot, "seed\n");
    return timed(async () => {
      await tag(server.apiRoot, knitId, [`chain${round}:0`]);
      for (const planId of plans) await waitDone(server.apiRoot, planId, 1);
    });
  };
  await measure(0); // warm-up
  const ours = await measure(1);
  await bareRun();
  const bare = await timed(async () => {
    for (let step = 0; step < STEPS; step++) await bareRun();
  });
  report(`chain of ${STEPS}`, ours, bare);
} finally {
  await server.stop();
}
