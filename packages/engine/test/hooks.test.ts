import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, freePort, allFinished, shellPlan, type Json } from "@knitfab/testing";
import { loadHooksFile } from "../src/index.js";
import { applyPlan, pushData, startTestEngine, waitForRuns, type TestEngine } from "./support.js";

interface HookCall {
  hook: string;
  runId: string;
  status: string;
}

/**
 * Lifecycle hooks against real HTTP hook servers: a before hook refusing every other call, one that
 * times out on its first call per transition, an after hook that is down and one that records.
 */
describe.each(BACKENDS)("lifecycle hooks on %s", (backend) => {
  let engine: TestEngine;
  let hookServer: Server;
  let folder = "";
  const calls: HookCall[] = [];
  let flakyCount = 0;
  const slowSeen = new Set<string>();

  beforeAll(async () => {
    hookServer = createServer((request, response) => {
      void body(request).then((text) => {
        const run = JSON.parse(text) as Json;
        const call = { hook: request.url ?? "", runId: String(run.runId), status: String(run.status) };
        calls.push(call);
        if (call.hook === "/flaky") {
          // Refuses every other call.
          flakyCount++;
          if (flakyCount % 2 === 1) {
            response.writeHead(503, { "content-type": "text/plain" }).end("not now");
            return;
          }
          if (call.status === "ready") {
            response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ knitfabExtension: { env: { GREETING: "hello-from-hook" } } }));
            return;
          }
          response.writeHead(200).end();
          return;
        }
        if (call.hook === "/slow") {
          // Answers the first call per (run, status) too late for the hook timeout.
          const key = `${call.runId}/${call.status}`;
          const delay = slowSeen.has(key) ? 0 : 1_500;
          slowSeen.add(key);
          setTimeout(() => response.writeHead(204).end(), delay);
          return;
        }
        response.writeHead(200).end();
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => hookServer.listen(port, "127.0.0.1", resolve));
    const down = await freePort();
    folder = await mkdtemp(join(tmpdir(), "knitfab-hooks-"));
    const hooksFile = join(folder, "hooks.yaml");
    const base = `http://127.0.0.1:${port}`;
    await writeFile(
      hooksFile,
      ["lifecycle-hooks:", "  before:", `    - ${base}/flaky`, `    - ${base}/slow`, "  after:", `    - http://127.0.0.1:${down}/down`, `    - ${base}/after`, ""].join("\n"),
    );
    engine = await startTestEngine(backend, { logger: { error: () => {} }, hooks: await loadHooksFile(hooksFile), options: { hookTimeoutMs: 500, hookRetryMs: 100 } });
  });
  afterAll(async () => {
    await engine?.stop();
    await new Promise<void>((resolve) => hookServer?.close(() => resolve()));
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("gates every transition on the before hooks, retries refusals and timeouts, injects env, and tells after hooks at most once", async () => {
    const tag = `hooked:${backend}`;
    const planId = await applyPlan(
      engine,
      shellPlan("echo $GREETING > /out/greeting", { inputs: [{ path: "/in", tags: [tag] }], outputs: [{ path: "/out", tags: [`greeted:${backend}`] }] }),
    );
    await pushData(engine, [{ name: "x", content: "x" }], [tag]);
    const [run] = await waitForRuns(engine, planId, allFinished(1), 120_000);
    expect(run!.status).toBe("done");
    const runId = String(run!.runId);

    // The env from the ready → starting before hook reached the worker.
    const output = run!.outputs[0]!.knitId;
    expect((await readFile(join(engine.home, "data", "data", output, "greeting"), "utf8")).trim()).toBe("hello-from-hook");

    // Every transition was announced to the before hooks (with the old status) before it happened...
    const mine = calls.filter((call) => call.runId === runId);
    const beforeStatuses = new Set(mine.filter((call) => call.hook === "/slow").map((call) => call.status));
    for (const status of ["waiting", "ready", "completing"]) expect(beforeStatuses).toContain(status);
    // ...the slow hook was only reached after the flaky one said yes, and its timeouts were retried.
    expect(mine.filter((call) => call.hook === "/flaky").length).toBeGreaterThan(beforeStatuses.size);
    expect(mine.filter((call) => call.hook === "/slow").length).toBeGreaterThanOrEqual(2 * beforeStatuses.size);

    // After hooks: each new status at most once, in order, despite the other after hook being down.
    await waitUntilCalled(() => calls.some((call) => call.runId === runId && call.hook === "/after" && call.status === "done"));
    const afterStatuses = calls.filter((call) => call.runId === runId && call.hook === "/after").map((call) => call.status);
    expect(new Set(afterStatuses).size).toBe(afterStatuses.length);
    expect(afterStatuses[0]).toBe("ready");
    expect(afterStatuses).toContain("starting");
    expect(afterStatuses).toContain("completing");
    expect(afterStatuses.at(-1)).toBe("done");
  });
});

function body(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

async function waitUntilCalled(probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}
