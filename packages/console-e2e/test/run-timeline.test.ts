// End-to-end: the run timeline of a real two-step pipeline (containers through Podman) on the plan
// page, in the lineage view and as queue/run time on the run page.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataDetail, PlanDetail, RunDetail } from "@knitfab/api";
import { poll } from "./support/poll.js";
import { apiClient, eventually, type ApiClient } from "./support/api.js";
import { launchBrowser, openPage, screenshot } from "./support/browser.js";
import { IMAGE as TEST_IMAGE, preparePodman } from "@knitfab/testing/podman";
import { startKnitfab, type RunningServer } from "./support/server.js";

let server: RunningServer;
let browser: Browser;
let api: ApiClient;
let prepare: PlanDetail;
let train: PlanDetail;
let raw: DataDetail;
let prepareRun: RunDetail;
let trainRun: RunDetail;

beforeAll(async () => {
  const dockerHost = `unix://${await preparePodman()}`;
  server = await startKnitfab({ DOCKER_HOST: dockerHost });
  api = apiClient(server.url);
  browser = await launchBrowser();
  prepare = await api.applyPlan({
    image: TEST_IMAGE,
    entrypoint: ["sh", "-c", "sleep 1; cp /in/x/* /out/y/"],
    inputs: [{ path: "/in/x", tags: ["step:raw"] }],
    outputs: [{ path: "/out/y", tags: ["step:prepared"] }],
    log: { tags: ["step:prepare-log"] },
  });
  train = await api.applyPlan({
    image: TEST_IMAGE,
    entrypoint: ["sh", "-c", "sleep 2; cp /in/x/* /out/y/"],
    inputs: [{ path: "/in/x", tags: ["step:prepared"] }],
    outputs: [{ path: "/out/y", tags: ["step:trained"] }],
  });
  raw = await api.upload(["step:raw"]);
  const done = async (plan: PlanDetail) => {
    const [run] = await api.findRuns(`?plan=${plan.planId}`);
    if (run?.status === "failed") throw new Error(`run of ${plan.planId} failed`);
    return run?.status === "done" ? run : undefined;
  };
  prepareRun = await eventually("the prepare run to be done", () => done(prepare), 180_000);
  trainRun = await eventually("the train run to be done", () => done(train), 180_000);
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("run timeline", () => {
  it("shows the runs of a two-step pipeline on a time axis, in the order they ran", async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}/#/data/${raw.knitId}/lineage`);
    const timelineButton = page.getByRole("button", { name: "Timeline", exact: true });
    await poll(() => timelineButton.isEnabled(), { timeout: 60_000 }).toBe(true);
    await timelineButton.click();
    const rows = page.getByTestId("timeline-row");
    await poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    // The second step reads the first one's output: it starts after it, so it is drawn below it.
    expect(await rows.nth(0).getAttribute("data-run-id")).toBe(prepareRun.runId);
    expect(await rows.nth(1).getAttribute("data-run-id")).toBe(trainRun.runId);
    for (const row of [rows.nth(0), rows.nth(1)]) {
      expect(Number(await row.getAttribute("data-run-ms"))).toBeGreaterThan(0);
      expect(await row.textContent()).toMatch(/waited .+ · ran .+ · done/);
      expect(await row.locator(".tl-running").count()).toBe(1);
      expect(await row.locator(".tl-end-done").count()).toBe(1);
    }
    const plans = page.getByTestId("timeline-plan");
    expect(await plans.count()).toBe(2);
    expect(await page.getByTestId("timeline").textContent()).toContain("most time running");
    await screenshot(page, "timeline-lineage");
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("shows a plan's runs on its page, and queue and run time on the run page", async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}/#/plans/${train.planId}`);
    await page.getByRole("button", { name: "Show run timeline" }).click();
    const rows = page.getByTestId("timeline-row");
    await poll(() => rows.count(), { timeout: 30_000 }).toBe(1);
    expect(await rows.first().getAttribute("data-run-id")).toBe(trainRun.runId);
    await screenshot(page, "timeline-plan");

    await page.goto(`${server.url}/#/runs/${trainRun.runId}`);
    await poll(() => page.getByTestId("run-run-time").textContent(), { timeout: 30_000 }).toMatch(/^\d+(\.\d)? (ms|s)$/);
    expect(await page.getByTestId("run-queue-time").textContent()).toMatch(/^\d+(\.\d)? (ms|s)$/);
    await screenshot(page, "run-durations");
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
