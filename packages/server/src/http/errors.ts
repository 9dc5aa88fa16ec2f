import { HTTP_STATUS_OF_KIND, KnitError } from "@knitfab/domain";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

/** Per-route override of the reason used for body parse/validation errors (spec/api.md §2.6, §2.9). */
declare module "fastify" {
  interface FastifyContextConfig {
    invalidBodyReason?: string;
  }
}

interface HttpishError {
  statusCode?: number;
  validation?: unknown;
  code?: string;
  message: string;
}

/**
 * The one place errors become HTTP responses: domain errors by kind, Fastify's own parse and
 * validation errors as 400, anything else as 500 (logged). Every body is `{"message": ...}`.
 */
export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof KnitError) {
    const status = HTTP_STATUS_OF_KIND[error.kind];
    if (status >= 500) request.log.error({ err: error }, "request failed");
    void reply.status(status).send({ message: error.wireMessage, ...error.details });
    return;
  }
  const httpish = error as HttpishError;
  if (httpish.validation !== undefined || (httpish.statusCode !== undefined && httpish.statusCode >= 400 && httpish.statusCode < 500)) {
    const status = httpish.statusCode && httpish.statusCode !== 415 ? httpish.statusCode : 400;
    const reason = request.routeOptions.config?.invalidBodyReason ?? "bad request";
    void reply.status(status).send({ message: `${reason}\n caused by:${httpish.message}` });
    return;
  }
  request.log.error({ err: error }, "unexpected error");
  void reply.status(500).send({ message: `unexpected error\n caused by:${error.message}` });
}
