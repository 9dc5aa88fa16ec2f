import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, allFinished, shellPlan } from "@knitfab/testing";
import type { WorkerRuntime } from "@knitfab/drivers";
import { applyPlan, pushData, startTestEngine, waitForRuns, type TestEngine } from "./support.js";

/**
 * A worker that writes its own log (the kubernetes runtime's log sidecar, WorkerRuntime.recordsLog)
 * is the only writer of the log Data: the engine neither records it while the worker runs nor
 * copies it at the end. The runtime here is the real Docker runtime on Podman, made to SAY that its
 * workers write their logs (they do not), so whatever the log Data holds came from the engine.
 */
describe.each(BACKENDS)("a log the worker writes itself, on %s", (backend) => {
  let engine: TestEngine;
  const asked: string[] = [];

  beforeAll(async () => {
    const selfLogging = (runtime: WorkerRuntime): WorkerRuntime => ({
      ...runtime,
      name: runtime.name,
      start: (spec) => runtime.start(spec),
      unplaceable: (onNode) => runtime.unplaceable(onNode),
      inspect: (runId) => runtime.inspect(runId),
      logs: (runId, options) => runtime.logs(runId, options),
      remove: (runId) => runtime.remove(runId),
      listWorkers: () => runtime.listWorkers(),
      ...(runtime.waitForExit ? { waitForExit: (runId: string, signal: AbortSignal) => runtime.waitForExit!(runId, signal) } : {}),
      close: () => runtime.close(),
      recordsLog: (log) => {
        asked.push(log.kind);
        return true;
      },
    });
    engine = await startTestEngine(backend, { logger: { error: () => {} } }, selfLogging);
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it("is left to the worker: the engine writes nothing into it", async () => {
    const tag = `self-log:${backend}`;
    const planId = await applyPlan(engine, shellPlan("echo printed by the task; sleep 1", { inputs: [{ path: "/in", tags: [tag] }] }));
    await pushData(engine, [{ name: "a", content: "a" }], [tag]);
    const [run] = await waitForRuns(engine, planId, allFinished(1));
    expect(run!.status).toBe("done");
    // The runtime was asked about the run's log volume, and the log Data is there, sealed, as the
    // engine made it before the start: empty, since this worker writes nothing into it.
    expect(asked).toContain("host-folder");
    expect(await text(await engine.store.readConcatenated(run!.log!.knitId))).toBe("");
  });
});
