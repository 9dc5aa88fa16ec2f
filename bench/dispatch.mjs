#!/usr/bin/env node
/**
 * Dispatch latency: Data gets its tag → the dependent trivial run is done, median of N (default 20),
 * against a bare `podman run` of the same task measured in the same run.
 */
import { api, bareRun, median, prepareEngine, report, startServer, tag, timed, trivialPlan, upload, waitDone } from "./lib.mjs";

const N = Number(process.env.BENCH_N ?? 20);
const socket = prepareEngine();
const server = await startServer(socket);
try {
  const ours = [];
  for (let i = 0; i < N + 1; i++) {
    const label = `dispatch:${i}`;
    const plan = await api(server.apiRoot, "/plans/", { method: "POST", body: JSON.stringify(trivialPlan([[label]], null)) });
    const knitId = await upload(server.apiRoot, `value ${i}\n`);
    const ms = await timed(async () => {
      await tag(server.apiRoot, knitId, [label]);
      await waitDone(server.apiRoot, plan.planId, 1);
    });
    if (i > 0) ours.push(ms); // the first run warms caches on both sides
  }
  await bareRun();
  const bare = [];
  for (let i = 0; i < N; i++) bare.push(await timed(() => bareRun()));
  report(`dispatch (median of ${N})`, median(ours), median(bare));
} finally {
  await server.stop();
}
