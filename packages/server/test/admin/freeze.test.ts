import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import { FREEZE_EXIT, retryRun } from "@knitfab/db";
import { callJson, createTestPostgresDatabase, uploadTarGz, preparePodman, allFinished, shellPlan, type Json } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";
import { applyPlan, getRun, pushData, startEngineServer, waitForRuns, type EngineServer } from "../../test-support/index.js";
import { openAdminConnection, type AdminTarget } from "../../src/admin/connection.js";

const BIN = fileURLToPath(new URL("../../bin/knitfab.js", import.meta.url));

function knitfab(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(["pglite", "postgres"] as const)("freeze and unfreeze on %s", (backend) => {
  let server: EngineServer;
  let target: AdminTarget;
  const targetFlags = () => ["--home", target.home, ...(target.databaseUrl ? ["--database-url", target.databaseUrl] : [])];

  beforeAll(async () => {
    await preparePodman();
    const databaseUrl = backend === "postgres" ? (await createTestPostgresDatabase()).url : undefined;
    server = await startEngineServer(backend, databaseUrl ? { databaseUrl } : {});
    target = { home: server.home, databaseUrl };
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("stops a running pipeline, refuses writes with 503, and unfreezing lets every run finish", async () => {
    const apiRoot = server.apiRoot;
    const project = `f${Date.now()}`;
    const slow = await applyPlan(
      apiRoot,
      shellPlan("sleep 30; cat /in/x > /out/y", {
        inputs: [{ path: "/in", tags: [`project:${project}`, "step:1"] }],
        outputs: [{ path: "/out", tags: [`project:${project}`, "step:2"] }],
        log: null,
      }),
    );
    const next = await applyPlan(
      apiRoot,
      shellPlan("cat /in/y /in/y > /out/z", {
        inputs: [{ path: "/in", tags: [`project:${project}`, "step:2"] }],
        outputs: [{ path: "/out/", tags: [`project:${project}`, "step:3"] }],
        log: null,
      }),
    );
    await pushData(apiRoot, [{ name: "x", content: "hello" }], [`project:${project}`, "step:1"]);
    const [running] = await waitForRuns(apiRoot, slow, (runs) => runs[0]?.status === "running");
    const runId = String(running!.runId);

    // Freeze through the command line, as an administrator does, while the server runs.
    const frozen = await knitfab(["admin", "freeze", ...targetFlags()]);
    expect(frozen.output).toContain("frozen");
    expect(frozen.code).toBe(0);
    const stopped = await getRun(apiRoot, runId);
    expect(stopped.status).toBe("failed");
    expect(stopped.exit).toEqual({ code: FREEZE_EXIT.code, message: FREEZE_EXIT.message });

    // Writes answer 503 and say since when; reads work.
    for (const write of [
      callJson<Json>(`${apiRoot}/plans/`, { method: "POST", body: shellPlan("true", {}) }),
      callJson<Json>(`${apiRoot}/runs/${runId}/retry`, { method: "PUT" }),
      uploadTarGz(apiRoot, Readable.from([rawTarGz([{ path: "a", content: "a" }])])),
    ]) {
      const answer = await write;
      expect(answer.status).toBe(503);
      expect(String((answer.body as Json).message)).toMatch(/^knitfab is frozen since \d{4}-\d\d-\d\dT/);
    }
    expect((await callJson(`${apiRoot}/runs/${runId}`)).status).toBe(200);
    expect((await callJson(`${apiRoot}/data/`)).status).toBe(200);

    // Freezing again changes nothing; the status says frozen.
    const connection = await openAdminConnection(target);
    try {
      const again = await connection.operations.freeze({ by: "admin", wait: true }, () => {});
      expect(again.created).toBe(false);
      expect(again.freeze).toMatchObject({ state: "frozen", frozenBy: "admin", stoppedRuns: 1 });
      const status = await knitfab(["admin", "status", ...targetFlags()]);
      expect(status.output).toContain("frozen since");

      // The loops take no new work while frozen: a run made waiting behind the API's back (as an
      // unfreeze killed half-way would leave it) is not initialized, let alone started.
      await retryRun(server.server.database, runId);
      await sleep(3_000);
      expect((await getRun(apiRoot, runId)).status).toBe("waiting");

      const lifted = await connection.operations.unfreeze(undefined);
      expect(lifted.lifted).toBe(true);
      // it was retried already (above), so the unfreeze says so and leaves it
      expect(lifted.skipped.map((skipped) => skipped.runId)).toEqual([runId]);
    } finally {
      await connection.close();
    }
    const [done] = await waitForRuns(apiRoot, slow, allFinished(1), 120_000);
    expect(done!.status).toBe("done");
    const [chained] = await waitForRuns(apiRoot, next, allFinished(1), 60_000);
    expect(chained!.status).toBe("done");
    expect((await callJson(`${apiRoot}/plans/`, { method: "POST", body: {} })).status).not.toBe(503);
  }, 240_000);

  it("unfreezing retries the runs the freeze stopped, and every run finishes", async () => {
    const apiRoot = server.apiRoot;
    const project = `g${Date.now()}`;
    const slow = await applyPlan(
      apiRoot,
      shellPlan("sleep 20; cat /in/x > /out/y", {
        inputs: [{ path: "/in", tags: [`project:${project}`, "step:1"] }],
        outputs: [{ path: "/out", tags: [`project:${project}`, "step:2"] }],
      }),
    );
    await pushData(apiRoot, [{ name: "x", content: "one" }], [`project:${project}`, "step:1"]);
    await pushData(apiRoot, [{ name: "x", content: "two" }], [`project:${project}`, "step:1"]);
    await waitForRuns(apiRoot, slow, (runs) => runs.length === 2 && runs.some((run) => run.status === "running"));
    const connection = await openAdminConnection(target);
    try {
      const outcome = await connection.operations.freeze({ by: "admin", wait: true }, () => {});
      expect(outcome.unsettledRuns).toBe(0);
      expect(outcome.freeze.stoppedRuns).toBeGreaterThanOrEqual(1);
      const unfrozen = await knitfab(["admin", "unfreeze", ...targetFlags()]);
      expect(unfrozen.code).toBe(0);
      expect(unfrozen.output).toContain(`${outcome.freeze.stoppedRuns} run(s) stopped by the freeze are retried`);
      expect((await connection.operations.status()).freeze).toBeUndefined();
    } finally {
      await connection.close();
    }
    const runs = await waitForRuns(apiRoot, slow, (all) => all.length === 2 && all.every((run) => run.status === "done"), 150_000);
    expect(runs.map((run) => run.status)).toEqual(["done", "done"]);
  }, 240_000);
});
