import { sql } from "kysely";
import { afterAll, describe, expect, inject, it } from "vitest";
import { dumpPgliteDataDir, openDatabase, type Database } from "../database.js";
import { loadMigrations } from "../migrate.js";
import { BACKENDS, testDatabase } from "./test-database.js";

/** What every test relies on: its database is migrated, and its own. */
describe.each(BACKENDS)("test databases on %s", (backend) => {
  const opened: Database[] = [];
  afterAll(async () => {
    for (const database of opened) await database.close();
  });
  const open = async () => {
    const database = await testDatabase(backend);
    opened.push(database);
    return database;
  };

  it("start at the newest schema version", async () => {
    const database = await open();
    const version = await sql<{ version: number }>`SELECT max(version) AS version FROM schema_version`.execute(database.db);
    expect(version.rows[0]?.version).toBe(loadMigrations().at(-1)?.version);
  });

  it("are independent: what one stores, another does not see", async () => {
    const first = await open();
    const second = await open();
    await sql`CREATE TABLE only_in_first (n int)`.execute(first.db);
    const has = async (database: Database) =>
      (await sql<{ found: string | null }>`SELECT to_regclass('only_in_first')::text AS found`.execute(database.db)).rows[0]?.found;
    expect(await has(first)).toBe("only_in_first");
    expect(await has(second)).toBeNull();
    expect(await has(await open())).toBeNull();
  });
});

describe("the PGlite template", () => {
  it("is made by the test run's global setup, once", () => {
    expect(inject("pgliteTemplate")).toMatch(/migrated\.tar$/);
  });

  it("a dump loads only into a memory:// database, and only a PGlite database dumps", async () => {
    const blob = new Blob([]);
    await expect(openDatabase({ dataDir: "/tmp/not-memory", loadDataDir: blob })).rejects.toThrow(/memory:\/\//);
    const postgres = await testDatabase("postgres");
    try {
      await expect(dumpPgliteDataDir(postgres)).rejects.toThrow(/only a PGlite database/);
    } finally {
      await postgres.close();
    }
  });
});
