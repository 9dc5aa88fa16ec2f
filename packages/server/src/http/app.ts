import { createServer as createHttpsServer } from "node:https";
import type { Server as HttpServer } from "node:http";
import Fastify, { type FastifyInstance } from "fastify";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { AppOptions } from "./app-options.js";
import { clientErrorHandler, errorHandler } from "./errors.js";
import { installMethodRules } from "./method-not-allowed.js";
import { installQueryRules } from "./query-params.js";
import { installBodyRules } from "./request-body.js";
import { installOriginRules } from "./request-origin.js";
import { dataRoutes } from "./routes/data.js";
import { dataFileRoutes } from "./routes/data-files.js";
import { planRoutes } from "./routes/plans.js";
import { runRoutes } from "./routes/runs.js";
import { runTimelineRoutes } from "./routes/run-timeline.js";
import { CONSOLE_ROUTE, staticConsole } from "./routes/console.js";
import { backendRoutes } from "./routes/backend.js";
import { installMonitoring } from "./monitoring.js";
import { installFrozenGuard } from "./frozen.js";
import { installRequestIdHeader, requestIdOf } from "./request-id.js";
import { extraApiRoutes, isUpstreamAnswer } from "./extra-apis.js";
import { installAccessControl } from "./auth.js";
import { responseSerializer } from "./response-serializer.js";

export type { AppOptions } from "./app-options.js";

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
  app.setSerializerCompiler(responseSerializer(options.checkResponses));
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
      const query: unknown = request.query;
      if (typeof query === "object" && query !== null && "pretty" in query && typeof payload === "string" && payload.length > 0) {
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
  await app.withTypeProvider<TypeBoxTypeProvider>().register(async (api) => {
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
