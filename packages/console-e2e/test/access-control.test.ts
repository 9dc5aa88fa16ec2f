// End-to-end: the built console against `knitfab serve --auth tokens` in headless chromium. The
// console asks for the API token once, when the API first answers 401, and keeps it for the session.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataDetail } from "@knitfab/api";
import { poll } from "./support/poll.js";
import { apiClient } from "./support/api.js";
import { launchBrowser, openPage, screenshot } from "./support/browser.js";
import { serverBinary, startKnitfab, type RunningServer } from "./support/server.js";

let server: RunningServer;
let browser: Browser;
let secret = "";
let data: DataDetail;
let home = "";

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), "knitfab-console-auth-"));
  // the first token, made before the server ever started
  secret = execFileSync(process.execPath, [serverBinary, "admin", "token", "create", "--home", home, "--name", "console"], { encoding: "utf8" }).trim();
  server = await startKnitfab({ KNITFAB_AUTH: "tokens" }, { home });
  data = await apiClient(server.url, secret).upload(["project:auth"], { "notes.txt": "secret notes\n" });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe("console with access control", () => {
  it("asks for the token once, refuses a wrong one, then works for the whole session, downloads included", async () => {
    const { page, errors } = await openPage(browser);
    const sessions: number[] = [];
    page.on("response", (response) => {
      if (new URL(response.url()).pathname === "/api/x/session") sessions.push(response.status());
    });
    await page.goto(`${server.url}/#/data`);
    const dialog = page.getByRole("dialog", { name: "API token" });
    await dialog.waitFor();
    await screenshot(page, "auth-token-prompt");
    expect(await page.getByTestId("data-item").count()).toBe(0);

    await dialog.getByLabel("Token").fill("knitfab_wrong");
    await dialog.getByRole("button", { name: "Continue" }).click();
    await dialog.getByRole("alert").filter({ hasText: "not accepted" }).waitFor();
    await screenshot(page, "auth-token-refused");

    await dialog.getByLabel("Token").fill(secret);
    await dialog.getByRole("button", { name: "Continue" }).click();
    await poll(() => page.getByTestId("data-item").count()).toBe(1);
    expect(await dialog.count()).toBe(0);
    expect(sessions).toEqual([401, 204]);

    // other tabs, a detail page and a reload: no more questions
    for (const hash of ["#/plans", "#/runs", `#/data/${data.knitId}`]) {
      await page.goto(`${server.url}/${hash}`);
      await page.getByRole("main").waitFor();
    }
    await page.getByText("notes.txt").first().waitFor();
    await page.reload();
    await page.getByText("notes.txt").first().waitFor();
    expect(await dialog.count()).toBe(0);
    expect(sessions).toEqual([401, 204]);

    // links that cannot carry a header (downloads) go with the session cookie
    const download = await page.request.get(`${server.url}/api/x/data/${data.knitId}/file?path=notes.txt`);
    expect(download.status()).toBe(200);
    expect(await download.text()).toBe("secret notes\n");
    expect((await fetch(`${server.url}/api/x/data/${data.knitId}/file?path=notes.txt`)).status).toBe(401);
    const cookies = await page.context().cookies();
    expect(cookies.find((cookie) => cookie.name === "knitfab_token")).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    expect(errors).toEqual([]);
    await page.close();
  });
});
