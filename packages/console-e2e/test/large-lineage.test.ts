// A lineage of about 2,000 nodes drawn by the console: first as a few cards (the 400-way fan-out is
// one group card whose counts can be read), then with the group expanded in place. Render times are
// logged, never asserted.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataDetail } from "@knitfab/api";
import { poll } from "./support/poll.js";
import { apiClient, eventually } from "./support/api.js";
import { launchBrowser, openPage, screenshot } from "./support/browser.js";
import { startKnitfab, type RunningServer } from "./support/server.js";

const ITEMS = 400; // root + its upload run + 400 × (item, item's upload run, run, output, log) = 2,002 nodes

let server: RunningServer;
let browser: Browser;
let root: DataDetail;

beforeAll(async () => {
  server = await startKnitfab();
  const api = apiClient(server.url);
  browser = await launchBrowser();
  // An inactive plan: projection creates its runs (and their output and log data) but none executes.
  const plan = await api.applyPlan({
    image: "localhost/busybox:test",
    entrypoint: ["true"],
    inputs: [
      { path: "/in/root", tags: ["role:root"] },
      { path: "/in/item", tags: ["role:item"] },
    ],
    outputs: [{ path: "/out", tags: ["role:out"] }],
    log: { tags: ["role:log"] },
    active: false,
  });
  root = await api.upload(["role:root"]);
  // eight uploads at a time
  for (let first = 0; first < ITEMS; first += 8) {
    await Promise.all(Array.from({ length: Math.min(8, ITEMS - first) }, (_, i) => api.upload(["role:item", `n:${first + i}`])));
  }
  await eventually(`${ITEMS} runs of the plan`, async () => ((await api.findRuns(`?plan=${plan.planId}`)).length === ITEMS ? true : undefined), 300_000);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("a 2,000-node lineage", () => {
  it("renders the fan-out as one readable group first, then fully expanded, and stays usable", async () => {
    const { page, errors } = await openPage(browser);
    const opened = Date.now();
    await page.goto(`${server.url}/#/data/${root.knitId}/lineage`);
    const canvas = page.locator(".canvas[data-first-render-ms]");
    await canvas.waitFor({ timeout: 120_000 });
    const firstRender = Number(await canvas.getAttribute("data-first-render-ms"));
    const collapsedNodes = Number(await canvas.getAttribute("data-node-count"));
    console.log(`lineage first render (collapsed, ${collapsedNodes} nodes): ${firstRender} ms in page, ${Date.now() - opened} ms from navigation`);
    expect(collapsedNodes).toBeGreaterThan(1);
    expect(collapsedNodes).toBeLessThan(20);
    // The group card is on screen at the default zoom and says what it holds.
    const group = page.getByTestId("node-group");
    await group.waitFor({ state: "visible" });
    await poll(() => group.textContent()).toContain(`${ITEMS} runs of plan localhost/busybox:test`);
    expect(await group.textContent()).toContain(`${ITEMS} deactivated`);
    expect(await group.textContent()).toContain(`wrote ${ITEMS} logs, ${ITEMS} at /out`);
    const box = await group.boundingBox();
    // legible: drawn at least at its layout width of 340 px, not shrunk to fit
    expect(box?.width ?? 0).toBeGreaterThanOrEqual(300);
    await screenshot(page, "lineage-2000-collapsed");

    // The group opens into a paged list of its runs, and expands in place on request.
    await group.click();
    const panel = page.getByTestId("group-panel");
    await poll(() => panel.textContent()).toContain(`runs 1–50 of ${ITEMS}`);
    await panel.getByRole("button", { name: "Next →" }).click();
    await poll(() => panel.textContent()).toContain(`runs 51–100 of ${ITEMS}`);
    expect(await panel.locator("tbody tr").count()).toBe(50);
    await screenshot(page, "lineage-2000-group-panel");
    await panel.getByRole("button", { name: `Expand all ${ITEMS} runs in place` }).click();
    const clicked = Date.now();
    await poll(async () => Number(await page.locator(".canvas").getAttribute("data-node-count")), { timeout: 300_000 })
      .toBeGreaterThanOrEqual(2000);
    const firstDrawn = Date.now() - clicked;
    const drawn = page.locator('.canvas[data-complete="true"]');
    await poll(async () => ((await drawn.count()) === 1 ? Number(await drawn.getAttribute("data-node-count")) : 0), { timeout: 300_000 })
      .toBeGreaterThanOrEqual(2000);
    console.log(`lineage fully expanded to ${await drawn.getAttribute("data-node-count")} nodes: first drawn ${firstDrawn} ms after the click, final shape laid out after ${Date.now() - clicked} ms`);

    // Still responsive: zooming and fitting answer, and the main thread is free.
    const probe = await page.evaluate(
      () => new Promise<number>((resolve) => {
        const t0 = performance.now();
        setTimeout(() => resolve(performance.now() - t0), 0);
      }),
    );
    console.log(`main thread answered a timer in ${probe.toFixed(1)} ms with the expanded graph on screen`);
    await page.getByRole("button", { name: "Fit", exact: true }).click();
    await screenshot(page, "lineage-2000-expanded");
    expect(errors).toEqual([]);
    await page.close();
  }, 900_000);
});
