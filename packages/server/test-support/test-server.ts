/**
 * In-process servers for tests: the whole server (API, backend, engine) in the test's own process,
 * over real HTTP. Whole `knitfab serve` processes are in serve-process.ts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "@knitfab/db";
import type { EngineOptions } from "@knitfab/engine";
import { createTestPostgresDatabase, FAST_ENGINE } from "@knitfab/testing";
import { resolveServeConfig, startServer, type Logger, type RunningServer, type ServeFlags } from "../src/index.js";

export interface TestServer {
  url: string;
  apiRoot: string;
  home: string;
  server: RunningServer;
  stop(): Promise<void>;
}

/**
 * A real knitfab server on a free loopback port, over real HTTP, with a temporary home; on
 * PostgreSQL it gets its own database cloned from the migrated template.
 */
export interface TestServerOptions {
  role?: string;
  hooks?: string;
  /** engine tunables (tests shorten the engine's delays) */
  engine?: Partial<EngineOptions>;
  /** share a database (replicas, restarts) instead of getting a fresh one */
  databaseUrl?: string;
  /** keep using this home (restarts); it is then not removed on stop */
  home?: string;
  /** pass the server's messages through (default: quiet) */
  verbose?: boolean;
  /** folder of a web console to serve at `/` */
  consoleDir?: string;
  /** more Host names to answer to (`--allowed-hosts`) */
  allowedHosts?: string;
  /** further `knitfab serve` flags (upload limits, for instance) */
  flags?: ServeFlags;
  /** receive the server's messages (overrides verbose) */
  logger?: Logger;
}

export async function startTestServer(backend: Backend, options: TestServerOptions = {}): Promise<TestServer> {
  const home = options.home ?? (await mkdtemp(join(tmpdir(), "knitfab-home-")));
  const databaseUrl = options.databaseUrl ?? (backend === "postgres" ? (await createTestPostgresDatabase()).url : undefined);
  const config = resolveServeConfig(
    {
      home,
      port: "0",
      role: options.role ?? "all",
      logLevel: "off",
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(options.hooks ? { hooks: options.hooks } : {}),
      ...(options.consoleDir ? { console: options.consoleDir } : {}),
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
      ...options.flags,
    },
    {},
  );
  const quiet = options.logger ?? (options.verbose ? undefined : { info: () => {}, warn: () => {}, error: () => {} });
  const server = await startServer(config, quiet, {
    ...(options.engine ? { engine: options.engine } : {}),
    // Every JSON response of a test server is checked against the API contract; a breach is a 500
    // for the test and a line on stderr for whoever reads the test's output.
    checkResponses: (breach) => process.stderr.write(`API contract broken: ${breach}\n`),
  });
  return {
    url: server.url ?? "",
    apiRoot: server.apiRoot ?? "",
    home,
    server,
    async stop() {
      await server.stop();
      if (!options.home) await rm(home, { recursive: true, force: true });
    },
  };
}

export type EngineServer = TestServer;

/** A real server with the given roles (default all) on a fresh database of `backend`, with a fast engine. */
export async function startEngineServer(
  backend: Backend,
  options: Pick<TestServerOptions, "role" | "hooks" | "databaseUrl" | "home" | "logger" | "flags"> & { engine?: Partial<EngineOptions> } = {},
): Promise<EngineServer> {
  return startTestServer(backend, {
    ...options,
    engine: { ...FAST_ENGINE, ...options.engine },
    verbose: Boolean(process.env.KNITFAB_TEST_VERBOSE),
  });
}
