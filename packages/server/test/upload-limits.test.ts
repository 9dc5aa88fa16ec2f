import { randomBytes } from "node:crypto";
import { statfs } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeHeader, rawTarGz } from "@knitfab/archive";
import { BACKENDS, storedState, uploadTarGz } from "@knitfab/testing";
import { startTestServer, type TestServer } from "../test-support/index.js";

type Json = Record<string, unknown>;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** gzip of a tar whose one header declares `size` bytes of file content that never follow. */
function declaredOnly(size: number): Buffer {
  return gzipSync(encodeHeader({ path: "huge.bin", type: "File", mode: 0o644, size, mtime: new Date(1_700_000_000_000) }));
}

/** The upload is refused with 413 and `message`; nothing of it is stored, in the database or on disk. */
async function expectTooLarge(server: TestServer, archive: Buffer, message: RegExp): Promise<void> {
  const before = await storedState(server.server.database, server.home);
  const result = await uploadTarGz(server.apiRoot, Readable.from([archive]));
  expect(result.status, JSON.stringify(result.body)).toBe(413);
  expect(String((result.body as Json).message)).toMatch(message);
  expect(await storedState(server.server.database, server.home)).toEqual(before);
}

/** Upload limits (issue 8, item 3): unpacked size, entries and free space, each a clear 413. */
describe.each(BACKENDS)("upload limits on %s", (backend) => {
  let limited: TestServer;
  let reserved: TestServer;
  beforeAll(async () => {
    limited = await startTestServer(backend, { role: "api", flags: { uploadMaxSize: "1Mi", uploadMaxEntries: "50" } });
    // A reserve that leaves 10 GiB of room on the test file system (the homes live under tmpdir).
    const space = await statfs(tmpdir());
    const reserve = space.bavail * space.bsize - 10 * GiB;
    reserved = await startTestServer(backend, { role: "api", flags: { freeSpaceReserve: String(reserve) } });
  });
  afterAll(async () => {
    await limited?.stop();
    await reserved?.stop();
  });

  it("refuses a decompression bomb: a file declared larger than the limit, before writing it", async () => {
    const bomb = rawTarGz([{ path: "zeros.bin", content: Buffer.alloc(64 * MiB) }]);
    expect(bomb.length).toBeLessThan(MiB);
    await expectTooLarge(limited, bomb, /^archive too large: its files hold more than 1048576 bytes\n.*upload limits/);
  });

  it("refuses an archive whose files add up past the limit, removing what was written", async () => {
    const pieces = Array.from({ length: 4 }, (_, nth) => ({ path: `part-${nth}.bin`, content: Buffer.alloc(400 * 1024) }));
    await expectTooLarge(limited, rawTarGz(pieces), /^archive too large: its files hold more than 1048576 bytes/);
  });

  it("refuses more entries than the limit", async () => {
    const entries = Array.from({ length: 51 }, (_, nth) => ({ path: `empty-${nth}`, content: "" }));
    await expectTooLarge(limited, rawTarGz(entries), /^archive too large: more than 50 entries/);
  });

  it("answers 413 while the client has not sent the rest of the body yet", async () => {
    const before = await storedState(limited.server.database, limited.home);
    const archive = rawTarGz([{ path: "random.bin", content: randomBytes(4 * MiB) }]);
    // Half the body goes out, the rest is held back until an answer came: the server must answer
    // a refusal without waiting for the end, and without cutting the connection under it.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(new URL(`${limited.apiRoot}/data/`), {
        method: "POST",
        headers: { "content-type": "application/tar+gzip", "transfer-encoding": "chunked" },
      });
      request.on("response", (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          request.destroy();
        });
      });
      request.on("error", reject);
      request.write(archive.subarray(0, archive.length / 2));
    });
    expect(answer.status, answer.body).toBe(413);
    expect(answer.body).toMatch(/archive too large/);
    expect(await storedState(limited.server.database, limited.home)).toEqual(before);
  });

  it("accepts what stays within the limits", async () => {
    const result = await uploadTarGz(limited.apiRoot, Readable.from([rawTarGz([{ path: "ok.bin", content: Buffer.alloc(MiB) }])]));
    expect(result.status, JSON.stringify(result.body)).toBe(200);
  });

  it("refuses a file that would eat into the free-space reserve, before writing it", async () => {
    await expectTooLarge(reserved, declaredOnly(64 * GiB), /^not enough free space: a file of 68719476736 bytes does not fit/);
    const small = await uploadTarGz(reserved.apiRoot, Readable.from([rawTarGz([{ path: "small.txt", content: "fits" }])]));
    expect(small.status, JSON.stringify(small.body)).toBe(200);
  });

  it("refuses any upload when free space is already below the reserve", async () => {
    const full = await startTestServer(backend, { role: "api", flags: { freeSpaceReserve: "7Pi" } });
    try {
      await expectTooLarge(full, rawTarGz([{ path: "tiny.txt", content: "x" }]), /^not enough free space: \d+ bytes are free and the server keeps \d+ in reserve/);
    } finally {
      await full.stop();
    }
  });
});
