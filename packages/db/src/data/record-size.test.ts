import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { recordDataSize } from "./record-size.js";

/** recordDataSize at the db layer: the size of sealed content, written again the same, on that Data only. */
describe.each(BACKENDS)("recording the size of Data on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const sizeOf = async (knitId: string) => {
    const size = (await sql<{ size_bytes: string | number | null }>`SELECT size_bytes FROM data WHERE knit_id = ${knitId}::uuid`.execute(database.db)).rows[0]!.size_bytes;
    return size === null ? null : Number(size);
  };

  it("records the size on that Data only, and again the same when sealed again", async () => {
    const knitId = await uploadTagged(database, []);
    const other = await uploadTagged(database, []);
    await recordDataSize(database.db, knitId, 42);
    await recordDataSize(database.db, knitId, 42);
    expect(await sizeOf(knitId)).toBe(42);
    expect(await sizeOf(other)).toBeNull();
  });

  it("holds sizes beyond 32 bits, and zero", async () => {
    const big = await uploadTagged(database, []);
    const empty = await uploadTagged(database, []);
    await recordDataSize(database.db, big, 5 * 2 ** 32 + 7);
    await recordDataSize(database.db, empty, 0);
    expect(await sizeOf(big)).toBe(5 * 2 ** 32 + 7);
    expect(await sizeOf(empty)).toBe(0);
  });

  it("does nothing for a Data that does not exist", async () => {
    await recordDataSize(database.db, "00000000-0000-4000-8000-000000000000", 1);
    expect((await sql`SELECT 1 FROM data WHERE knit_id = '00000000-0000-4000-8000-000000000000'::uuid`.execute(database.db)).rows).toEqual([]);
  });
});
