import { createHash } from "node:crypto";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callJson, freePort, requestRaw } from "@knitfab/testing";
import { startTestServer, type TestServer } from "../test-support/index.js";
import { parseExtraApis, ExtraApisFileError } from "knitfab/extra-apis-file";

type Json = Record<string, unknown>;

const BIG_BYTES = 200 * 1024 * 1024;
const CHUNK = 1024 * 1024;

/** `bytes` of a repeating pattern, produced as they are read (never held in memory at once). */
function generated(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) return void this.push(null);
      const size = Math.min(CHUNK, bytes - sent);
      const chunk = Buffer.alloc(size);
      for (let at = 0; at < size; at += 4) chunk.writeUInt32BE((sent + at) >>> 0, at);
      sent += size;
      this.push(chunk);
    },
  });
}

async function md5Of(stream: NodeJS.ReadableStream): Promise<{ md5: string; bytes: number }> {
  const hash = createHash("md5");
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { md5: hash.digest("hex"), bytes };
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  md5: string;
  bytes: number;
  body: string;
}

/**
 * A real upstream: `/api/big/` streams BIG_BYTES generated on the fly, `/api/busy/` answers 503,
 * anything else answers 201 with what it received (method, URL, headers, body size and MD5).
 */
async function startUpstream(): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    if (request.url === "/api/big/") {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      void pipeline(generated(BIG_BYTES), response).catch(() => {});
      return;
    }
    const hash = createHash("md5");
    let bytes = 0;
    const head: Buffer[] = [];
    request.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      if (bytes <= 4096) head.push(chunk);
    });
    request.on("end", () => {
      const record: Seen = {
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        md5: hash.digest("hex"),
        bytes,
        body: Buffer.concat(head).toString("utf8"),
      };
      seen.push(record);
      if (request.url === "/api/busy/") {
        response.writeHead(503, { "content-type": "text/plain" }).end("busy");
        return;
      }
      response.writeHead(201, { "content-type": "application/json; charset=utf-8", "x-upstream": "yes" });
      response.end(JSON.stringify(record));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/** A request whose path is sent exactly as written (URL and fetch would resolve `..`). */
function rawPath(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, path, method: "GET" }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", reject);
    request.end();
  });
}

describe("extra APIs file", () => {
  const parse = (text: string) => parseExtraApis(text, "extra.yaml");

  it("reads endpoints; an empty file or list means none", () => {
    expect(parse("endpoints:\n  - path: /my/api\n    proxy_to: http://svc.ns/api\n")).toEqual([{ path: "/my/api", proxyTo: new URL("http://svc.ns/api") }]);
    expect(parse("")).toEqual([]);
    expect(parse("endpoints: []\n")).toEqual([]);
  });

  it.each([
    ["endpoints: [", /not valid YAML/],
    ["- a\n", /must be a mapping with an `endpoints` list/],
    ["endpoint: []\n", /unknown key "endpoint"/],
    ["endpoints:\n  - path: my/api\n    proxy_to: http://svc/api\n", /path "my\/api" is not absolute; write it with a leading \/, e.g. \/my\/api/],
    ["endpoints:\n  - path: /my//api/\n    proxy_to: http://svc/api\n", /path "\/my\/\/api\/" is not clean .*; write \/my\/api/],
    ["endpoints:\n  - path: /my/../api\n    proxy_to: http://svc/api\n", /is not clean/],
    ["endpoints:\n  - path: /api\n    proxy_to: http://svc/api\n", /path "\/api" is reserved: \/api and everything under it belong to knitfab/],
    ["endpoints:\n  - path: /api/extra\n    proxy_to: http://svc/api\n", /reserved/],
    ["endpoints:\n  - path: /metrics\n    proxy_to: http://svc/api\n", /reserved/],
    ["endpoints:\n  - path: /\n    proxy_to: http://svc/api\n", /would take every path/],
    ["endpoints:\n  - path: /my/:id\n    proxy_to: http://svc/api\n", /may not contain/],
    ["endpoints:\n  - proxy_to: http://svc/api\n", /path is missing/],
    ["endpoints:\n  - path: /my/api\n    proxy_to: /api\n", /proxy_to "\/api" is not an absolute URL/],
    ["endpoints:\n  - path: /my/api\n    proxy_to: ftp://svc/api\n", /must be an http:\/\/ or https:\/\/ URL/],
    ["endpoints:\n  - path: /my/api\n    proxy-to: http://svc/api\n", /unknown key "proxy-to"; use path and proxy_to/],
    ["endpoints:\n  - path: /a\n    proxy_to: http://x/\n  - path: /a\n    proxy_to: http://y/\n", /path \/a is listed twice/],
  ])("refuses %j", (text, message) => {
    expect(() => parse(text)).toThrow(ExtraApisFileError);
    expect(() => parse(text)).toThrow(message);
  });
});

describe("extra-API proxy (a live server and a real upstream)", () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let server: TestServer;
  let folder: string;
  beforeAll(async () => {
    upstream = await startUpstream();
    folder = await mkdtemp(join(tmpdir(), "knitfab-extra-"));
    const file = join(folder, "extra-apis.yaml");
    const closedPort = await freePort();
    await writeFile(
      file,
      `endpoints:\n  - path: /my/api\n    proxy_to: http://127.0.0.1:${upstream.port}/api\n` +
        `  - path: /gone\n    proxy_to: http://127.0.0.1:${closedPort}/x\n`,
    );
    // the proxy does not touch the database, so one backend is enough here
    server = await startTestServer("pglite", { role: "api", flags: { extraApis: file } });
  });
  afterAll(async () => {
    await server?.stop();
    upstream?.server.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });
  const lastSeen = () => upstream.seen.at(-1)!;

  it("rewrites paths as the reference does: a trailing slash, sub-paths joined onto proxy_to", async () => {
    for (const [path, expected] of [
      ["/my/api", "/api/"],
      ["/my/api/", "/api/"],
      ["/my/api/sub", "/api/sub/"],
      ["/my/api/sub/resource", "/api/sub/resource/"],
    ]) {
      const response = await callJson<Json>(`${server.url}${path!}`);
      expect(response.status, path).toBe(201);
      expect(response.body.url, path).toBe(expected);
    }
    expect((await fetch(`${server.url}/my`)).status).toBe(404);
    expect((await fetch(`${server.url}/my/apix`)).status).toBe(404);
    // knitfab's own API is untouched
    expect((await fetch(`${server.apiRoot}/plans`)).status).toBe(200);
  });

  it("forwards method, headers, query string and body byte for byte, whatever the content type, and passes the answer back as it came", async () => {
    for (const [method, type, body] of [
      ["POST", "application/json", '{ "a": 1,  "b": [true] }'],
      ["PUT", "text/plain", "plain text, which the API's own routes refuse"],
      ["PATCH", "application/x-www-form-urlencoded", "a=1&b=2"],
      ["DELETE", "application/octet-stream", "\u0000\u0001binary"],
    ] as const) {
      const response = await requestRaw(`${server.url}/my/api/items/7?x=1&y=a%20b&x=2`, {
        method,
        headers: { "content-type": type, "x-custom": "kept", authorization: "Bearer token-1" },
        body,
      });
      expect(response.status, method).toBe(201);
      expect(response.headers["x-upstream"]).toBe("yes");
      expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
      const seen = lastSeen();
      expect(seen.method).toBe(method);
      expect(seen.url).toBe("/api/items/7/?x=1&y=a%20b&x=2");
      expect(seen.headers["content-type"]).toBe(type);
      expect(seen.headers["x-custom"]).toBe("kept");
      expect(seen.headers.authorization).toBe("Bearer token-1");
      expect(seen.headers.host).toBe(`127.0.0.1:${upstream.port}`);
      expect(seen.body).toBe(body);
      expect(seen.md5).toBe(createHash("md5").update(body).digest("hex"));
    }
    const options = await requestRaw(`${server.url}/my/api/items`, { method: "OPTIONS" });
    expect(options.status).toBe(201);
    expect(lastSeen().method).toBe("OPTIONS");
    const head = await requestRaw(`${server.url}/my/api/items`, { method: "HEAD" });
    expect(head.status).toBe(201);
    expect(lastSeen().method).toBe("HEAD");
  });

  it("keeps the Origin check for requests that change something", async () => {
    const count = upstream.seen.length;
    const refused = await requestRaw(`${server.url}/my/api/items`, {
      method: "POST",
      headers: { origin: "http://evil.example", "content-type": "text/plain" },
      body: "x",
    });
    expect(refused.status).toBe(403);
    expect(upstream.seen.length).toBe(count);
    const read = await requestRaw(`${server.url}/my/api/items`, { headers: { origin: "http://evil.example" } });
    expect(read.status).toBe(201);
  });

  it("passes an upstream's 503 on once, without sending the request again", async () => {
    const count = upstream.seen.length;
    const response = await fetch(`${server.url}/my/api/busy`);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe("busy");
    expect(upstream.seen.length).toBe(count + 1);
  });

  it("answers 502 with JSON when the upstream cannot be reached", async () => {
    const response = await callJson<Json>(`${server.url}/gone/thing`, { method: "POST", body: { a: 1 } });
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(String(response.body.message)).toMatch(/^bad gateway\nthe extra API at \/gone does not answer now/);
    // the upstream's address is for the administrator's log, not for callers
    expect(response.text).not.toContain("127.0.0.1");
  });

  it("refuses . and .. segments, which would reach the upstream outside proxy_to", async () => {
    const port = Number(new URL(server.url).port);
    expect(await rawPath(port, "/my/api/../secret")).toBe(400);
    expect(await rawPath(port, "/my/api/%2e%2e/secret")).toBe(400);
  });

  it(`streams ${BIG_BYTES / 1024 / 1024} MB both ways, every byte intact`, async () => {
    // upload: a body generated as it is sent; the upstream reports its size and MD5
    const expected = await md5Of(generated(BIG_BYTES));
    const uploaded = await new Promise<Json>((resolve, reject) => {
      const request = httpRequest(`${server.url}/my/api/upload`, { method: "PUT", headers: { "content-type": "application/octet-stream", "transfer-encoding": "chunked" } }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Json));
      });
      request.on("error", reject);
      generated(BIG_BYTES).pipe(request);
    });
    expect(uploaded.bytes).toBe(BIG_BYTES);
    expect(uploaded.md5).toBe(expected.md5);

    // download: the upstream generates as it sends
    const response = await fetch(`${server.url}/my/api/big`);
    expect(response.status).toBe(200);
    const downloaded = await md5Of(Readable.fromWeb(response.body! as import("node:stream/web").ReadableStream));
    expect(downloaded).toEqual(expected);
  });
});
