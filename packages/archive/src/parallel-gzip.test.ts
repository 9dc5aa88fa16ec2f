import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ParallelGzip } from "./parallel-gzip.js";

async function compress(input: Buffer[], parallel: number, segment: number): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(input), new ParallelGzip({ level: 6, parallel, segment }), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) out.push(chunk);
  });
  return Buffer.concat(out);
}

/** Compressible but position-dependent content, so a reordered segment would show. */
function sample(bytes: number): Buffer {
  const text = Array.from({ length: Math.ceil(bytes / 12) }, (_, index) => `line ${index}\n`).join("");
  return Buffer.from(text).subarray(0, bytes);
}

describe("ParallelGzip", () => {
  it("gives one gzip stream of several members that gunzip, Node's gunzip stream and GNU gzip read back in order", async () => {
    const input = Buffer.concat([sample(700_000), randomBytes(300_000), sample(500_000)]);
    const pieces = Array.from({ length: Math.ceil(input.length / 65_536) }, (_, index) => input.subarray(index * 65_536, (index + 1) * 65_536));
    const compressed = await compress(pieces, 3, 100_000);
    // Each member starts with the gzip magic and method bytes; a segment closes at the first 64 KiB
    // piece that reaches 100 kB, so 1.5 MB gives about 11 of them.
    let members = 0;
    for (let at = compressed.indexOf("\x1f\x8b\x08", 0, "latin1"); at >= 0; at = compressed.indexOf("\x1f\x8b\x08", at + 1, "latin1")) members += 1;
    expect(members).toBeGreaterThanOrEqual(10);
    expect(gunzipSync(compressed).equals(input)).toBe(true);
    const streamed: Buffer[] = [];
    await pipeline(Readable.from([compressed]), createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) streamed.push(chunk);
    });
    expect(Buffer.concat(streamed).equals(input)).toBe(true);
    expect(execFileSync("gzip", ["-dc"], { input: compressed, maxBuffer: 8 * 1024 * 1024 }).equals(input)).toBe(true);
  });

  it("turns an empty input into a valid empty gzip stream", async () => {
    const compressed = await compress([], 2, 1024);
    expect(compressed.length).toBeGreaterThan(0);
    expect(gunzipSync(compressed).length).toBe(0);
  });

  it("compresses about as well as one stream at the same level", async () => {
    const input = sample(4_000_000);
    const single = await compress([input], 1, 8_000_000);
    const split = await compress([input], 2, 1_000_000);
    expect(split.length).toBeLessThan(single.length * 1.01 + 200);
  });

  it("fails the stream when a member cannot be compressed", async () => {
    await expect(
      pipeline(Readable.from([Buffer.alloc(10)]), new ParallelGzip({ level: 42, parallel: 2, segment: 1024 }), async (chunks: AsyncIterable<Buffer>) => {
        for await (const _chunk of chunks) {
          // reading until the error
        }
      }),
    ).rejects.toThrow(/level/);
  });
});
