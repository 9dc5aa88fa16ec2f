import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { openDatabase, migrate, type Database, type Backend } from "@knitfab/db";

export const BACKENDS: readonly Backend[] = ["pglite", "postgres"];

/**
 * A fresh, migrated database of the given backend for one test file: PGlite in memory, or a
 * PostgreSQL database cloned from the migrated template on the shared test server.
 */
export async function testDatabase(backend: Backend): Promise<Database & { url?: string }> {
  if (backend === "pglite") {
    const database = await openDatabase({ dataDir: "memory://" });
    await migrate(database);
    return database;
  }
  const { url, name } = await createTestPostgresDatabase();
  const database = await openDatabase({ url });
  return Object.assign(database, { url, databaseName: name });
}

/** Clones the migrated template into a new database and returns its URL. */
export async function createTestPostgresDatabase(): Promise<{ url: string; name: string }> {
  const serverUrl = inject("postgresUrl");
  const template = inject("postgresTemplate");
  const name = `knitfab_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  return { url: serverUrl.replace(/\/postgres$/, `/${name}`), name };
}
