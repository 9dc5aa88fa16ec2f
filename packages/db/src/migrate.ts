import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import type { Database } from "./database.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations/", import.meta.url));
// Any constant works; it only has to be the same in every process of every version.
const MIGRATION_LOCK_KEY = 0x6b6e6974;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Migrations are `NNNN_name.sql` files, applied in numeric order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_.+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file,
      sql: readFileSync(`${dir}/${file}`, "utf8"),
    }));
}

export class SchemaTooNewError extends Error {
  constructor(readonly databaseVersion: number, readonly knownVersion: number) {
    super(
      `the database schema is version ${databaseVersion}, but this knitfab knows only up to version ${knownVersion}; ` +
        `upgrade knitfab before starting it against this database`,
    );
    this.name = "SchemaTooNewError";
  }
}

/**
 * Brings the schema up to date. Safe when several processes start at once: the whole upgrade runs in
 * one transaction under an advisory lock, so the others wait and then find nothing left to do.
 */
export async function migrate(database: Database, migrations = loadMigrations()): Promise<number> {
  const known = migrations.at(-1)?.version ?? 0;
  return database.db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS schema_version (version int PRIMARY KEY)`.execute(trx);
    const current = await sql<{ version: number }>`SELECT max(version) AS version FROM schema_version`.execute(trx);
    const version = current.rows[0]?.version ?? 0;
    if (version > known) throw new SchemaTooNewError(version, known);
    for (const migration of migrations) {
      if (migration.version <= version) continue;
      await sql.raw(migration.sql).execute(trx);
    }
    if (known > version) {
      await sql`DELETE FROM schema_version`.execute(trx);
      await sql`INSERT INTO schema_version (version) VALUES (${known})`.execute(trx);
    }
    return known;
  });
}
