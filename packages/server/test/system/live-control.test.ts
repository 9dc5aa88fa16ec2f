import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, callJson, existingWorkers, preparePodman, allFinished, shellPlan, type Json } from "@knitfab/testing";
import { applyPlan, getRun, pushData, runLog, startEngineServer, waitForRuns, type EngineServer } from "../../test-support/index.js";

const exec = promisify(execFile);

/** Live follow, abort, tearoff, retry, delete, vanished workers, stuck starts and on_node, on real Podman. */
describe.each(BACKENDS)("engine live control on %s", (backend) => {
  let server: EngineServer;
  let apiRoot = "";
  const api = (path: string) => `${apiRoot}${path}`;
  let caseNo = 0;
  /** A plan on its own input tag, and the one run that a pushed Data starts. */
  async function oneRun(script: string, extra: Json = {}, outputs: Json[] = []): Promise<{ planId: string; runId: string }> {
    const tag = `case:${backend}-${++caseNo}-${Date.now()}`;
    const planId = await applyPlan(apiRoot, shellPlan(script, { inputs: [{ path: "/in", tags: [tag] }], outputs, extra }));
    await pushData(apiRoot, [{ name: "x", content: "x" }], [tag]);
    const [run] = await waitForRuns(apiRoot, planId, (runs) => runs.length === 1);
    return { planId, runId: String(run!.runId) };
  }
  const waitStatus = async (planId: string, statuses: string[]) =>
    (await waitForRuns(apiRoot, planId, (runs) => runs.length === 1 && statuses.includes(String(runs[0]!.status))))[0]!;
  const dataFolder = (knitId: string) => join(server.home, "data", "data", knitId);
  const exists = (path: string) => stat(path).then(() => true, () => false);

  beforeAll(async () => {
    await preparePodman();
    server = await startEngineServer(backend, { engine: { startTimeoutMs: 2_000 }, flags: { nodeLabel: ["zone=here"] } });
    apiRoot = server.apiRoot;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("streams the log live with ?follow until the run ends", async () => {
    const { planId, runId } = await oneRun("echo first; sleep 2; echo second");
    await waitStatus(planId, ["running"]);
    const response = await fetch(api(`/runs/${runId}/log?follow`));
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = "";
    let sawFirstWhileRunning = false;
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += Buffer.from(chunk.value).toString();
      if (text.includes("first") && !text.includes("second")) {
        sawFirstWhileRunning ||= ["starting", "running"].includes(String((await getRun(apiRoot, runId)).status));
      }
    }
    expect(sawFirstWhileRunning).toBe(true);
    expect(text).toBe("first\nsecond\n");
    await waitForRuns(apiRoot, planId, allFinished(1));
    expect((await runLog(apiRoot, runId)).text).toBe("first\nsecond\n");
  });

  it("aborts a running run: the worker is killed and the run fails with 253", async () => {
    const { planId, runId } = await oneRun("echo working; sleep 600", {}, [{ path: "/out", tags: ["kind:aborted"] }]);
    await waitStatus(planId, ["running"]);
    expect((await callJson(api(`/runs/${runId}/abort`), { method: "PUT" })).status).toBe(200);
    const [run] = await waitForRuns(apiRoot, planId, allFinished(1));
    expect(run!.status).toBe("failed");
    expect(run!.exit).toEqual({ code: 253, message: "aborted by user" });
    expect(await existingWorkers([runId])).toEqual([]);
    expect((await runLog(apiRoot, runId)).text).toContain("working");
  });

  it("tears off a running run: its outputs so far become done Data that feed the next plan", async () => {
    const { planId, runId } = await oneRun("echo partial > /out/result; sleep 600", {}, [{ path: "/out", tags: [`torn:${backend}`] }]);
    const next = await applyPlan(apiRoot, shellPlan("cat /in/result > /out/copy", {
      inputs: [{ path: "/in", tags: [`torn:${backend}`] }],
      outputs: [{ path: "/out", tags: [`copied:${backend}`] }],
    }));
    await waitStatus(planId, ["running"]);
    expect((await callJson(api(`/runs/${runId}/tearoff`), { method: "PUT" })).status).toBe(200);
    const [run] = await waitForRuns(apiRoot, planId, allFinished(1));
    expect(run!.status).toBe("done");
    expect(run!.exit).toEqual({ code: 0, message: "stopped by user" });
    const [downstream] = await waitForRuns(apiRoot, next, allFinished(1));
    expect(downstream!.status).toBe("done");
    const copy = String(((await getRun(apiRoot, String(downstream!.runId))).outputs as Json[])[0]!.knitId);
    expect(await exists(join(dataFolder(copy), "copy"))).toBe(true);
  });

  it("retries a finished run with new outputs, and deletes one; the old outputs are garbage-collected", async () => {
    const { planId, runId } = await oneRun("date +%N > /out/stamp", {}, [{ path: "/out", tags: ["kind:retried"] }]);
    await waitForRuns(apiRoot, planId, allFinished(1));
    const before = String(((await getRun(apiRoot, runId)).outputs as Json[])[0]!.knitId);
    expect(await exists(dataFolder(before))).toBe(true);
    expect((await callJson(api(`/runs/${runId}/retry`), { method: "PUT" })).status).toBe(200);
    const [again] = await waitForRuns(apiRoot, planId, (runs) => runs[0]?.status === "done" && !!runs[0]);
    expect(again!.runId).toBe(runId);
    const after = String(((await getRun(apiRoot, runId)).outputs as Json[])[0]!.knitId);
    expect(after).not.toBe(before);
    expect(await exists(join(dataFolder(after), "stamp"))).toBe(true);
    await waitUntil(async () => !(await exists(dataFolder(before))));

    expect((await callJson(api(`/runs/${runId}`), { method: "DELETE" })).status).toBe(204);
    expect((await getRun(apiRoot, runId)).status).toBe("invalidated");
    await waitUntil(async () => !(await exists(dataFolder(after))));
  });

  it("fails a run whose worker vanished with 254", async () => {
    const { planId, runId } = await oneRun("sleep 600");
    await waitStatus(planId, ["running"]);
    await exec("podman", ["rm", "-f", `worker-run-${runId}`]);
    const [run] = await waitForRuns(apiRoot, planId, allFinished(1));
    expect(run!.status).toBe("failed");
    expect(run!.exit).toEqual({ code: 254, message: "worker for the run is not found" });
  });

  it("fails a run whose image cannot be pulled with 255", async () => {
    const tag = `case:missing-image-${backend}`;
    const planId = await applyPlan(apiRoot, { ...shellPlan("true", { inputs: [{ path: "/in", tags: [tag] }] }), image: "localhost/knitfab-no-such-image:1" });
    await pushData(apiRoot, [{ name: "x", content: "x" }], [tag]);
    const [run] = await waitForRuns(apiRoot, planId, allFinished(1));
    expect(run!.status).toBe("failed");
    expect((run!.exit as Json).code).toBe(255);
    expect(String((run!.exit as Json).message)).toContain("knitfab-no-such-image");
  });

  it("keeps a run whose on_node must label the machine lacks waiting with a reason, and runs one it has", async () => {
    const { planId, runId } = await oneRun("true", { on_node: { must: ["gpu=a100"] } });
    const reason = await waitUntil(async () => {
      const rows = await sql<{ pending_reason: string | null }>`SELECT pending_reason FROM worker WHERE run_id = ${runId}::uuid`.execute(
        server.server.database.db,
      );
      return rows.rows[0]?.pending_reason ?? undefined;
    });
    expect(reason).toContain("gpu=a100");
    expect(reason).toContain("zone=here");
    expect((await getRun(apiRoot, runId)).status).toBe("ready");
    // users see the reason where they look for the log
    const log = await callJson<{ message: string }>(api(`/runs/${runId}/log`));
    expect(log.status).toBe(503);
    expect(log.body.message).toContain("gpu=a100");
    // and beside the run itself, in a header that leaves the reference's body as it is
    expect((await callJson(api(`/runs/${runId}`))).headers.get("warning")).toMatch(/^199 knitfab "waiting: the plan's on_node \\"must\\" needs gpu=a100/);
    expect((await callJson(api(`/runs/${runId}/abort`), { method: "PUT" })).status).toBe(200);
    const [aborted] = await waitForRuns(apiRoot, planId, allFinished(1));
    expect(aborted!.exit).toEqual({ code: 253, message: "aborted by user" });

    const placed = await oneRun("true", { on_node: { must: ["zone=here", "zone=there"], may: ["gpu=a100"] } });
    const [done] = await waitForRuns(apiRoot, placed.planId, allFinished(1));
    expect(done!.status).toBe("done");
  });
});

/** Polls until `probe` yields a truthy value (bounded as a hang guard, not as a verdict). */
async function waitUntil<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("condition not reached in time");
}
