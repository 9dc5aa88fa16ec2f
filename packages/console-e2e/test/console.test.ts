// End-to-end: the built console served by `knitfab serve`, driven in headless chromium, against data
// and plans created through the HTTP API. Parts that need runs to execute are in runs.test.ts.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataDetail, PlanDetail, RunDetail } from "@knitfab/api";
import { poll } from "./support/poll.js";
import { apiClient, eventually, type ApiClient } from "./support/api.js";
import { launchBrowser, openPage, screenshot } from "./support/browser.js";
import { startKnitfab, type RunningServer } from "./support/server.js";

let server: RunningServer;
let browser: Browser;
let api: ApiClient;
let raw: DataDetail;
let prep: PlanDetail;
let train: PlanDetail;
let prepRun: RunDetail;

const image = "localhost/busybox:test";

beforeAll(async () => {
  server = await startKnitfab();
  api = apiClient(server.url);
  browser = await launchBrowser();
  raw = await api.upload(["type:raw", "project:demo"]);
  await api.upload(["type:other"]);
  prep = await api.applyPlan({
    image,
    entrypoint: ["sh", "-c", "cp /in/raw/* /out/clean/; echo prepared"],
    inputs: [{ path: "/in/raw", tags: ["type:raw"] }],
    outputs: [{ path: "/out/clean", tags: ["type:clean"] }],
    log: { tags: ["type:log"] },
    annotations: ["owner=console-test"],
    // Inactive: its run is created but never executes, so this file's world stays still.
    active: false,
  });
  train = await api.applyPlan({
    image,
    entrypoint: ["sh", "-c", "cp /in/clean/* /out/model/"],
    inputs: [{ path: "/in/clean", tags: ["type:clean"] }],
    outputs: [{ path: "/out/model", tags: ["type:model"] }],
    active: false,
  });
  prepRun = await eventually("the projection to create a run of the prep plan", async () => {
    const runs = await api.findRuns(`?plan=${prep.planId}`);
    return runs[0];
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function visit(hash: string, width = 1280, height = 800): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser, width, height);
  await opened.page.goto(`${server.url}/${hash}`);
  return opened;
}

describe("data tab", () => {
  it("lists data, filters by tag, and links each item to its own URL", async () => {
    const { page, errors } = await visit("#/data");
    // the two uploads, and the output and log data the prep run will write
    const all = await api.findData("");
    expect(all).toHaveLength(4);
    await poll(() => page.getByTestId("data-item").count()).toBe(all.length);
    await screenshot(page, "data-tab");

    await page.getByLabel("Tags").fill("project:demo");
    await page.getByRole("button", { name: "Add" }).first().click();
    await poll(() => page.getByTestId("data-item").count()).toBe(1);
    await poll(() => page.getByTestId("data-item").first().textContent()).toContain(raw.knitId);

    await page.getByLabel("Tags").fill("no colon");
    await page.getByRole("button", { name: "Add" }).first().click();
    await page.getByRole("alert").filter({ hasText: "key:value" }).waitFor();
    await screenshot(page, "data-tab-filtered");

    await page.getByRole("link", { name: new RegExp(raw.knitId) }).click();
    expect(new URL(page.url()).hash).toBe(`#/data/${raw.knitId}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("filters by registration time", async () => {
    const { page, errors } = await visit("#/data");
    await page.getByTestId("data-item").first().waitFor();
    const before = await page.getByTestId("data-item").count();
    // Far in the future: nothing registered since then.
    await page.getByLabel("Since (local time)").fill("2099-01-01T00:00:00");
    await poll(() => page.getByText("No data matches.").count()).toBe(1);
    // Since a day ago, for two days: everything uploaded by this test.
    const dayAgo = new Date(Date.now() - 86_400_000);
    const pad = (n: number) => String(n).padStart(2, "0");
    const local = `${dayAgo.getFullYear()}-${pad(dayAgo.getMonth() + 1)}-${pad(dayAgo.getDate())}T${pad(dayAgo.getHours())}:${pad(dayAgo.getMinutes())}:00`;
    await page.getByLabel("Since (local time)").fill(local);
    await page.getByLabel("Hours").fill("48");
    await poll(() => page.getByText("No data matches.").count()).toBe(0);
    // The console shows what the API answers for the same window.
    const since = new Date(dayAgo.getFullYear(), dayAgo.getMonth(), dayAgo.getDate(), dayAgo.getHours(), dayAgo.getMinutes()).toISOString();
    const expected = (await api.findData(`?since=${encodeURIComponent(since)}&duration=48h`)).length;
    expect(expected).toBeGreaterThanOrEqual(2);
    await poll(() => page.getByTestId("data-item").count()).toBe(expected);
    await page.getByRole("button", { name: "Clear" }).click();
    await poll(() => page.getByTestId("data-item").count()).toBe(before);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("walks the list with the keyboard", async () => {
    const { page } = await visit("#/data");
    await page.getByTestId("data-item").nth(1).waitFor();
    await page.locator("a.item-link").first().focus();
    await page.keyboard.press("ArrowDown");
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? "");
    const second = (await page.locator("a.item-link").nth(1).textContent()) ?? "";
    expect(focused).toBe(second);
    await page.keyboard.press("Enter");
    await page.waitForURL(/#\/data\/[0-9a-f-]{36}$/);
    await page.close();
  });

  it("shows details, edits tags and offers the download", async () => {
    const { page, errors } = await visit(`#/data/${raw.knitId}`);
    await page.getByRole("heading", { name: "Downstream runs" }).waitFor();
    await page.getByText(prepRun.runId).first().waitFor();
    await page.getByText("Nominations").waitFor();

    await page.getByLabel("Add a tag").fill("stage: reviewed ");
    await page.getByRole("button", { name: "Add" }).click();
    await eventually("the tag to be stored", async () => ((await api.getData(raw.knitId))?.tags.includes("stage:reviewed") ? true : undefined), 10_000);
    await page.getByRole("button", { name: "remove tag stage:reviewed" }).waitFor();
    await screenshot(page, "data-detail");

    await page.getByRole("button", { name: "remove tag stage:reviewed" }).click();
    await eventually("the tag to be removed", async () => ((await api.getData(raw.knitId))?.tags.includes("stage:reviewed") ? undefined : true), 10_000);

    await page.getByLabel("Add a tag").fill("knit#id:forged");
    await page.getByRole("button", { name: "Add" }).click();
    await page.getByRole("alert").filter({ hasText: "reserved" }).waitFor();

    const href = await page.getByRole("link", { name: "Download" }).getAttribute("href");
    const download = await page.evaluate(async (url) => {
      const response = await fetch(url as string);
      return { status: response.status, type: response.headers.get("content-type"), size: (await response.arrayBuffer()).byteLength };
    }, href);
    expect(download.status).toBe(200);
    expect(download.size).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("draws the lineage graph of a data item with click-through", async () => {
    const { page, errors } = await visit(`#/data/${raw.knitId}/lineage`);
    const canvas = page.locator(".canvas[data-first-render-ms]");
    await canvas.waitFor();
    // raw data, its upload run, the prep run, and the prep run's output and log
    await poll(() => page.locator(".react-flow__node").count()).toBe(5);
    await screenshot(page, "lineage-data");
    await page.locator(".react-flow__node").filter({ hasText: prepRun.runId }).click();
    const panel = page.getByRole("complementary", { name: "Details" });
    await panel.getByRole("link", { name: prepRun.runId }).waitFor();
    await page.keyboard.press("Escape");
    await panel.waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Fit", exact: true }).click();
    await page.getByRole("button", { name: "Zoom in", exact: true }).click();
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("plans tab", () => {
  it("filters by active state, image and tags", async () => {
    const { page, errors } = await visit("#/plans");
    await page.getByTestId("plan-item").first().waitFor();
    await screenshot(page, "plans-tab");
    await page.getByLabel("Active").selectOption("false");
    await poll(() => page.getByTestId("plan-item").count()).toBe(2);
    const inactive = (await page.getByTestId("plan-item").allTextContents()).join(" ");
    expect(inactive).toContain(train.planId);
    expect(inactive).toContain(prep.planId);
    await page.getByLabel("Active").selectOption("any");

    await page.getByLabel("Tags for outputs").fill("type:clean");
    await page.getByLabel("Tags for outputs").press("Enter");
    await poll(() => page.getByTestId("plan-item").count()).toBe(1);
    await poll(() => page.getByTestId("plan-item").first().textContent()).toContain(prep.planId);
    await page.getByRole("button", { name: "Clear" }).click();

    await page.getByLabel("Image").fill("localhost/nothing-like-this");
    await poll(() => page.getByText("No plan matches.").count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows details and activates/deactivates after confirmation", async () => {
    const { page, errors } = await visit(`#/plans/${prep.planId}`);
    await page.getByText("owner=console-test").waitFor();
    await page.getByText("/out/clean").first().waitFor();
    await screenshot(page, "plan-detail");
    await page.close();

    // The train plan has no runs (no clean data exists), so switching it changes nothing else.
    const { page: trainPage } = await visit(`#/plans/${train.planId}`);
    await trainPage.getByRole("button", { name: "Activate" }).click();
    await trainPage.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    expect((await api.getPlan(train.planId)).active).toBe(false);

    await trainPage.getByRole("button", { name: "Activate" }).click();
    await trainPage.getByRole("dialog").getByRole("button", { name: "Yes, activate" }).click();
    await eventually("the plan to be active", async () => ((await api.getPlan(train.planId)).active ? true : undefined), 10_000);
    await trainPage.getByRole("button", { name: "Deactivate" }).click();
    await trainPage.getByRole("dialog").getByRole("button", { name: "Yes, deactivate" }).click();
    await eventually("the plan to be inactive", async () => ((await api.getPlan(train.planId)).active ? undefined : true), 10_000);
    expect(errors).toEqual([]);
    await trainPage.close();
  });

  it("draws the plan graph with click-through to plan details", async () => {
    const { page, errors } = await visit(`#/plans/${train.planId}/graph`);
    await page.locator(".canvas[data-first-render-ms]").waitFor();
    // two plans, prep's input, output and log, train's input and output
    await poll(() => page.locator(".react-flow__node").count()).toBe(7);
    await poll(() => page.locator(".react-flow__edge").count()).toBe(6);
    await screenshot(page, "plan-graph");
    await page.locator(".react-flow__node").filter({ hasText: prep.planId }).click();
    await page.getByRole("complementary", { name: "Details" }).getByRole("link", { name: prep.planId }).click();
    await page.waitForURL(new RegExp(`#/plans/${prep.planId}$`));
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("runs tab", () => {
  it("filters by plan and status and opens run details", async () => {
    const { page, errors } = await visit("#/runs");
    await page.getByTestId("run-item").nth(2).waitFor();
    await screenshot(page, "runs-tab");
    await page.getByLabel("Plan IDs").fill(prep.planId);
    await page.getByLabel("Plan IDs").press("Enter");
    await poll(() => page.getByTestId("run-item").count()).toBe(1);
    await page.getByRole("checkbox", { name: "done" }).check();
    await poll(() => page.getByText("No run matches.").count()).toBe(prepRun.status === "done" ? 0 : 1);
    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByLabel("Input Knit IDs").fill(raw.knitId);
    await page.getByLabel("Input Knit IDs").press("Enter");
    await poll(() => page.getByTestId("run-item").count()).toBe(1);
    await page.getByTestId("run-item").getByRole("link", { name: new RegExp(prepRun.runId) }).click();
    await page.waitForURL(new RegExp(`#/runs/${prepRun.runId}$`));
    await page.getByRole("heading", { name: "Inputs" }).waitFor();
    await page.getByRole("link", { name: raw.knitId }).waitFor();
    await screenshot(page, "run-detail");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("draws the lineage graph of a run", async () => {
    const { page, errors } = await visit(`#/runs/${prepRun.runId}/lineage`);
    await page.locator(".canvas[data-first-render-ms]").waitFor();
    await poll(() => page.locator(".react-flow__node").count()).toBe(5);
    await screenshot(page, "lineage-run");
    await page.locator(".react-flow__node").filter({ hasText: raw.knitId }).click();
    await page.getByRole("complementary", { name: "Details" }).getByText("type:raw").waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it("asks before deleting a run, and Cancel changes nothing", async () => {
    const { page, errors } = await visit(`#/runs/${prepRun.runId}`);
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog").getByText("cannot be undone").waitFor();
    await screenshot(page, "run-delete-confirm");
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("dialog").waitFor({ state: "detached" });
    expect((await api.getRun(prepRun.runId)).status).toBe(prepRun.status);
    expect(new URL(page.url()).hash).toBe(`#/runs/${prepRun.runId}`);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("malformed addresses and failing views", () => {
  it("shows not found for a deep link that does not decode, and the console goes on working", async () => {
    const { page, errors } = await visit("#/data/%E0%A4%A");
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    await page.getByText("#/data/%E0%A4%A").waitFor();
    await screenshot(page, "not-found");
    await page.getByRole("link", { name: "Go to the Data list" }).click();
    await page.getByTestId("data-item").first().waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it("no malformed hash leaves a blank page", async () => {
    const hashes = ["#/runs/%E0%A4%A/lineage", "#/plans/%ZZ/graph", "#/%", "#/plans/%E0%A4%A", "#/runs?plan=%E0%A4%A", "#/data/%00", "#/plans/..%2F..", "#/data/a/b/c/d", `#/runs/${"%".repeat(5000)}`];
    for (const hash of hashes) {
      const { page, errors } = await visit(hash);
      await page.getByRole("navigation", { name: "Views" }).waitFor();
      await poll(() => page.locator("main").innerText()).not.toBe("");
      expect(errors, hash).toEqual([]);
      await page.close();
    }
  });

  it("a view that throws while rendering shows what failed, under the header, instead of a blank page", async () => {
    const { page, errors } = await openPage(browser, 1280, 800);
    // A fault in the browser, hit by the refresh bar once the list has loaded.
    await page.addInitScript(() => {
      Date.prototype.toLocaleTimeString = () => {
        throw new Error("injected fault: toLocaleTimeString failed");
      };
    });
    await page.goto(`${server.url}/#/data`);
    await page.getByRole("heading", { name: "This page could not be shown" }).waitFor();
    await page.getByRole("alert").filter({ hasText: "injected fault: toLocaleTimeString failed" }).waitFor();
    await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Plans" }).waitFor();
    await screenshot(page, "view-failed");
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe("layout", () => {
  it("works on a narrow window without horizontal scrolling", async () => {
    for (const hash of ["#/data", "#/plans", "#/runs", `#/runs/${prepRun.runId}`]) {
      const { page } = await visit(hash, 400, 800);
      await page.locator(".refresh-bar").waitFor();
      await page.waitForLoadState("networkidle");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `horizontal overflow on ${hash}`).toBeLessThanOrEqual(0);
      await screenshot(page, `narrow-${hash.split("/")[1]}${hash.split("/").length > 2 ? "-detail" : ""}`);
      await page.close();
    }
  });
});
