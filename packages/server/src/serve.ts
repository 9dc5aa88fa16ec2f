import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { openDatabase, migrate, startStatisticsRefresh, type Database } from "@knitfab/db";
import { createDockerRuntime, createLocalDataStore } from "@knitfab/drivers";
import {
  ENGINE_LOOPS,
  createEngine,
  engineOptionsFromEnv,
  lazyRuntime,
  loadHooksFile,
  NO_HOOKS,
  type Engine,
  type EngineLoop,
  type EngineOptions,
} from "@knitfab/engine";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./http/app.js";
import { writeHandout } from "./handout.js";
import { lockHome } from "./home-lock.js";
import type { ServeConfig } from "./config.js";
import { loadExtraApisFile } from "./extra-apis-file.js";
import { createServerMetrics, type ServerMetrics } from "./monitoring/metrics.js";
import { VERSION } from "./version.js";

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
  // A bad extra-API file stops the start before anything else is touched.
  const extraApis = config.extraApisFile && config.roles.has("api") ? await loadExtraApisFile(config.extraApisFile) : [];
  await mkdir(config.home, { recursive: true });
  const releaseLock = config.databaseUrl ? async () => {} : await lockHome(config.home);
  let database: Database | undefined;
  let engine: Engine | undefined;
  let stopStatistics = () => {};
  let app: FastifyInstance | undefined;
  let metrics: ServerMetrics | undefined;
  try {
    database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.home, "db") });
    const version = await migrate(database);
    logger.info(`database ready (${database.backend}, schema version ${version})`);
    stopStatistics = startStatisticsRefresh(database);
    const { maxBytes, maxEntries, reserveBytes } = config.uploads;
    const dataFolder = join(config.home, "data");
    metrics = createServerMetrics({
      database,
      dataFolder,
      freeSpaceWarningBytes: config.freeSpaceWarningBytes,
      log: { warn: (message) => (logger.warn ?? logger.info)(message), info: (message) => logger.info(message) },
    });
    await metrics.checkFreeSpace();
    const store = createLocalDataStore(dataFolder, {
      ...(maxBytes === undefined ? {} : { maxBytes }),
      ...(maxEntries === undefined ? {} : { maxEntries }),
      reserveBytes,
    });

    // The engine: loops by role, one worker runtime per process (created on first use, so the API
    // runs even before a container engine is reachable), lifecycle hooks from --hooks.
    if (config.runtime !== "docker") {
      throw new Error(`--runtime "${config.runtime}" is not available here; use docker (Docker or Podman through the Docker Engine API)`);
    }
    const fromEnv = engineOptionsFromEnv(process.env);
    const engineOptions = { ...fromEnv, nodeLabels: { ...fromEnv.nodeLabels, ...config.nodeLabels }, ...overrides.engine };
    const hooks = config.hooksFile ? await loadHooksFile(config.hooksFile) : NO_HOOKS;
    engine = createEngine({
      database,
      store,
      runtime: lazyRuntime("docker", () => createDockerRuntime()),
      hooks,
      options: engineOptions,
      metrics: metrics.engine,
      logger: { error: (message, error) => logger.error(message, error), warn: (message) => (logger.warn ?? logger.info)(message) },
    });
    const loopRoles = ENGINE_LOOPS.filter((loop: EngineLoop) => config.roles.has(loop));
    await engine.start(loopRoles);
    const runningEngine = engine;

    let url: string | undefined;
    let apiRoot: string | undefined;
    if (config.roles.has("api") || config.roles.has("backend")) {
      app = await buildApp({
        database,
        store,
        logSource: { follow: (runId) => runningEngine.followLog(runId) },
        version: VERSION,
        serve: { api: config.roles.has("api"), backend: config.roles.has("backend") },
        uploads: { allowUnchecked: config.uploads.allowUnchecked },
        logger: config.logLevel === "off" ? false : { level: config.logLevel },
        hosts: { listen: config.listen, allowed: config.allowedHosts },
        metrics,
        extraApis,
        ...(config.consoleDir ? { consoleDir: config.consoleDir } : {}),
        ...(overrides.checkResponses ? { checkResponses: overrides.checkResponses } : {}),
      });
      await app.listen({ port: config.port, host: config.listen });
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      const host = config.listen === "0.0.0.0" || config.listen === "::" ? "127.0.0.1" : config.listen;
      url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
      apiRoot = `${url}/api`;
      const handout = await writeHandout(config.home, apiRoot);
      logger.info(`knitfab ${VERSION} listening on ${url} (API at ${apiRoot}); profile for "knit init": ${handout}`);
    }
    const db = database;
    const runningMetrics = metrics;
    return {
      url,
      apiRoot,
      database: db,
      async stop() {
        await closeGracefully(app);
        await runningEngine.stop();
        runningMetrics.stop();
        stopStatistics();
        await db.close();
        await releaseLock();
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
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
