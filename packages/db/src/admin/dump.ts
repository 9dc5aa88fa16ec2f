import { sql, type Transaction } from "kysely";
import type { Database, Queryable, Schema } from "../database.js";

/**
 * The tables a backup holds, parents before children (a restore inserts them in this order), with
 * the columns that order their rows. Left out on purpose: transfers in progress (data_agent), content
 * waiting for deletion (garbage: its content is not in the backup), import-token keys (signing_key:
 * made anew when needed), the freeze itself, and schema_version (the manifest says it).
 */
export const DUMPED_TABLES: readonly { name: string; orderBy: string }[] = [
  { name: "plan", orderBy: "plan_id" },
  { name: "plan_resource", orderBy: "plan_id, type" },
  { name: "plan_on_node", orderBy: "plan_id, mode, key, value" },
  { name: "plan_annotation", orderBy: "plan_id, key, value" },
  { name: "input", orderBy: "input_id" },
  { name: "input_tag", orderBy: "input_id, key, value" },
  { name: "output", orderBy: "output_id" },
  { name: "output_tag", orderBy: "output_id, key, value" },
  { name: "run", orderBy: "run_id" },
  { name: "run_exit", orderBy: "run_id" },
  { name: "data", orderBy: "knit_id" },
  { name: "data_tag", orderBy: "knit_id, key, value" },
  { name: "assign", orderBy: "run_id, input_id" },
  { name: "worker", orderBy: "run_id" },
  { name: "nomination", orderBy: "knit_id, input_id" },
];

/** Serial columns whose sequences must move past restored ids. */
const SEQUENCES = [
  { table: "input", column: "input_id" },
  { table: "output", column: "output_id" },
] as const;

/** Receives a dump: each table in DUMPED_TABLES order, then its rows in batches (JSON text, one per row). */
export interface DumpSink {
  table(name: string): Promise<void>;
  rows(lines: string[]): Promise<void>;
}

export interface DumpSummary {
  schemaVersion: number;
  rows: Record<string, number>;
}

const BATCH = 500;

/**
 * Writes every table of DUMPED_TABLES as JSON text rows (`to_jsonb(row)`: exact timestamps, arrays,
 * enums, so PGlite and PostgreSQL read back the same values), all from one REPEATABLE READ snapshot,
 * read through a cursor so memory stays flat whatever the size. On PGlite the snapshot holds the one
 * connection: other queries of the process wait until the dump is written.
 */
export async function dumpDatabase(database: Database, sink: DumpSink): Promise<DumpSummary> {
  return database.db
    .transaction()
    .setIsolationLevel("repeatable read")
    .execute(async (trx) => {
      const version = await sql<{ version: number }>`SELECT max(version) AS version FROM schema_version`.execute(trx);
      const rows: Record<string, number> = {};
      for (const table of DUMPED_TABLES) {
        await sink.table(table.name);
        let count = 0;
        const cursor = `dump_${table.name}`;
        await sql
          .raw(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS row FROM ${table.name} t ORDER BY ${table.orderBy}`)
          .execute(trx);
        for (;;) {
          const batch = await sql.raw<{ row: string }>(`FETCH ${BATCH} FROM ${cursor}`).execute(trx);
          if (batch.rows.length === 0) break;
          count += batch.rows.length;
          await sink.rows(batch.rows.map((one) => one.row));
        }
        await sql.raw(`CLOSE ${cursor}`).execute(trx);
        rows[table.name] = count;
      }
      return { schemaVersion: version.rows[0]?.version ?? 0, rows };
    });
}

/** What a restore refuses to overwrite: anything a user made. */
export interface DatabaseContents {
  plans: number;
  runs: number;
  data: number;
}

/** Plans with an image, runs and Data in the database (a fresh installation has none). */
export async function databaseContents(q: Queryable): Promise<DatabaseContents> {
  const result = await sql<DatabaseContents>`
    SELECT (SELECT count(*)::int FROM plan WHERE image IS NOT NULL) AS plans,
           (SELECT count(*)::int FROM run) AS runs,
           (SELECT count(*)::int FROM data) AS data`.execute(q);
  return result.rows[0] ?? { plans: 0, runs: 0, data: 0 };
}

/** Rows of one table, as dumpDatabase wrote them. */
export interface TableRows {
  table: string;
  /** JSON text rows; read lazily, so a large table need not be in memory at once */
  batches: AsyncIterable<string[]>;
}

export class RestoreTargetNotEmptyError extends Error {
  override name = "RestoreTargetNotEmptyError";
}

/**
 * Loads a dump into a fresh database, in one transaction: all or nothing. The pseudo plans a fresh
 * installation seeds (knit#uploaded, knit#imported, with ids of their own) are replaced by the dump's,
 * so every id is the original's. Refuses (changing nothing) a database holding plans, runs or Data.
 */
export async function loadDatabase(database: Database, tables: AsyncIterable<TableRows>): Promise<Record<string, number>> {
  return database.db.transaction().execute(async (trx) => {
    await sql`LOCK TABLE plan, run, data IN EXCLUSIVE MODE`.execute(trx);
    const contents = await databaseContents(trx);
    if (contents.plans + contents.runs + contents.data > 0) {
      throw new RestoreTargetNotEmptyError(
        `the target database is not empty (${contents.plans} plans, ${contents.runs} runs, ${contents.data} Data); restore only into a fresh installation`,
      );
    }
    await removeSeededPseudoPlans(trx);
    const loaded: Record<string, number> = {};
    const known = new Set(DUMPED_TABLES.map((table) => table.name));
    for await (const { table, batches } of tables) {
      if (!known.has(table)) throw new Error(`the backup holds an unknown table "${table}"`);
      let count = 0;
      for await (const lines of batches) {
        if (lines.length === 0) continue;
        await sql`INSERT INTO ${sql.table(table)} SELECT * FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${`[${lines.join(",")}]`}::jsonb)`.execute(trx);
        count += lines.length;
      }
      loaded[table] = count;
    }
    for (const { table, column } of SEQUENCES) {
      await sql`SELECT setval(pg_get_serial_sequence(${table}, ${column}), greatest((SELECT max(${sql.ref(column)}) FROM ${sql.table(table)}), 1))`.execute(trx);
    }
    return loaded;
  });
}

async function removeSeededPseudoPlans(trx: Transaction<Schema>): Promise<void> {
  await sql`DELETE FROM output_tag WHERE output_id IN (SELECT o.output_id FROM output o JOIN plan p ON p.plan_id = o.plan_id WHERE p.pseudo_name IS NOT NULL)`.execute(trx);
  await sql`DELETE FROM output WHERE plan_id IN (SELECT plan_id FROM plan WHERE pseudo_name IS NOT NULL)`.execute(trx);
  await sql`DELETE FROM plan WHERE pseudo_name IS NOT NULL`.execute(trx);
}
