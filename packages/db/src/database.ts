import { Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import { mkdirSync } from "node:fs";
import { pgliteDialect } from "./pglite-dialect.js";

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
  poolSize?: number;
}

// Postgres returns int8 as text; our counts are small, so parse them as numbers.
pg.types.setTypeParser(20, (value) => Number(value));

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  if (!options.dataDir) throw new Error("either a database URL or a PGlite folder is needed");
  return openPglite(options.dataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
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

async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const db = new Kysely<Schema>({ dialect: pgliteDialect(pglite) });
  return {
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
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** NOTIFY inside the caller's transaction: delivered only if and when it commits. */
export async function notify(queryable: Queryable, channel: string, payload = ""): Promise<void> {
  await sql`SELECT pg_notify(${channel}, ${payload})`.execute(queryable);
}
