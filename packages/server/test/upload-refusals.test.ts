import { createHash, randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawTarGz } from "@knitfab/archive";
import { BACKENDS, callJson, storedState, uploadTarGz, type UploadOptions } from "@knitfab/testing";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Json = Record<string, unknown>;

const archive = rawTarGz([{ path: "data.txt", content: "checked\n" }]);
const md5 = (bytes: Buffer): string => createHash("md5").update(bytes).digest("hex");

/**
 * Uploads that are refused with a 4xx, never a 500 nor a silent acceptance: missing or wrong
 * checksums (issue 8, item 4) and bodies that are not a storable gzip'd tar (item 12). A refusal
 * stores nothing and names no host path.
 */
describe.each(BACKENDS)("refused uploads on %s", (backend) => {
  let server: TestServer;
  let lenient: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { role: "api" });
    lenient = await startTestServer(backend, { role: "api", flags: { allowUncheckedUploads: true } });
  });
  afterAll(async () => {
    await server?.stop();
    await lenient?.stop();
  });

  /** The upload is refused with `status` and `message`, nothing is stored and no host path is told. */
  async function expectRefused(body: Buffer, options: UploadOptions, status: number, message: RegExp): Promise<void> {
    const before = await storedState(server.server.database, server.home);
    const result = await uploadTarGz(server.apiRoot, Readable.from([body]), options);
    expect(result.status, JSON.stringify(result.body)).toBe(status);
    const text = String((result.body as Json).message);
    expect(text).toMatch(message);
    expect(text).not.toContain(server.home);
    expect(await storedState(server.server.database, server.home)).toEqual(before);
  }

  it("requires a checksum: an upload without the x-checksum-md5 trailer or header is a 400", async () => {
    await expectRefused(archive, { checksum: null }, 400, /^checksum is missing\n.*x-checksum-md5/);
  });

  it("verifies a checksum sent as a header, alone or beside the trailer", async () => {
    await expectRefused(archive, { checksum: null, checksumHeader: "0".repeat(32) }, 400, /^hash is not match/);
    await expectRefused(archive, { checksumHeader: "0".repeat(32) }, 400, /^hash is not match/);
    await expectRefused(archive, { checksum: "0".repeat(32), checksumHeader: md5(archive) }, 400, /^hash is not match/);
    const headerOnly = await uploadTarGz(server.apiRoot, Readable.from([archive]), { checksum: null, checksumHeader: md5(archive) });
    expect(headerOnly.status, JSON.stringify(headerOnly.body)).toBe(200);
    const both = await uploadTarGz(server.apiRoot, Readable.from([archive]), { checksumHeader: md5(archive).toUpperCase() });
    expect(both.status, JSON.stringify(both.body)).toBe(200);
  });

  it("accepts unchecked uploads only when the server allows them (--allow-unchecked-uploads)", async () => {
    const unchecked = await uploadTarGz(lenient.apiRoot, Readable.from([archive]), { checksum: null });
    expect(unchecked.status, JSON.stringify(unchecked.body)).toBe(200);
    const wrong = await uploadTarGz(lenient.apiRoot, Readable.from([archive]), { checksum: "0".repeat(32) });
    expect(wrong.status).toBe(400);
  });

  it("refuses a JSON body as an upload with a 4xx, not a 500", async () => {
    const before = await storedState(server.server.database, server.home);
    const response = await callJson<Json>(`${server.apiRoot}/data/`, { method: "POST", body: { not: "a tarball" } });
    // 415 if the content type is refused first, 400 if the body is; never a 500
    expect([400, 415], response.text).toContain(response.status);
    expect(await storedState(server.server.database, server.home)).toEqual(before);
  });

  it("refuses gzip'd garbage: a header with a broken base-256 number, and random bytes", async () => {
    const block = Buffer.alloc(512, 0x41);
    block[124] = 0x90; // the size field starts like a base-256 number that is neither positive nor negative
    await expectRefused(gzipSync(block), {}, 400, /^broken archive\n.*\n caused by:corrupt archive: header at byte 0 cannot be read/);
    await expectRefused(gzipSync(randomBytes(64 * 1024)), {}, 400, /^broken archive/);
  });

  it("refuses entry names longer than the file system allows with a 400 naming the entry, not the server's folders", async () => {
    const longName = `${"n".repeat(300)}.txt`;
    await expectRefused(rawTarGz([{ path: longName, content: "x" }]), {}, 400, /^unsafe archive\n.*\n caused by:unsafe archive entry "n{60}\.\.\.": the name is longer than the file system allows/);
    const deepPath = Array.from({ length: 20 }, (_, nth) => `${nth}`.padEnd(250, "d")).join("/");
    await expectRefused(rawTarGz([{ path: `${deepPath}/file.txt`, content: "x" }]), {}, 400, /the name is longer than the file system allows/);
  });

  it("answers a failure of the data store with a 500 that names no host path", async () => {
    // The folder partial uploads are written to is replaced by a file: every write under it fails.
    const partials = join(server.home, "data", ".partial");
    await rm(partials, { recursive: true, force: true });
    await writeFile(partials, "in the way");
    try {
      const result = await uploadTarGz(server.apiRoot, Readable.from([archive]));
      expect(result.status).toBe(500);
      const text = String((result.body as Json).message);
      expect(text).toMatch(/^unexpected error\n.*\n caused by:data store failure \(ENOTDIR\)$/);
      expect(text).not.toContain(server.home);
    } finally {
      await rm(partials, { force: true });
      await mkdir(partials);
    }
  });
});
