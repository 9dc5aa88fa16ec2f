import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { BACKENDS, callJson, uploadTarGz } from "@knitfab/testing";
import { rawTarGz } from "@knitfab/archive";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Json = Record<string, unknown>;

describe.each(BACKENDS)("backend API on %s", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { role: "api,backend,projection" });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const api = (path: string) => `${server.apiRoot}${path}`;

  it("imports: begin gives a JWT naming the data; end moves the run to completing and returns the data", async () => {
    const begin = await fetch(api("/backend/data/import/begin"), { method: "POST" });
    expect(begin.status).toBe(200);
    expect(begin.headers.get("content-type")).toBe("application/jwt");
    const token = await begin.text();
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe("HS256");
    expect(header.kid).toMatch(/^[0-9a-f-]{36}$/);
    const claims = decodeJwt(token) as Json;
    const knitId = String(claims["knitfab/knitId"]);
    expect(claims.sub).toBe(`data-knitid-${knitId}`);
    expect(claims.jti).toBeTruthy();
    expect(claims).not.toHaveProperty("exp");
    // the token names the volume, never a place on the server's disk; the local store documents
    // where the volume data-knitid-<knitId> is (its folder <home>/data/data/<knitId>), private to the server's user
    expect(Object.keys(claims).sort()).toEqual(["jti", "knitfab/knitId", "knitfab/runId", "sub"]);
    expect(token).not.toContain(Buffer.from(server.home).toString("base64url").slice(0, 12));
    const folder = join(server.home, "data", "data", String(claims.sub).replace(/^data-knitid-/, ""));
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    await writeFile(join(folder, "imported.txt"), "from outside\n");

    const wrongType = await callJson<Json>(api("/backend/data/import/end"), { method: "POST", rawBody: token, contentType: "text/plain" });
    expect(wrongType.status).toBe(400);
    const forged = await callJson<Json>(api("/backend/data/import/end"), { method: "POST", rawBody: `${token.slice(0, -4)}AAAA`, contentType: "application/jwt" });
    expect(forged.status).toBe(401);
    expect(String(forged.body.message)).toMatch(/^invalid token/);

    const end = await callJson<Json>(api("/backend/data/import/end"), { method: "POST", rawBody: token, contentType: "application/jwt" });
    expect(end.status, end.text).toBe(200);
    expect(end.body.knitId).toBe(knitId);
    const upstream = end.body.upstream as { mountpoint: Json; run: Json };
    expect(upstream.mountpoint).toEqual({ path: "/imported", tags: [] });
    expect(upstream.run.status).toBe("completing");
    expect((upstream.run.plan as Json).name).toBe("knit#imported");
    const replay = await callJson<Json>(api("/backend/data/import/end"), { method: "POST", rawBody: token, contentType: "application/jwt" });
    expect(replay.status).toBe(200);
  });

  it("serves uploads and downloads under /api/backend too", async () => {
    const result = await uploadTarGz(`${server.apiRoot}/backend`, Readable.from([rawTarGz([{ path: "f.txt", content: "backend" }])]));
    expect(result.status).toBe(200);
    const knitId = String((result.body as Json).knitId);
    const download = await fetch(api(`/backend/data/${knitId}`));
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/tar+gzip");
    expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });
});
