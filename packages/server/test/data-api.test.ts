import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { sql } from "kysely";
import { mkdtemp, mkdir, readFile, writeFile, symlink, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packDirectory, rawTarGz } from "@knitfab/archive";
import { BACKENDS, callJson, downloadTarGz, uploadTarGz } from "@knitfab/testing";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Json = Record<string, unknown>;

async function sampleFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "knitfab-sample-"));
  await mkdir(join(dir, "sub", "deeper"), { recursive: true });
  await mkdir(join(dir, "empty"));
  await writeFile(join(dir, "a.txt"), "hello\n");
  await writeFile(join(dir, "sub", "deeper", "b.bin"), Buffer.from([0, 1, 2, 255]));
  await symlink("a.txt", join(dir, "link-to-a"));
  return dir;
}

describe.each(BACKENDS)("data API on %s", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { role: "api,projection" });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const api = (path: string) => `${server.apiRoot}${path}`;
  const knitIdsOf = async (query = "") => ((await callJson<Json[]>(api(`/data${query}`))).body ?? []).map((data) => data.knitId);

  async function upload(dir: string): Promise<Json> {
    const result = await uploadTarGz(server.apiRoot, packDirectory(dir));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    return result.body as Json;
  }

  it("uploads a folder: untagged data of a done knit#uploaded run, with knit#id and knit#timestamp", async () => {
    const data = await upload(await sampleFolder());
    const knitId = String(data.knitId);
    const tags = data.tags as string[];
    expect(tags[0]).toBe(`knit#id:${knitId}`);
    expect(tags[1]).toMatch(/^knit#timestamp:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?\+00:00$/);
    expect(tags).toHaveLength(2);
    const upstream = data.upstream as { mountpoint: Json; run: Json };
    expect(upstream.mountpoint).toEqual({ path: "/upload", tags: [] });
    expect(upstream.run.status).toBe("done");
    expect((upstream.run.plan as Json).name).toBe("knit#uploaded");
    expect(data.downstreams).toEqual([]);
    expect(data.nomination).toEqual([]);
  });

  it("downloads what was uploaded, byte for byte, with a checksum trailer over the compressed stream", async () => {
    const dir = await sampleFolder();
    const data = await upload(dir);
    const download = await downloadTarGz(server.apiRoot, String(data.knitId));
    expect(download.status).toBe(200);
    expect(download.headers["content-type"]).toBe("application/tar+gzip");
    expect(download.trailers["x-checksum-md5"]).toBe(createHash("md5").update(download.body).digest("hex"));
    const tar = gunzipSync(download.body);
    const names: string[] = [];
    for (let offset = 0; offset + 512 <= tar.length; ) {
      const name = tar.subarray(offset, offset + 100).toString("utf8").replace(/\0.*$/s, "");
      if (!name) break;
      const size = parseInt(tar.subarray(offset + 124, offset + 136).toString("ascii").replace(/\0.*$/s, "").trim() || "0", 8);
      names.push(name);
      offset += 512 + Math.ceil(size / 512) * 512;
    }
    expect(names.sort()).toEqual(["a.txt", "link-to-a", "sub/deeper/b.bin"]);
    expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("hello\n");
  });

  it("rejects a wrong checksum with 400 and leaves nothing visible", async () => {
    const before = await knitIdsOf();
    const result = await uploadTarGz(server.apiRoot, packDirectory(await sampleFolder()), { checksum: "0".repeat(32) });
    expect(result.status).toBe(400);
    expect(String((result.body as Json).message)).toMatch(/hash is not match/);
    expect(await knitIdsOf()).toEqual(before);
    const runs = await callJson<Json[]>(api("/runs?status=running,aborting,failed"));
    expect(runs.body.filter((run) => (run.plan as Json).name === "knit#uploaded")).toEqual([]);
  });

  it.each([
    ["parent traversal", [{ path: "../escape.txt", content: "x" }]],
    ["nested traversal", [{ path: "a/../../escape.txt", content: "x" }]],
    ["absolute path", [{ path: "/tmp/knitfab-absolute.txt", content: "x" }]],
    ["symlink to an absolute path", [{ path: "passwd", type: "SymbolicLink" as const, linkpath: "/etc/passwd" }]],
    ["symlink pointing outside", [{ path: "a/out", type: "SymbolicLink" as const, linkpath: "../../outside" }]],
    ["hard link outside", [{ path: "hard", type: "Link" as const, linkpath: "../outside" }]],
    ["write through a symlink", [{ path: "dir", type: "SymbolicLink" as const, linkpath: "/tmp" }, { path: "dir/escape.txt", content: "x" }]],
    ["character device", [{ path: "null", type: "CharacterDevice" as const }]],
    ["block device", [{ path: "disk", type: "BlockDevice" as const }]],
    ["fifo", [{ path: "pipe", type: "FIFO" as const }]],
  ])("rejects an archive with %s: 400, nothing written", async (_name, entries) => {
    const before = await knitIdsOf();
    const result = await uploadTarGz(server.apiRoot, Readable.from([rawTarGz([{ path: "ok.txt", content: "fine" }, ...entries])]));
    expect(result.status).toBe(400);
    expect(typeof (result.body as Json).message).toBe("string");
    expect(await knitIdsOf()).toEqual(before);
    const dataDir = join(server.home, "data", "data");
    const visible = await readdir(dataDir).catch(() => []);
    expect(visible.sort()).toEqual([...before].map(String).sort());
  });

  it("leaves nothing visible when the client disconnects half-way through an upload", async () => {
    const before = await knitIdsOf();
    const archive = rawTarGz([{ path: "big.bin", content: randomBytes(2 * 1024 * 1024) }]);
    await new Promise<void>((resolve) => {
      const request = httpRequest(new URL(`${server.apiRoot}/data/`), {
        method: "POST",
        headers: { "content-type": "application/tar+gzip", "transfer-encoding": "chunked" },
      });
      request.on("error", () => resolve());
      request.write(archive.subarray(0, archive.length / 2), () => setTimeout(() => request.destroy(), 200));
      request.on("close", () => resolve());
    });
    // the server notices the cut connection asynchronously; wait (bounded) for it to clean up
    for (let attempt = 0; attempt < 100; attempt++) {
      const rows = await sql<{ count: number }>`SELECT count(*)::int AS count FROM run WHERE status = 'running'`.execute(server.server.database.db);
      if (rows.rows[0]!.count === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await knitIdsOf()).toEqual(before);
    const running = await sql<{ count: number }>`SELECT count(*)::int AS count FROM run WHERE status = 'running'`.execute(server.server.database.db);
    expect(running.rows[0]!.count).toBe(0);
    const partials = await readdir(join(server.home, "data", ".partial")).catch(() => []);
    expect(partials).toEqual([]);
  });

  it("rejects a body that is not gzip with 400", async () => {
    const result = await uploadTarGz(server.apiRoot, Readable.from([Buffer.from("this is not a tarball")]));
    expect(result.status).toBe(400);
  });

  it("changes tags: remove, remove_key, then add; system tags refused; 404 for missing data", async () => {
    const data = await upload(await sampleFolder());
    const knitId = String(data.knitId);
    const tagged = await callJson<Json>(api(`/data/${knitId}`), {
      method: "PUT",
      body: { add: ["project: p1 ", { key: "type", value: "dataset" }, "keep:me", "multi:a", "multi:b"] },
    });
    expect(tagged.status).toBe(200);
    expect((tagged.body.tags as string[]).filter((tag) => !tag.startsWith("knit#"))).toEqual(["keep:me", "multi:a", "multi:b", "project:p1", "type:dataset"]);
    // the reference reads this body as JSON whatever its Content-Type says (none, or curl -d's form type)
    const untyped = await callJson<Json>(api(`/data/${knitId}`), { method: "PUT", body: { remove_key: ["multi"] }, contentType: null });
    expect(untyped.status).toBe(200);
    const changed = await callJson<Json>(api(`/data/${knitId}`), {
      method: "PUT",
      body: { remove: ["keep:me"], add: ["keep:me"] },
      contentType: "application/x-www-form-urlencoded",
    });
    expect((changed.body.tags as string[]).filter((tag) => !tag.startsWith("knit#"))).toEqual(["keep:me", "project:p1", "type:dataset"]);
    const system = await callJson<Json>(api(`/data/${knitId}`), { method: "PUT", body: { add: ["knit#id:x"] } });
    expect(system.status).toBe(400);
    const missing = await callJson<Json>(api("/data/00000000-0000-0000-0000-000000000000"), { method: "PUT", body: { add: ["a:b"] } });
    expect(missing.status).toBe(404);
    const broken = await callJson<Json>(api(`/data/${knitId}`), { method: "PUT", rawBody: "{" });
    expect(broken.status).toBe(400);
    expect(String(broken.body.message)).toMatch(/^format error/);
  });

  it("finds data by tags, system tags and time window", async () => {
    const first = await upload(await sampleFolder());
    const second = await upload(await sampleFolder());
    const [a, b] = [String(first.knitId), String(second.knitId)];
    await callJson(api(`/data/${a}`), { method: "PUT", body: { add: ["find:x", "only:a"] } });
    await callJson(api(`/data/${b}`), { method: "PUT", body: { add: ["find:x"] } });
    expect(await knitIdsOf("?tag=find:x")).toEqual([a, b]);
    expect(await knitIdsOf("?tag=find:x&tag=only:a")).toEqual([a]);
    expect(await knitIdsOf(`?tag=knit%23id:${b}`)).toEqual([b]);
    expect(await knitIdsOf("?tag=find:x&tag=knit%23transient:processing")).toEqual([]);
    expect(await knitIdsOf("?tag=knit%23unknown:1")).toEqual([]);
    expect(await knitIdsOf(`?tag=knit%23id:${a}&tag=knit%23id:${b}`)).toEqual([]);
    const timestamp = (first.tags as string[])[1]!.slice("knit#timestamp:".length);
    expect(await knitIdsOf(`?tag=knit%23timestamp:${encodeURIComponent(timestamp)}&tag=find:x`)).toContain(a);
    expect(await knitIdsOf(`?tag=find:x&since=${encodeURIComponent(timestamp)}&duration=1h`)).toEqual(expect.arrayContaining([a, b]));
    expect(await knitIdsOf("?tag=find:x&since=2000-01-01T00:00:00Z&duration=1h")).toEqual([]);
    expect((await callJson(api("/data?tag=nocolon"))).status).toBe(400);
    expect((await callJson(api("/data?duration=1h"))).status).toBe(400);
    expect((await callJson(api("/data?since=yesterday"))).status).toBe(400);
    expect((await callJson(api("/data?since=2000-01-01T00:00:00Z&duration=forever"))).status).toBe(400);
  });

  it("finds only the listed Data with knitId=a,b (this project's extension), combined with tags", async () => {
    const [first, second, third] = [await upload(await sampleFolder()), await upload(await sampleFolder()), await upload(await sampleFolder())];
    const [a, b, c] = [String(first.knitId), String(second.knitId), String(third.knitId)];
    await callJson(api(`/data/${c}`), { method: "PUT", body: { add: ["batch:c"] } });
    expect((await knitIdsOf(`?knitId=${b},${a}`)).sort()).toEqual([a, b].sort());
    expect(await knitIdsOf(`?knitId=${a},${c}&tag=batch:c`)).toEqual([c]);
    expect(await knitIdsOf(`?knitId=not-a-uuid,${b}`)).toEqual([b]);
    expect(await knitIdsOf("?knitId=00000000-0000-0000-0000-000000000000")).toEqual([]);
    expect(await knitIdsOf("?knitId=,")).toEqual([]);
    const tooMany = await callJson<Json>(api(`/data?knitId=${Array.from({ length: 301 }, () => a).join(",")}`));
    expect(tooMany.status).toBe(400);
    expect(String(tooMany.body.message)).toMatch(/too many knit ids/);
  });

  it("answers 404 for downloading unknown data", async () => {
    const download = await downloadTarGz(server.apiRoot, "00000000-0000-0000-0000-000000000000");
    expect(download.status).toBe(404);
  });
});
