import { Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import type pg from "pg";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { pgliteDialect } from "./pglite-dialect.js";
import { PGLITE_CONFIGURATION } from "./pglite-settings.js";

/** We write SQL by hand (one file per operation), so the Kysely instance needs no table typing. */
export type Schema = Record<string, never>;
export type Queryable = Kysely<Schema> | Transaction<Schema>;

export type Backend = "pglite" | "postgres";

export interface Database {
  readonly backend: Backend;
  readonly db: Kysely<Schema>;
  /** Calls `onNotify` for each NOTIFY on `channel` (in any process sharing the database). */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection URL; when absent, PGlite stores its files in `dataDir`. */
  url?: string;
  /** PGlite folder; `memory://` for an in-memory database. */
  dataDir?: string;
  /**
   * PGlite only: a data folder as a tarball (from `dumpPgliteDataDir`) that a new `memory://`
   * database starts from, instead of an empty cluster. Tests start each database from one migrated copy.
   */
  loadDataDir?: Blob;
  poolSize?: number;
}


export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  if (!options.dataDir) throw new Error("either a database URL or a PGlite folder is needed");
  if (options.loadDataDir && !options.dataDir.startsWith("memory://")) throw new Error("a PGlite dump is loaded only into a memory:// database");
  return openPglite(options.dataDir, options.loadDataDir);
}

/** The PGlite instance behind each PGlite `Database`, for `dumpPgliteDataDir`. */
const pgliteInstances = new WeakMap<Database, { dumpDataDir(compression: "none"): Promise<Blob> }>();

/** A PGlite database's whole data folder as an (uncompressed) tarball, for `openDatabase`'s `loadDataDir`. */
export async function dumpPgliteDataDir(database: Database): Promise<Blob> {
  const pglite = pgliteInstances.get(database);
  if (!pglite) throw new Error(`only a PGlite database can be dumped as a data folder (this one is ${database.backend})`);
  return pglite.dumpDataDir("none");
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  // loaded here: the embedded default (PGlite) never needs the PostgreSQL client
  const { default: pg } = await import("pg");
  // Postgres returns int8 as text; our counts are small, so parse them as numbers.
  pg.types.setTypeParser(20, (value) => Number(value));
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  // Our statements look up rows by key: a plan that launches parallel workers for one (the planner
  // does so for a list of a few hundred ids in a table of a million rows) waits about 10 ms for
  // them to start, for under 1 ms of work. Queued on the new client before anything else it runs.
  pool.on("connect", (client) => {
    client.query("SET max_parallel_workers_per_gather = 0").catch(() => {});
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let listenClient: pg.Client | undefined;
  let closed = false;

  async function ensureListenClient(): Promise<pg.Client> {
    if (listenClient) return listenClient;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    client.on("notification", (message) => {
      for (const callback of listeners.get(message.channel) ?? []) callback(message.payload ?? "");
    });
    client.on("error", () => {
      // Reconnect lazily: loops poll as a fallback, so a lost listener only delays wake-ups.
      listenClient = undefined;
      if (!closed) void reconnect();
    });
    listenClient = client;
    return client;
  }

  async function reconnect(): Promise<void> {
    for (let attempt = 0; !closed && attempt < 60; attempt++) {
      try {
        const client = await ensureListenClient();
        for (const channel of listeners.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  return {
    backend: "postgres",
    db,
    async listen(channel, onNotify) {
      const client = await ensureListenClient();
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        await client.query(`LISTEN ${quoteIdent(channel)}`);
      }
      set.add(onNotify);
      return async () => {
        set.delete(onNotify);
      };
    },
    async close() {
      closed = true;
      await listenClient?.end().catch(() => {});
      await db.destroy();
    },
  };
}

async function openPglite(dataDir: string, loadDataDir: Blob | undefined): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (!dataDir.startsWith("memory://")) await createPgliteFolder(dataDir);
  const pglite = await PGlite.create(dataDir, { postgresqlconf: PGLITE_CONFIGURATION, ...(loadDataDir ? { loadDataDir } : {}) });
  const db = new Kysely<Schema>({ dialect: pgliteDialect(pglite) });
  const database: Database = {
    backend: "pglite",
    db,
    async listen(channel, onNotify) {
      const unlisten = await pglite.listen(channel, onNotify);
      return async () => unlisten();
    },
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
  pgliteInstances.set(database, pglite);
  return database;
}

/**
 * The child process that runs PGlite's initdb. Why a child: initdb runs in a WebAssembly instance of
 * its own whose memory (about 600 MB) a Node process never gives back, so doing it in the server
 * would leave the server that much bigger for as long as it runs; the child exits and its memory
 * goes with it. Arguments: PGlite's module URL, the folder, the configuration lines as JSON.
 */
const PGLITE_INIT = `
const [entry, dataDir, configuration] = process.argv.slice(1);
const { PGlite } = await import(entry);
const pglite = await PGlite.create(dataDir, { postgresqlconf: JSON.parse(configuration) });
await pglite.close();
`;

/**
 * Makes `dataDir` a PGlite database folder unless it is one already. initdb runs in a child process
 * (see pglite-init.ts) into a sibling folder that is renamed into place only when complete, so a
 * crash during the first start leaves no half-made database behind, only a stray sibling that the
 * next start removes.
 */
async function createPgliteFolder(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, "PG_VERSION"))) return;
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} holds files but no database (no PG_VERSION): move them away, or choose another folder`);
  }
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `.${basename(dataDir)}.initdb-${process.pid}`);
  for (const name of readdirSync(parent)) {
    if (name.startsWith(`.${basename(dataDir)}.initdb-`)) rmSync(join(parent, name), { recursive: true, force: true });
  }
  const pgliteEntry = pathToFileURL(createRequire(import.meta.url).resolve("@electric-sql/pglite")).href;
  try {
    await promisify(execFile)(process.execPath, ["--input-type=module", "--eval", PGLITE_INIT, pgliteEntry, staging, JSON.stringify(PGLITE_CONFIGURATION)], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const detail = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`could not create the embedded database in ${dataDir}${detail ? `: ${detail}` : ""}`, { cause: error });
  }
  // An empty folder (made by an earlier start that died before this point, or by the user) is replaced.
  if (existsSync(dataDir)) rmdirSync(dataDir);
  renameSync(staging, dataDir);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** NOTIFY inside the caller's transaction: delivered only if and when it commits. */
export async function notify(queryable: Queryable, channel: string, payload = ""): Promise<void> {
  await sql`SELECT pg_notify(${channel}, ${payload})`.execute(queryable);
}

/**
 * Runs the statements of one read (a list: find, then load) on one connection, acquired once.
 * On PGlite, the one connection is handed out statement by statement in arrival order, so when
 * many requests read at once, their statements interleave and every request finishes only when
 * nearly all have: one at a time, they finish one after the other, and the same total work gives
 * each a fraction of the wait. PGlite runs on this thread, so nothing could have run meanwhile
 * anyway. On PostgreSQL it takes one pooled client for the read instead of one per statement.
 */
export function readOnOneConnection<T>(db: Kysely<Schema>, read: (q: Queryable) => Promise<T>): Promise<T> {
  return db.connection().execute((connection) => read(connection));
}
