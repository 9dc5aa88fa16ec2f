import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "@knitfab/db";
import { resolveServeConfig, startServer, type RunningServer } from "knitfab";
import { createTestPostgresDatabase } from "./test-database.js";

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
export async function startTestServer(backend: Backend, options: { role?: string; hooks?: string } = {}): Promise<TestServer> {
  const home = await mkdtemp(join(tmpdir(), "knitfab-home-"));
  const databaseUrl = backend === "postgres" ? (await createTestPostgresDatabase()).url : undefined;
  const config = resolveServeConfig(
    {
      home,
      port: "0",
      role: options.role ?? "all",
      logLevel: "off",
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(options.hooks ? { hooks: options.hooks } : {}),
    },
    {},
  );
  const server = await startServer(config, { info: () => {}, error: () => {} });
  return {
    url: server.url!,
    apiRoot: server.apiRoot!,
    home,
    server,
    async stop() {
      await server.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
