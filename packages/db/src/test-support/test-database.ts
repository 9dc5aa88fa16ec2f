/**
 * Fresh, migrated test databases of either backend, each test's own. The test run's global setup
 * migrates one template of each backend once (templates.ts): a PostgreSQL database that is cloned
 * (CREATE DATABASE … TEMPLATE) and a PGlite data folder that is loaded into a new in-memory PGlite;
 * both take milliseconds where migrating takes seconds.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { inject } from "vitest";
import { openDatabase, type Database, type Backend } from "../database.js";
import { migrate } from "../migrate.js";

export const BACKENDS: readonly Backend[] = ["pglite", "postgres"];

/**
 * A fresh, migrated database of the given backend for one test file: PGlite in memory, or a
 * PostgreSQL database cloned from the migrated template on the shared test server.
 */
export async function testDatabase(backend: Backend): Promise<Database & { url?: string }> {
  if (backend === "pglite") return testPgliteDatabase();
  const { url, name } = await createTestPostgresDatabase();
  const database = await openDatabase({ url });
  return Object.assign(database, { url, databaseName: name });
}

let pgliteTemplate: Promise<Blob | undefined> | undefined;

/**
 * An in-memory PGlite loaded from the migrated template, or, in a run without the global setup
 * (a config that does not name it), migrated here.
 */
async function testPgliteDatabase(): Promise<Database> {
  pgliteTemplate ??= readPgliteTemplate();
  const template = await pgliteTemplate;
  if (template) return openDatabase({ dataDir: "memory://", loadDataDir: template });
  const database = await openDatabase({ dataDir: "memory://" });
  await migrate(database);
  return database;
}

async function readPgliteTemplate(): Promise<Blob | undefined> {
  const path = inject("pgliteTemplate");
  return path === undefined ? undefined : new Blob([await readFile(path)]);
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
