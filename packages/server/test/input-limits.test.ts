import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, callJson, storedState, uploadTarGz } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Json = Record<string, unknown>;

const MEGABYTE = "x".repeat(1024 * 1024);

const plan = (overrides: Json = {}): Json => ({
  image: "localhost/limits:v1",
  inputs: [{ path: "/in", tags: ["kind:raw"] }],
  outputs: [{ path: "/out", tags: ["kind:clean"] }],
  ...overrides,
});

/**
 * Oversized fields, NUL characters and times PostgreSQL cannot store are refused at the edge with
 * a 400 that says what is wrong, and change nothing (issue 8, items 9 to 11).
 */
describe.each(BACKENDS)("input limits on %s", (backend) => {
  let server: TestServer;
  let knitId: string;
  let planId: string;
  beforeAll(async () => {
    server = await startTestServer(backend, { role: "api" });
    const upload = await uploadTarGz(server.apiRoot, Readable.from([rawTarGz([{ path: "f.txt", content: "x" }])]));
    knitId = String((upload.body as Json).knitId);
    const applied = await callJson<Json>(api("/plans"), { method: "POST", body: plan() });
    expect(applied.status, applied.text).toBe(200);
    planId = String(applied.body.planId);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const api = (path: string) => `${server.apiRoot}${path}`;
  const state = () => storedState(server.server.database, server.home);

  /** The request is a 400 whose message matches `message`, and nothing stored changed. */
  async function expectRefused(path: string, init: Parameters<typeof callJson>[1], message: RegExp): Promise<void> {
    const before = await state();
    const response = await callJson<Json>(api(path), init);
    expect(response.status, response.text).toBe(400);
    expect(String(response.body.message)).toMatch(message);
    // a megabyte sent is not a megabyte echoed back
    expect(response.text.length).toBeLessThan(4096);
    expect(await state()).toEqual(before);
  }

  it("refuses a 1 MB tag value, and a tag key over 256 bytes, on data", async () => {
    await expectRefused(`/data/${knitId}`, { method: "PUT", body: { add: [`big:${MEGABYTE}`] } }, /too long: 1048576 bytes.*at most 2048/);
    await expectRefused(`/data/${knitId}`, { method: "PUT", body: { add: [{ key: "k".repeat(257), value: "v" }] } }, /tag key .* at most 256/);
    await expectRefused(`/data/${knitId}`, { method: "PUT", body: { remove_key: ["k".repeat(257)] } }, /at most 256/);
  });

  it("accepts tags right at the limits", async () => {
    const key = "k".repeat(256);
    const value = "\u00e9".repeat(1024); // 2048 bytes in UTF-8
    const response = await callJson<Json>(api(`/data/${knitId}`), { method: "PUT", body: { add: [{ key, value }] } });
    expect(response.status, response.text).toBe(200);
    expect(response.body.tags).toContain(`${key}:${value}`);
    const found = await callJson<Json[]>(api(`/data?tag=${encodeURIComponent(`${key}:${value}`)}`));
    expect(found.body.map((data) => data.knitId)).toEqual([knitId]);
  });

  it("refuses more than 1000 tags in one change", async () => {
    const add = Array.from({ length: 1001 }, (_, nth) => `many:${nth}`);
    await expectRefused(`/data/${knitId}`, { method: "PUT", body: { add } }, /too many tags in "add": 1001, at most 1000/);
  });

  it("refuses oversized annotations, paths, tags and arguments in plans", async () => {
    await expectRefused("/plans", { method: "POST", body: plan({ annotations: [`a=${MEGABYTE}`] }) }, /annotation .* at most 2048/);
    await expectRefused(`/plans/${planId}/annotations`, { method: "PUT", body: { add: [`a=${MEGABYTE}`] } }, /annotation .* at most 2048/);
    await expectRefused(`/plans/${planId}/annotations`, { method: "PUT", body: { add: [`${"k".repeat(254)}=v`] } }, /at most 253/);
    await expectRefused("/plans", { method: "POST", body: plan({ inputs: [{ path: "/in", tags: [`kind:${MEGABYTE}`] }] }) }, /at most 2048/);
    await expectRefused("/plans", { method: "POST", body: plan({ inputs: [{ path: `/${"p".repeat(5000)}`, tags: ["kind:raw"] }] }) }, /inputs\[0\]\.path is too long.*at most 4096/);
    await expectRefused("/plans", { method: "POST", body: plan({ args: [MEGABYTE] }) }, /args\[0\] is too long/);
    const inputs = Array.from({ length: 101 }, (_, nth) => ({ path: `/in/${nth}`, tags: ["kind:raw"] }));
    await expectRefused("/plans", { method: "POST", body: plan({ inputs }) }, /too many inputs: 101, at most 100/);
  });

  it("refuses NUL characters in tags, plan fields and query parameters", async () => {
    await expectRefused(`/data/${knitId}`, { method: "PUT", body: { add: ["nul:a\u0000b"] } }, /NUL/);
    await expectRefused(`/data/${knitId}`, { method: "PUT", body: { add: [{ key: "n\u0000", value: "v" }] } }, /NUL/);
    await expectRefused("/data?tag=a:b%00", {}, /NUL/);
    await expectRefused("/plans?in_tag=a:%00", {}, /NUL/);
    await expectRefused("/plans?image=a%00", {}, /NUL/);
    await expectRefused("/plans", { method: "POST", body: plan({ outputs: [{ path: "/out\u0000x", tags: ["kind:clean"] }] }) }, /NUL/);
    await expectRefused("/plans", { method: "POST", body: plan({ entrypoint: ["sh", "-c\u0000"] }) }, /NUL/);
    await expectRefused("/plans", { method: "POST", body: plan({ annotations: ["a=\u0000"] }) }, /NUL/);
    await expectRefused(`/plans/${planId}/annotations`, { method: "PUT", body: { remove_key: ["a\u0000"] } }, /NUL/);
    await expectRefused(`/plans/${planId}/resources`, { method: "PUT", body: { set: { "gpu\u0000": "1" } } }, /NUL/);
    await expectRefused(`/plans/${planId}/serviceaccount`, { method: "PUT", body: { service_account: "sa\u0000" } }, /NUL/);
  });

  it("refuses times PostgreSQL cannot store, and keeps the earliest it can (knit run find sends it)", async () => {
    for (const resource of ["/data", "/runs"]) {
      await expectRefused(`${resource}?since=0000-01-01T00:00:00Z`, {}, /"since" should be a date-time from 0001-01-01/);
      await expectRefused(`${resource}?since=0001-01-01T00:00:00%2B01:00`, {}, /"since" should be a date-time from 0001-01-01/);
      await expectRefused(`${resource}?since=9999-01-01T00:00:00Z&duration=2562047h`, {}, /"since" \+ "duration" should end/);
      await expectRefused(`${resource}?since=0001-01-01T00:00:00Z&duration=-1h`, {}, /"since" \+ "duration" should end/);
      const earliest = await callJson<Json[]>(api(`${resource}?since=0001-01-01T00:00:00Z`));
      expect(earliest.status, earliest.text).toBe(200);
      const longest = await callJson<Json[]>(api(`${resource}?since=2020-01-01T00:00:00Z&duration=2562047h`));
      expect(longest.status, longest.text).toBe(200);
    }
    await expectRefused("/data?tag=knit%23timestamp:0000-06-01T00:00:00Z", {}, /knit#timestamp.*from 0001-01-01/);
    await expectRefused(
      "/plans",
      { method: "POST", body: plan({ inputs: [{ path: "/in", tags: ["knit#timestamp:0000-06-01T00:00:00Z"] }] }) },
      /knit#timestamp:0000-06-01T00:00:00Z" should be from 0001-01-01/,
    );
  });
});
