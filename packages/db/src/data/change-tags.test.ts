import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError } from "@knitfab/domain";
import { BACKENDS, planSpecOf, tagOf, testDatabase, uploadTagged } from "../test-support/index.js";
import type { Database } from "../database.js";
import { registerPlan } from "../plans/register-plan.js";
import { changeDataTags, type TagChange } from "./change-tags.js";

/** changeDataTags at the db layer (`PUT /api/data/{knitId}`): remove, then remove_key, then add; then nominate again. */
describe.each(BACKENDS)("changing the tags of Data on %s", (backend) => {
  let database: Database;
  beforeAll(async () => {
    database = await testDatabase(backend);
  });
  afterAll(async () => {
    await database?.close();
  });

  const tagsOf = async (knitId: string) =>
    (await sql<{ tag: string }>`SELECT key || ':' || value AS tag FROM data_tag WHERE knit_id = ${knitId}::uuid ORDER BY key, value`.execute(database.db)).rows.map(
      (row) => row.tag,
    );
  const change = (knitId: string, parts: { add?: string[]; remove?: string[]; removeKey?: string[] }) => {
    const asked: TagChange = { add: (parts.add ?? []).map(tagOf), remove: (parts.remove ?? []).map(tagOf), removeKey: parts.removeKey ?? [] };
    return changeDataTags(database, knitId, asked);
  };

  it("removes one tag, every tag of a key, and adds, leaving the rest", async () => {
    const knitId = await uploadTagged(database, ["a:1", "a:2", "b:1", "b:2", "c:1"]);
    await change(knitId, { remove: ["b:1", "b:nothing"], removeKey: ["a", "no-such-key"], add: ["d:1"] });
    expect(await tagsOf(knitId)).toEqual(["b:2", "c:1", "d:1"]);
  });

  it("removes before adding: a tag both removed and added stays, a key removed and added keeps only the new value", async () => {
    const knitId = await uploadTagged(database, ["k:old", "x:1"]);
    await change(knitId, { remove: ["x:1"], removeKey: ["k"], add: ["x:1", "k:new"] });
    expect(await tagsOf(knitId)).toEqual(["k:new", "x:1"]);
  });

  it("adding a tag already there is a no-op, and touches no other Data", async () => {
    const knitId = await uploadTagged(database, ["same:1"]);
    const other = await uploadTagged(database, ["same:1"]);
    await change(knitId, { add: ["same:1", "same:1"] });
    await change(knitId, { removeKey: ["same"] });
    expect(await tagsOf(knitId)).toEqual([]);
    expect(await tagsOf(other)).toEqual(["same:1"]);
  });

  it("nominates the Data for a plan once it matches, and withdraws the nomination once it no longer does", async () => {
    const planId = await registerPlan(database, planSpecOf("localhost/change-tags", [["feed:me"]]));
    const knitId = await uploadTagged(database, []);
    const nominated = async () =>
      (await sql`SELECT 1 FROM nomination n JOIN input i ON i.input_id = n.input_id WHERE i.plan_id = ${planId}::uuid AND n.knit_id = ${knitId}::uuid`.execute(database.db))
        .rows.length;
    expect(await nominated()).toBe(0);
    await change(knitId, { add: ["feed:me"] });
    expect(await nominated()).toBe(1);
    await change(knitId, { remove: ["feed:me"] });
    expect(await nominated()).toBe(0);
  });

  it("says not found for a missing or malformed knitId, and changes nothing", async () => {
    const knitId = await uploadTagged(database, ["keep:1"]);
    await expect(change("00000000-0000-4000-8000-000000000000", { add: ["x:1"] })).rejects.toThrow(NotFoundError);
    await expect(change("not-a-uuid", { removeKey: ["keep"] })).rejects.toThrow(NotFoundError);
    expect(await tagsOf(knitId)).toEqual(["keep:1"]);
  });
});
