import type { TestProject } from "vitest/node";
import pg from "pg";
import { openDatabase, migrate } from "@knitfab/db";
import { startPostgresServer, type PostgresServer } from "./postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of a shared test PostgreSQL server, and the migrated template database name on it. */
    postgresUrl: string;
    postgresTemplate: string;
  }
}

export const TEMPLATE_DATABASE = "knitfab_template";

let server: PostgresServer | undefined;

/**
 * Starts one real PostgreSQL for the whole test run and migrates a template database; each test
 * file then clones the template (see `testDatabase`), which takes milliseconds.
 */
export async function setup(project: TestProject): Promise<void> {
  server = await startPostgresServer();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const database = await openDatabase({ url: server.databaseUrl(TEMPLATE_DATABASE), poolSize: 1 });
  await migrate(database);
  await database.close();
  project.provide("postgresUrl", server.url);
  project.provide("postgresTemplate", TEMPLATE_DATABASE);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
