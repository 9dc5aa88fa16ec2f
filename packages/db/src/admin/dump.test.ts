import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase, uploadTagged, waitingRunOf } from "../test-support/index.js";
import type { Database } from "../database.js";
import { DUMPED_TABLES, databaseContents, dumpDatabase, loadDatabase, RestoreTargetNotEmptyError, type TableRows } from "./dump.js";

/** Backup and restore at the db layer: a dump read back into a fresh database gives the same rows; a used database is refused. */
describe.each(BACKENDS)("dumping and loading the database on %s", (backend) => {
  let source: Database;
  let target: Database;
  beforeAll(async () => {
    [source, target] = await Promise.all([testDatabase(backend), testDatabase(backend)]);
  });
  afterAll(async () => {
    await Promise.all([source?.close(), target?.close()]);
  });

  const dump = async (database: Database) => {
    const tables = new Map<string, string[]>();
    let current = "";
    const summary = await dumpDatabase(database, {
      table: async (name) => {
        current = name;
        tables.set(name, []);
      },
      rows: async (lines) => {
        tables.get(current)!.push(...lines);
      },
    });
    return { summary, tables };
  };
  async function* replay(tables: Map<string, string[]>): AsyncIterable<TableRows> {
    for (const [table, lines] of tables) {
      yield {
        table,
        batches: (async function* () {
          yield lines;
        })(),
      };
    }
  }

  it("a fresh database holds nothing a restore would overwrite", async () => {
    expect(await databaseContents(target.db)).toEqual({ plans: 0, runs: 0, data: 0 });
  });

  it("refuses a dump naming an unknown table, and changes nothing", async () => {
    const tables = new Map([["not_a_table", ['{"x":1}']]]);
    await expect(loadDatabase(target, replay(tables))).rejects.toThrow(/unknown table "not_a_table"/);
    expect((await sql`SELECT 1 FROM plan WHERE pseudo_name IS NOT NULL`.execute(target.db)).rows).toHaveLength(2);
  });

  it("dumps every table in order, and loading it into a fresh database gives the same rows, ids included", async () => {
    await uploadTagged(source, ["dump:1"]);
    await waitingRunOf(source, "localhost/dump");
    const first = await dump(source);
    expect([...first.tables.keys()]).toEqual(DUMPED_TABLES.map((table) => table.name));
    expect(first.summary.rows.run).toBe(3);
    expect(first.summary.rows.data).toBe(first.tables.get("data")!.length);
    expect(first.summary.schemaVersion).toBeGreaterThan(0);

    const loaded = await loadDatabase(target, replay(first.tables));
    expect(loaded).toEqual(first.summary.rows);
    const again = await dump(target);
    expect(again.tables).toEqual(first.tables);
    // the sequences moved past the restored ids: a new plan's input does not collide
    await expect(waitingRunOf(target, "localhost/dump-after")).resolves.toBeDefined();
  });

  it("refuses to load into a database holding plans, runs or Data, and changes nothing", async () => {
    const before = await databaseContents(target.db);
    expect(before.runs).toBeGreaterThan(0);
    const { tables } = await dump(source);
    await expect(loadDatabase(target, replay(tables))).rejects.toThrow(RestoreTargetNotEmptyError);
    expect(await databaseContents(target.db)).toEqual(before);
  });
});
