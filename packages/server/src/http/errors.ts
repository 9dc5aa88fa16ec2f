import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { ErrorBody } from "@knitfab/api";
import {
  ConflictError,
  ForbiddenError,
  InputError,
  InternalError,
  KnitError,
  NotFoundError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
} from "@knitfab/domain";
import { CorruptArchiveError, UnsafeArchiveError } from "@knitfab/archive";
import { ChecksumMismatchError, RangeNotSatisfiableError } from "@knitfab/drivers";
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
 * The status code of each class of domain error, most specific first: the first class the error is
 * an instance of decides. Store errors are domain errors already (a missing Data is a NotFoundError);
 * only those that HTTP answers differently are named.
 */
const STATUS_OF_CLASS: readonly (readonly [abstract new (...args: never[]) => KnitError, number])[] = [
  [RangeNotSatisfiableError, 416],
  [InputError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [TooLargeError, 413],
  [UnavailableError, 503],
  [InternalError, 500],
];

/**
 * The one place errors become HTTP responses: domain errors by class, Fastify's own parse and
 * validation errors as 400, anything else as 500. Every body is ErrorBody: `{"message": ...}`, and
 * `planId` for an equivalent plan.
 * A refused request is the client's business: logged at info without a stack; a 5xx is ours:
 * logged at error with everything.
 */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = describeError(reworded(error), request);
  if (status >= 500) request.log.error({ err: error }, "request failed");
  else request.log.info({ statusCode: status, message: body.message }, "request refused");
  if (error instanceof RangeNotSatisfiableError) reply.header("content-range", `bytes */${error.size}`).header("accept-ranges", "bytes");
  void reply.status(status).send(body);
}

/** Errors of an upload's archive or checksum, in the words of what the uploader should do next. */
function reworded(error: FastifyError | Error): FastifyError | Error {
  if (error instanceof ChecksumMismatchError) {
    return new InputError("hash is not match.", { advice: "the upload was corrupted on the way; push it again", cause: error });
  }
  if (error instanceof UnsafeArchiveError) {
    return new InputError("unsafe archive", {
      advice: "entries must stay inside the data folder (no absolute paths, '..', outside links or device files) and have names the file system can hold",
      cause: error,
    });
  }
  if (error instanceof CorruptArchiveError) return new InputError("broken archive", { advice: "the body must be a gzip'd tar; push it again", cause: error });
  return error;
}

function describeError(error: FastifyError | Error, request: FastifyRequest): { status: number; body: ErrorBody } {
  if (error instanceof KnitError) {
    const status = STATUS_OF_CLASS.find(([errorClass]) => error instanceof errorClass)?.[1] ?? 500;
    const planId = error.details?.["planId"];
    return { status, body: { message: error.wireMessage, ...(typeof planId === "string" ? { planId } : {}) } };
  }
  const httpish: HttpishError = error;
  if (httpish.validation !== undefined || (httpish.statusCode !== undefined && httpish.statusCode >= 400 && httpish.statusCode < 500)) {
    const status = httpish.statusCode && httpish.statusCode !== 415 ? httpish.statusCode : 400;
    // body problems are worded as the endpoint words them; query and path problems are plain bad requests
    const aboutBody = httpish.validationContext === "body" || (httpish.validation === undefined && httpish.code?.startsWith("FST_ERR_CTP_") === true);
    const wording = (aboutBody ? request.routeOptions.config?.invalidBody : undefined) ?? { reason: "bad request" };
    const message = new InputError(wording.reason, { ...(wording.advice ? { advice: wording.advice } : {}), cause: new Error(httpish.message) }).wireMessage;
    return { status, body: { message } };
  }
  // What went wrong inside is for the log, not the client: messages of unexpected errors can name
  // host paths, SQL or addresses. The request id finds the log line.
  return { status: 500, body: { message: `unexpected error\nthe server failed; its log has the details under request id ${request.id}` } };
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
