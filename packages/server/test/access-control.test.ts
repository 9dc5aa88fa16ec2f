import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINTS } from "@knitfab/api";
import { listApiTokens, revokeApiToken } from "@knitfab/db";
import { BACKENDS, createTestPostgresDatabase, requestRaw } from "@knitfab/testing";
import { startTestServer, type TestServer } from "../test-support/index.js";
import { createApiToken } from "knitfab/admin/tokens";

const SOME_ID = "0f0e0d0c-0b0a-4908-8706-050403020100";

/** Every endpoint of the contract as one concrete request (ids that name nothing, minimal bodies). */
const ENDPOINT_REQUESTS = Object.entries(ENDPOINTS).map(([name, endpoint]) => {
  const path = endpoint.path.replace(/\{[A-Za-z]+\}/g, SOME_ID);
  const body: unknown = "body" in endpoint ? endpoint.body : undefined;
  const headers: Record<string, string> =
    body === "tar.gz" ? { "content-type": "application/tar+gzip" } : body === "jwt" ? { "content-type": "application/jwt" } : body ? { "content-type": "application/json" } : {};
  return { name, method: endpoint.method, path, headers, body: body === undefined || body === "empty" ? undefined : body === "tar.gz" || body === "jwt" ? "x" : "{}" };
});

/**
 * `knitfab serve --auth tokens` over real HTTP: every endpoint of the contract, the OpenAPI
 * document, /metrics, the extra-API proxy and unknown paths refuse a missing, wrong or revoked token
 * with 401 and answer with a good one; probes, the console's files and the JWT-authenticated end of
 * a custom import stay open; tokens outlive a restart.
 */
describe.each(BACKENDS)("access control on %s", (backend) => {
  let server: TestServer;
  let upstream: Server;
  const upstreamSaw: IncomingHttpHeaders[] = [];
  let folder = "";
  let home = "";
  let databaseUrl: string | undefined;
  let secret = "";
  let tokenId = "";
  let flags: Record<string, string>;

  const start = async () =>
    startTestServer(backend, { home, ...(databaseUrl ? { databaseUrl } : {}), consoleDir: join(folder, "console"), flags });
  const call = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => requestRaw(`${server.url}${path}`, init);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "knitfab-auth-"));
    home = join(folder, "home");
    await mkdir(join(folder, "console"), { recursive: true });
    await writeFile(join(folder, "console", "index.html"), "<!doctype html><title>console</title>");
    upstream = createServer((request, response) => {
      upstreamSaw.push(request.headers);
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ upstream: true }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const extraApis = join(folder, "extra-apis.yaml");
    await writeFile(
      extraApis,
      `endpoints:\n  - path: /ext\n    proxy_to: http://127.0.0.1:${(upstream.address() as AddressInfo).port}/up\n` +
        `  - path: /ext-auth\n    proxy_to: http://127.0.0.1:${(upstream.address() as AddressInfo).port}/up\n    forward_authorization: true\n`,
    );
    flags = { auth: "tokens", extraApis };
    // a database of our own, to restart the server on it
    if (backend === "postgres") databaseUrl = (await createTestPostgresDatabase()).url;
    server = await start();
    const created = await createApiToken(server.server.database, "tests");
    secret = created.secret;
    tokenId = created.token.tokenId;
  });

  afterAll(async () => {
    await server?.stop();
    upstream?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it("refuses every endpoint without a token or with a wrong one, with 401 JSON and WWW-Authenticate: Bearer", async () => {
    const others: { name: string; method: string; path: string; headers: Record<string, string>; body: string | undefined }[] = [
      { name: "openapi", method: "GET", path: "/api/openapi.json", headers: {}, body: undefined },
      { name: "metrics", method: "GET", path: "/metrics", headers: {}, body: undefined },
      { name: "extension: files", method: "GET", path: `/api/x/data/${SOME_ID}/files`, headers: {}, body: undefined },
      { name: "extra API", method: "GET", path: "/ext/thing", headers: {}, body: undefined },
      { name: "extra API (POST)", method: "POST", path: "/ext", headers: { "content-type": "text/plain" }, body: "hello" },
      { name: "unknown API path", method: "GET", path: "/api/nothing-here", headers: {}, body: undefined },
    ];
    for (const request of [...ENDPOINT_REQUESTS.filter((r) => r.name !== "endImport"), ...others]) {
      const attempts: Record<string, string>[] = [{}, bearer("knitfab_wrong"), bearer(`${secret}x`), { authorization: `Basic ${Buffer.from(`u:${secret}`).toString("base64")}` }, { cookie: "knitfab_token=nope" }];
      for (const credentials of attempts) {
        const answer = await call(request.path, { method: request.method, headers: { ...request.headers, ...credentials }, ...(request.body ? { body: request.body } : {}) });
        const what = `${request.name} ${request.method} ${request.path} with ${JSON.stringify(credentials)}`;
        expect(answer.status, what).toBe(401);
        expect(answer.headers["www-authenticate"], what).toMatch(/^Bearer realm="knitfab"/);
        expect(answer.headers["content-type"], what).toMatch(/^application\/json/);
        expect((answer.body as { message: string }).message, what).toMatch(/^unauthorized\n/);
      }
    }
    expect(upstreamSaw).toEqual([]);
  });

  it("answers every endpoint normally with a good token", async () => {
    for (const request of ENDPOINT_REQUESTS) {
      const answer = await call(request.path, { method: request.method, headers: { ...request.headers, ...bearer(secret) }, ...(request.body ? { body: request.body } : {}) });
      // ids that name nothing and minimal bodies: 404s and 400s, but never a refusal for the token
      // (import/end refuses its body "x" with 401 "invalid token", its own JWT check)
      if (request.name === "endImport") expect(answer.text).toMatch(/invalid token/);
      else expect([401, 403], `${request.name}: ${answer.status} ${answer.text}`).not.toContain(answer.status);
      expect(answer.status, request.name).toBeLessThan(500);
    }
    const found = await call("/api/data/", { headers: bearer(secret) });
    expect(found.status).toBe(200);
    expect(found.body).toEqual([]);
    expect((await call("/metrics", { headers: bearer(secret) })).status).toBe(200);
    expect((await call("/api/openapi.json", { headers: bearer(secret) })).status).toBe(200);
  });

  it("leaves probes, the console's files and the signed end of a custom import open", async () => {
    expect((await call("/healthz")).status).toBe(200);
    expect((await call("/readyz")).status).toBe(200);
    const page = await call("/");
    expect(page.status).toBe(200);
    expect(page.text).toContain("<title>console</title>");
    expect((await call("/data/some/deep/link")).status).toBe(200);
    // a custom import: begin needs a token, end is authenticated by the JWT begin gave
    expect((await call("/api/backend/data/import/begin/", { method: "POST" })).status).toBe(401);
    const begun = await call("/api/backend/data/import/begin/", { method: "POST", headers: bearer(secret) });
    expect(begun.status).toBe(200);
    const ended = await call("/api/backend/data/import/end/", { method: "POST", headers: { "content-type": "application/jwt" }, body: begun.text });
    expect(ended.status, ended.text).toBe(200);
    expect((ended.body as { knitId: string }).knitId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps the token from extra APIs unless the endpoint forwards Authorization", async () => {
    upstreamSaw.length = 0;
    const answer = await call("/ext/thing", { headers: { ...bearer(secret), cookie: "theirs=1; knitfab_token=abc" } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ upstream: true });
    expect(upstreamSaw[0]?.authorization).toBeUndefined();
    expect(upstreamSaw[0]?.cookie).toBe("theirs=1");
    const forwarded = await call("/ext-auth/thing", { headers: bearer(secret) });
    expect(forwarded.status).toBe(200);
    expect(upstreamSaw[1]?.authorization).toBe(`Bearer ${secret}`);
  });

  it("sets an HttpOnly, SameSite=Strict session cookie for a good token, which then authenticates", async () => {
    const refused = await call("/api/x/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "knitfab_nope" }) });
    expect(refused.status).toBe(401);
    expect(refused.headers["set-cookie"]).toBeUndefined();
    const session = await call("/api/x/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: secret }) });
    expect(session.status).toBe(204);
    const cookie = session.headers["set-cookie"]?.[0] ?? "";
    expect(cookie).toMatch(/^knitfab_token=knitfab_[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const viaCookie = await call(`/api/data/${SOME_ID}/`, { headers: { cookie: cookie.split(";")[0]! } });
    expect(viaCookie.status).toBe(404);
    const out = await call("/api/x/session", { method: "DELETE" });
    expect(out.status).toBe(204);
    expect(out.headers["set-cookie"]?.[0]).toMatch(/^knitfab_token=; Path=\/; Max-Age=0/);
  });

  it("keeps tokens over a restart, records their last use, and refuses a revoked token", async () => {
    expect((await call("/api/runs/", { headers: bearer(secret) })).status).toBe(200);
    await server.stop();
    server = await start();
    expect((await call("/api/runs/", { headers: bearer(secret) })).status).toBe(200);
    expect((await call("/api/runs/")).status).toBe(401);
    const [listed] = (await listApiTokens(server.server.database.db)).filter((token) => token.tokenId === tokenId);
    expect(listed?.name).toBe("tests");
    expect(listed?.lastUsedAt).toBeInstanceOf(Date);

    const revoked = await revokeApiToken(server.server.database.db, tokenId);
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    // NOTIFY empties the cache; the loop only waits for the notification to arrive (bounded)
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 401; attempt++) {
      status = (await call("/api/runs/", { headers: bearer(secret) })).status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(401);
    const again = await call("/api/runs/", { headers: bearer(secret) });
    expect(again.headers["www-authenticate"]).toMatch(/error="invalid_token"/);
  });
});

