// End-to-end with runs that really execute (containers through Podman): follow a live log, stop a
// run, retry it, and delete a finished one, all from the console after confirmation.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanDetail, RunDetail } from "@knitfab/api";
import { poll } from "./support/poll.js";
import { apiClient, eventually, type ApiClient } from "./support/api.js";
import { launchBrowser, openPage, screenshot } from "./support/browser.js";
import { IMAGE as TEST_IMAGE, preparePodman } from "@knitfab/testing/podman";
import { startKnitfab, type RunningServer } from "./support/server.js";

let server: RunningServer;
let browser: Browser;
let api: ApiClient;
let slow: PlanDetail;
let quick: PlanDetail;

beforeAll(async () => {
  const dockerHost = `unix://${await preparePodman()}`;
  server = await startKnitfab({ DOCKER_HOST: dockerHost });
  api = apiClient(server.url);
  browser = await launchBrowser();
  slow = await api.applyPlan({
    image: TEST_IMAGE,
    entrypoint: ["sh", "-c", "i=0; while [ $i -lt 900 ]; do i=$((i+1)); echo line-$i; sleep 0.2; done; cp /in/x/* /out/y/"],
    inputs: [{ path: "/in/x", tags: ["kind:slow"] }],
    outputs: [{ path: "/out/y", tags: ["kind:slow-out"] }],
    log: { tags: ["kind:slow-log"] },
  });
  quick = await api.applyPlan({
    image: TEST_IMAGE,
    entrypoint: ["sh", "-c", "echo quick; cp /in/x/* /out/y/"],
    inputs: [{ path: "/in/x", tags: ["kind:quick"] }],
    outputs: [{ path: "/out/y", tags: ["kind:quick-out"] }],
    log: { tags: ["kind:quick-log"] },
  });
  await api.upload(["kind:slow"]);
  await api.upload(["kind:quick"]);
});

afterAll(async () => {
  // Leave no container running: abort whatever still runs before stopping the server.
  if (api) {
    const live = await api.findRuns("?status=waiting,ready,starting,running").catch(() => [] as RunDetail[]);
    for (const run of live) await fetch(`${server.url}/api/runs/${run.runId}/abort`, { method: "PUT" }).catch(() => undefined);
  }
  await browser?.close();
  await server?.stop();
});

async function visit(hash: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser);
  await opened.page.goto(`${server.url}/${hash}`);
  return opened;
}

const runOf = async (plan: PlanDetail, statuses: string) => (await api.findRuns(`?plan=${plan.planId}&status=${statuses}`))[0];

describe("runs that execute", () => {
  it("follows a live log, stops the run, and retries it", async () => {
    const running = await eventually("the slow run to be running", () => runOf(slow, "running"), 120_000);
    const { page, errors } = await visit(`#/runs/${running.runId}`);
    const log = page.getByTestId("run-log");
    await poll(() => log.textContent(), { timeout: 30_000 }).toContain("line-3");
    const early = (await log.textContent()) ?? "";
    // Still the same stream, still growing: the log is followed live, not re-read.
    await poll(async () => ((await log.textContent()) ?? "").length, { timeout: 30_000 }).toBeGreaterThan(early.length);
    expect(await page.getByTestId("log-state").textContent()).toContain("following the live log");
    await screenshot(page, "run-live-log");

    await page.getByRole("button", { name: "Stop", exact: true }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Yes, stop" }).click();
    const failed = await eventually("the stopped run to fail", async () => {
      const run = await api.getRun(running.runId);
      return run.status === "failed" ? run : undefined;
    }, 120_000);
    expect(failed.exit).toEqual({ code: 253, message: "aborted by user" });
    await poll(() => page.locator("[data-status]").first().getAttribute("data-status"), { timeout: 30_000 }).toBe("failed");
    await poll(() => page.getByTestId("run-exit").textContent()).toContain("aborted by user");
    await screenshot(page, "run-stopped");

    await page.getByRole("button", { name: "Retry" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Yes, retry" }).click();
    await eventually("the retried run to leave failed", async () => {
      const run = await api.getRun(running.runId);
      return run.status !== "failed" ? run : undefined;
    }, 30_000);
    expect(errors).toEqual([]);
    await page.close();
  }, 400_000);

  it("deletes a finished run after confirmation", async () => {
    const done = await eventually("the quick run to be done", () => runOf(quick, "done"), 120_000);
    const { page, errors } = await visit(`#/runs/${done.runId}`);
    await poll(() => page.getByTestId("run-log").textContent(), { timeout: 30_000 }).toContain("quick");
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Yes, delete" }).click();
    await poll(() => new URL(page.url()).hash).toBe("#/runs");
    // A deleted run is gone (404) or kept as invalidated for the record, depending on what it produced.
    const after = await fetch(`${server.url}/api/runs/${done.runId}/`);
    const status = after.status === 200 ? ((await after.json()) as RunDetail).status : after.status;
    expect([404, "invalidated"]).toContain(status);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
