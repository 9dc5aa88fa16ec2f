import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, planSpecOf, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { registerPlan } from "../plans/register-plan.js";
import { countPendingNominations } from "./pending-nominations.js";

/** countPendingNominations at the db layer (the projection backlog metric): nominations not yet looked at. */
describe.each(BACKENDS)("pending nominations on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  it("counts the nominations marked updated, and not the others", async () => {
    await sql`UPDATE nomination SET updated = false`.execute(database.db);
    expect(await countPendingNominations(database.db)).toBe(0);
    await registerPlan(database, planSpecOf("localhost/pending-a", [["pending:x"]]));
    await registerPlan(database, planSpecOf("localhost/pending-b", [["pending:x"]]));
    const knitId = await uploadTagged(database, ["pending:x"]);
    expect(await countPendingNominations(database.db)).toBe(2);
    await sql`UPDATE nomination SET updated = false WHERE knit_id = ${knitId}::uuid AND input_id = (SELECT min(input_id) FROM nomination WHERE knit_id = ${knitId}::uuid)`.execute(database.db);
    expect(await countPendingNominations(database.db)).toBe(1);
  });
});
