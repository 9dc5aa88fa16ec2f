import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { createTestPostgresDatabase } from "./test-support/index.js";
import pg from "pg";
import { openDatabase } from "./database.js";
import { SchemaTooNewError, loadMigrations, migrate } from "./migrate.js";

async function emptyPostgres(): Promise<string> {
  const { url, name } = await createTestPostgresDatabase();
  // start from an empty database, not the migrated template
  const admin = new pg.Client({ connectionString: url.replace(new RegExp(`/${name}$`), "/postgres") });
  await admin.connect();
  const fresh = `${name}_empty`;
  await admin.query(`CREATE DATABASE ${fresh}`);
  await admin.end();
  return url.replace(new RegExp(`/${name}$`), `/${fresh}`);
}

describe("migrations", () => {
  it("are numbered and end at the version the code knows", () => {
    const migrations = loadMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    migrations.forEach((migration, index) => expect(migration.version).toBe(index + 1));
  });

  it("are safe when several processes start at once on PostgreSQL", async () => {
    const url = await emptyPostgres();
    const databases = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ url, poolSize: 2 })));
    const versions = await Promise.all(databases.map((database) => migrate(database)));
    expect(new Set(versions).size).toBe(1);
    const pseudo = await sql<{ count: number }>`SELECT count(*)::int AS count FROM plan WHERE pseudo_name IS NOT NULL`.execute(databases[0]!.db);
    expect(pseudo.rows[0]!.count).toBe(2);
    await Promise.all(databases.map((database) => database.close()));
  });

  it("refuse a database whose schema is newer than the code", async () => {
    for (const options of [{ url: await emptyPostgres() }, { dataDir: "memory://" }]) {
      const database = await openDatabase(options);
      await migrate(database);
      await sql`UPDATE schema_version SET version = version + 1`.execute(database.db);
      await expect(migrate(database)).rejects.toBeInstanceOf(SchemaTooNewError);
      await database.close();
    }
  });

  it("run the same SQL on PGlite, twice without harm", async () => {
    const database = await openDatabase({ dataDir: "memory://" });
    const first = await migrate(database);
    expect(await migrate(database)).toBe(first);
    await database.close();
  });
});
