import { access } from "node:fs/promises";
import { join } from "node:path";
import { loadMigrations, openDatabase, type Database } from "@knitfab/db";
import { sql } from "kysely";
import { createLocalDataStore, type DataStore } from "@knitfab/drivers";
import { lockHome } from "../home-lock.js";
import { adminSocketAnswers, remoteOperations } from "./control-socket.js";
import { databaseOperations, type AdminOperations } from "./operations.js";

/** Where `knitfab admin` works: the same --home and --database-url as `knitfab serve`. */
export interface AdminTarget {
  home: string;
  databaseUrl: string | undefined;
}

/** A refusal with a message for the administrator (exit 1, nothing changed). */
export class AdminError extends Error {
  override name = "AdminError";
}

export interface AdminConnection {
  operations: AdminOperations;
  /** for messages: which database, reached how */
  describe: string;
  /** the database, when this process opened it (restore needs it; absent when a server does the work) */
  database: Database | undefined;
  /**
   * Whether a server may be running the loops (PostgreSQL: unknown, so yes). When none can be, as for
   * an embedded database this process holds, waiting for runs to end would wait forever.
   */
  serverMayRun: boolean;
  /** Data content of the home, reached through the store's public methods only */
  store: DataStore;
  close(): Promise<void>;
}

/** The folder of the home's Data (as `knitfab serve` uses it). */
export function homeDataStore(home: string): DataStore {
  return createLocalDataStore(join(home, "data"));
}

/**
 * Reaches the database `knitfab serve` uses with the same flags. PostgreSQL is opened directly, a
 * server may be running against it. The embedded database is reached through the running server's
 * admin socket when one runs, else opened here (holding the home like a server would).
 * `direct` insists on opening it here (restore: the server must be stopped).
 */
export async function openAdminConnection(target: AdminTarget, options: { direct?: boolean; create?: boolean } = {}): Promise<AdminConnection> {
  const store = homeDataStore(target.home);
  if (target.databaseUrl) {
    const database = await openDatabase({ url: target.databaseUrl, poolSize: 3 }).catch((error: unknown) => {
      throw new AdminError(`cannot reach the database at --database-url: ${error instanceof Error ? error.message : String(error)}`);
    });
    try {
      if (!options.create) await checkSchema(database);
    } catch (error) {
      await database.close();
      throw error;
    }
    return { operations: databaseOperations(database), describe: "the PostgreSQL database", database, serverMayRun: true, store, close: () => database.close() };
  }
  if (await adminSocketAnswers(target.home)) {
    if (options.direct) {
      throw new AdminError(`a knitfab server is running on ${target.home}; stop it first (a restore needs the home to itself)`);
    }
    return { operations: remoteOperations(target.home), describe: `the embedded database of the server running on ${target.home}`, database: undefined, serverMayRun: true, store, close: async () => {} };
  }
  const dbDir = join(target.home, "db");
  if (!options.create && !(await exists(dbDir))) {
    throw new AdminError(`${target.home} holds no knitfab database (no ${dbDir}); give the --home (or --database-url) that knitfab serve uses`);
  }
  const release = await lockHome(target.home).catch(async (error: unknown) => {
    // Held by a server still starting (its admin socket comes up once its database is open)?
    if (!options.direct && (await socketComesUp(target.home))) return undefined;
    throw new AdminError(`${error instanceof Error ? error.message : String(error)} (its admin socket does not answer)`);
  });
  if (release === undefined) {
    return { operations: remoteOperations(target.home), describe: `the embedded database of the server running on ${target.home}`, database: undefined, serverMayRun: true, store, close: async () => {} };
  }
  let database: Database | undefined;
  try {
    database = await openDatabase({ dataDir: dbDir });
    if (!options.create) await checkSchema(database);
  } catch (error) {
    await database?.close().catch(() => {});
    await release();
    throw error;
  }
  const opened = database;
  return {
    operations: databaseOperations(opened),
    describe: `the embedded database in ${target.home} (no server is running on it)`,
    database: opened,
    serverMayRun: false,
    store,
    async close() {
      await opened.close();
      await release();
    },
  };
}

/** The schema version of this knitfab (its last migration). */
export function knownSchemaVersion(): number {
  return loadMigrations().at(-1)?.version ?? 0;
}

/** The database's schema version; 0 for a database knitfab never started on. */
export async function schemaVersionOf(database: Database): Promise<number> {
  const table = await sql<{ present: boolean }>`SELECT to_regclass('schema_version') IS NOT NULL AS present`.execute(database.db);
  if (!table.rows[0]?.present) return 0;
  const result = await sql<{ version: number | null }>`SELECT max(version) AS version FROM schema_version`.execute(database.db);
  return result.rows[0]?.version ?? 0;
}

/** Admin commands work on a database of exactly this version: older lacks tables, newer is unknown. */
async function checkSchema(database: Database): Promise<void> {
  const version = await schemaVersionOf(database);
  const known = knownSchemaVersion();
  if (version === known) return;
  if (version < known) {
    throw new AdminError(`the database schema is version ${version}, this knitfab's is ${known}: start knitfab serve once to upgrade it`);
  }
  throw new AdminError(`the database schema is version ${version}, newer than this knitfab's (${known}): use the knitfab that made it`);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Waits (up to 15 s) for a starting server's admin socket. */
async function socketComesUp(home: string): Promise<boolean> {
  for (let attempt = 0; attempt < 30; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (await adminSocketAnswers(home)) return true;
  }
  return false;
}
