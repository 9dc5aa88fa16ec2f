import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";

const REQUEST_ID_HEADER = "x-request-id";
/** An id a client or proxy sends is kept if it is short and plain, so it cannot forge log lines. */
const PLAIN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request in the JSON log lines (`reqId`): the caller's `X-Request-Id` when it is
 * plain, else a fresh UUID. Given as Fastify's genReqId.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === "string" && PLAIN_ID.test(given) ? given : randomUUID();
}

/** Every answer says which request id it was logged under, so a user's report finds the log lines. */
export function installRequestIdHeader(app: FastifyInstance): void {
  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
}
