import type { FastifyInstance } from "fastify";
import { pingDatabase, type Database } from "@knitfab/db";
import type { ServerMetrics } from "../monitoring/metrics.js";

/** How long /readyz waits for the database before it answers 503. */
const READINESS_TIMEOUT_MS = 5_000;

/**
 * Outside `/api`, never behind a prefix or a proxy rule: `/healthz` (the process answers),
 * `/readyz` (and its database does), and, when metrics are kept, `/metrics` in Prometheus' text
 * format plus the latency of every request.
 */
export function installMonitoring(app: FastifyInstance, options: { database: Database; metrics?: ServerMetrics }): void {
  const { database, metrics } = options;
  app.get("/healthz", { schema: { hide: true }, config: { anyHost: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true }, config: { anyHost: true } }, async (request, reply) => {
    try {
      await withTimeout(pingDatabase(database.db), READINESS_TIMEOUT_MS);
      return { status: "ready" };
    } catch (error) {
      request.log.warn({ err: error }, "not ready: the database does not answer");
      return reply.status(503).send({ message: `not ready\nthe database does not answer: ${error instanceof Error ? error.message : String(error)}` });
    }
  });
  if (!metrics) return;
  app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => reply.header("content-type", metrics.contentType).send(await metrics.render()));
  app.addHook("onResponse", async (request, reply) => {
    // the route's pattern, never the path: ids in labels would make a series per Data or run
    const route = request.is404 ? "unmatched" : (request.routeOptions.url ?? "unmatched");
    metrics.observeRequest({ method: request.method, route, statusCode: reply.statusCode }, reply.elapsedTime / 1000);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
