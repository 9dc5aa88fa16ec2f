import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { HTTP_STATUS_OF_KIND, InputError, KnitError } from "@knitfab/domain";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * How an endpoint words a body it cannot take, as the reference words it (spec/api.md §2.4,
 * §2.6, §2.9): a reason line and an optional advice line; the detail follows as the cause.
 */
export interface InvalidBodyWording {
  reason: string;
  advice?: string;
}

declare module "fastify" {
  interface FastifyContextConfig {
    invalidBody?: InvalidBodyWording;
  }
}

interface HttpishError {
  statusCode?: number;
  validation?: unknown;
  validationContext?: string;
  code?: string;
  message: string;
}

/**
 * The one place errors become HTTP responses: domain errors by kind, Fastify's own parse and
 * validation errors as 400, anything else as 500. Every body is `{"message": ...}`.
 * A refused request is the client's business: logged at info without a stack; a 5xx is ours:
 * logged at error with everything.
 */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const { status, message, details } = describeError(error, request);
  if (status >= 500) request.log.error({ err: error }, "request failed");
  else request.log.info({ statusCode: status, message }, "request refused");
  void reply.status(status).send({ message, ...details });
}

function describeError(error: FastifyError | Error, request: FastifyRequest): { status: number; message: string; details?: Record<string, unknown> } {
  if (error instanceof KnitError) {
    return { status: HTTP_STATUS_OF_KIND[error.kind], message: error.wireMessage, ...(error.details ? { details: error.details } : {}) };
  }
  const httpish = error as HttpishError;
  if (httpish.validation !== undefined || (httpish.statusCode !== undefined && httpish.statusCode >= 400 && httpish.statusCode < 500)) {
    const status = httpish.statusCode && httpish.statusCode !== 415 ? httpish.statusCode : 400;
    // body problems are worded as the endpoint words them; query and path problems are plain bad requests
    const aboutBody = httpish.validationContext === "body" || (httpish.validation === undefined && httpish.code?.startsWith("FST_ERR_CTP_") === true);
    const wording = (aboutBody ? request.routeOptions.config?.invalidBody : undefined) ?? { reason: "bad request" };
    return { status, message: new InputError(wording.reason, { ...(wording.advice ? { advice: wording.advice } : {}), cause: new Error(httpish.message) }).wireMessage };
  }
  // What went wrong inside is for the log, not the client: messages of unexpected errors can name
  // host paths, SQL or addresses. The request id finds the log line.
  return { status: 500, message: `unexpected error\nthe server failed; its log has the details under request id ${request.id}` };
}

/**
 * Requests Node's parser cannot read (headers too large, malformed HTTP, timeouts). The connection
 * cannot be read any further, so the answer says `Connection: close` (a keep-alive client would
 * otherwise send its next request into a closed socket); then the socket is closed, as Node does.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "request header fields too large\nsend fewer or shorter headers: 16 KiB in all at most"]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "request timeout\nthe request did not arrive in time; send it again"]
        : [400, "bad request\nthe request is not valid HTTP/1.1"];
  this.log.info({ statusCode: status, message, code: error.code }, "request refused");
  if (socket.writable) {
    const body = JSON.stringify({ message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
