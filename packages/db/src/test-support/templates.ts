/**
 * The migrated templates every test database starts from, made once per test run by the run's
 * global setup (@knitfab/testing/global-setup) and handed to the test files through vitest's
 * `provide`/`inject`. Nothing here loads `vitest` at run time: the global setup runs outside the
 * test context, where importing it fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { dumpPgliteDataDir, openDatabase } from "../database.js";
import { migrate } from "../migrate.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of a shared test PostgreSQL server, and the migrated template database name on it. */
    postgresUrl: string;
    postgresTemplate: string;
    /** A tarball of a migrated PGlite data folder (`dumpPgliteDataDir`), absent when no global setup made one. */
    pgliteTemplate?: string;
  }
}

const TEMPLATE_DATABASE = "knitfab_template";

/**
 * Migrates a template database on the PostgreSQL server and a PGlite data folder (kept as a tarball
 * in a temporary folder), and provides both to the test files; returns what removes the tarball.
 */
export async function provideMigratedTemplates(project: TestProject, server: { url: string; databaseUrl(name: string): string }): Promise<() => void> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const postgres = await openDatabase({ url: server.databaseUrl(TEMPLATE_DATABASE), poolSize: 1 });
  await migrate(postgres);
  await postgres.close();
  const folder = mkdtempSync(join(tmpdir(), "knitfab-pglite-template-"));
  const pglite = await openDatabase({ dataDir: "memory://" });
  try {
    await migrate(pglite);
    writeFileSync(join(folder, "migrated.tar"), new Uint8Array(await (await dumpPgliteDataDir(pglite)).arrayBuffer()));
  } finally {
    await pglite.close();
  }
  project.provide("postgresUrl", server.url);
  project.provide("postgresTemplate", TEMPLATE_DATABASE);
  project.provide("pgliteTemplate", join(folder, "migrated.tar"));
  return () => rmSync(folder, { recursive: true, force: true });
}
