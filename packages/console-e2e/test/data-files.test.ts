// End-to-end: the Data page's Files section (tree, totals, previews) in headless chromium against
// the real server, for a Data pushed through the API with text, CSV, PNG, JSON and binary files.
import { crc32, deflateSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataDetail } from "@knitfab/api";
import { apiClient, eventually } from "./support/api.js";
import { launchBrowser, openPage, screenshot } from "./support/browser.js";
import { poll } from "./support/poll.js";
import { startKnitfab, type RunningServer } from "./support/server.js";

/** A valid 2×2 RGB PNG, all red: signature, IHDR, one IDAT, IEND. */
function tinyPng(): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0); // width
  header.writeUInt32BE(2, 4); // height
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: RGB
  const row = Buffer.from([0, 255, 0, 0, 255, 0, 0]); // filter byte, then two red pixels
  const pixels = deflateSync(Buffer.concat([row, row]));
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]),
  );
}

// More than the 64 KiB a text preview reads, so the page must say it is cut.
const LINES = 4000;
const logText = Array.from({ length: LINES }, (_, index) => `line ${String(index + 1).padStart(5, "0")} of the training log\n`).join("");
const csv = 'name,score,city\nalice,3,Tokyo\nbob,5,"Osaka, JP"\n';
const json = '{"model":"resnet","layers":[1,2]}';
const binary = new Uint8Array(1000).map((_, index) => index % 256);
const png = tinyPng();

let server: RunningServer;
let browser: Browser;
let data: DataDetail;

beforeAll(async () => {
  server = await startKnitfab();
  browser = await launchBrowser();
  data = await apiClient(server.url).upload(["type:files"], {
    "train.log": logText,
    "tables/scores.csv": csv,
    "pixel.png": png,
    "config.json": json,
    "weights.bin": binary,
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function openFile(page: Page, name: RegExp): Promise<void> {
  await page.getByRole("button", { name }).click();
}

describe("data files", () => {
  it("shows the tree with totals and previews text, CSV, PNG, JSON and binary files", async () => {
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}/#/data/${data.knitId}`);
    const totalBytes = logText.length + csv.length + png.length + json.length + binary.length;
    await poll(() => page.getByTestId("file-totals").textContent()).toContain(`5 files, 1 folder`);
    await poll(() => page.getByTestId("file-totals").textContent()).toContain(`(${totalBytes.toLocaleString("en")} bytes)`);

    // Folders start closed and open with their button.
    expect(await page.getByRole("button", { name: /scores\.csv/ }).count()).toBe(0);
    const folder = page.getByRole("button", { name: /tables\// });
    expect(await folder.getAttribute("aria-expanded")).toBe("false");
    await folder.click();
    expect(await folder.getAttribute("aria-expanded")).toBe("true");

    // Text: the first 64 KiB, said to be cut; then the last lines.
    await openFile(page, /train\.log/);
    const text = page.getByLabel("Text of train.log");
    await poll(() => text.textContent()).toContain("line 00001 of the training log");
    expect(await text.textContent()).not.toContain(`line ${LINES} of`);
    await poll(() => page.getByTestId("cut-note").textContent()).toContain("Showing the first 64 KiB of");
    await page.getByRole("button", { name: "Show the last lines" }).click();
    await poll(() => text.textContent()).toContain(`line 0${LINES} of the training log`);
    expect(await text.textContent()).not.toContain("line 00001 of");
    await page.getByRole("button", { name: "Show the beginning" }).waitFor();

    // CSV: a table with its header, rows and column count (a quoted comma stays in its cell).
    await openFile(page, /scores\.csv/);
    await poll(() => page.getByTestId("table-note").textContent()).toContain("3 columns");
    const table = page.getByRole("table");
    expect(await table.getByRole("columnheader").allTextContents()).toEqual(["name", "score", "city"]);
    expect(await table.getByRole("row").nth(2).getByRole("cell").allTextContents()).toEqual(["bob", "5", "Osaka, JP"]);
    await screenshot(page, "data-files-csv");

    // PNG: an image the browser decoded (the console's CSP lets it load from the file endpoint).
    await openFile(page, /pixel\.png/);
    const image = page.getByRole("img", { name: "pixel.png" });
    await poll(() => image.evaluate((element) => (element as HTMLImageElement).naturalWidth)).toBe(2);

    // JSON: indented.
    await openFile(page, /config\.json/);
    await poll(() => page.getByLabel("JSON of config.json").textContent()).toBe(JSON.stringify(JSON.parse(json), null, 2));

    // Binary: a hex dump of the first 512 bytes and a download link to the file endpoint.
    await openFile(page, /weights\.bin/);
    const dump = page.getByTestId("hex-dump");
    await poll(() => dump.textContent()).toContain("00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  |................|");
    expect(await dump.textContent()).toContain("000001f0  f0 f1");
    expect(await dump.textContent()).not.toContain("00000200");
    await page.getByText("the first 512 bytes of 1,000 bytes").waitFor();
    const link = page.getByRole("link", { name: "Download file" });
    const href = (await link.getAttribute("href")) ?? "";
    expect(href).toBe(`/api/x/data/${data.knitId}/file?path=weights.bin`);
    const downloaded = new Uint8Array(await (await fetch(`${server.url}${href}`)).arrayBuffer());
    expect(downloaded).toEqual(binary);
    await screenshot(page, "data-files-binary");

    // Back to the image for a screenshot of it.
    await openFile(page, /pixel\.png/);
    await poll(() => image.evaluate((element) => (element as HTMLImageElement).complete)).toBe(true);
    await screenshot(page, "data-files-image");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("says a Data whose run has not ended has no files to see yet", async () => {
    const api = apiClient(server.url);
    // Inactive: its run is created but never executes, so its output Data stays unsealed.
    const plan = await api.applyPlan({
      image: "localhost/busybox:test",
      entrypoint: ["sh", "-c", "true"],
      inputs: [{ path: "/in/files", tags: ["type:files"] }],
      outputs: [{ path: "/out/copy", tags: ["type:copy"] }],
      active: false,
    });
    const run = await eventually("the projection to create a run of the plan", async () => (await api.findRuns(`?plan=${plan.planId}`))[0]);
    const output = run.outputs[0];
    if (!output) throw new Error(`run ${run.runId} has no output`);
    const { page, errors } = await openPage(browser);
    await page.goto(`${server.url}/#/data/${output.knitId}`);
    await poll(() => page.getByTestId("files-unsealed").textContent()).toBe(`The files can be seen once the data is complete; its run is ${run.status}.`);
    expect(await page.getByRole("alert").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("reads only a range of a large text file", async () => {
    const { page } = await openPage(browser);
    const ranges: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/file?path=train.log")) ranges.push(request.headers()["range"]);
    });
    await page.goto(`${server.url}/#/data/${data.knitId}`);
    await openFile(page, /train\.log/);
    await poll(() => page.getByLabel("Text of train.log").textContent()).toContain("line 00001");
    await page.getByRole("button", { name: "Show the last lines" }).click();
    await poll(() => page.getByLabel("Text of train.log").textContent()).toContain(`line 0${LINES}`);
    expect(ranges).toEqual(["bytes=0-65535", "bytes=-65536"]);
    await page.close();
  });
});
