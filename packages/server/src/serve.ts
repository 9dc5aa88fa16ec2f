import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { openDatabase, migrate, startStatisticsRefresh, type Database } from "@knitfab/db";
import {
  ENGINE_LOOPS,
  createEngine,
  engineOptionsFromEnv,
  loadHooksFile,
  NO_HOOKS,
  type Engine,
  type EngineLoop,
  type EngineOptions,
} from "@knitfab/engine";
import type { FastifyInstance } from "fastify";
import { createBackends } from "./backends.js";
import { buildApp } from "./http/app.js";
import { writeHandout } from "./handout.js";
import { lockHome } from "./home-lock.js";
import type { ServeConfig } from "./config.js";
import { loadExtraApisFile } from "./extra-apis-file.js";
import { createServerMetrics, type ServerMetrics } from "./monitoring/metrics.js";
import { VERSION } from "./version.js";
import type { Server as HttpsServer } from "node:https";
import { createTokenVerifier, type TokenVerifier } from "./admin/tokens.js";
import { loadTls, watchTls, type TlsMaterial } from "./tls.js";
import { startAdminSocket } from "./admin/control-socket.js";
import { databaseOperations } from "./admin/operations.js";

export interface RunningServer {
  /** `http://host:port` of the API, when the api role runs */
  url: string | undefined;
  apiRoot: string | undefined;
  database: Database;
  stop(): Promise<void>;
}

export interface Logger {
  info(message: string): void;
  warn?(message: string): void;
  error(message: string, error?: unknown): void;
}

export const consoleLogger: Logger = {
  info: (message) => console.error(message),
  warn: (message) => console.error(message),
  error: (message, error) => console.error(message, error instanceof Error ? error.message : (error ?? "")),
};

/** What tests and embedders may set beyond ServeConfig: engine tunables (else from KNITFAB_* variables). */
export interface ServeOverrides {
  engine?: Partial<EngineOptions>;
  /** check every JSON response against its schema (tests); told each breach, which is answered 500 */
  checkResponses?: (breach: string) => void;
}

/**
 * Starts what the roles ask for against one database: the HTTP API and the loops. With PGlite the
 * home folder belongs to this process alone (see lockHome).
 */
export async function startServer(config: ServeConfig, logger: Logger = consoleLogger, overrides: ServeOverrides = {}): Promise<RunningServer> {
  // Unknown store or runtime names, and a bad extra-API file, stop the start before anything is touched.
  const { store, runtime, unhonouredPlanSettings } = await createBackends(config);
  const extraApis = config.extraApisFile && config.roles.has("api") ? await loadExtraApisFile(config.extraApisFile) : [];
  const servesHttp = config.roles.has("api") || config.roles.has("backend");
  // so do bad certificate files
  const tls: TlsMaterial | undefined = config.access.tls && servesHttp ? await loadTls(config.access.tls) : undefined;
  await mkdir(config.home, { recursive: true });
  const releaseLock = config.databaseUrl ? async () => {} : await lockHome(config.home);
  let database: Database | undefined;
  let engine: Engine | undefined;
  let stopStatistics = () => {};
  let app: FastifyInstance | undefined;
  let metrics: ServerMetrics | undefined;
  let verifier: TokenVerifier | undefined;
  let stopTlsWatch = () => {};
  let closeAdminSocket: (() => Promise<void>) | undefined;
  try {
    database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.home, "db") });
    const version = await migrate(database);
    logger.info(`database ready (${database.backend}, schema version ${version})`);
    stopStatistics = startStatisticsRefresh(database);
    metrics = createServerMetrics({
      database,
      freeSpace: () => store.freeSpace(),
      freeSpaceWarningBytes: config.freeSpaceWarningBytes,
      log: { warn: (message) => (logger.warn ?? logger.info)(message), info: (message) => logger.info(message) },
    });
    await metrics.checkFreeSpace();

    // The engine: loops by role, one worker runtime per process (created on first use, so the API
    // runs even before a container engine is reachable), lifecycle hooks from --hooks.
    const engineOptions = { ...engineOptionsFromEnv(process.env), ...overrides.engine };
    const hooks = config.hooksFile ? await loadHooksFile(config.hooksFile) : NO_HOOKS;
    engine = createEngine({
      database,
      store,
      runtime,
      hooks,
      options: engineOptions,
      metrics: metrics.engine,
      logger: { error: (message, error) => logger.error(message, error), warn: (message) => (logger.warn ?? logger.info)(message) },
    });
    const runningEngine = engine;
    // `knitfab admin` reaches an embedded database through this process (PostgreSQL it opens itself).
    if (!config.databaseUrl) {
      closeAdminSocket = await startAdminSocket(config.home, databaseOperations(database), (message, error) =>
        error === undefined ? (logger.warn ?? logger.info)(message) : logger.error(message, error),
      );
    }

    let url: string | undefined;
    let apiRoot: string | undefined;
    if (servesHttp) {
      if (config.access.auth === "tokens") verifier = await createTokenVerifier(database);
      app = await buildApp({
        database,
        store,
        logSource: { follow: (runId) => runningEngine.followLog(runId) },
        unhonouredPlanSettings,
        version: VERSION,
        serve: { api: config.roles.has("api"), backend: config.roles.has("backend") },
        uploads: { allowUnchecked: config.uploads.allowUnchecked },
        logger: config.logLevel === "off" ? false : { level: config.logLevel },
        hosts: { listen: config.listen, allowed: config.allowedHosts },
        metrics,
        extraApis,
        ...(verifier ? { accessControl: { verifier, secureCookie: tls !== undefined } } : {}),
        ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
        ...(config.consoleDir ? { consoleDir: config.consoleDir } : {}),
        ...(overrides.checkResponses ? { checkResponses: overrides.checkResponses } : {}),
      });
      await app.listen({ port: config.port, host: config.listen });
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      const host = config.listen === "0.0.0.0" || config.listen === "::" ? "127.0.0.1" : config.listen;
      url = `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`;
      apiRoot = `${url}/api`;
      if (tls && config.access.tls) {
        stopTlsWatch = watchTls(app.server as unknown as HttpsServer, config.access.tls, {
          info: (message) => logger.info(message),
          warn: (message) => (logger.warn ?? logger.info)(message),
        });
      }
      const handout = await writeHandout(config.home, apiRoot, tls?.ca);
      logger.info(
        `knitfab ${VERSION} listening on ${url} (API at ${apiRoot}${verifier ? ", API tokens required" : ""}); profile for "knit init": ${handout}`,
      );
    }
    // The loops start once the API answers: their first steps (and the container engine's client
    // library, loaded on first use) would otherwise compete with the start for the one CPU thread.
    await engine.start(ENGINE_LOOPS.filter((loop: EngineLoop) => config.roles.has(loop)));
    const db = database;
    const runningMetrics = metrics;
    const runningVerifier = verifier;
    const stopWatchingTls = stopTlsWatch;
    return {
      url,
      apiRoot,
      database: db,
      async stop() {
        stopWatchingTls();
        await closeAdminSocket?.();
        await closeGracefully(app);
        await runningVerifier?.stop();
        await runningEngine.stop();
        runningMetrics.stop();
        stopStatistics();
        await db.close();
        await releaseLock();
      },
    };
  } catch (error) {
    stopTlsWatch();
    await closeAdminSocket?.().catch(() => {});
    await app?.close().catch(() => {});
    await verifier?.stop().catch(() => {});
    await engine?.stop().catch(() => {});
    metrics?.stop();
    stopStatistics();
    await database?.close().catch(() => {});
    await releaseLock();
    throw error;
  }
}

/** Lets in-flight requests finish, but not forever: after the grace period open connections are cut. */
async function closeGracefully(app: FastifyInstance | undefined, graceMs = 10_000): Promise<void> {
  if (!app) return;
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}
