import type { TestProject } from "vitest/node";
import { provideMigratedTemplates } from "@knitfab/db/test-support/templates";
import { startPostgresServer, type PostgresServer } from "./postgres-server.js";

let server: PostgresServer | undefined;
let removeTemplates: (() => void) | undefined;

/**
 * Starts one real PostgreSQL for the whole test run and migrates the templates (a PostgreSQL database
 * and a PGlite data folder); each test file then clones the one or loads the other (see
 * `testDatabase`), which takes milliseconds where migrating takes seconds.
 */
export async function setup(project: TestProject): Promise<void> {
  server = await startPostgresServer();
  removeTemplates = await provideMigratedTemplates(project, server);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  removeTemplates?.();
}
