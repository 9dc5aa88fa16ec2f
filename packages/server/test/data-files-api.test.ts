import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataFileList, ErrorBody } from "@knitfab/api";
import { packDirectory } from "@knitfab/archive";
import { BACKENDS, callJson, requestRaw, uploadTarGz } from "@knitfab/testing";
import { startTestServer, type TestServer } from "../test-support/index.js";

const binary = randomBytes(300_000);
const TEXT = "0123456789abcdefghijklmnopqrstuvwxyz\n";

/**
 * The extension endpoints that look inside a Data (README "Extensions to the API"), over real HTTP:
 * listings, whole files, byte ranges, and every way of asking for something outside the Data.
 */
describe.each(BACKENDS)("data files API on %s", (backend) => {
  let server: TestServer;
  let source = "";
  let knitId = "";
  beforeAll(async () => {
    server = await startTestServer(backend, { role: "api,backend" });
    source = await mkdtemp(join(tmpdir(), "knitfab-files-"));
    await mkdir(join(source, "sub/deeper"), { recursive: true });
    await writeFile(join(source, "notes.txt"), TEXT);
    await writeFile(join(source, "table.csv"), "a,b\n1,2\n");
    await writeFile(join(source, "page.html"), "<script>alert(1)</script>");
    await writeFile(join(source, "sub/deeper/model.bin"), binary);
    await symlink("sub/deeper/model.bin", join(source, "latest"));
    const uploaded = await uploadTarGz(server.apiRoot, packDirectory(source));
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(200);
    knitId = String((uploaded.body as { knitId: string }).knitId);
  });
  afterAll(async () => {
    await server?.stop();
    if (source) await rm(source, { recursive: true, force: true });
  });

  const files = (query: string, id = knitId) => `${server.apiRoot}/x/data/${encodeURIComponent(id)}/files${query}`;
  const file = (path: string, id = knitId) => `${server.apiRoot}/x/data/${encodeURIComponent(id)}/file?path=${encodeURIComponent(path)}`;

  async function expectError(response: Response, status: number, leaks: string[] = []): Promise<string> {
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body: unknown = await response.json();
    expect(Value.Check(ErrorBody, body), JSON.stringify(body)).toBe(true);
    const text = JSON.stringify(body);
    for (const leak of [server.home, ...leaks]) expect(text).not.toContain(leak);
    return (body as { message: string }).message;
  }

  it("lists the root's entries with sizes and totals, as the contract says", async () => {
    const response = await callJson<DataFileList>(files(""));
    expect(response.status).toBe(200);
    expect(Value.Check(DataFileList, response.body), JSON.stringify(response.body)).toBe(true);
    expect(response.body.knitId).toBe(knitId);
    expect(response.body.entries.map((entry) => [entry.type, entry.path, entry.size])).toEqual([
      ["link", "latest", 0],
      ["file", "notes.txt", TEXT.length],
      ["file", "page.html", 25],
      ["dir", "sub", 0],
      ["file", "table.csv", 8],
    ]);
    expect(response.body.entries[0]?.target).toBe("sub/deeper/model.bin");
    expect(response.body.totals).toEqual({ files: 3, dirs: 1, links: 1, bytes: TEXT.length + 25 + 8 });
    expect(response.body.truncated).toBe(false);
  });

  it("lists a sub folder, recursively on request, and refuses a bad recursive value", async () => {
    const shallow = await callJson<DataFileList>(files("?path=sub"));
    expect(shallow.body.entries.map((entry) => entry.path)).toEqual(["sub/deeper"]);
    const deep = await callJson<DataFileList>(files("?path=sub/&recursive=true"));
    expect(deep.body.entries.map((entry) => entry.path)).toEqual(["sub/deeper", "sub/deeper/model.bin"]);
    expect(deep.body.totals.bytes).toBe(binary.length);
    const all = await callJson<DataFileList>(files("?recursive=true"));
    expect(all.body.entries).toHaveLength(7);
    const message = await expectError(await fetch(files("?recursive=yes")), 400);
    expect(message).toContain("recursive=true");
  });

  it("sends a whole file with its length, type and Accept-Ranges; binary byte for byte", async () => {
    const response = await fetch(file("sub/deeper/model.bin"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(response.headers.get("content-length")).toBe(String(binary.length));
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await response.arrayBuffer()).equals(binary)).toBe(true);

    const text = await fetch(file("notes.txt"));
    expect(text.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await text.text()).toBe(TEXT);
    // A page someone stored is text here, and sandboxed if a browser is told otherwise.
    const html = await fetch(file("page.html"));
    expect(html.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(html.headers.get("content-security-policy")).toContain("sandbox");
    // A link that stays inside the Data leads to its file.
    const linked = await fetch(file("latest"));
    expect(Buffer.from(await linked.arrayBuffer()).equals(binary)).toBe(true);
  });

  it("answers byte ranges with 206 and Content-Range: first-last, open-ended and suffix", async () => {
    const cases: [string, number, number][] = [
      ["bytes=0-9", 0, 9],
      ["bytes=10-", 10, TEXT.length - 1],
      ["bytes=-10", TEXT.length - 10, TEXT.length - 1],
      ["bytes=30-1000", 30, TEXT.length - 1],
    ];
    for (const [range, first, last] of cases) {
      const response = await fetch(file("notes.txt"), { headers: { range } });
      expect(response.status, range).toBe(206);
      expect(response.headers.get("content-range"), range).toBe(`bytes ${first}-${last}/${TEXT.length}`);
      expect(response.headers.get("content-length"), range).toBe(String(last - first + 1));
      expect(await response.text(), range).toBe(TEXT.slice(first, last + 1));
    }
    const middle = await fetch(file("sub/deeper/model.bin"), { headers: { range: "bytes=100000-199999" } });
    expect(Buffer.from(await middle.arrayBuffer()).equals(binary.subarray(100_000, 200_000))).toBe(true);
    // Several ranges, or another unit, are ignored: the whole file (RFC 9110 lets a server do so).
    const several = await fetch(file("notes.txt"), { headers: { range: "bytes=0-1,5-6" } });
    expect(several.status).toBe(200);
    expect(await several.text()).toBe(TEXT);
  });

  it("answers 416 with the file's size for a range past its end", async () => {
    for (const range of [`bytes=${TEXT.length}-`, "bytes=1000-2000", "bytes=-0"]) {
      const response = await fetch(file("notes.txt"), { headers: { range } });
      expect(response.headers.get("content-range"), range).toBe(`bytes */${TEXT.length}`);
      const message = await expectError(response, 416);
      expect(message).toContain(`${TEXT.length} bytes`);
    }
  });

  it("answers 404 with a message for unknown Data and missing paths", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect(await expectError(await fetch(files("", unknown)), 404)).toContain("not found");
    await expectError(await fetch(file("notes.txt", unknown)), 404);
    await expectError(await fetch(files("", "not-a-uuid")), 404);
    expect(await expectError(await fetch(file("nope.txt")), 404)).toContain("nope.txt");
    await expectError(await fetch(files("?path=sub/nope")), 404);
    await expectError(await fetch(file("notes.txt/more")), 404);
  });

  it("refuses paths that would leave the Data, and reading a folder, leaking nothing", async () => {
    for (const path of ["../", "../../../../etc/passwd", "sub/../../x", "/etc/passwd", "notes.txt\0"]) {
      const message = await expectError(await fetch(file(path)), 400, ["root:"]);
      expect(message, path).toContain("invalid path");
      await expectError(await fetch(files(`?path=${encodeURIComponent(path)}`)), 400, ["root:"]);
    }
    // Without a path the file endpoint says what it needs.
    await expectError(await fetch(`${server.apiRoot}/x/data/${knitId}/file`), 400);
    expect(await expectError(await fetch(file("sub")), 400)).toContain("is a folder");
  });

  it("never follows a link that leads out of the Data (written behind the store's back)", async () => {
    // Sealing refuses such links; this checks the second line of defence on the wire.
    const folder = join(server.home, "data", "data", knitId);
    await symlink("/etc/passwd", join(folder, "escape"));
    await symlink("../../..", join(folder, "up"));
    await expectError(await fetch(file("escape")), 404, ["root:"]);
    await expectError(await fetch(file("up/data/data")), 404);
    await expectError(await fetch(files("?path=up")), 404);
    const listing = await callJson<DataFileList>(files(""));
    expect(listing.body.entries.filter((entry) => entry.type === "link").map((entry) => entry.path)).toEqual(["escape", "latest", "up"]);
  });

  it("is a GET like any other: a foreign Host is refused, and the OpenAPI document describes both routes", async () => {
    const foreign = await requestRaw(files(""), { headers: { host: "evil.example" } });
    expect(foreign.status).toBe(403);
    const document = await callJson<{ paths: Record<string, unknown> }>(`${server.apiRoot}/openapi.json`);
    expect(Object.keys(document.body.paths)).toEqual(expect.arrayContaining(["/api/x/data/{knitId}/files", "/api/x/data/{knitId}/file"]));
  });
});
