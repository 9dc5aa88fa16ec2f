// End-to-end: pick two Data in the Data list, see their files side by side and the text difference
// of a small file, in headless chromium against the real server.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataDetail } from "@knitfab/api";
import { apiClient } from "./support/api.js";
import { launchBrowser, openPage, screenshot } from "./support/browser.js";
import { poll } from "./support/poll.js";
import { startKnitfab, type RunningServer } from "./support/server.js";

const metrics = (accuracy: string, loss: string) => `epoch: 10\naccuracy: ${accuracy}\nloss: ${loss}\nseed: 42\n`;

let server: RunningServer;
let browser: Browser;
let older: DataDetail;
let newer: DataDetail;

beforeAll(async () => {
  server = await startKnitfab();
  browser = await launchBrowser();
  const api = apiClient(server.url);
  older = await api.upload(["model:a"], {
    "metrics.txt": metrics("0.91", "0.30"),
    "README.md": "same on both sides\n",
    "sub/weights.bin": "abc",
    "only-old.txt": "gone later\n",
  });
  newer = await api.upload(["model:b"], {
    "metrics.txt": metrics("0.94", "0.22"),
    "README.md": "same on both sides\n",
    "sub/weights.bin": "abd",
    "only-new.txt": "added later\n",
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("compare two Data", () => {
  it("picks two Data in the list and shows their files side by side with a text diff", async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}/#/data`);
    const compare = page.getByRole("button", { name: "Compare the two picked" });
    await page.getByLabel(`pick ${older.knitId} to compare`).check();
    expect(await compare.isDisabled()).toBe(true);
    await page.getByLabel(`pick ${newer.knitId} to compare`).check();
    await compare.click();
    await poll(() => new URL(page.url()).hash).toBe(`#/data/${older.knitId}/compare/${newer.knitId}`);

    const summary = page.getByTestId("compare-summary");
    await poll(() => summary.textContent(), { timeout: 30_000 }).toContain("1 same, 3 different, 1 only left, 1 only right");
    const status = async (path: string) => page.locator(`[data-testid="compare-row"][data-path="${path}"]`).getAttribute("data-status");
    expect(await status("README.md")).toBe("same");
    // the folder holds a file that differs
    expect(await status("sub")).toBe("different");
    // Same size, other bytes: told apart by reading both (small) files.
    expect(await status("sub/weights.bin")).toBe("different");
    expect(await status("metrics.txt")).toBe("different");
    expect(await status("only-old.txt")).toBe("only-left");
    expect(await status("only-new.txt")).toBe("only-right");

    // The first differing text file's diff is shown at once.
    const diff = page.getByTestId("file-diff");
    await poll(() => diff.textContent()).toContain("- accuracy: 0.91");
    const text = (await diff.textContent()) ?? "";
    expect(text).toContain("+ accuracy: 0.94");
    expect(text).toContain("- loss: 0.30");
    expect(text).toContain("+ loss: 0.22");
    expect(text).toContain("  epoch: 10");
    await screenshot(page, "data-compare");
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("compares from the Data page with a knitId, and refuses one that is not", async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}/#/data/${newer.knitId}`);
    const field = page.getByLabel("Compare with");
    await field.fill("not-an-id");
    await page.getByRole("button", { name: "Compare", exact: true }).click();
    await poll(() => page.getByRole("alert").first().textContent()).toContain("a knitId looks like");
    expect(new URL(page.url()).hash).toBe(`#/data/${newer.knitId}`);
    await field.fill(older.knitId);
    await field.press("Enter");
    await poll(() => new URL(page.url()).hash).toBe(`#/data/${newer.knitId}/compare/${older.knitId}`);
    // Sides swapped: what only the older one has is now on the right.
    await poll(() => page.locator('[data-testid="compare-row"][data-path="only-old.txt"]').getAttribute("data-status"), { timeout: 30_000 }).toBe("only-right");
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
