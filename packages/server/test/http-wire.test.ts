import { createHash } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, callJson, requestRaw, uploadTarGz } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Json = Record<string, unknown>;

const MISSING = "00000000-0000-0000-0000-000000000000";

/**
 * The HTTP edges of the API, over real HTTP against a real server: how query strings, bodies and
 * content types are read (as the reference's echo server reads them), which requests are refused
 * (cross-origin writes, foreign Host names), wrong methods, oversized headers and error texts.
 */
describe.each(BACKENDS)("HTTP edges on %s", (backend) => {
  let server: TestServer;
  let consoleDir: string;
  beforeAll(async () => {
    consoleDir = await mkdtemp(join(tmpdir(), "knitfab-console-"));
    await writeFile(join(consoleDir, "index.html"), "<!doctype html><title>console</title>");
    server = await startTestServer(backend, { role: "api,backend,projection", consoleDir, allowedHosts: "knitfab.example.org" });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const api = (path: string) => `${server.apiRoot}${path}`;
  const host = () => new URL(server.url).host;

  async function applyPlan(body: Json): Promise<Json> {
    const response = await callJson<Json>(api("/plans"), { method: "POST", body });
    expect(response.status, response.text).toBe(200);
    return response.body;
  }

  async function upload(tags: string[]): Promise<string> {
    const result = await uploadTarGz(server.apiRoot, Readable.from([rawTarGz([{ path: "x.txt", content: tags.join(",") }])]));
    expect(result.status).toBe(200);
    const knitId = String((result.body as Json).knitId);
    expect((await callJson(api(`/data/${knitId}`), { method: "PUT", body: { add: tags } })).status).toBe(200);
    return knitId;
  }

  describe("query strings", () => {
    it("reads an empty optional parameter as absent (the reference console sends since=…&duration=)", async () => {
      const knitId = await upload(["empty-query:1"]);
      const since = encodeURIComponent("2000-01-01T00:00:00+00:00");
      for (const query of [`since=${since}&duration=`, "since=&duration=", "since=", "duration="]) {
        const data = await callJson<Json[]>(api(`/data?tag=empty-query:1&${query}`));
        expect(data.status, `${query}: ${data.text}`).toBe(200);
        expect(data.body.map((item) => item.knitId)).toEqual([knitId]);
        const runs = await callJson<Json[]>(api(`/runs?knitIdOutput=${knitId}&${query}`));
        expect(runs.status, `${query}: ${runs.text}`).toBe(200);
        expect(runs.body).toHaveLength(1);
      }
      const plan = await applyPlan({ image: "localhost/empty-query:v1", inputs: [{ path: "/in", tags: ["empty-query:in"] }], outputs: [] });
      const plans = await callJson<Json[]>(api("/plans?active=&image=&in_tag=empty-query:in"));
      expect(plans.status, plans.text).toBe(200);
      expect(plans.body.map((item) => item.planId)).toEqual([plan.planId]);
      const runs = await callJson<Json[]>(api(`/runs?plan=&status=&knitIdInput=&knitIdOutput=${knitId}`));
      expect(runs.status, runs.text).toBe(200);
      expect(runs.body).toHaveLength(1);
    });

    it("keeps presence flags: ?pretty= still pretty-prints", async () => {
      const response = await fetch(api(`/plans?pretty=&image=localhost/none`));
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("[]");
      const plan = await applyPlan({ image: "localhost/pretty-flag:v1", inputs: [{ path: "/in", tags: ["pretty:flag"] }], outputs: [] });
      const text = await (await fetch(api(`/plans/${String(plan.planId)}?pretty=`))).text();
      expect(text).toContain('\n  "planId"');
    });

    it("takes the first value of a repeated single-valued parameter, as echo's QueryParam does", async () => {
      const first = await applyPlan({ image: "localhost/repeat:v1", inputs: [{ path: "/in", tags: ["repeat:1"] }], outputs: [], active: false });
      const second = await applyPlan({ image: "localhost/repeat:v2", inputs: [{ path: "/in", tags: ["repeat:2"] }], outputs: [] });
      const plans = await callJson<Json[]>(api("/plans?active=false&active=true&image=localhost/repeat"));
      expect(plans.status, plans.text).toBe(200);
      expect(plans.body.map((plan) => plan.planId)).toEqual([first.planId]);
      const byImage = await callJson<Json[]>(api("/plans?image=localhost/repeat:v2&image=localhost/repeat:v1"));
      expect(byImage.body.map((plan) => plan.planId)).toEqual([second.planId]);

      const knitId = await upload(["repeat:1", "repeat:2"]);
      const runsOfFirst = await eventuallyRuns(`plan=${String(first.planId)}`, 1);
      const repeated = await callJson<Json[]>(api(`/runs?plan=${String(first.planId)}&plan=${String(second.planId)}`));
      expect(repeated.status, repeated.text).toBe(200);
      expect(repeated.body.map((run) => run.runId)).toEqual(runsOfFirst.map((run) => run.runId));
      const since = encodeURIComponent("2000-01-01T00:00:00Z");
      const data = await callJson<Json[]>(api(`/data?tag=repeat:1&since=${since}&since=bogus&duration=1000000h&duration=x`));
      expect(data.status, data.text).toBe(200);
      expect(data.body.map((item) => item.knitId)).toEqual([knitId]);
      // lists stay lists: every tag must match
      expect((await callJson<Json[]>(api("/data?tag=repeat:1&tag=repeat:2"))).body.map((item) => item.knitId)).toEqual([knitId]);
      expect((await callJson<Json[]>(api("/data?tag=repeat:1&tag=repeat:3"))).body).toEqual([]);
    });

    it("matches every version for image=repo: (what the reference CLI sends for --image repo)", async () => {
      const one = await applyPlan({ image: "localhost/anyversion:v1", inputs: [{ path: "/in", tags: ["anyversion:1"] }], outputs: [] });
      const two = await applyPlan({ image: "localhost/anyversion:v2", inputs: [{ path: "/in", tags: ["anyversion:2"] }], outputs: [] });
      const found = await callJson<Json[]>(api("/plans?image=localhost/anyversion:"));
      expect(found.status).toBe(200);
      expect(found.body.map((plan) => plan.planId).sort()).toEqual([one.planId, two.planId].sort());
      const portRegistry = await applyPlan({ image: "localhost:5000/anyversion:v1", inputs: [{ path: "/in", tags: ["anyversion:3"] }], outputs: [] });
      expect((await callJson<Json[]>(api("/plans?image=localhost:5000/anyversion:"))).body.map((plan) => plan.planId)).toEqual([portRegistry.planId]);
      const noRepository = await callJson<Json>(api("/plans?image=:v1"));
      expect(noRepository.status).toBe(400);
      expect(String(noRepository.body.message)).toMatch(/^bad request\nquery specification is incorrect\n/);
    });
  });

  async function eventuallyRuns(query: string, count: number): Promise<Json[]> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const runs = (await callJson<Json[]>(api(`/runs?${query}`))).body;
      if (runs.length >= count) return runs;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no ${count} runs for ${query}`);
  }

  describe("bodies and content types", () => {
    it("accepts Content-Type: application/json with an empty body where no body is taken", async () => {
      const plan = await applyPlan({ image: "localhost/nobody:v1", inputs: [{ path: "/in", tags: ["nobody:1"] }], outputs: [] });
      const planId = String(plan.planId);
      const json = { "content-type": "application/json" };
      for (const [method, path, status] of [
        ["DELETE", `/plans/${planId}/active`, 200],
        ["PUT", `/plans/${planId}/active`, 200],
        ["DELETE", `/plans/${planId}/serviceaccount`, 200],
        ["PUT", `/runs/${MISSING}/abort`, 404],
        ["PUT", `/runs/${MISSING}/tearoff`, 404],
        ["PUT", `/runs/${MISSING}/retry`, 404],
        ["DELETE", `/runs/${MISSING}`, 404],
        ["POST", "/backend/data/import/begin", 200],
      ] as const) {
        const empty = await requestRaw(api(path), { method, headers: { ...json, "content-length": "0" } });
        expect(empty.status, `${method} ${path}: ${empty.text}`).toBe(status);
        // a body is ignored there, as the reference ignores it
        const ignored = await requestRaw(api(path), { method, headers: json, body: "{not json" });
        expect(ignored.status, `${method} ${path} with a body: ${ignored.text}`).toBe(status);
      }
    });

    it("reads the plan-changing bodies as echo's binder does: empty is no change, a body needs application/json", async () => {
      const plan = await applyPlan({
        image: "localhost/binder:v1",
        inputs: [{ path: "/in", tags: ["binder:1"] }],
        outputs: [],
        annotations: ["a=1"],
        service_account: "runner",
      });
      const planId = String(plan.planId);
      for (const part of ["resources", "annotations", "serviceaccount"]) {
        for (const headers of [{ "content-type": "application/json" }, {}, { "content-type": "text/plain" }] as Record<string, string>[]) {
          const empty = await requestRaw(api(`/plans/${planId}/${part}`), { method: "PUT", headers: { ...headers, "content-length": "0" } });
          expect(empty.status, `${part} ${JSON.stringify(headers)}: ${empty.text}`).toBe(200);
          expect(empty.body).toEqual(plan);
        }
      }
      const change = JSON.stringify({ set: { cpu: "2" } });
      for (const headers of [{}, { "content-type": "text/plain" }, { "content-type": "application/x-www-form-urlencoded" }] as Record<string, string>[]) {
        const refused = await requestRaw(api(`/plans/${planId}/resources`), { method: "PUT", headers, body: change });
        expect(refused.status, JSON.stringify(headers)).toBe(400);
        expect(String((refused.body as Json).message)).toMatch(/^bad request\ncan not understand the requested json\n/);
        const annotations = await requestRaw(api(`/plans/${planId}/annotations`), { method: "PUT", headers, body: JSON.stringify({ add: ["b=2"] }) });
        expect(annotations.status).toBe(400);
        expect(String((annotations.body as Json).message)).toMatch(/^bad request\ncan not understand the request\n/);
      }
      const withCharset = await requestRaw(api(`/plans/${planId}/resources`), {
        method: "PUT",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: change,
      });
      expect(withCharset.status, withCharset.text).toBe(200);
      expect((withCharset.body as Json).resources).toEqual({ cpu: "2", memory: "1Gi" });
      const shown = await callJson<Json>(api(`/plans/${planId}`));
      expect(shown.body.annotations).toEqual(["a=1"]);
      expect(shown.body.service_account).toBe("runner");
    });

    it("refuses bodies whose content type does not fit the endpoint, and changes nothing", async () => {
      const before = await callJson<Json[]>(api("/data"));
      const archive = rawTarGz([{ path: "f.txt", content: "form" }]);
      for (const path of ["/data", "/backend/data"]) {
        for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", undefined]) {
          const refused = await requestRaw(api(path), { method: "POST", headers: type ? { "content-type": type } : {}, body: archive });
          expect(refused.status, `${path} ${type}: ${refused.text}`).toBe(400);
          expect(String((refused.body as Json).message)).toMatch(/^bad request\n.*application\/tar\+gzip/);
        }
      }
      const checksum = createHash("md5").update(archive).digest("hex");
      const octets = await requestRaw(api("/data"), {
        method: "POST",
        headers: { "content-type": "application/octet-stream", "x-checksum-md5": checksum },
        body: archive,
      });
      expect(octets.status, octets.text).toBe(200);
      const after = await callJson<Json[]>(api("/data"));
      expect(after.body.length).toBe(before.body.length + 1);

      const begin = await requestRaw(api("/backend/data/import/begin"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=b" });
      expect(begin.status, begin.text).toBe(400);
      expect((await callJson<Json[]>(api("/data"))).body.length).toBe(after.body.length);

      const knitId = String((octets.body as Json).knitId);
      const tagAsForm = await requestRaw(api(`/data/${knitId}`), {
        method: "PUT",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: JSON.stringify({ add: ["form:yes"] }),
      });
      // The reference reads this PUT as JSON whatever its type (curl -d sends a form type); a PUT
      // from another origin needs a preflight and is refused by the Origin check (below).
      expect(tagAsForm.status, tagAsForm.text).toBe(200);
      const data = await callJson<Json[]>(api(`/data?tag=knit%23id:${knitId}`));
      expect(data.body[0]!.tags).toContain("form:yes");

      const plan = await requestRaw(api("/plans"), {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ image: "localhost/form:v1", inputs: [{ path: "/in", tags: ["form:1"] }], outputs: [] }),
      });
      expect(plan.status).toBe(400);
      expect((await callJson<Json[]>(api("/plans?image=localhost/form"))).body).toEqual([]);
    });
  });

  describe("origin and host", () => {
    it("refuses state-changing requests from another origin with 403, and changes nothing", async () => {
      const body = JSON.stringify({ image: "localhost/cross:v1", inputs: [{ path: "/in", tags: ["cross:1"] }], outputs: [] });
      for (const origin of ["http://evil.example", `https://${host()}.evil.example`, "null"]) {
        const refused = await requestRaw(api("/plans"), { method: "POST", headers: { "content-type": "application/json", origin }, body });
        expect(refused.status, origin).toBe(403);
        expect(String((refused.body as Json).message)).toMatch(/^forbidden\n/);
        const archive = rawTarGz([{ path: "f.txt", content: "cross" }]);
        const push = await requestRaw(api("/data"), { method: "POST", headers: { "content-type": "application/tar+gzip", origin }, body: archive });
        expect(push.status).toBe(403);
        const begin = await requestRaw(api("/backend/data/import/begin"), { method: "POST", headers: { origin } });
        expect(begin.status).toBe(403);
      }
      expect((await callJson<Json[]>(api("/plans?image=localhost/cross"))).body).toEqual([]);
      // the console's own requests carry its origin; reads are not refused
      const same = await requestRaw(api("/plans"), { method: "POST", headers: { "content-type": "application/json", origin: server.url }, body });
      expect(same.status, same.text).toBe(200);
      const read = await requestRaw(api("/plans?image=localhost/cross"), { headers: { origin: "http://evil.example" } });
      expect(read.status).toBe(200);
      // a name given with --allowed-hosts is this server's, also when a reverse proxy rewrites Host
      const proxied = await requestRaw(api(`/plans/${String((same.body as Json).planId)}/active`), {
        method: "DELETE",
        headers: { origin: "https://knitfab.example.org" },
      });
      expect(proxied.status, proxied.text).toBe(200);
      // another program's page on a loopback name is not this server's
      const otherLocal = await requestRaw(api(`/plans/${String((same.body as Json).planId)}/active`), {
        method: "PUT",
        headers: { origin: "http://localhost:1" },
      });
      expect(otherLocal.status).toBe(403);
    });

    it("answers only to the names it serves (DNS rebinding): loopback, its hostname, --allowed-hosts", async () => {
      const port = new URL(server.url).port;
      for (const name of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "localhost", `${hostname()}:${port}`, "KNITFAB.example.org", "knitfab.example.org:443"]) {
        const response = await requestRaw(api("/plans"), { headers: { host: name } });
        expect(response.status, name).toBe(200);
      }
      for (const name of [`evil.example:${port}`, "rebind.attacker.test", `127.0.0.1.nip.io:${port}`]) {
        const response = await requestRaw(api("/plans"), { headers: { host: name } });
        expect(response.status, name).toBe(403);
        expect(String((response.body as Json).message)).toMatch(/^forbidden\n.*--allowed-hosts/s);
        const page = await requestRaw(`${server.url}/`, { headers: { host: name } });
        expect(page.status).toBe(403);
      }
    });
  });

  describe("methods", () => {
    it("answers 405 with an Allow header for a wrong method on a known path, 404 for unknown paths", async () => {
      for (const [method, path, allow] of [
        ["DELETE", "/plans", "GET, HEAD, POST"],
        ["PATCH", `/plans/${MISSING}`, "GET, HEAD"],
        ["POST", `/plans/${MISSING}/active/`, "DELETE, PUT"],
        ["GET", `/runs/${MISSING}/abort`, "PUT"],
        ["POST", `/runs/${MISSING}`, "DELETE, GET, HEAD"],
        ["PUT", "/data", "GET, HEAD, POST"],
        ["GET", "/backend/data/import/end", "POST"],
      ] as const) {
        const response = await requestRaw(api(path), { method });
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.allow, `${method} ${path}`).toBe(allow);
        expect(response.body).toEqual({ message: "Method Not Allowed" });
      }
      const unknown = await requestRaw(api("/nothing/here"), { method: "POST" });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ message: "Not Found" });
    });
  });

  describe("connections", () => {
    it("closes the connection it cannot read any further after 431, and says so", async () => {
      const { port } = new URL(server.url);
      const socket = connect(Number(port), "127.0.0.1");
      const request = `GET /api/plans HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`;
      const answer = await new Promise<string>((resolve, reject) => {
        let text = "";
        socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
        socket.write(request);
      });
      const [head = "", body = ""] = answer.split("\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 431 /);
      expect(head.toLowerCase()).toContain("\r\nconnection: close");
      expect(JSON.parse(body)).toEqual({ message: expect.stringMatching(/^request header fields too large\n/) });

      // a keep-alive client opens a new connection and goes on
      const next = await requestRaw(api("/plans?image=localhost/none"));
      expect(next.status).toBe(200);
    });
  });

  describe("responses", () => {
    it("serves the console with the usual security headers", async () => {
      const page = await requestRaw(`${server.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'/);
      expect(page.headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
      expect(page.headers["x-content-type-options"]).toBe("nosniff");
      expect(page.headers["x-frame-options"]).toBe("DENY");
      expect(page.headers["referrer-policy"]).toBe("no-referrer");
      const json = await requestRaw(api("/plans?image=localhost/none"));
      expect(json.headers["x-content-type-options"]).toBe("nosniff");
    });

    it("words errors as the reference does on their first lines", async () => {
      const broken = await requestRaw(api("/plans"), { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
      expect(String((broken.body as Json).message)).toMatch(/^bad request\ncan not understand the requested json\n caused by:/);
      const badImage = await callJson<Json>(api("/plans"), { method: "POST", body: { image: "UPPER:v1", inputs: [{ path: "/in", tags: ["a:b"] }] } });
      expect(badImage.status).toBe(400);
      expect(String(badImage.body.message)).toMatch(/^bad request\ncan not understand the requested json\n/);
      const wrongType = await requestRaw(api("/plans"), { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: "{}" });
      expect(String((wrongType.body as Json).message)).toMatch(/^bad request\nunexpected content type. it shoule be application\/json/);
      const status = await callJson<Json>(api("/runs?status=invalidated"));
      expect(status.status).toBe(400);
      expect(String(status.body.message)).toMatch(
        /^bad request\n"status" should be one of "waiting", "deactivated", "starting", "running", "done" or "failed"\n/,
      );
      const since = await callJson<Json>(api("/data?since=yesterday"));
      expect(String(since.body.message)).toMatch(/^bad request\n"since" should be a RFC3339 date-time format\n/);
      const duration = await callJson<Json>(api("/runs?since=2024-01-01T00:00:00Z&duration=forever"));
      expect(String(duration.body.message)).toMatch(/^bad request\n"duration" should be a Go duration format\n/);
      const inTag = await callJson<Json>(api("/plans?in_tag=nocolon"));
      expect(String(inTag.body.message)).toMatch(/^bad request\nquery specification is incorrect\n/);
      const badUrl = await requestRaw(api("/data/%zz"));
      expect(badUrl.status).toBe(400);
      expect(badUrl.body).toEqual({ message: expect.stringMatching(/^bad request\n/) });
    });
  });
});
