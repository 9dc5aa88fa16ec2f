import { createServer as createHttpsServer } from "node:https";
import type { Server as HttpServer } from "node:http";
import Fastify, { type FastifyInstance } from "fastify";
import swagger from "@fastify/swagger";
import type { Database } from "@knitfab/db";
import type { DataStore } from "@knitfab/drivers";
import { clientErrorHandler, errorHandler } from "./errors.js";
import { installMethodRules } from "./method-not-allowed.js";
import { installQueryRules } from "./query-params.js";
import { installBodyRules } from "./request-body.js";
import { installOriginRules, type HostRules } from "./request-origin.js";
import { dataRoutes } from "./routes/data.js";
import { dataFileRoutes } from "./routes/data-files.js";
import { planRoutes } from "./routes/plans.js";
import { runRoutes } from "./routes/runs.js";
import { runTimelineRoutes } from "./routes/run-timeline.js";
import { CONSOLE_ROUTE, staticConsole } from "./routes/console.js";
import { backendRoutes } from "./routes/backend.js";
import type { RunLogSource } from "./routes/run-log.js";
import type { UploadPolicy } from "./routes/transfer.js";
import { installMonitoring } from "./monitoring.js";
import { installFrozenGuard } from "./frozen.js";
import { installRequestIdHeader, requestIdOf } from "./request-id.js";
import { extraApiRoutes, isUpstreamAnswer } from "./extra-apis.js";
import type { ServerMetrics } from "../monitoring/metrics.js";
import type { ExtraApiEndpoint } from "../extra-apis-file.js";
import { installAccessControl, type AccessControl } from "./auth.js";

export interface AppOptions {
  database: Database;
  store: DataStore;
  /** live logs of running workers; absent when no worker runtime is configured */
  logSource?: RunLogSource;
  /** folder with the built web console; absent to serve none */
  consoleDir?: string;
  logger?: boolean | { level: string };
  version: string;
  /** how uploads are checked; by default a checksum is required */
  uploads?: UploadPolicy;
  /** which route sets to serve: the public API (`/api`) and/or the backend (`/api/backend`); both by default */
  serve?: { api: boolean; backend: boolean };
  /** the Host names to answer to; by default loopback and this machine's name */
  hosts?: HostRules;
  /** Prometheus metrics to serve at /metrics and to time requests into; none by default */
  metrics?: ServerMetrics;
  /** paths forwarded to other servers (--extra-apis) */
  extraApis?: readonly ExtraApiEndpoint[];
  /** API tokens required (`--auth tokens`); absent: anyone may ask */
  accessControl?: AccessControl;
  /** serve HTTPS with this certificate and key (PEM); `app.server` is then an https.Server */
  https?: { cert: string; key: string };
}


/** The public API (`/api/...`) and the web console (`/`) of one knitfab server. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    genReqId: requestIdOf,
    // `/api/plans` and `/api/plans/` are the same route, as in the reference.
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 16 * 1024 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    clientErrorHandler,
    frameworkErrors: errorHandler,
    ...(options.https ? { serverFactory: httpsServerFactory(options.https) } : {}),
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(installMethodRules(app, { ignore: [CONSOLE_ROUTE] }));
  // Order matters: who may ask (Host, Origin) before what the body may be.
  installRequestIdHeader(app);
  installOriginRules(app, options.hosts ?? { listen: "127.0.0.1", allowed: [] });
  if (options.accessControl) await installAccessControl(app, options.accessControl);
  installBodyRules(app);
  installQueryRules(app);
  // writes wait for `knitfab admin unfreeze` (503 while frozen)
  installFrozenGuard(app, options.database);

  // `?pretty` indents JSON; JSON is labelled plainly `application/json`, as the reference does.
  app.addHook("onSend", async (request, reply, payload) => {
    if (isUpstreamAnswer(request)) return payload;
    reply.header("x-content-type-options", "nosniff");
    const type = reply.getHeader("content-type");
    if (typeof type === "string" && type.startsWith("application/json")) {
      reply.header("content-type", "application/json");
      const query = request.query as Record<string, unknown> | undefined;
      if (query && "pretty" in query && typeof payload === "string" && payload.length > 0) {
        return JSON.stringify(JSON.parse(payload), null, 2);
      }
    }
    return payload;
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "Knitfab API", version: options.version, description: "Data, Plans and Runs of a knitfab server." },
    },
  });
  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  const serve = options.serve ?? { api: true, backend: true };
  await app.register(async (api) => {
    if (serve.api) {
      await dataRoutes(api, options);
      await dataFileRoutes(api, options);
      await planRoutes(api, options);
      await runRoutes(api, options);
      await runTimelineRoutes(api, options);
    }
    if (serve.backend) await backendRoutes(api, options);
  });
  installMonitoring(app, { database: options.database, ...(options.metrics ? { metrics: options.metrics } : {}) });
  if (serve.api) await extraApiRoutes(app, options.extraApis ?? [], { accessControl: options.accessControl !== undefined });
  if (serve.api && options.consoleDir) await staticConsole(app, options.consoleDir);
  return app;
}

/** Fastify over an https.Server, whose certificate `setSecureContext` can replace (see watchTls). */
function httpsServerFactory(tls: { cert: string; key: string }) {
  return (handler: Parameters<typeof createHttpsServer>[1]) => createHttpsServer(tls, handler) as unknown as HttpServer;
}
