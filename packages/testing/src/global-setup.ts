import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import pg from "pg";
import { openDatabase, migrate, dumpPgliteDataDir } from "@knitfab/db";
// declares the keys this setup provides
import "@knitfab/db/test-support/provided-context";
import { startPostgresServer, type PostgresServer } from "./postgres-server.js";

export const TEMPLATE_DATABASE = "knitfab_template";

let server: PostgresServer | undefined;
let pgliteFolder: string | undefined;

/**
 * Starts one real PostgreSQL for the whole test run and migrates a template database, and migrates
 * one PGlite database whose data folder is kept as a tarball; each test then clones the one or loads
 * the other (see `testDatabase`), which takes milliseconds where migrating takes seconds.
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
  project.provide("pgliteTemplate", await migratedPgliteTarball());
}

/** Migrates an in-memory PGlite and writes its data folder as a tarball into a temporary folder; returns the file's path. */
async function migratedPgliteTarball(): Promise<string> {
  const database = await openDatabase({ dataDir: "memory://" });
  try {
    await migrate(database);
    pgliteFolder = mkdtempSync(join(tmpdir(), "knitfab-pglite-template-"));
    const path = join(pgliteFolder, "migrated.tar");
    writeFileSync(path, new Uint8Array(await (await dumpPgliteDataDir(database)).arrayBuffer()));
    return path;
  } finally {
    await database.close();
  }
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (pgliteFolder) rmSync(pgliteFolder, { recursive: true, force: true });
}
