import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { recordDataSize } from "../data/record-size.js";
import { createRootRun } from "../data/upload.js";
import { dataTotals } from "./data-totals.js";

/** dataTotals at the db layer (the Data metrics): how many Data, and the bytes of those whose size is known. */
describe.each(BACKENDS)("Data totals on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("counts every Data, and sums the known sizes exactly beyond 32 bits", async () => {
    const before = await dataTotals(database.db);
    const big = await uploadTagged(database, []);
    const small = await uploadTagged(database, []);
    await createRootRun(database, "knit#uploaded", 30);
    await recordDataSize(database.db, big, 3 * 2 ** 32);
    await recordDataSize(database.db, small, 5);
    expect(await dataTotals(database.db)).toEqual({ count: before.count + 3, bytes: before.bytes + 3 * 2 ** 32 + 5 });
  });
});
