/**
 * The data agent over real HTTP on loopback, serving a temporary folder (in its Pod it serves the
 * claim's mount point; the pvc store tests run it there). The reference's protocol first
 * (spec/api.md §4.4), then the extension routes.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer, json, text } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rawTarGz } from "@knitfab/archive";
import { startDataAgent, type DataAgent } from "./data-agent.js";
import type { AgentMode } from "./agent-protocol.js";

const md5 = (bytes: Buffer): string => createHash("md5").update(bytes).digest("hex");

let work: string;
let root: string;
const agents: DataAgent[] = [];
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "knitfab-agent-"));
  root = join(work, "data");
  await mkdir(root);
});
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
  await rm(work, { recursive: true, force: true });
});

async function agent(mode: AgentMode, deadlineSeconds = 30): Promise<DataAgent> {
  const started = await startDataAgent({ root, mode, port: 0, host: "127.0.0.1", deadlineSeconds, followPollMs: 10 });
  agents.push(started);
  return started;
}

function call(
  port: number,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
  trailers?: Record<string, string>,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, method, path, headers: trailers ? { ...headers, trailer: Object.keys(trailers).join(",") } : headers }, resolve);
    request.on("error", reject);
    if (body) request.write(body);
    if (trailers) request.addTrailers(trailers);
    request.end();
  });
}

const sample = rawTarGz([
  { path: "a/", type: "Directory" },
  { path: "a/b.txt", content: "bee\n" },
  { path: "top.txt", content: "top\n" },
]);

describe("data agent: the reference's protocol", () => {
  it("write mode receives a tar.gz whose trailer md5 matches (204), then answers any second request 404", async () => {
    const { port, done } = await agent("write");
    const answer = await call(port, "POST", "/", sample, { "content-type": "application/tar+gzip" }, { "x-checksum-md5": md5(sample) });
    expect(answer.statusCode).toBe(204);
    answer.resume();
    expect(await readFile(join(root, "a/b.txt"), "utf8")).toBe("bee\n");
    expect((await readdir(root)).sort()).toEqual(["a", "top.txt"]);
    expect(await done).toBe("served");
    const second = await call(port, "POST", "/", sample);
    expect(second.statusCode).toBe(404);
    second.resume();
  });

  it("refuses a wrong md5 with 400 'hash is not match.' and leaves the folder empty", async () => {
    const { port } = await agent("write");
    const answer = await call(port, "POST", "/", sample, {}, { "x-checksum-md5": "0".repeat(32) });
    expect(answer.statusCode).toBe(400);
    expect(await json(answer)).toMatchObject({ message: "hash is not match.", error: "ChecksumMismatchError" });
    expect(await readdir(root)).toEqual([]);
  });

  it("refuses a broken tar.gz (500) and a non-empty folder (409), leaving what was there", async () => {
    const broken = await agent("write");
    const answer = await call(broken.port, "POST", "/", Buffer.from("not a gzip at all"));
    expect(answer.statusCode).toBe(500);
    expect(await json(answer)).toMatchObject({ error: "CorruptArchiveError" });
    expect(await readdir(root)).toEqual([]);

    await writeFile(join(root, "kept"), "x");
    const full = await agent("write");
    const refused = await call(full.port, "POST", "/", sample);
    expect(refused.statusCode).toBe(409);
    expect(await json(refused)).toMatchObject({ message: "data exists already" });
    expect(await readdir(root)).toEqual(["kept"]);
  });

  it("refuses an archive escaping the folder (400)", async () => {
    const { port } = await agent("write");
    const answer = await call(port, "POST", "/", rawTarGz([{ path: "../escape", content: "x" }]));
    expect(answer.statusCode).toBe(400);
    expect(await json(answer)).toMatchObject({ error: "UnsafeArchiveError" });
    expect(await readdir(work)).toEqual(["data"]);
  });

  it("read mode sends a tar.gz with the x-checksum-md5 trailer of its bytes", async () => {
    await mkdir(join(root, "d"));
    await writeFile(join(root, "d/f"), "content");
    const { port } = await agent("read");
    const answer = await call(port, "GET", "/");
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/tar+gzip");
    const bytes = await buffer(answer);
    expect(answer.trailers["x-checksum-md5"]).toBe(md5(bytes));
    // What was sent unpacks to the same content.
    await rm(join(root, "d"), { recursive: true });
    const writer = await agent("write");
    const back = await call(writer.port, "POST", "/", bytes);
    expect(back.statusCode).toBe(204);
    expect(await readFile(join(root, "d/f"), "utf8")).toBe("content");
  });

  it("read mode answers 404 when the root is not a folder; a write route in read mode is 404", async () => {
    await rm(root, { recursive: true });
    const { port } = await agent("read");
    const answer = await call(port, "GET", "/");
    expect(answer.statusCode).toBe(404);
    expect(await json(answer)).toMatchObject({ message: "not found" });
    await mkdir(root);
    const other = await agent("read");
    const wrong = await call(other.port, "POST", "/", sample);
    expect(wrong.statusCode).toBe(404);
    wrong.resume();
  });

  it("stops waiting at its deadline when no request comes", async () => {
    const { done } = await agent("read", 0.05);
    expect(await done).toBe("deadline");
  });
});

describe("data agent: extension routes", () => {
  beforeEach(async () => {
    await mkdir(join(root, "sub"));
    await writeFile(join(root, "sub/x.txt"), "0123456789");
    await writeFile(join(root, "log"), "line\n");
  });

  it("lists files, reads byte ranges, and concatenates every file", async () => {
    const listing = await call((await agent("read")).port, "GET", "/files?path=&recursive=1");
    expect(((await json(listing)) as { entries: { path: string }[] }).entries.map((entry) => entry.path)).toEqual(["log", "sub", "sub/x.txt"]);
    const ranged = await call((await agent("read")).port, "GET", "/file?path=sub/x.txt", undefined, { range: "bytes=2-4" });
    expect([ranged.statusCode, ranged.headers["content-range"], ranged.headers["x-file-size"], await text(ranged)]).toEqual([206, "bytes 2-4/10", "10", "234"]);
    const missing = await call((await agent("read")).port, "GET", "/file?path=nope");
    expect([missing.statusCode, ((await json(missing)) as { error: string }).error]).toEqual([404, "DataPathMissingError"]);
    const unsafe = await call((await agent("read")).port, "GET", "/file?path=../x");
    expect([unsafe.statusCode, ((await json(unsafe)) as { error: string }).error]).toEqual([400, "UnsafeDataPathError"]);
    const all = await call((await agent("read")).port, "GET", "/concatenated");
    expect(await text(all)).toBe("line\n0123456789");
  });

  it("writes a file, seals (defusing setuid bits), and opens the root to a worker", async () => {
    const written = await call((await agent("write")).port, "PUT", "/file?path=out/new.txt", Buffer.from("new"));
    expect(written.statusCode).toBe(204);
    written.resume();
    expect(await readFile(join(root, "out/new.txt"), "utf8")).toBe("new");
    const prepared = await call((await agent("write")).port, "POST", "/prepare?writer=worker");
    expect(prepared.statusCode).toBe(204);
    prepared.resume();
    expect((await stat(root)).mode & 0o777).toBe(0o777);
    const { chmod } = await import("node:fs/promises");
    await chmod(join(root, "log"), 0o4755);
    const sealed = await call((await agent("write")).port, "POST", "/seal");
    expect(await json(sealed)).toMatchObject({ privilegeBits: ["log"], specialFiles: [], outsideLinks: [] });
    expect((await stat(root)).mode & 0o777).toBe(0o755);
  });

  it("follows a file while the request body stays open, then sends the rest and ends", async () => {
    const { port } = await agent("read");
    const chunks: string[] = [];
    let request!: ReturnType<typeof httpRequest>;
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      request = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/follow?path=log", headers: { "transfer-encoding": "chunked" } }, resolve);
      request.on("error", reject);
      request.flushHeaders();
    });
    const answer = await answered;
    answer.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
    const ended = new Promise((resolve) => answer.once("end", resolve));
    for (let wait = 0; chunks.join("") !== "line\n" && wait < 500; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    const { appendFile } = await import("node:fs/promises");
    await appendFile(join(root, "log"), "more\n");
    request.end();
    await ended;
    expect(chunks.join("")).toBe("line\nmore\n");
  });
});
