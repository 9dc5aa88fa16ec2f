import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyReply, FastifyRequest } from "fastify";
import { CHECKSUM_TRAILER, MEDIA_TYPES } from "@knitfab/api";
import { InputError } from "@knitfab/domain";
import type { DataStore, ReceivedData } from "@knitfab/drivers";

/** How this server treats uploads' checksums. */
export interface UploadPolicy {
  /** Accept uploads that send no `x-checksum-md5` (trailer or header); the reference CLI always sends one. */
  allowUnchecked: boolean;
}

/**
 * The upload's body as a stream, or a 400: only a raw body (gzip'd tar) can be an upload; a body
 * some parser consumed (JSON, for instance) cannot.
 */
export function uploadStream(request: FastifyRequest): Readable {
  const body = request.body;
  if (body instanceof Readable) return body;
  throw new InputError("the body is not a gzip'd tar", {
    advice: 'send the data as a gzip\'d tar with "Content-Type: application/tar+gzip", as knit data push does',
  });
}

/**
 * Streams an upload into the store. The checksum arrives as an HTTP trailer (or a header), so it
 * is read only after the body ended; the store verifies it before the data becomes visible.
 */
export async function receiveTarGz(store: DataStore, knitId: string, body: Readable, request: FastifyRequest, reply: FastifyReply, policy: UploadPolicy): Promise<ReceivedData> {
  const raw = request.raw;
  try {
    return await store.receive(knitId, body, {
      announced: () => [raw.headers[CHECKSUM_TRAILER], raw.trailers[CHECKSUM_TRAILER]].filter((value) => typeof value === "string"),
      required: !policy.allowUnchecked,
    });
  } catch (error) {
    // Refused before the body ended (a limit, a broken archive): the extraction dropped the
    // request; the answer still reaches the client, and then the connection closes rather than
    // carrying a remainder nobody reads.
    if (!raw.complete) reply.header("connection", "close");
    throw error;
  }
}

/** Streams a Data as tar.gz with the MD5 of the compressed bytes as the `x-checksum-md5` trailer. */
export async function sendTarGz(store: DataStore, knitId: string, reply: FastifyReply): Promise<void> {
  const outgoing = await store.send(knitId);
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    "Content-Type": MEDIA_TYPES.tarGz,
    Trailer: CHECKSUM_TRAILER,
    "Transfer-Encoding": "chunked",
  });
  try {
    // The store hashes what it sends: its md5() is the trailer, no second pass over the bytes.
    await pipeline(outgoing.stream, async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        if (!response.write(chunk)) await new Promise((resolve) => response.once("drain", resolve));
      }
    });
    response.addTrailers({ [CHECKSUM_TRAILER]: outgoing.md5() });
    response.end();
  } catch (error) {
    // Headers are gone already: cutting the connection is the only honest signal left.
    response.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}
