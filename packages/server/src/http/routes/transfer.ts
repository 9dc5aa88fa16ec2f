import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyReply } from "fastify";
import { InputError } from "@knitfab/domain";
import type { DataStore, OutgoingData } from "@knitfab/drivers";

export const CHECKSUM_TRAILER = "x-checksum-md5";

/**
 * Streams an upload into the store. The checksum arrives as an HTTP trailer, so it is read only
 * after the body ended; the store verifies it before the data becomes visible.
 */
export async function receiveTarGz(store: DataStore, knitId: string, body: Readable, request: IncomingMessage): Promise<void> {
  try {
    await store.receive(knitId, body, () => {
      const value = request.trailers[CHECKSUM_TRAILER];
      return typeof value === "string" && value.length > 0 ? value.toLowerCase() : undefined;
    });
  } catch (error) {
    throw transferError(error);
  }
}

/** Store failures → domain errors with what to do next. */
export function transferError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  switch (error.name) {
    case "ChecksumMismatchError":
      return new InputError("hash is not match.", { advice: "the upload was corrupted on the way; push it again", cause: error });
    case "UnsafeArchiveError":
      return new InputError("unsafe archive", { advice: "entries must stay inside the data folder; no absolute paths, '..', outside links or device files", cause: error });
    case "CorruptArchiveError":
      return new InputError("broken archive", { advice: "the body must be a gzip'd tar; push it again", cause: error });
    case "DataExistsError":
    case "DataMissingError":
      return error;
    default:
      return error;
  }
}

/** Streams a Data as tar.gz with the MD5 of the compressed bytes as the `x-checksum-md5` trailer. */
export async function sendTarGz(store: DataStore, knitId: string, reply: FastifyReply): Promise<void> {
  let outgoing: OutgoingData;
  try {
    outgoing = await store.send(knitId);
  } catch (error) {
    throw transferError(error);
  }
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    "Content-Type": "application/tar+gzip",
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
