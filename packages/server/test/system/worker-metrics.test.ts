import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, preparePodman, allFinished, shellPlan, type Json } from "@knitfab/testing";
import { applyPlan, pushData, startEngineServer, waitForRuns, type EngineServer } from "../../test-support/index.js";
import { scrapeMetrics } from "../support/prometheus.js";

/**
 * knitfab_worker_starts_total and knitfab_worker_failures_total{reason}: the engine reports starts and
 * failures through its metrics sink, on real Podman workers.
 */
describe.each(BACKENDS)("worker metrics on %s", (backend) => {
  let server: EngineServer;
  beforeAll(async () => {
    await preparePodman();
    server = await startEngineServer(backend);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function finished(plan: Json, tag: string): Promise<Json> {
    const planId = await applyPlan(server.apiRoot, { ...plan, inputs: [{ path: "/in", tags: [tag] }] });
    await pushData(server.apiRoot, [{ name: "x", content: "x" }], [tag]);
    const [run] = await waitForRuns(server.apiRoot, planId, allFinished(1));
    return run!;
  }

  it("counts workers started, and failed runs by reason", async () => {
    const before = await scrapeMetrics(server.url);
    expect(before.value("knitfab_worker_starts_total")).toBe(0);
    expect(before.typeOf("knitfab_worker_failures_total")).toBe("COUNTER");

    const writes = shellPlan("printf 12345 > /out/result", { outputs: [{ path: "/out", tags: ["wm:out"] }] });
    expect((await finished(writes, `wm:${backend}-ok`)).status).toBe("done");
    expect((await finished(shellPlan("exit 3", {}), `wm:${backend}-exit`)).status).toBe("failed");
    const unpullable = await finished({ ...shellPlan("true", {}), image: "localhost/knitfab-no-such-image:1" }, `wm:${backend}-pull`);
    expect(unpullable.status).toBe("failed");

    const after = await scrapeMetrics(server.url);
    expect(after.value("knitfab_worker_starts_total")).toBe(2);
    expect(after.value("knitfab_worker_failures_total", { reason: "TaskFailed" })).toBe(1);
    expect(after.value("knitfab_worker_failures_total", { reason: "ErrImagePull" })).toBe(1);
    // sealed outputs count with their size: three 1-byte uploads and the 5 bytes written (the logs are empty)
    expect(after.value("knitfab_data_stored_bytes")).toBe(3 + 5);
    expect(after.value("knitfab_runs", { status: "failed" })).toBe(2);
  });
});
